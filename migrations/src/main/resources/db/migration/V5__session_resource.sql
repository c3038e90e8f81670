-- Kubernetes mode: the Session resource of a session that a cluster user applied (kubectl), by the
-- name they gave it. The api reaches that resource by these columns to stop or delete the session;
-- NULL for a session the API created (its resource is sess-<hex> in the installation's namespace).
ALTER TABLE sessions ADD COLUMN resource_namespace text, ADD COLUMN resource_name text;
