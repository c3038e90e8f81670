#!/usr/bin/env bash
# The fast tier of the Kubernetes tests: what needs an API server but no kubelet, on the
# API-server-only recipe (scripts/kube-apiserver.sh: etcd + kube-apiserver on loopback, Pods stay
# Pending), in about a minute once the binaries are built: the chart installing the CRD (first,
# on the fresh API server: alphabetical order), the CRD's validation, status writing,
# conditions and Events, stop and delete through the finalizer, leader election with the leader
# killed, and an operator restarted mid-reconcile converging without duplicates.
#   scripts/fast-tier.sh [extra mvn args]
# Runs on its own ports (ETCD_PORT 32379, APISERVER_PORT 36443), beside a kube-node.sh node if one
# is up; prints "fast tier: N passed, N failed" and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
RUN=$(mktemp -d /tmp/execbox-fast.XXXXXX)
cleanup() {
  bash scripts/kube-apiserver.sh stop "$RUN/apiserver" >/dev/null 2>&1
  rm -rf "$RUN"
}
trap cleanup EXIT

bash scripts/kube-apiserver.sh build >/dev/null || { echo "building kube-apiserver failed"; exit 1; }
KC=$(bash scripts/kube-apiserver.sh start "$RUN/apiserver" | tail -1)
[[ -f $KC ]] || { tail -20 "$RUN/apiserver/apiserver.log"; echo "the API server did not start"; exit 1; }
# EXECBOX_REQUIRE_CRD_INSTALL: HelmCrdIT fails, rather than skips, if the CRD were there already
export EXECBOX_TEST_KUBECONFIG=$KC EXECBOX_REQUIRE_KUBE=1 EXECBOX_REQUIRE_CRD_INSTALL=1
# the runs' own node, if any, is not this cluster; here Pods do not run, by design
unset EXECBOX_TEST_CONTAINERD EXECBOX_REQUIRE_PODS

TESTS=HelmCrdIT,KubernetesControlPlaneIT,LeaderElectionIT
MVN_ARGS=(-B -ntp verify -pl server -am -Dtest=none "-Dit.test=$TESTS" -Dfailsafe.runOrder=alphabetical
  -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false)
[[ -n ${MAVEN_OFFLINE:-} ]] && MVN_ARGS=(-o "${MVN_ARGS[@]}")
mvn "${MVN_ARGS[@]}" "$@" >"$RUN/mvn.log" 2>&1
status=$?
# the totals of the failsafe run (the reports directory also holds older runs' reports)
read -r t f e sk < <(sed -n 's/^\[[A-Z]*\] Tests run: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\), Skipped: \([0-9]*\)$/\1 \2 \3 \4/p' "$RUN/mvn.log" | tail -1)
echo "fast tier: $(( ${t:-0} - ${f:-0} - ${e:-0} - ${sk:-0} )) passed, $(( ${f:-0} + ${e:-0} )) failed"
if [[ $status != 0 ]]; then
  grep -E "Tests run:|FAIL|ERROR\]" "$RUN/mvn.log" | tail -30
fi
# the full run writes these classes' reports again; left here they would be counted twice
rm -f server/target/failsafe-reports/*HelmCrdIT* \
  server/target/failsafe-reports/*KubernetesControlPlaneIT* server/target/failsafe-reports/*LeaderElectionIT*
exit "$status"
