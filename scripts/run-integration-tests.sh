#!/usr/bin/env bash
# Kubernetes mode, end to end, the way an operator of execbox would bring it up on one machine:
# a real single-node cluster (scripts/kube-node.sh; or the one named by EXECBOX_TEST_KUBECONFIG),
# the Session CRD, PostgreSQL (the jar's embedded one, data in a scratch dir), and the built jar in
# kubernetes mode; waits for /health, runs one session through it (curl + scripts/attach.py), then
# the unit and integration tests (mvn verify) against the same cluster, prints a pass/fail summary
# and cleans up whatever failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUN=$(mktemp -d /tmp/ebx-it.XXXXXX)
PORT=${IT_PORT:-18282}
KEY="sk_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
NS=execbox-it-$$
PID=; OWN_NODE=
status=0
cleanup() {
  [[ -n $PID ]] && { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }
  [[ -n ${KC:-} ]] && "$CACHE/kubectl" --kubeconfig "$KC" delete namespace "$NS" --wait=false >/dev/null 2>&1
  [[ -n $OWN_NODE ]] && bash scripts/kube-node.sh stop "$RUN/kn" >/dev/null 2>&1
  [[ -n ${OWN_PODMAN:-} ]] && bash scripts/podman.sh stop "$RUN/podman.sock" >/dev/null 2>&1
  rm -rf "$RUN"
}
trap cleanup EXIT
fail() { echo "$1"; echo "RESULT: FAIL ($1)"; exit 1; }

CACHE=$(bash scripts/kube-node.sh build) || fail "building the kube binaries failed"
if [[ -n ${EXECBOX_TEST_KUBECONFIG:-} ]]; then
  KC=$EXECBOX_TEST_KUBECONFIG
else
  echo "== kubernetes node"
  bash scripts/kube-node.sh start "$RUN/kn" >"$RUN/kube-node.log" 2>&1 \
    || { tail -20 "$RUN/kube-node.log"; fail "the kubernetes node did not start"; }
  OWN_NODE=1; KC=$RUN/kn/kubeconfig
  export EXECBOX_TEST_CONTAINERD=$RUN/kn/containerd/containerd.sock
fi
export EXECBOX_TEST_KUBECONFIG=$KC EXECBOX_REQUIRE_KUBE=1 EXECBOX_REQUIRE_PODS=1
kc() { "$CACHE/kubectl" --kubeconfig "$KC" "$@"; }
kc apply -f helm/execbox/crds/ >/dev/null && kc create namespace "$NS" >/dev/null \
  || fail "the CRD or the namespace could not be created"

echo "== the server in kubernetes mode"
JAR=$(bash scripts/jar.sh) || fail "the server jar did not build"
KUBECONFIG=$KC EXECBOX_MODE=kubernetes EXECBOX_BACKEND=kubernetes EXECBOX_NAMESPACE=$NS \
  EXECBOX_BOOTSTRAP_KEY=$KEY EXECBOX_DATA_DIR=$RUN/data SERVER_PORT=$PORT MANAGEMENT_SERVER_PORT=0 \
  java -jar "$JAR" >"$RUN/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.5; done
if ! curl -sf "http://127.0.0.1:$PORT/health" | grep -q '"name":"kubernetes"'; then
  tail -30 "$RUN/server.log"; echo "RESULT: FAIL (the server did not become healthy)"; exit 1
fi
id=$(curl -sf -X POST "http://127.0.0.1:$PORT/v1/sessions" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
  -d '{"image":"localhost/execbox-test/busybox:latest","command":["sh","-c","echo smoke; exit 4"]}' | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
out=$(EXECBOX_KEY=$KEY python3 scripts/attach.py "http://127.0.0.1:$PORT" "$id" --no-stdin 2>/dev/null); rc=$?
if [[ $out == smoke && $rc == 4 ]]; then echo "smoke: a session ran as a Pod: output and exit code 4"; else
  echo "smoke: FAILED (out=[$out] rc=$rc)"; status=1; fi
kill "$PID"; wait "$PID" 2>/dev/null; PID=

echo "== mvn verify (unit and integration tests on this cluster; the docker ones on Podman)"
if [[ -z ${DOCKER_HOST:-} ]]; then
  bash scripts/podman.sh install && bash scripts/podman.sh images >/dev/null \
    || fail "Podman or its test images could not be set up"
  export DOCKER_HOST; DOCKER_HOST=$(bash scripts/podman.sh serve "$RUN/podman.sock" | sed -n 's/^DOCKER_HOST=//p')
  OWN_PODMAN=1
fi
mvn -B -ntp verify "$@" >"$RUN/mvn.log" 2>&1
mvn_status=$?
grep -E 'Tests run:.*in io|ERROR\]|BUILD' "$RUN/mvn.log"
[[ $mvn_status != 0 ]] && status=$mvn_status

echo "== summary"
source scripts/test-summary.sh
count_reports "$ROOT"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[[ $status == 0 ]] && echo "RESULT: PASS" || echo "RESULT: FAIL"
exit "$status"
