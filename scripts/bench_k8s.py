#!/usr/bin/env python3
"""Kubernetes benchmarks, each against a baseline run side by side, printing ratios.

P6: N Session resources -> N Pods created and every Session's status written by the operator, on an
    apiserver without a kubelet (Pods stay Pending), vs creating the same N Pods directly.
P1-k8s: create -> first stdout byte over the WebSocket, on the real node, vs creating the same Pod
    directly and reading its first byte through the apiserver (watch until it runs, then its log).
P3-k8s: stdout throughput of a session (64 MiB, through the in-machine agent and a port-forward) to a
    WebSocket client, vs reading the same command's output from a Pod created directly, attached
    through the apiserver (pods/attach, WebSocket, v4.channel.k8s.io).
Usage: bench_k8s.py p6 KUBECONFIG NAMESPACE [N [WARMUP]]  (WARMUP Sessions first, on the same operator)
       bench_k8s.py p1 KUBECONFIG NAMESPACE BASE_URL KEY [runs]
       bench_k8s.py p3 KUBECONFIG NAMESPACE BASE_URL KEY [runs]
"""
import base64, concurrent.futures as cf, json, os, re, secrets, ssl, statistics, sys, tempfile, time
import urllib.error, urllib.request
sys.path.insert(0, os.path.dirname(__file__))

IMAGE = "localhost/execbox-test/busybox:latest"


class Api:
    """The apiserver of a kubeconfig written by kube-node.sh / kube-apiserver.sh (CA data + token)."""

    def __init__(self, kubeconfig):
        text = open(kubeconfig).read()
        self.server = re.search(r"server:\s*(\S+)", text).group(1)
        self.token = re.search(r"token:\s*(\S+)", text).group(1)
        ca = base64.b64decode(re.search(r"certificate-authority-data:\s*(\S+)", text).group(1))
        f = tempfile.NamedTemporaryFile(delete=False, suffix=".crt")
        f.write(ca); f.close()
        self.ctx = ssl.create_default_context(cafile=f.name)

    def call(self, method, path, body=None, stream=False):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.server + path, data=data, method=method, headers={
            "Authorization": "Bearer " + self.token, "Content-Type": "application/json"})
        r = urllib.request.urlopen(req, context=self.ctx, timeout=120)
        return r if stream else json.load(r)


def pod(name, command):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"bench": "direct"}},
            "spec": {"restartPolicy": "Never", "automountServiceAccountToken": False,
                     "containers": [{"name": "session", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                                     "command": command,
                                     "resources": {"limits": {"cpu": "1000m", "memory": "512Mi"},
                                                   "requests": {"cpu": "10m", "memory": "512Mi"}}}]}}


def session(name, command):
    return {"apiVersion": "execbox.io/v1alpha1", "kind": "Session", "metadata": {"name": name},
            "spec": {"image": IMAGE, "command": command}}


def watch_count(api, path, done, until_count, stop):
    """Counts objects that satisfy done(obj); returns when until_count is reached.

    A watch the apiserver ends early (it may, at any time) is started again from a fresh list, so
    that the count never stops short and the time is that of the last object really seen."""
    seen = set()
    sep = "&" if "?" in path else "?"
    version = None
    while len(seen) < until_count and stop["deadline"] >= time.perf_counter():
        if version is None:
            listed = api.call("GET", path)
            for obj in listed.get("items", []):
                if done(obj):
                    seen.add(obj["metadata"]["name"])
            version = listed["metadata"]["resourceVersion"]
            if len(seen) >= until_count:
                break
        w = api.call("GET", path + sep + "watch=1&allowWatchBookmarks=true&resourceVersion=" + version,
                     stream=True)
        for line in w:
            ev = json.loads(line)
            obj = ev.get("object", {})
            if ev.get("type") == "ERROR":
                version = None  # too old: list again
                break
            version = obj.get("metadata", {}).get("resourceVersion", version)
            if ev.get("type") in ("ADDED", "MODIFIED") and done(obj):
                seen.add(obj["metadata"]["name"])
                if len(seen) >= until_count:
                    break
            if stop["deadline"] < time.perf_counter():
                break
        w.close()
    return len(seen), time.perf_counter()


def submit_and_wait(api, ns, n, already):
    """Submits n Sessions, returns (seconds to submit, seconds until all have Pods and statuses).

    Waits with two watches (cheap for the apiserver) rather than polling lists, so that the
    measuring client does not take the CPU the operator and the apiserver need."""
    names = ["sess-" + secrets.token_hex(12) for _ in range(n)]
    cmd = ["sh", "-c", "echo hi"]
    stop = {"deadline": time.perf_counter() + 300}
    mine = set(names)
    with cf.ThreadPoolExecutor(18) as ex:
        pods = ex.submit(watch_count, api, f"/api/v1/namespaces/{ns}/pods?labelSelector=io.execbox.managed%3Dtrue",
                         lambda o: o["metadata"]["name"] in mine, n, stop)
        statuses = ex.submit(watch_count, api, f"/apis/execbox.io/v1alpha1/namespaces/{ns}/sessions",
                             lambda o: o["metadata"]["name"] in mine and o.get("status", {}).get("phase"), n, stop)
        time.sleep(0.5)  # both watches established
        t0 = time.perf_counter()
        list(ex.map(lambda x: api.call("POST", f"/apis/execbox.io/v1alpha1/namespaces/{ns}/sessions",
                                        session(x, cmd)), names))
        submitted = time.perf_counter() - t0
        (np, tp), (ns_, ts) = pods.result(), statuses.result()
    print(f"    all {n} Pods existed after {tp - t0:.1f} s")
    return submitted, max(tp, ts) - t0, np, ns_


def p6(api, ns, n, warmup):
    names = ["sess-" + secrets.token_hex(12) for _ in range(n)]
    cmd = ["sh", "-c", "echo hi"]
    # baseline: the same number of Pods, created directly, with the same client concurrency
    direct_ns = ns + "-direct"
    api.call("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": direct_ns}})
    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(16) as ex:
        list(ex.map(lambda x: api.call("POST", f"/api/v1/namespaces/{direct_ns}/pods", pod(x, cmd)), names))
    direct = time.perf_counter() - t0

    if warmup:
        _, w, _, _ = submit_and_wait(api, ns, warmup, 0)
        print(f"P6 warm-up: {warmup} Sessions to Pods and statuses in {w:.1f} s (a freshly started JVM)")
    submitted, total, pods, statuses = submit_and_wait(api, ns, n, warmup)
    print(f"P6: {n} Sessions submitted in {submitted:.1f} s; {pods} Pods and {statuses} statuses after {total:.1f} s")
    print(f"    baseline: {n} Pods created directly in {direct:.1f} s")
    print(f"P6 result: {total:.1f} s (target <= 20 s), ratio to creating the Pods directly {total / direct:.2f}x")


def first_byte_direct(api, ns):
    name = "direct-" + secrets.token_hex(6)
    t0 = time.perf_counter()
    api.call("POST", f"/api/v1/namespaces/{ns}/pods", pod(name, ["sh", "-c", "echo hi"]))
    w = api.call("GET", f"/api/v1/namespaces/{ns}/pods?watch=1&fieldSelector=metadata.name%3D{name}", stream=True)
    for line in w:
        obj = json.loads(line)["object"]
        st = (obj.get("status", {}).get("containerStatuses") or [{}])[0].get("state", {})
        if "running" in st or "terminated" in st:
            break
    w.close()
    while True:
        try:
            r = api.call("GET", f"/api/v1/namespaces/{ns}/pods/{name}/log?follow=true", stream=True)
            if r.read(1):
                break
        except urllib.error.HTTPError:
            time.sleep(0.01)
    t = time.perf_counter() - t0
    api.call("DELETE", f"/api/v1/namespaces/{ns}/pods/{name}?gracePeriodSeconds=0")
    return t


def create_and_attach(base, key, command):
    """Creates a session of the command and attaches to it: (session id, socket)."""
    import attach
    body = json.dumps({"image": IMAGE, "command": command}).encode()
    req = urllib.request.Request(base + "/v1/sessions", data=body, method="POST",
                                 headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        sid = json.load(r)["id"]
    return sid, attach.connect(base, sid, key)


def first_byte_execbox(base, key):
    import attach
    t0 = time.perf_counter()
    sid, sock = create_and_attach(base, key, ["sh", "-c", "echo hi"])
    reader = attach.Reader(sock)
    while True:
        op, msg = reader.message()
        if op == 2 and msg and msg[0] == 2:
            t = time.perf_counter() - t0
            break
        if op == 8 or (op == 2 and msg and msg[0] in (4, 5)):
            raise SystemExit("no stdout from execbox session " + sid)
    sock.close()
    return t


def p1(api, ns, base, key, runs):
    for _ in range(2):  # warm up both paths
        first_byte_direct(api, ns); first_byte_execbox(base, key)
    ours, direct = [], []
    for _ in range(runs):  # interleaved, so both sides see the same conditions
        direct.append(first_byte_direct(api, ns))
        ours.append(first_byte_execbox(base, key))
    fmt = lambda xs: "%.0f / %.0f / %.0f ms" % (min(xs) * 1e3, statistics.median(xs) * 1e3, max(xs) * 1e3)
    print(f"P1-k8s execbox (create -> first stdout byte over the WebSocket), min/median/max: {fmt(ours)}")
    print(f"P1-k8s baseline (create Pod -> watch -> first log byte), min/median/max:        {fmt(direct)}")
    print(f"P1-k8s ratio (medians): {statistics.median(ours) / statistics.median(direct):.2f}x (target <= 1.3x)")


P3_SIZE = 64 << 20
# the same command on both sides; the pause lets the direct side attach before the output starts
P3_COMMAND = ["sh", "-c", f"sleep 2; head -c {P3_SIZE} /dev/zero"]


def attach_direct(api, ns, name):
    """A WebSocket to the Pod's pods/attach (stdout only); returns the socket, ready to read."""
    import attach, socket, ssl, urllib.parse
    u = urllib.parse.urlparse(api.server)
    raw = socket.create_connection((u.hostname, u.port))
    sock = api.ctx.wrap_socket(raw, server_hostname=u.hostname)
    nonce = base64.b64encode(os.urandom(16)).decode()
    path = f"/api/v1/namespaces/{ns}/pods/{name}/attach?container=session&stdout=true"
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {nonce}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Sec-WebSocket-Protocol: v4.channel.k8s.io\r\nAuthorization: Bearer {api.token}\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    if head.split(b" ", 2)[1] != b"101":
        raise RuntimeError("pods/attach refused: " + head.decode(errors="replace"))
    return sock


def throughput_direct(api, ns):
    """(MB/s from the first stdout byte to the end of the stream, bytes read)."""
    import attach
    name = "direct-" + secrets.token_hex(6)
    api.call("POST", f"/api/v1/namespaces/{ns}/pods", pod(name, P3_COMMAND))
    w = api.call("GET", f"/api/v1/namespaces/{ns}/pods?watch=1&fieldSelector=metadata.name%3D{name}", stream=True)
    for line in w:
        st = (json.loads(line)["object"].get("status", {}).get("containerStatuses") or [{}])[0].get("state", {})
        if "running" in st:
            break
    w.close()
    sock = attach_direct(api, ns, name)
    reader = attach.Reader(sock)
    first = None; total = 0
    try:
        while True:
            op, msg = reader.message()
            if op == 8:
                break
            if op == 2 and msg and msg[0] == 1 and len(msg) > 1:
                first = first or time.perf_counter()
                total += len(msg) - 1
    except (EOFError, OSError):
        pass
    end = time.perf_counter()
    sock.close()
    api.call("DELETE", f"/api/v1/namespaces/{ns}/pods/{name}?gracePeriodSeconds=0")
    return total / (end - first) / 1e6, total


def throughput_execbox(base, key):
    import attach
    sid, sock = create_and_attach(base, key, P3_COMMAND)
    reader = attach.Reader(sock)
    first = None; total = 0; end = None
    while end is None:
        op, msg = reader.message()
        if op == 8:
            raise SystemExit("execbox session %s closed before its exit frame" % sid)
        if op == 2 and msg and msg[0] == 2:
            first = first or time.perf_counter()
            total += len(msg) - 5
        elif op == 2 and msg and msg[0] == 4:
            end = time.perf_counter()
    sock.close()
    if total != P3_SIZE:
        raise SystemExit(f"execbox session {sid}: {total} bytes of {P3_SIZE}")
    return total / (end - first) / 1e6, total


def p3(api, ns, base, key, runs):
    throughput_direct(api, ns); throughput_execbox(base, key)  # warm up both paths
    ours, direct, short = [], [], 0
    for _ in range(runs):  # interleaved, so both sides see the same conditions
        rate, n = throughput_direct(api, ns)
        direct.append(rate); short += n != P3_SIZE
        ours.append(throughput_execbox(base, key)[0])
    fmt = lambda xs: "%.0f / %.0f / %.0f MB/s" % (min(xs), statistics.median(xs), max(xs))
    print(f"P3-k8s execbox (agent -> port-forward -> WebSocket), min/median/max: {fmt(ours)} (every byte, every run)")
    print(f"P3-k8s baseline (Pod created directly, pods/attach), min/median/max: {fmt(direct)}"
          f" ({short} of {runs} runs arrived short: the node's containerd closes the stream early)")
    print(f"P3-k8s ratio (medians): {statistics.median(ours) / statistics.median(direct):.2f}x (target >= 0.8x)")


if __name__ == "__main__":
    what, kubeconfig, ns = sys.argv[1], sys.argv[2], sys.argv[3]
    api = Api(kubeconfig)
    if what == "p6":
        p6(api, ns, int(sys.argv[4]) if len(sys.argv) > 4 else 1000,
           int(sys.argv[5]) if len(sys.argv) > 5 else 300)
    elif what == "p3":
        p3(api, ns, sys.argv[4], sys.argv[5], int(sys.argv[6]) if len(sys.argv) > 6 else 5)
    else:
        p1(api, ns, sys.argv[4], sys.argv[5], int(sys.argv[6]) if len(sys.argv) > 6 else 11)
