-- Request counters of the installation's rate limits, one row per bucket ('key:<id>',
-- 'account:<id>') and one-minute window, shared by every api replica so that N replicas allow the
-- limit once, not N times. UNLOGGED: a counter is worth nothing after a crash (the window it
-- counted is over by then), and skipping the WAL keeps the one write per request cheap. Windows
-- older than the current one are deleted by the replicas as they go.
CREATE UNLOGGED TABLE rate_counters (
    bucket       text        NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer     NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX rate_counters_window ON rate_counters (window_start);
