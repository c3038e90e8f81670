-- Reverses V4: forgets the installation's shared secrets.
DROP TABLE IF EXISTS installation_secrets;
