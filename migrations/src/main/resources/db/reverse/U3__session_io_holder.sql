-- Reverses V3: forgets where each session's stdio is held.
ALTER TABLE sessions DROP COLUMN IF EXISTS io_holder;
