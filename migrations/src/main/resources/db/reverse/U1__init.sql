-- Reverses V1__init.sql.
DROP TABLE IF EXISTS session_output;
DROP TABLE IF EXISTS usage_metrics;
DROP TABLE IF EXISTS machines;
DROP TRIGGER IF EXISTS sessions_notify ON sessions;
DROP TABLE IF EXISTS sessions;
DROP FUNCTION IF EXISTS execbox_notify_session();
DROP TABLE IF EXISTS api_keys;
DROP TABLE IF EXISTS accounts;
DROP TABLE IF EXISTS installation;
