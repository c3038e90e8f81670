#!/usr/bin/env bash
# Starts execbox on a scratch data dir and benchmarks it against the bare runtime (scripts/bench.py).
# Builds the jar when stale (scripts/jar.sh); needs Podman (scripts/podman.sh install).
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=$(mktemp -d /tmp/execbox-bench.XXXXXX)
PORT=${BENCH_PORT:-18080}
KEY="sk_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
bash scripts/podman.sh install >/dev/null
bash scripts/podman.sh images
export DOCKER_HOST; DOCKER_HOST=$(bash scripts/podman.sh serve "$RUN/podman.sock" | sed -n 's/^DOCKER_HOST=//p')
JAR=$(bash scripts/jar.sh)
EXECBOX_BOOTSTRAP_KEY=$KEY EXECBOX_DATA_DIR=$RUN/data SERVER_PORT=$PORT MANAGEMENT_SERVER_PORT=0 EXECBOX_RATE_LIMIT_PER_MINUTE=100000 \
  EXECBOX_RETENTION=128MB java -jar "$JAR" >"$RUN/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; bash scripts/podman.sh stop "$RUN/podman.sock"; rm -rf "$RUN"' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.5; done
curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || { tail -n 50 "$RUN/server.log"; exit 1; }
EXECBOX_KEY=$KEY python3 scripts/bench.py "http://127.0.0.1:$PORT" "$KEY" "${BENCH_RUNS:-11}"
