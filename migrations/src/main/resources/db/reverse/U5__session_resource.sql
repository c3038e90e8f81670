-- Reverses V5: forgets the names of kubectl-applied Session resources.
ALTER TABLE sessions DROP COLUMN IF EXISTS resource_name, DROP COLUMN IF EXISTS resource_namespace;
