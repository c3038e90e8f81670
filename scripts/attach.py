#!/usr/bin/env python3
"""Attach to an execbox session: stdin goes to the command, stdout/stderr come back apart, and this
process exits with the command's exit code. Standard library only (a minimal RFC 6455 client).

    python3 scripts/attach.py http://127.0.0.1:8080 sess_... [--no-stdin]
The key comes from EXECBOX_KEY.
"""
import base64, os, select, socket, struct, sys, urllib.parse

def connect(base, session_id, key):
    u = urllib.parse.urlparse(base)
    sock = socket.create_connection((u.hostname, u.port or 80))
    nonce = base64.b64encode(os.urandom(16)).decode()
    req = (f"GET /v1/sessions/{session_id}/attach HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\n"
           f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {nonce}\r\n"
           f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {key}\r\n\r\n")
    sock.sendall(req.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            raise SystemExit("connection closed during the handshake")
        head += chunk
    status = head.split(b" ", 2)[1]
    if status != b"101":
        body = sock.recv(65536).decode(errors="replace")
        raise SystemExit(f"attach refused: HTTP {status.decode()} {body}")
    return sock

class Reader:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""
    def need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out
    def message(self):
        """One whole WebSocket message: (opcode, payload)."""
        data, first_op = b"", None
        while True:
            b0, b1 = self.need(2)
            op, n = b0 & 0x0F, b1 & 0x7F
            if n == 126: n = struct.unpack(">H", self.need(2))[0]
            elif n == 127: n = struct.unpack(">Q", self.need(8))[0]
            payload = self.need(n)
            if op in (8, 9, 10):
                return op, payload
            first_op = first_op if first_op is not None else op
            data += payload
            if b0 & 0x80:
                return first_op, data

def send(sock, payload, op=2):
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x80 | op]) + (bytes([0x80 | n]) if n < 126 else
            bytes([0x80 | 126]) + struct.pack(">H", n) if n < 65536 else bytes([0x80 | 127]) + struct.pack(">Q", n))
    sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        raise SystemExit(__doc__)
    key = os.environ.get("EXECBOX_KEY") or raise_(SystemExit("set EXECBOX_KEY"))
    sock = connect(args[0], args[1], key)
    reader = Reader(sock)
    stdin_open = "--no-stdin" not in sys.argv
    exit_code = None
    while True:
        watch = [sock] + ([sys.stdin] if stdin_open else [])
        ready, _, _ = select.select(watch, [], []) if not reader.buf else ([sock], [], [])
        if stdin_open and sys.stdin in ready:
            data = os.read(sys.stdin.fileno(), 65536)
            if data:
                send(sock, b"\x01" + struct.pack(">I", len(data)) + data)
            else:
                send(sock, b"\x06")
                stdin_open = False
        if sock in ready:
            try:
                op, msg = reader.message()
            except EOFError:
                break
            if op == 8:
                break
            if op != 2 or not msg:
                continue
            t = msg[0]
            if t == 2: sys.stdout.buffer.write(msg[5:]); sys.stdout.buffer.flush()
            elif t == 3: sys.stderr.buffer.write(msg[5:]); sys.stderr.buffer.flush()
            elif t == 4: exit_code = struct.unpack(">I", msg[1:5])[0]
            elif t == 5: print("execbox: " + msg[5:].decode(errors="replace"), file=sys.stderr)
    sys.exit(exit_code if exit_code is not None and exit_code < 256 else (1 if exit_code is None else 255))

def raise_(e):
    raise e

if __name__ == "__main__":
    main()
