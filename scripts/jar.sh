#!/usr/bin/env bash
# Makes sure server/target/execbox-server.jar is built from the current sources (a jar older than
# any main source or pom is rebuilt; Maven alone would keep a repackaged jar whose modules changed)
# and prints its path. Sourced paths are relative to the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=server/target/execbox-server.jar
if [[ ! -f $JAR ]] || [[ -n $(find . -path ./.git -prune -o \( -path '*/src/main/*' -o -name pom.xml \) -newer "$JAR" -print -quit) ]]; then
  echo "== building execbox (first time: a few minutes)" >&2
  rm -f "$JAR"
  OFFLINE=(); [[ -n ${MAVEN_OFFLINE:-} ]] && OFFLINE=(-o)
  mvn "${OFFLINE[@]}" -B -q -ntp -DskipTests -Dspotless.check.skip=true package >&2
fi
echo "$PWD/$JAR"
