#!/usr/bin/env bash
# Kubernetes benchmarks (scripts/bench_k8s.py), each with its baseline in the same run:
#   bench-k8s.sh p6 [N [W]] after W warm-up Sessions (default 300), N Sessions -> N Pods + statuses, on an apiserver without a kubelet (kube-apiserver.sh)
#   bench-k8s.sh p1 [runs] create -> first byte over the WebSocket on the real node (kube-node.sh; none may run yet)
#   bench-k8s.sh p3 [runs] stdout throughput through the agent vs a Pod attached directly, on the real node
# Builds the jar when stale (scripts/jar.sh); needs the cached kube build (scripts/kube-node.sh build).
set -euo pipefail
cd "$(dirname "$0")/.."
WHAT=${1:?p6, p1 or p3}
RUN=$(mktemp -d /tmp/ebx-bench.XXXXXX)
PORT=${BENCH_PORT:-18090}
KEY="sk_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
CACHE=$(bash scripts/kube-node.sh build)
export PATH=$CACHE:$PATH   # the node's own kubectl
JAR=$(bash scripts/jar.sh)
PID=
cleanup() {
  set +e   # clean up everything, whatever fails here
  [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  [[ -n ${BENCH_KEEP_LOG:-} ]] && cp "$RUN/server.log" "$BENCH_KEEP_LOG"
  if [[ $WHAT == p6 ]]; then bash scripts/kube-apiserver.sh stop "$RUN/k" >/dev/null 2>&1 || true
  else bash scripts/kube-node.sh stop "$RUN/k" >/dev/null 2>&1 || true; fi
  rm -rf "$RUN"
}
trap cleanup EXIT
if [[ $WHAT == p6 ]]; then
  bash scripts/kube-apiserver.sh start "$RUN/k" >/dev/null
else
  bash scripts/kube-node.sh start "$RUN/k" >/dev/null 2>&1
fi
KC=$RUN/k/kubeconfig
NS=bench
kubectl --kubeconfig "$KC" apply -f helm/execbox/crds/ >/dev/null
kubectl --kubeconfig "$KC" create namespace "$NS" >/dev/null
KUBECONFIG=$KC EXECBOX_MODE=kubernetes EXECBOX_BACKEND=kubernetes EXECBOX_NAMESPACE=$NS \
  EXECBOX_BOOTSTRAP_KEY=$KEY EXECBOX_DATA_DIR=$RUN/data SERVER_PORT=$PORT MANAGEMENT_SERVER_PORT=0 EXECBOX_RATE_LIMIT_PER_MINUTE=100000 \
  EXECBOX_MAX_ACTIVE_SESSIONS=1000 EXECBOX_KUBERNETES_CPU_REQUEST_PERCENT=1 \
  java ${BENCH_JAVA_OPTS:-} -jar "$JAR" >"$RUN/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.5; done
curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || { tail -n 50 "$RUN/server.log"; exit 1; }
if [[ $WHAT == p6 ]]; then
  python3 scripts/bench_k8s.py p6 "$KC" "$NS" "${2:-1000}" "${3:-300}"
else
  python3 scripts/bench_k8s.py "$WHAT" "$KC" "$NS" "http://127.0.0.1:$PORT" "$KEY" ${2:+"$2"}
fi
