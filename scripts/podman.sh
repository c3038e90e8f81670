#!/usr/bin/env bash
# A container runtime for execbox's docker backend on a machine without a Docker engine.
#   podman.sh install          install podman, runc, catatonit and nftables from the distribution and configure them
#   podman.sh images           build the test images from local files only (no registry is ever contacted)
#   podman.sh serve SOCKET     serve Podman's Docker-compatible API on a Unix socket (prints DOCKER_HOST=...)
#   podman.sh stop SOCKET      stop that API service
# Host facts behind the settings: no systemd, cgroup v1 or hybrid (crun refuses it, runc works), a low
# open-files hard limit (podman's default ulimits would fail), no pasta networking in podman 4.3.
set -euo pipefail
CONF=${EXECBOX_PODMAN_CONF:-/etc/containers/containers.conf}
SUDO=; [[ $(id -u) == 0 ]] || SUDO=sudo

install() {
  # catatonit: the init that Podman makes each session's PID 1 (HostConfig.Init), only recommended by podman
  # nft: the host's packet filter that keeps sessions on execbox's network off private ranges and the host
  # (EXECBOX_DOCKER_EGRESS=filtered); a non-root PATH may lack /usr/sbin, so look there too
  if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v busybox >/dev/null \
    || [[ ! -x /usr/libexec/podman/catatonit ]] || ! PATH=$PATH:/usr/sbin:/sbin command -v nft >/dev/null; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq podman runc catatonit busybox-static nftables >/dev/null
  fi
  # userns=auto (EXECBOX_DOCKER_USERNS=auto) takes each session's user IDs from the range of "containers"
  local f
  for f in /etc/subuid /etc/subgid; do
    grep -qs '^containers:' "$f" || echo 'containers:2147483647:2147483648' | $SUDO tee -a "$f" >/dev/null
  done
  if [[ ! -f $CONF ]] || ! grep -q 'execbox' "$CONF"; then
    $SUDO mkdir -p "$(dirname "$CONF")"
    $SUDO tee "$CONF" >/dev/null <<'CONF'
# written by execbox scripts/podman.sh
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  fi
  podman info --format '{{.Host.OCIRuntime.Name}} {{.Store.GraphDriverName}}' >/dev/null
}

# localhost/execbox-test/busybox:latest from Debian's busybox-static; --python adds a Debian minbase with python3.
images() {
  local w; w=$(mktemp -d); trap 'rm -rf "$w"' RETURN
  if ! podman image exists localhost/execbox-test/busybox:latest; then
    mkdir -p "$w/bb/bin" "$w/bb/tmp" "$w/bb/etc"
    cp "$(command -v busybox)" "$w/bb/bin/busybox"
    for a in $("$w/bb/bin/busybox" --list); do [[ $a == busybox ]] || ln -sf busybox "$w/bb/bin/$a"; done
    printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$w/bb/etc/passwd"
    chmod 1777 "$w/bb/tmp"
    tar -C "$w/bb" -c . | podman import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' - localhost/execbox-test/busybox:latest >/dev/null
  fi
  if [[ ${1:-} == --python ]] && ! podman image exists localhost/execbox-test/python:latest; then
    command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq debootstrap >/dev/null
    local m; m=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)[[:space:]]*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
    $SUDO debootstrap --variant=minbase --include=python3 bookworm "$w/root" "$m" >"$w/debootstrap.log" 2>&1
    $SUDO tar -C "$w/root" -c . | podman import --change 'CMD ["/bin/sh"]' - localhost/execbox-test/python:latest >/dev/null
  fi
}

serve() {
  local sock=${1:?socket path}; mkdir -p "$(dirname "$sock")"
  if [[ -S $sock ]] && curl -sf --unix-socket "$sock" http://d/_ping >/dev/null 2>&1; then echo "DOCKER_HOST=unix://$sock"; return; fi
  rm -f "$sock"
  setsid podman system service --time=0 "unix://$sock" >"$sock.log" 2>&1 < /dev/null &
  echo $! >"$sock.pid"
  for _ in $(seq 1 100); do [[ -S $sock ]] && curl -sf --unix-socket "$sock" http://d/_ping >/dev/null 2>&1 && break; sleep 0.1; done
  curl -sf --unix-socket "$sock" http://d/_ping >/dev/null || { echo "podman API did not come up; see $sock.log" >&2; exit 1; }
  echo "DOCKER_HOST=unix://$sock"
}

stop() { local sock=${1:?socket path}; [[ -f $sock.pid ]] && kill "$(cat "$sock.pid")" 2>/dev/null || true; rm -f "$sock.pid" "$sock"; }

case ${1:-} in
  install) install ;; images) images "${2:-}" ;; serve) serve "${2:-}" ;; stop) stop "${2:-}" ;;
  *) sed -n '2,9p' "$0"; exit 2 ;;
esac
