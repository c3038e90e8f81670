#!/usr/bin/env python3
"""Benchmarks execbox against the bare runtime, side by side in one run, and prints ratios.

P1: create -> first stdout byte over the WebSocket, vs `podman run` of the same command to its first byte.
P3: stdout throughput through execbox to a WebSocket client, vs reading the same container output
    straight from the runtime (`podman run`, stdout piped).
Usage: bench.py BASE_URL KEY [runs]
"""
import json, os, statistics, subprocess, sys, time, urllib.request
sys.path.insert(0, os.path.dirname(__file__))
import attach  # the stdlib WebSocket client of scripts/attach.py

IMAGE = "localhost/execbox-test/busybox:latest"

def create(base, key, cmd):
    body = json.dumps({"image": IMAGE, "command": cmd, "network": "none"}).encode()
    req = urllib.request.Request(base + "/v1/sessions", data=body, method="POST",
                                 headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)["id"]

def execbox_run(base, key, cmd):
    """Returns (seconds to the first stdout byte, seconds to the exit frame, stdout bytes)."""
    t0 = time.perf_counter()
    sid = create(base, key, cmd)
    sock = attach.connect(base, sid, key)
    reader = attach.Reader(sock)
    first = None; total = 0
    while True:
        op, msg = reader.message()
        if op == 8:
            break
        if op == 2 and msg and msg[0] == 2:
            total += len(msg) - 5
            if first is None:
                first = time.perf_counter() - t0
        if op == 2 and msg and msg[0] == 4:
            end = time.perf_counter() - t0
    sock.close()
    return first, end, total

def podman_run(cmd):
    t0 = time.perf_counter()
    p = subprocess.Popen(["podman", "run", "--rm", "--network", "none", IMAGE] + cmd, stdout=subprocess.PIPE)
    first = None; total = 0
    while True:
        chunk = p.stdout.read1(1 << 20) if hasattr(p.stdout, "read1") else p.stdout.read(65536)
        if not chunk:
            break
        if first is None:
            first = time.perf_counter() - t0
        total += len(chunk)
    p.wait()
    return first, time.perf_counter() - t0, total

def stats(xs):
    return f"min {min(xs)*1000:7.1f} ms  median {statistics.median(xs)*1000:7.1f} ms  max {max(xs)*1000:7.1f} ms"

def main():
    base, key = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 11
    echo = ["echo", "hi"]
    for _ in range(2):  # warm both paths (JIT, page cache)
        execbox_run(base, key, echo); podman_run(echo)
    ex, pod = [], []
    for _ in range(runs):  # interleaved so that both see the same machine state
        ex.append(execbox_run(base, key, echo)[0]); pod.append(podman_run(echo)[0])
    print(f"P1 create->first byte  execbox: {stats(ex)}")
    print(f"P1 create->first byte  podman : {stats(pod)}")
    p1 = statistics.median(ex) / statistics.median(pod)
    print(f"P1 ratio (median execbox / median podman run) = {p1:.2f}x  (target <= 1.2x)")

    size = 64 << 20
    cmd = ["head", "-c", str(size), "/dev/zero"]
    tex, tpod = [], []
    for _ in range(max(3, runs // 2)):
        f, e, n = execbox_run(base, key, cmd); assert n == size, n; tex.append(size / (e - f) / 1e6)
        f, e, n = podman_run(cmd); assert n == size, n; tpod.append(size / (e - f) / 1e6)
    print(f"P3 throughput execbox: min {min(tex):.0f} MB/s  median {statistics.median(tex):.0f} MB/s  max {max(tex):.0f} MB/s")
    print(f"P3 throughput podman : min {min(tpod):.0f} MB/s  median {statistics.median(tpod):.0f} MB/s  max {max(tpod):.0f} MB/s")
    p3 = statistics.median(tex) / statistics.median(tpod)
    print(f"P3 ratio (median execbox / median podman run) = {p3:.2f}x  (target >= 0.8x)")

if __name__ == "__main__":
    main()
