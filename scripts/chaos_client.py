"""The client side of scripts/chaos.py: REST calls that never wait forever and an attach reader that
counts and hashes what it is sent. Standard library only; the WebSocket client is scripts/attach.py's.
"""
import hashlib, http.client, json, os, socket, struct, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attach  # noqa: E402  (the stdlib WebSocket client)

socket.setdefaulttimeout(30)  # attach.connect's handshake included: nothing here waits forever

IMAGE = "localhost/execbox-test/busybox:latest"
STREAM_BYTES = 100 * 1024 * 1024


class Resp:
    def __init__(self, status, headers, body, secs, error=None):
        self.status, self.headers, self.body, self.secs, self.error = status, headers, body, secs, error

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return {}

    def __repr__(self):
        return f"{self.status or self.error} {self.body[:160]!r} ({self.secs:.2f} s)"


def call(base, key, method, path, body=None, timeout=30, raw=None, headers=None):
    """One request on a fresh connection; a timeout or a refused connection is status None."""
    host, port = base.split("//")[1].split(":")
    h = {"Authorization": "Bearer " + key} if key else {}
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None:
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    t0 = time.time()
    c = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        return Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read(), time.time() - t0)
    except (OSError, http.client.HTTPException) as e:
        return Resp(None, {}, b"", time.time() - t0, type(e).__name__)
    finally:
        c.close()


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int(t % 1 * 1000)


def create(base, key, command, env=None, timeout=30):
    body = {"image": IMAGE, "command": command, "network": "none"}
    if env:
        body["env"] = env
    return call(base, key, "POST", "/v1/sessions", body, timeout=timeout)


def session(base, key, sid):
    return call(base, key, "GET", "/v1/sessions/" + sid)


def all_sessions(base, key):
    """Every session of the account, following nextCursor; None if a page failed."""
    ids, cursor = {}, None
    while True:
        r = call(base, key, "GET", "/v1/sessions?limit=100" + (f"&cursor={cursor}" if cursor else ""))
        if r.status != 200:
            return None
        page = r.json()
        for s in page["sessions"]:
            ids[s["id"]] = s
        cursor = page.get("nextCursor")
        if not cursor:
            return ids


def wait_final(base, key, ids, timeout):
    """Waits until every session is final; returns {id: session} as last read."""
    deadline, last = time.time() + timeout, {}
    pending = set(ids)
    while pending and time.time() < deadline:
        for sid in list(pending):
            r = session(base, key, sid)
            if r.status == 200:
                last[sid] = r.json()
                if last[sid]["status"] in ("stopped", "killed", "failed"):
                    pending.discard(sid)
        if pending:
            time.sleep(0.5)
    return last


class Stream:
    """What one attach received: stdout counted (and kept, or only hashed), stderr, exit, errors."""

    def __init__(self, keep=True):
        self.keep, self.out, self.n, self.sha = keep, bytearray(), 0, hashlib.sha256()
        self.err, self.exit, self.errors, self.closed_by = bytearray(), None, [], None

    def stdout(self, data):
        self.n += len(data)
        self.sha.update(data)
        if self.keep:
            self.out += data


def read(base, key, sid, stream=None, skip=0, on_data=None, timeout=120):
    """Attaches and reads until the exit frame and close, the connection's end, or timeout. The first
    `skip` stdout bytes are compared with `skip_sha` (if given) instead of being counted again."""
    stream = stream or Stream()
    try:
        sock = attach.connect(base, sid, key)
    except (SystemExit, OSError) as e:
        stream.closed_by = f"attach refused: {e}"
        return stream
    deadline = time.time() + timeout
    reader, replay = attach.Reader(sock), hashlib.sha256()
    try:
        while True:
            left = deadline - time.time()
            if left <= 0:
                stream.closed_by = f"still open after {timeout} s"
                break
            sock.settimeout(min(30, left))
            op, msg = reader.message()
            if op == 8:
                stream.closed_by = "close %d" % (struct.unpack(">H", msg[:2])[0] if len(msg) >= 2 else 0)
                break
            if op != 2 or not msg:
                continue
            t = msg[0]
            if t == 2:
                data = msg[5:]
                if skip:
                    head, data = data[:skip], data[skip:]
                    replay.update(head)
                    skip -= len(head)
                if data:
                    stream.stdout(data)
                    if on_data:
                        on_data(stream)
            elif t == 3:
                stream.err += msg[5:]
            elif t == 4:
                stream.exit = struct.unpack(">I", msg[1:5])[0]
            elif t == 5:
                stream.errors.append(msg[5:].decode(errors="replace"))
    except (EOFError, OSError) as e:
        stream.closed_by = stream.closed_by or f"connection ended ({type(e).__name__})"
    finally:
        sock.close()
    stream.replayed_sha = replay.hexdigest()
    return stream


def stream_command(lines=False):
    """The numbers 1, 2, 3, ... each followed by a space, written in 26 paced chunks (about 20 s) and
    cut at exactly STREAM_BYTES: every byte depends on its position, so a byte lost, doubled or out of
    order changes the hash. No newline: Podman keeps a log line per output line, and its log of
    millions of short lines takes minutes to read back (RELIABILITY.md, "Found")."""
    k = 500_000
    return ["sh", "-c", f"i=0; while [ $i -lt 26 ]; do seq $((i*{k}+1)) $(((i+1)*{k})); i=$((i+1)); sleep 0.6; done"
                        + ("" if lines else " | tr '\\n' ' '") + f" | head -c {STREAM_BYTES}"], k * 26


def expected_stream_sha(n, sep=" "):
    sha, left, i = hashlib.sha256(), STREAM_BYTES, 1
    while left > 0:
        chunk = "".join(f"{j}{sep}" for j in range(i, min(i + 100_000, n + 1))).encode()[:left]
        sha.update(chunk)
        left -= len(chunk)
        i += 100_000
    return sha.hexdigest()
