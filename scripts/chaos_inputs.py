"""Hostile input against the live jar, for scripts/chaos.py's `inputs` check: each must get the client's
4xx as an RFC 9457 problem, fast, create nothing, and leave the server healthy. What the server's own
tests (HardInputIT, EdgeRefusalsIT, ValidationIT) prove in detail, this tries once more from outside.
"""
import json, socket, time

import chaos_client as C

IMG = '"image":"localhost/execbox-test/busybox:latest"'


def session_bodies():
    nul = "\\u0000"
    return [
        ("NUL in image", '{"image":"x' + nul + '"}'),
        ("NUL in a file's content", '{' + IMG + ',"files":[{"path":"/a","content":"a' + nul + '"}]}'),
        ("NUL in an env value", '{' + IMG + ',"env":{"A":"' + nul + '"}}'),
        ("NUL in an env name", '{' + IMG + ',"env":{"A' + nul + '":"x"}}'),
        ("NUL in a command argument", '{' + IMG + ',"command":["sh","' + nul + '"]}'),
        ("NUL in workDir", '{' + IMG + ',"workDir":"/a' + nul + '"}'),
        ("invalid UTF-8", b'{"image":"x","env":{"A":"\xff"}}'),
        ("UTF-8-encoded surrogate", b'{"image":"x","env":{"A":"\xed\xa0\x80"}}'),
        ("lone surrogate escape", '{' + IMG + ',"env":{"A":"\\ud800"}}'),
        ("trailing garbage", '{' + IMG + '}}}}'),
        ("two JSON objects", '{' + IMG + '} {' + IMG + '}'),
        ("not JSON", "hello"),
        ("a JSON array", "[]"),
        ("JSON nested 100000 deep", "[" * 100000 + "]" * 100000),
        ("a number of 400 digits", '{' + IMG + ',"resources":{"memoryMB":1' + "0" * 400 + '}}'),
        ("image of 256 characters", '{"image":"' + "a" * 256 + '"}'),
        ("image in upper case", '{"image":"upper/Case"}'),
        ("image with spaces", '{"image":"a b"}'),
        ("workDir of 5000 characters", '{' + IMG + ',"workDir":"/' + "a" * 4999 + '"}'),
        ("relative workDir", '{' + IMG + ',"workDir":"tmp"}'),
        ("memoryMB 1", '{' + IMG + ',"resources":{"memoryMB":1}}'),
        ("cpuMillis 0", '{' + IMG + ',"resources":{"cpuMillis":0}}'),
        ("timeoutMs -1", '{' + IMG + ',"resources":{"timeoutMs":-1}}'),
        ("command a string", '{' + IMG + ',"command":"ls"}'),
        ("empty command", '{' + IMG + ',"command":[]}'),
        ("unknown network", '{' + IMG + ',"network":"mesh"}'),
        ("ports without exposed", '{' + IMG + ',"network":"none","ports":[{"container":80}]}'),
        ("port 70000", '{' + IMG + ',"network":"exposed","ports":[{"container":70000}]}'),
        ("257 env variables", '{' + IMG + ',"env":' + json.dumps({f"V{i}": "x" for i in range(257)}) + '}'),
        ("65 files", '{' + IMG + ',"files":' + json.dumps([{"path": f"/f{i}", "content": ""} for i in range(65)]) + '}'),
        ("file path with ..", '{' + IMG + ',"files":[{"path":"/a/../b","content":""}]}'),
        ("relative file path", '{' + IMG + ',"files":[{"path":"a","content":""}]}'),
        ("bad base64 content", '{' + IMG + ',"files":[{"path":"/a","content":"!!","encoding":"base64"}]}'),
        ("setup steps", '{' + IMG + ',"setup":["true"]}'),
        ("body over 1 MiB", '{' + IMG + ',"env":{"A":"' + "x" * (1 << 20) + '"}}'),
    ]


def raw_http(base, data, timeout=10):
    host, port = base.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        try:
            while b"\r\n\r\n" not in out:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except OSError:
            pass
    parts = out.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def try_all(base, key):
    """Returns (tried, [(what, answer)] of those not answered with a 4xx problem in time)."""
    wrong, tried = [], 0

    def expect(what, r):
        nonlocal tried
        tried += 1
        ctype = r.headers.get("content-type", "")
        if r.status is None or not 400 <= r.status < 500 or "problem+json" not in ctype or r.secs > 10:
            wrong.append((what, f"{r.status or r.error} {ctype} {r.secs:.1f} s {r.body[:100]!r}"))

    before = len(C.all_sessions(base, key) or {})
    for what, body in session_bodies():
        raw = body if isinstance(body, bytes) else body.encode()
        expect(what, C.call(base, key, "POST", "/v1/sessions", raw=raw))
    for what, method, path, body in [
            ("NUL in a key's name", "POST", "/v1/account/keys", '{"name":"k\\u0000"}'),
            ("key name of 101 characters", "POST", "/v1/account/keys", '{"name":"' + "k" * 101 + '"}'),
            ("list cursor far in the future", "GET", "/v1/sessions?cursor=MzAwMDAwMDAwMDAwMDA6MDpzZXNzXzAwMDAwMDAwMDAwMDAwMDAwMDAwYmVlZg", None),
            ("list limit 0", "GET", "/v1/sessions?limit=0", None),
            ("list limit not a number", "GET", "/v1/sessions?limit=abc", None),
            ("unknown status filter", "GET", "/v1/sessions?status=bogus", None),
            ("session id of the wrong form", "GET", "/v1/sessions/..%2f..%2fetc", None),
            ("stop of an unknown session", "POST", "/v1/sessions/sess_0000000000000000/stop", None),
            ("method the path does not have", "PUT", "/v1/sessions", "{}"),
            ("path of 5000 characters", "GET", "/v1/sessions/" + "a" * 5000, None)]:
        expect(what, C.call(base, key, method, path, raw=body.encode() if body else None))
    expect("wrong content type", C.call(base, key, "POST", "/v1/sessions", raw=b"{}", headers={"Content-Type": "text/plain"}))
    expect("unknown key", C.call(base, "sk_" + "x" * 43, "GET", "/v1/sessions"))
    expect("Idempotency-Key of 300 characters", C.call(base, key, "POST", "/v1/sessions", raw=("{" + IMG + "}").encode(),
                                                       headers={"Idempotency-Key": "i" * 300}))
    expect("headers over 8 KiB", C.call(base, key, "GET", "/v1/sessions", headers={"X-Big": "b" * 9000}))
    t0 = time.time()
    status = raw_http(base, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n")
    tried += 1
    if status is None or not 400 <= status < 500:
        wrong.append(("bytes that are not HTTP (a TLS hello)", f"{status} {time.time() - t0:.1f} s"))
    after = C.all_sessions(base, key)
    if after is None or len(after) != before:
        wrong.append(("sessions created by refused requests", f"{before} before, {None if after is None else len(after)} after"))
    return tried, wrong
