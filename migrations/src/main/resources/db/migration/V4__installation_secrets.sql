-- Secrets every replica of the installation shares through its database (which all of them trust
-- already): made by the first process that asks for one, never shown to clients. The api signs the
-- attaches it forwards to the operator holding a session's stdio with 'attach-forwarding'.
CREATE TABLE installation_secrets (
    name       text PRIMARY KEY,
    value      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
