#!/usr/bin/env bash
# The fault suite (docs/RELIABILITY.md): the built jar on a PostgreSQL and a Podman API service of its
# own, broken one part at a time under traffic, all on loopback. Checks (scripts/chaos.py):
#   quota     100 concurrent creates against a quota of 10: never more than 10 active
#   postgres  PostgreSQL stopped and restarted under traffic: /health DOWN then UP, 503 + Retry-After
#             meanwhile, no session lost or run twice
#   runtime   Podman's API service SIGKILLed and restarted under traffic: no session lost or run twice
#   sigkill   the server SIGKILLed during a 100 MB attach and restarted: the client reattaches and
#             gets every byte once, in order (sha256)
# Usage: scripts/chaos.sh [CHECK...]   (default: all; about 4 minutes). Prints PASS/FAIL per check and
# "chaos: N passed, N failed"; exits non-zero on any failure. Installs Podman if missing (as
# scripts/podman.sh does), builds the jar when stale, and removes what it started whatever happens.
set -uo pipefail
cd "$(dirname "$0")/.."
RUN=$(mktemp -d /tmp/execbox-chaos.XXXXXX)

cleanup() {
  # the driver cleans up after itself; this is for a driver that was killed, or this script
  if [[ -f $RUN/pids/driver ]] && kill -0 "$(cat "$RUN/pids/driver")" 2>/dev/null; then
    kill -TERM "$(cat "$RUN/pids/driver")" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$(cat "$RUN/pids/driver")" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$(cat "$RUN/pids/driver")" 2>/dev/null
  fi
  for f in "$RUN"/pids/server "$RUN"/pids/podman "$RUN"/pids/postgres; do
    [[ -f $f ]] || continue
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
      [[ $f == */postgres ]] && kill -INT -- "-$pid" 2>/dev/null || kill -KILL -- "-$pid" 2>/dev/null
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  done
  if [[ -s $RUN/installation ]] && command -v podman >/dev/null; then
    ids=$(podman ps -aq --filter "label=io.execbox.installation=$(cat "$RUN/installation")" 2>/dev/null)
    [[ -n $ids ]] && podman rm -f $ids >/dev/null 2>&1
  fi
  rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v java >/dev/null || { echo "a JDK 17 is needed (apt-get install openjdk-17-jdk-headless)"; exit 1; }
bash scripts/podman.sh install >/dev/null || exit 1
bash scripts/podman.sh images || exit 1
JAR=$(bash scripts/jar.sh) || { echo "building execbox failed"; exit 1; }
# in the background, so that a signal to this script is handled at once (its trap ends the driver)
timeout --signal=TERM 900 python3 scripts/chaos.py "$RUN" "$JAR" "$@" &
wait $!
status=$?
[[ $status == 124 ]] && echo "FAIL chaos: the suite did not finish in 15 minutes"
exit "$status"
