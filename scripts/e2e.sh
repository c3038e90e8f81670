#!/usr/bin/env bash
# End-to-end: the built jar started as a user would, driven over HTTP and the WebSocket.
# Needs DOCKER_HOST (scripts/test.sh sets it) and server/target/execbox-server.jar.
set -uo pipefail
cd "$(dirname "$0")/.."
RUN=$(mktemp -d /tmp/execbox-e2e.XXXXXX)
PORT=${E2E_PORT:-18181}
KEY="sk_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
JAR=server/target/execbox-server.jar
pass=0; fail=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
PID=
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$RUN"; }
trap cleanup EXIT

# bad configuration: one clear line, non-zero exit, fast
out=$(EXECBOX_DATABASE_URL='mysql://nope' SERVER_PORT=$PORT timeout 60 java -jar "$JAR" 2>&1); rc=$?
check "a bad database URL stops start-up with one clear line" \
  '[[ $rc != 0 ]] && grep -q "^execbox: cannot start: EXECBOX_DATABASE_URL is not a PostgreSQL URL" <<<"$out"'
out=$(DOCKER_HOST=unix:///nonexistent/docker.sock EXECBOX_DATA_DIR=$RUN/bad SERVER_PORT=$PORT timeout 60 java -jar "$JAR" 2>&1); rc=$?
check "a missing runtime socket stops start-up with one clear line" \
  '[[ $rc != 0 ]] && grep -q "^execbox: cannot start: .*DOCKER_HOST" <<<"$out"'

# a real start on embedded defaults, JSON logs
EXECBOX_LOG_FORMAT=json EXECBOX_BOOTSTRAP_KEY=$KEY EXECBOX_DATA_DIR=$RUN/data SERVER_PORT=$PORT \
  java -jar "$JAR" >"$RUN/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.5; done
check "GET /health answers UP" 'curl -sf "http://127.0.0.1:$PORT/health" | grep -q "\"status\":\"UP\""'

id=$(curl -sf -X POST "http://127.0.0.1:$PORT/v1/sessions" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
  -d '{"image":"localhost/execbox-test/busybox:latest","command":["sh","-c","read x; echo got:$x; echo err >&2; exit 3"]}' | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
check "create returns a session id" '[[ $id == sess_* ]]'
got=$(echo hello | EXECBOX_KEY=$KEY python3 scripts/attach.py "http://127.0.0.1:$PORT" "$id" 2>"$RUN/err"); rc=$?
[[ $got == "got:hello" ]] || echo "  (got=[$got] rc=$rc)"
check "attach streams stdin and stdout and returns the exit code" '[[ $got == "got:hello" && $rc == 3 && $(cat "$RUN/err") == err ]]'

curl -s "http://127.0.0.1:$PORT/v1/sessions" -H "Authorization: Bearer sk_wrongwrongwrongwrongwrongwrongwrongwrong" >/dev/null
sleep 0.5
check "log lines are JSON" 'grep -v "^\s*$" "$RUN/server.log" | grep -q "^{" && ! grep -v "^\s*$" "$RUN/server.log" | grep -v "^{" | grep -q .'
check "failed authentication is logged" 'grep -q "authentication failed" "$RUN/server.log"'
check "no key ever reaches the log" '! grep -q "$KEY" "$RUN/server.log" && ! grep -q "sk_wrongwrong" "$RUN/server.log"'

kill "$PID"; wait "$PID" 2>/dev/null; PID=
# sessions survive a restart of the jar (embedded data kept)
EXECBOX_BOOTSTRAP_KEY=$KEY EXECBOX_DATA_DIR=$RUN/data SERVER_PORT=$PORT java -jar "$JAR" >"$RUN/server2.log" 2>&1 &
PID=$!
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.5; done
check "a session survives a restart of the jar" \
  'curl -sf "http://127.0.0.1:$PORT/v1/sessions/$id" -H "Authorization: Bearer $KEY" | grep -q "\"exitCode\":3"'
replay=$(EXECBOX_KEY=$KEY python3 scripts/attach.py "http://127.0.0.1:$PORT" "$id" --no-stdin 2>/dev/null); rc=$?
check "its output replays after the restart" '[[ $replay == "got:hello" && $rc == 3 ]]'

echo "e2e: $pass passed, $fail failed"
[[ $fail == 0 ]]
