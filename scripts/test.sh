#!/usr/bin/env bash
# Runs the whole test suite on real components: unit tests, then integration tests against a real
# PostgreSQL (embedded, from jars), real containers (Podman's Docker-compatible API, installed here
# if missing) and a real single-node Kubernetes cluster (scripts/kube-node.sh: built once from
# Debian's sources, about 6 minutes, cached under ~/.cache/execbox). Prints a pass/fail summary and
# cleans up whatever happened. The fast tier (scripts/fast-tier.sh: the same binaries' API server
# alone, no kubelet) runs first; after mvn, the end-to-end script and the fault suite
# (scripts/chaos.sh, about 4 minutes; EXECBOX_SKIP_CHAOS=1 leaves it out) run the built jar.
# EXECBOX_SKIP_KUBE=1 leaves the clusters out (their tests then skip).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUN=$(mktemp -d /tmp/execbox-test.XXXXXX)
SOCK=$RUN/podman.sock
KUBE=$RUN/kn
MVN_PROFILES=()

cleanup() {
  # no machine outlives the test run
  if [[ -S $SOCK ]]; then
    ids=$(curl -sf --unix-socket "$SOCK" 'http://d/v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22io.execbox.managed%3Dtrue%22%5D%7D' | grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4 || true)
    for id in $ids; do curl -sf -X DELETE --unix-socket "$SOCK" "http://d/v1.41/containers/$id?force=1" >/dev/null || true; done
  fi
  bash scripts/podman.sh stop "$SOCK" >/dev/null 2>&1 || true
  [[ -d $KUBE ]] && bash scripts/kube-node.sh stop "$KUBE" >/dev/null 2>&1
  rm -rf "$RUN"
}
trap cleanup EXIT

command -v java >/dev/null || { echo "a JDK 17 is needed (apt-get install openjdk-17-jdk-headless)"; exit 1; }
command -v mvn >/dev/null || { echo "Maven is needed (apt-get install maven)"; exit 1; }
echo "== container runtime"
bash scripts/podman.sh install || exit 1
bash scripts/podman.sh images || exit 1
export DOCKER_HOST; DOCKER_HOST=$(bash scripts/podman.sh serve "$SOCK" | sed -n 's/^DOCKER_HOST=//p')
[[ -n $DOCKER_HOST ]] || { echo "podman API did not start"; exit 1; }
echo "DOCKER_HOST=$DOCKER_HOST"

if [[ -z ${EXECBOX_SKIP_KUBE:-} ]]; then
  echo "== kubernetes node"
  bash scripts/kube-node.sh build >/dev/null || { echo "building the kube binaries failed"; exit 1; }
  if ! bash scripts/kube-node.sh start "$KUBE" >"$RUN/kube-node.log" 2>&1; then
    tail -20 "$RUN/kube-node.log"; echo "the kubernetes node did not start"; exit 1
  fi
  tail -1 "$RUN/kube-node.log"
  # the Kubernetes tests fail, rather than skip, if they cannot find this node
  export EXECBOX_TEST_KUBECONFIG=$KUBE/kubeconfig EXECBOX_REQUIRE_KUBE=1 EXECBOX_REQUIRE_PODS=1
  export EXECBOX_TEST_CONTAINERD=$KUBE/containerd/containerd.sock

  echo "== execbox image (Jib, on a Java 17 base built from Debian's packages)"
  bash scripts/jre-base-image.sh build || { echo "building the Java base image failed"; exit 1; }
  # Jib must never ask the internet for updates (also -Djib.disableUpdateChecks in .mvn/jvm.config)
  mkdir -p "$HOME/.config/google-cloud-tools-java/jib"
  [[ -f $HOME/.config/google-cloud-tools-java/jib/config.json ]] \
    || echo '{"disableUpdateCheck": true}' >"$HOME/.config/google-cloud-tools-java/jib/config.json"
  MVN_PROFILES=(-Pimage)
  export EXECBOX_REQUIRE_IMAGE=1
fi

fast_status=0
if [[ -z ${EXECBOX_SKIP_KUBE:-} ]]; then
  echo "== fast tier (API server only, no kubelet)"
  bash scripts/fast-tier.sh | tee "$RUN/fast.log"
  fast_status=${PIPESTATUS[0]}
fi

echo "== mvn verify"
MVN_ARGS=(-B -ntp verify "${MVN_PROFILES[@]}")
[[ -n ${MAVEN_OFFLINE:-} ]] && MVN_ARGS=(-o "${MVN_ARGS[@]}")
mvn "${MVN_ARGS[@]}" "$@" 2>&1 | tee "$RUN/mvn.log"
status=${PIPESTATUS[0]}

e2e_status=0
if [[ $status == 0 ]]; then
  echo "== end-to-end (the jar as a user runs it)"
  bash scripts/e2e.sh | tee "$RUN/e2e.log"
  e2e_status=${PIPESTATUS[0]}
fi

chaos_status=0
if [[ $status == 0 && -z ${EXECBOX_SKIP_CHAOS:-} ]]; then
  echo "== fault suite (scripts/chaos.sh: PostgreSQL, the runtime and the server broken under traffic)"
  bash scripts/chaos.sh | tee "$RUN/chaos.log"
  chaos_status=${PIPESTATUS[0]}
fi

echo "== summary"
source scripts/test-summary.sh
count_reports "$ROOT"
read -r ep ef < <(sed -n 's/^e2e: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$RUN/e2e.log" 2>/dev/null || true)
passed=$((passed + ${ep:-0})); failed=$((failed + ${ef:-0}))
read -r cp cf < <(sed -n 's/^chaos: \([0-9]*\) passed, \([0-9]*\) failed.*$/\1 \2/p' "$RUN/chaos.log" 2>/dev/null || true)
passed=$((passed + ${cp:-0})); failed=$((failed + ${cf:-0}))
read -r fp ff < <(sed -n 's/^fast tier: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$RUN/fast.log" 2>/dev/null || true)
passed=$((passed + ${fp:-0})); failed=$((failed + ${ff:-0}))
[[ $e2e_status != 0 ]] && status=$e2e_status
[[ $chaos_status != 0 && $status == 0 ]] && status=$chaos_status
[[ $fast_status != 0 && $status == 0 ]] && status=$fast_status
echo "tests: $passed passed, $failed failed, $skipped skipped"
[[ $status == 0 ]] && echo "RESULT: PASS" || echo "RESULT: FAIL (mvn exit $status)"
exit "$status"
