#!/usr/bin/env bash
# Runs the whole test suite on real components: unit tests, then integration tests against a real
# PostgreSQL (embedded, from jars) and real containers (Podman's Docker-compatible API, installed
# here if missing). Prints a pass/fail summary and cleans up whatever happened.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUN=$(mktemp -d /tmp/execbox-test.XXXXXX)
SOCK=$RUN/podman.sock

cleanup() {
  # no machine outlives the test run
  if [[ -S $SOCK ]]; then
    ids=$(curl -sf --unix-socket "$SOCK" 'http://d/v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22io.execbox.managed%3Dtrue%22%5D%7D' | grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4 || true)
    for id in $ids; do curl -sf -X DELETE --unix-socket "$SOCK" "http://d/v1.41/containers/$id?force=1" >/dev/null || true; done
  fi
  bash scripts/podman.sh stop "$SOCK" >/dev/null 2>&1 || true
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

echo "== mvn verify"
MVN_ARGS=(-B -ntp verify)
[[ -n ${MAVEN_OFFLINE:-} ]] && MVN_ARGS=(-o "${MVN_ARGS[@]}")
mvn "${MVN_ARGS[@]}" "$@" 2>&1 | tee "$RUN/mvn.log"
status=${PIPESTATUS[0]}

e2e_status=0
if [[ $status == 0 ]]; then
  echo "== end-to-end (the jar as a user runs it)"
  bash scripts/e2e.sh | tee "$RUN/e2e.log"
  e2e_status=${PIPESTATUS[0]}
fi

echo "== summary"
passed=0; failed=0; skipped=0
for f in $(find "$ROOT" -path '*/target/*-reports/TEST-*.xml' 2>/dev/null); do
  read -r t fl er sk < <(sed -n 's/.*<testsuite[^>]* tests="\([0-9]*\)"[^>]* failures="\([0-9]*\)"[^>]* errors="\([0-9]*\)"[^>]* skipped="\([0-9]*\)".*/\1 \2 \3 \4/p;s/.*<testsuite[^>]* tests="\([0-9]*\)"[^>]* errors="\([0-9]*\)"[^>]* skipped="\([0-9]*\)"[^>]* failures="\([0-9]*\)".*/\1 \4 \2 \3/p' "$f" | head -n1)
  [[ -z ${t:-} ]] && continue
  failed=$((failed + fl + er)); skipped=$((skipped + sk)); passed=$((passed + t - fl - er - sk))
done
read -r ep ef < <(sed -n 's/^e2e: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$RUN/e2e.log" 2>/dev/null || true)
passed=$((passed + ${ep:-0})); failed=$((failed + ${ef:-0}))
[[ $e2e_status != 0 ]] && status=$e2e_status
echo "tests: $passed passed, $failed failed, $skipped skipped"
[[ $status == 0 ]] && echo "RESULT: PASS" || echo "RESULT: FAIL (mvn exit $status)"
exit "$status"
