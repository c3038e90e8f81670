-- This installation's identity: machines are labelled with it, so that installations sharing one
-- container runtime never sweep each other's machines.
CREATE TABLE installation (
    id         text PRIMARY KEY DEFAULT ('inst_' || substr(md5(random()::text || clock_timestamp()::text), 1, 16)),
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO installation DEFAULT VALUES;

-- Accounts are the tenants: they own keys and sessions.
CREATE TABLE accounts (
    id                  text PRIMARY KEY,
    name                text NOT NULL,
    max_active_sessions integer NOT NULL DEFAULT 10 CHECK (max_active_sessions >= 0),
    created_at          timestamptz NOT NULL DEFAULT now()
);

-- Only the SHA-256 of a key is kept; the key itself is shown once.
CREATE TABLE api_keys (
    id           text PRIMARY KEY,
    account_id   text NOT NULL REFERENCES accounts (id),
    name         text NOT NULL,
    key_hash     text NOT NULL UNIQUE,
    key_prefix   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX api_keys_account ON api_keys (account_id);

-- The row is the desired and recorded state of a session (standalone mode's source of truth).
-- reconcile_at is when the reconcile loop must look at it next; NULL means nothing is left to do.
CREATE TABLE sessions (
    id                text PRIMARY KEY,
    account_id        text NOT NULL REFERENCES accounts (id),
    status            text NOT NULL CHECK (status IN ('pending', 'running', 'stopped', 'killed', 'failed')),
    spec              jsonb NOT NULL,
    image             text NOT NULL,
    backend           text NOT NULL,
    idempotency_key   text,
    created_at        timestamptz NOT NULL,
    deadline_at       timestamptz NOT NULL,
    started_at        timestamptz,
    ended_at          timestamptz,
    exit_code         integer,
    reason            text,
    network           jsonb,
    stop_requested_at timestamptz,
    term_sent_at      timestamptz,
    kill_requested_at timestamptz,
    create_attempts   integer NOT NULL DEFAULT 0,
    output_archived   boolean NOT NULL DEFAULT false,
    output_dropped    bigint NOT NULL DEFAULT 0,
    reconcile_at      timestamptz,
    CONSTRAINT sessions_idempotency UNIQUE (account_id, idempotency_key)
);
CREATE INDEX sessions_account_newest ON sessions (account_id, created_at DESC, id DESC);
CREATE INDEX sessions_active ON sessions (account_id) WHERE status IN ('pending', 'running');
CREATE INDEX sessions_due ON sessions (reconcile_at) WHERE reconcile_at IS NOT NULL;

-- Wakes the reconcile loop (LISTEN execbox_sessions) as soon as a row needs work.
CREATE FUNCTION execbox_notify_session() RETURNS trigger AS $$
BEGIN
    -- only rows due now: a row scheduled for later is found by the loop's timer
    IF NEW.reconcile_at IS NOT NULL AND NEW.reconcile_at <= clock_timestamp() + interval '100 milliseconds' THEN
        PERFORM pg_notify('execbox_sessions', NEW.id);
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER sessions_notify
    AFTER INSERT OR UPDATE OF reconcile_at ON sessions
    FOR EACH ROW EXECUTE FUNCTION execbox_notify_session();

-- The machine a session ran on; destroyed_at set once the backend removed it.
CREATE TABLE machines (
    session_id   text PRIMARY KEY REFERENCES sessions (id),
    backend      text NOT NULL,
    machine_id   text NOT NULL,
    name         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    destroyed_at timestamptz
);

-- One row per finished session.
CREATE TABLE usage_metrics (
    session_id   text PRIMARY KEY REFERENCES sessions (id),
    account_id   text NOT NULL REFERENCES accounts (id),
    wall_seconds double precision NOT NULL,
    cpu_seconds  double precision,
    ended_at     timestamptz NOT NULL
);
CREATE INDEX usage_metrics_account_day ON usage_metrics (account_id, ended_at);

-- Retained output of finished sessions, for replay after the machine is gone.
CREATE TABLE session_output (
    session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    seq        integer NOT NULL,
    stream     smallint NOT NULL CHECK (stream IN (1, 2)),
    data       bytea NOT NULL,
    PRIMARY KEY (session_id, seq)
);
