-- Reverses V2__session_cpu.sql.
ALTER TABLE sessions DROP COLUMN IF EXISTS cpu_seconds;
