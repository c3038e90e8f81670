-- host:port of the server process that holds the session's stdio (it attached before the command
-- started); other replicas forward attach clients there. Null when no process advertises itself.
ALTER TABLE sessions ADD COLUMN io_holder text;
