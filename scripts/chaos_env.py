"""The parts scripts/chaos.py breaks on purpose, each a real process on this machine, loopback only:
a PostgreSQL from the jar's own embedded binaries, Podman's Docker-compatible API service, and the
execbox jar. Standard library only. Every process is started in its own process group and recorded,
so that stop_all() (and scripts/chaos.sh's trap, from the pid files) can end it whatever happened.
"""
import http.client, io, json, os, signal, socket, subprocess, tarfile, time, urllib.parse, zipfile

STARTED = []  # every Proc this run started, for stop_all()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A child in its own session (setsid), its output in a log file, its pid in RUN/pids/."""

    def __init__(self, run, name, argv, env=None):
        self.run, self.name, self.argv, self.env = run, name, argv, env
        self.p, self.log = None, os.path.join(run, name + ".log")

    def start(self):
        out = open(self.log, "ab")
        self.p = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  env=self.env, start_new_session=True)
        out.close()
        os.makedirs(os.path.join(self.run, "pids"), exist_ok=True)
        with open(os.path.join(self.run, "pids", self.name), "w") as f:
            f.write(str(self.p.pid))
        if self not in STARTED:
            STARTED.append(self)
        return self

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def signal(self, sig, wait=30, group=True):
        """Sends sig to the process (its whole group unless group=False) and waits for it; SIGKILL to
        the group if it outlives wait."""
        if not self.alive():
            return
        try:
            (os.killpg if group else os.kill)(self.p.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.p.wait(wait)
        except subprocess.TimeoutExpired:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait(10)

    def log_tail(self, n=30):
        try:
            with open(self.log, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""


class Postgres:
    """PostgreSQL from the embedded-postgres binaries inside the jar, so that it can be stopped and
    started apart from the server. As root, initdb and postgres run in a user namespace (unshare -U)
    where they are not root, as the jar's embedded PostgreSQL does."""

    def __init__(self, run, jar):
        self.run, self.port = run, free_port()
        self.bin, self.data = os.path.join(run, "pg"), os.path.join(run, "pgdata")
        self.proc, self.jar = None, jar

    def _wrap(self, argv):
        return (["unshare", "-U"] + argv) if os.geteuid() == 0 else argv

    def install(self):
        with zipfile.ZipFile(self.jar) as outer:
            inner = next(n for n in outer.namelist() if "embedded-postgres-binaries-linux" in n)
            with outer.open(inner) as f, zipfile.ZipFile(f) as binjar:
                txz = next(n for n in binjar.namelist() if n.endswith(".txz"))
                os.makedirs(self.bin, exist_ok=True)
                with binjar.open(txz) as t, tarfile.open(fileobj=io.BytesIO(t.read()), mode="r:xz") as tar:
                    # Python's own xz: nothing beyond python3 is needed on the machine
                    kw = {"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}
                    tar.extractall(self.bin, **kw)
        subprocess.run(self._wrap([self.bin + "/bin/initdb", "-A", "trust", "-U", "postgres", "-E", "UTF-8",
                                   "-D", self.data]), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def url(self):
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self):
        argv = self._wrap([self.bin + "/bin/postgres", "-D", self.data, "-p", str(self.port), "-k", self.run,
                           "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-c", "fsync=off"])
        self.proc = Proc(self.run, "postgres", argv)
        mark = os.path.getsize(self.proc.log) if os.path.exists(self.proc.log) else 0
        self.proc.start()
        deadline = time.time() + 30
        while time.time() < deadline:
            with open(self.proc.log, "rb") as f:
                f.seek(mark)
                if b"ready to accept connections" in f.read():
                    return
            if not self.proc.alive():
                break
            time.sleep(0.1)
        raise RuntimeError("PostgreSQL did not start:\n" + self.proc.log_tail())

    def stop(self):
        """A fast shutdown (SIGINT): clients are disconnected, what was committed stays."""
        self.proc.signal(signal.SIGINT)


class Podman:
    """Podman's Docker-compatible API on a Unix socket of this run (podman system service)."""

    def __init__(self, run):
        self.run, self.sock, self.proc = run, os.path.join(run, "podman.sock"), None

    def conf(self):
        """The machine's containers.conf, with an events log of this run's own: Podman's shared one is
        cut at 1 MB, and other users of Podman on the machine would rotate the events checked away."""
        path = os.path.join(self.run, "containers.conf")
        if not os.path.exists(path):
            base = os.environ.get("EXECBOX_PODMAN_CONF", "/etc/containers/containers.conf")
            lines = open(base).read().splitlines() if os.path.exists(base) else []
            if "[engine]" not in (l.strip() for l in lines):
                lines.append("[engine]")
            at = [l.strip() for l in lines].index("[engine]") + 1
            lines[at:at] = [f'events_logfile_path = "{self.run}/events.log"', 'events_logfile_max_size = "1g"']
            with open(path, "w") as f:
                f.write("\n".join(lines) + "\n")
        return path

    def start(self):
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        env = dict(os.environ, CONTAINERS_CONF=self.conf())
        self.proc = Proc(self.run, "podman", ["podman", "system", "service", "--time=0", "unix://" + self.sock], env)
        self.proc.start()
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if self.get("/_ping")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the Podman API did not start:\n" + self.proc.log_tail())

    def kill(self):
        self.proc.signal(signal.SIGKILL)

    def request(self, method, path, timeout=30):
        c = http.client.HTTPConnection("d", timeout=timeout)
        c.sock = socket.socket(socket.AF_UNIX)
        c.sock.settimeout(timeout)
        c.sock.connect(self.sock)
        try:
            c.request(method, path)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def get(self, path):
        return self.request("GET", path)

    def containers(self, running_only=False):
        q = urllib.parse.quote(json.dumps({"label": ["io.execbox.managed=true"]}))
        status, body = self.get(f"/v1.41/containers/json?all={0 if running_only else 1}&filters={q}")
        return json.loads(body) if status == 200 else []

    def events(self, since, until, event):
        """The attributes (labels included) of each container event of this kind between two times."""
        q = urllib.parse.quote(json.dumps({"type": ["container"], "event": [event],
                                           "label": ["io.execbox.managed=true"]}))
        status, body = self.get(f"/v1.41/events?since={int(since)}&until={int(until) + 1}&filters={q}")
        return [json.loads(line).get("Actor", {}).get("Attributes", {})
                for line in body.decode().splitlines() if line.strip()]

    def starts(self, since, until):
        """{session id: number of container start events} between two Unix times."""
        counts = {}
        for attrs in self.events(since, until, "start"):
            sid = attrs.get("io.execbox.session")
            if sid:
                counts[sid] = counts.get(sid, 0) + 1
        return counts

    def label_of(self, sid, label, since):
        for attrs in self.events(since, time.time(), "create"):
            if attrs.get("io.execbox.session") == sid:
                return attrs.get(label)
        return None

    def remove_all(self, installation):
        """Removes this run's containers, never another installation's (several may share Podman)."""
        for c in self.containers():
            if c.get("Labels", {}).get("io.execbox.installation") != installation:
                continue
            try:
                self.request("DELETE", f"/v1.41/containers/{c['Id']}?force=1")
            except OSError:
                pass


class Server:
    """The execbox jar, standalone mode, docker backend on this run's Podman, PostgreSQL external."""

    def __init__(self, run, jar, env):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        full = dict(os.environ)
        full.update(env)
        full.update({"SERVER_PORT": str(self.port), "SERVER_ADDRESS": "127.0.0.1"})
        self.proc = Proc(run, "server", ["java", "-jar", jar], full)

    def start(self, timeout=120):
        t0 = time.time()
        self.proc.start()
        while time.time() - t0 < timeout:
            if not self.proc.alive():
                break
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("GET", "/health")
                if c.getresponse().status == 200:
                    return time.time() - t0
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not become healthy:\n" + self.proc.log_tail(40))

    def kill(self):
        self.proc.signal(signal.SIGKILL)

    def stop(self):
        self.proc.signal(signal.SIGTERM, wait=40)


def stop_all():
    for proc in reversed(STARTED):
        try:
            proc.signal(signal.SIGKILL if proc.name != "postgres" else signal.SIGINT, wait=20)
        except Exception:  # cleanup goes on whatever one process did
            pass
