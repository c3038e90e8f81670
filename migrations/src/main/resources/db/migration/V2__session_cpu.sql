-- CPU seconds a session's command used, as last sampled from the runtime while it ran.
ALTER TABLE sessions ADD COLUMN cpu_seconds double precision;
