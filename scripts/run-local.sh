#!/usr/bin/env bash
# Starts execbox on http://127.0.0.1:8080 on embedded defaults: an embedded PostgreSQL (data kept under
# ~/.execbox) and the docker backend on the local Docker or Podman. Installs Podman when neither runtime
# is there, builds the jar if needed, makes an API key (kept in ~/.execbox/api-key, mode 0600) and
# prints a copy-paste example. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
HOME_DIR=${EXECBOX_HOME:-$HOME/.execbox}
PORT=${SERVER_PORT:-8080}
mkdir -p "$HOME_DIR"

# 1. a container runtime
if [[ -z ${DOCKER_HOST:-} ]]; then
  if [[ -S /var/run/docker.sock ]] && curl -sf --unix-socket /var/run/docker.sock http://d/_ping >/dev/null 2>&1; then
    export DOCKER_HOST=unix:///var/run/docker.sock
  else
    if ! command -v podman >/dev/null && ! command -v dockerd >/dev/null; then
      echo "== installing Podman (no Docker or Podman found)"
    fi
    bash scripts/podman.sh install
    DOCKER_HOST=$(bash scripts/podman.sh serve "$HOME_DIR/podman.sock" | sed -n 's/^DOCKER_HOST=//p')
    export DOCKER_HOST
  fi
fi
# the image the example below uses, built from local files (nothing is pulled)
if command -v podman >/dev/null; then bash scripts/podman.sh images; fi

# 2. the jar
JAR=$(bash scripts/jar.sh) || { echo "building execbox failed"; exit 1; }

# 3. a key, kept across runs in a file only its owner may read. The full key is printed once, when
# it is made, and only to a terminal: output that goes to a file or a pipe (a log someone may
# share) names the key file instead.
KEY_FILE=$HOME_DIR/api-key
NEW_KEY=
if [[ -z ${EXECBOX_BOOTSTRAP_KEY:-} ]]; then
  if [[ ! -s $KEY_FILE ]]; then
    (umask 077; printf 'sk_%s\n' "$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')" >"$KEY_FILE")
    NEW_KEY=1
  fi
  chmod 600 "$KEY_FILE"
  EXECBOX_BOOTSTRAP_KEY=$(cat "$KEY_FILE")
  KEY_SHOWN="${EXECBOX_BOOTSTRAP_KEY:0:7}…   (the whole key is in $KEY_FILE, readable only by you)"
  if [[ -n $NEW_KEY && -t 1 ]]; then
    KEY_SHOWN="$EXECBOX_BOOTSTRAP_KEY   (new; shown this once, kept in $KEY_FILE)"
  fi
  KEY_EXPORT="export EXECBOX_KEY=\$(cat $KEY_FILE)"
else
  KEY_SHOWN="${EXECBOX_BOOTSTRAP_KEY:0:7}…   (EXECBOX_BOOTSTRAP_KEY, as you set it)"
  KEY_EXPORT='export EXECBOX_KEY=$EXECBOX_BOOTSTRAP_KEY'
fi
export EXECBOX_BOOTSTRAP_KEY
export EXECBOX_DATA_DIR=${EXECBOX_DATA_DIR:-$HOME_DIR/data}
export SERVER_PORT=$PORT

cat <<MSG

execbox is starting on http://127.0.0.1:$PORT
  API key:  $KEY_SHOWN
  OpenAPI:  http://127.0.0.1:$PORT/swagger-ui.html

Try it:
  $KEY_EXPORT
  curl -s -X POST http://127.0.0.1:$PORT/v1/sessions -H "Authorization: Bearer \$EXECBOX_KEY" \\
       -H 'Content-Type: application/json' \\
       -d '{"image":"localhost/execbox-test/busybox:latest","command":["sh","-c","echo hello from execbox; exit 3"]}'
  curl -s http://127.0.0.1:$PORT/v1/sessions -H "Authorization: Bearer \$EXECBOX_KEY"
  python3 scripts/attach.py http://127.0.0.1:$PORT SESSION_ID     # stream stdin/stdout/stderr, get the exit code

MSG
exec java ${JAVA_OPTS:-} -jar "$JAR"
