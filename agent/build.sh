#!/usr/bin/env bash
# Builds execbox-agent (docs/AGENT.md) as a static, stripped binary: with musl (tens of KiB) when
# musl-gcc is there or can be installed from the distribution, else with the C compiler's own static
# libc (much larger, but it runs the same). Prints the binary's size.
#   build.sh OUTPUT       (the agent module's pom passes target/classes/io/execbox/agent/execbox-agent)
# EXECBOX_AGENT_CC picks the compiler; EXECBOX_AGENT_CFLAGS adds flags (e.g. -DEXECBOX_AGENT_TEST_...).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$here/src/main/c
out=${1:?usage: build.sh OUTPUT}
mkdir -p "$(dirname "$out")"

# which compiler built it, outside the jar's classes
note=$here/target/execbox-agent.built-with
size() { echo "execbox-agent: $(stat -c %s "$out") bytes, $1"; }

if [[ -f $out && -f $note && -z ${EXECBOX_AGENT_CC:-}${EXECBOX_AGENT_CFLAGS:-} ]] \
  && [[ -z $(find "$src" "$here/build.sh" -newer "$out") ]]; then
  size "up to date (built with $(cat "$note"))"
  exit 0
fi

cc=${EXECBOX_AGENT_CC:-}
if [[ -z $cc ]] && ! command -v musl-gcc >/dev/null; then
  # a bare Debian machine (CI runs as root): musl comes from the distribution's own packages
  if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    echo "execbox-agent: installing musl-tools"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq musl-tools >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get install -y -qq musl-tools >/dev/null; } \
      || echo "execbox-agent: musl-tools could not be installed" >&2
  fi
fi
if [[ -z $cc ]]; then
  if command -v musl-gcc >/dev/null; then
    cc=musl-gcc
  elif command -v gcc >/dev/null; then
    cc=gcc
    echo "execbox-agent: WARNING: no musl-gcc; building with gcc -static (a far larger binary)" >&2
  else
    echo "execbox-agent: no C compiler (musl-gcc or gcc); install musl-tools" >&2
    exit 1
  fi
fi

flags=(-std=c11 -D_GNU_SOURCE -Os -static -s -Wall -Wextra
  -fstack-protector-strong -fno-asynchronous-unwind-tables -fno-ident
  -ffunction-sections -fdata-sections -Wl,--gc-sections)
# shellcheck disable=SC2206 # word splitting wanted
flags+=(${EXECBOX_AGENT_CFLAGS:-})
"$cc" "${flags[@]}" -o "$out.tmp" "$src"/*.c
# a usage error is the one thing it can do without a secret and a command: it must say so with 125
set +e
"$out.tmp" >/dev/null 2>&1
rc=$?
set -e
if [[ $rc != 125 ]]; then
  echo "execbox-agent: the built binary answered a usage error with $rc, not 125" >&2
  rm -f "$out.tmp"
  exit 1
fi
mv "$out.tmp" "$out"
mkdir -p "$(dirname "$note")"
echo "$cc" >"$note"
size "built with $cc"
