"""Fixtures: the real logmash binary against the project's stand-in Logs API."""
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("LOGMASH_BIN", os.path.join(ROOT, "logmash"))
STANDIN = os.path.join(ROOT, "tests", "standin_api.py")
SCRIPTS = os.path.join(ROOT, "scripts")
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
TOKEN = "test-token-0123456789"
# AddressSanitizer's quarantine keeps freed memory: RSS says nothing there.
UNDER_ASAN = "ASAN_OPTIONS" in os.environ
# make valgrind: a deliberate SIGSEGV makes valgrind 3.19 itself assert
# (syswrap-main.c: a syscall from the handler of a signal that interrupted
# poll), which would read as a memcheck failure; those tests are skipped.
NOT_UNDER_VALGRIND = pytest.mark.skipif("LOGMASH_VALGRIND_LOGS" in os.environ,
                                        reason="valgrind asserts on the crash handler")
PROJECT = "test-project"


sys.path.insert(0, os.path.join(ROOT, "tests", "remote"))
from remote_api import make_certificate  # noqa: E402,F401  (the tests' certificates too)


class StandIn:
    def __init__(self, *args, tls=None):
        """tls: (cert, key) to serve HTTPS, offering HTTP/2 through ALPN."""
        self.cert = tls[0] if tls else None
        extra = ["--tls-cert", tls[0], "--tls-key", tls[1]] if tls else []
        self.proc = subprocess.Popen(
            [sys.executable, STANDIN, "--port", "0", "--token", TOKEN,
             "--project-id", PROJECT, *extra, *args],
            stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("listening on "), line
        self.port = int(line.split()[2])
        self.url = "%s://127.0.0.1:%d" % ("https" if tls else "http", self.port)

    def _call(self, path, body=None):
        import ssl
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method="POST" if data else "GET")
        ctx = ssl.create_default_context(cafile=self.cert) if self.cert else None
        with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
            return json.load(r)

    def logs(self):
        return self._call("/_standin/logs")

    def stats(self):
        return self._call("/_standin/stats")

    def faults(self, **kw):
        return self._call("/_standin/faults", kw)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def children(pid):
    """The processes whose parent is pid."""
    kids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            kids.append(int(d))
    return kids


@pytest.fixture(autouse=True)
def nothing_left_running():
    """Whatever a test started and left running is killed when it ends,
    also when it failed (torn down last: the other fixtures stop theirs)."""
    yield
    # Grandchildren too: a logmash started under strace or setpriv.
    doomed, todo = [], children(os.getpid())
    while todo:
        pid = todo.pop()
        doomed.append(pid)
        todo += children(pid)
    for pid in doomed:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def api():
    s = StandIn()
    yield s
    s.stop()


def free_port():
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, api=None, input=None, env=None, timeout=60, token=TOKEN, project=PROJECT):
    """Runs logmash; with api, pointed at the stand-in with valid credentials."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("CODEMASH_")}
    if token is not None:
        e["CODEMASH_TOKEN"] = token
    if env:
        e.update(env)
    cmd = [BIN]
    if api is not None:
        cmd += ["--url", api.url]
        if project is not None:
            cmd += ["--project-id", project]
    cmd += list(args)
    if isinstance(input, str):
        input = input.encode()
    # CI runs with no standard input: never let logmash inherit one.
    stdin = subprocess.DEVNULL if input is None else None
    return subprocess.run(cmd, input=input, stdin=stdin, capture_output=True, env=e, timeout=timeout)


def dry(args, input=None):
    """Runs logmash --dry-run; returns (bodies as dicts, process)."""
    p = run(["--dry-run", *args], input=input, token=None)
    return [json.loads(l) for l in p.stdout.decode().splitlines()], p


def script(name):
    return os.path.join(SCRIPTS, name)


def wait_for(pred, timeout=10.0):
    """Whether pred() came true within timeout seconds (asked once more at
    the end: a busy machine may have slept through the last chance)."""
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.02)
    return bool(pred())


def seqs(api, pattern=r"seq (\d+)"):
    """The numbers of the numbered logs api received, in the order they came."""
    return [int(m.group(1)) for m in (re.match(pattern, g["message"]) for g in api.logs()) if m]


# ---- a real terminal: tmux ----

class Tmux:
    """logmash in a detached tmux session of its own (its own server)."""

    def __init__(self, tmp_path, cmd, width=100, height=30, env=None):
        self.sock = "logmash-test-" + uuid.uuid4().hex[:8]
        self.done = tmp_path / "done"
        self.stty = tmp_path / "stty"
        e = {"CODEMASH_TOKEN": TOKEN, "TERM": "screen", "LANG": "C.UTF-8"}
        e.update(env or {})
        exports = " ".join("%s=%s" % (k, shlex.quote(v)) for k, v in e.items())
        # The shell records the terminal's modes before and after, and the
        # exit code, then stays so that the screen can still be read.
        shell = ("stty -g > {s}.before; env {env} {cmd}; echo $? > {d}; "
                 "stty -g > {s}.after; echo EXITED; sleep 600").format(
                     s=self.stty, env=exports, cmd=cmd, d=self.done)
        self.tmux("new-session", "-d", "-x", str(width), "-y", str(height), "sh", "-c", shell)

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.sock, *args], check=True,
                              capture_output=True, text=True).stdout

    def screen(self):
        return self.tmux("capture-pane", "-p")

    def lines(self):
        return self.screen().split("\n")

    def keys(self, *keys):
        self.tmux("send-keys", *keys)

    def wait_screen(self, pattern, timeout=15):
        found = wait_for(lambda: re.search(pattern, self.screen()), timeout)
        assert found, "not on screen: %r\n%s" % (pattern, self.screen())

    def resize(self, w, h):
        self.tmux("resize-window", "-x", str(w), "-y", str(h))

    def exit_code(self, timeout=20):
        assert wait_for(lambda: self.done.exists() and self.done.read_text().strip(), timeout), \
            self.screen()
        return int(self.done.read_text())

    def kill(self):
        subprocess.run(["tmux", "-L", self.sock, "kill-server"], capture_output=True)


def pids_of(marker):
    """logmash processes whose command line holds marker (a test's folder)."""
    out = subprocess.run(["pgrep", "-f", "logmash.*" + re.escape(str(marker))],
                         capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


class Terminals:
    """The terminals a test started, each killed at its end."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.made = []

    def start(self, cmd, **kw):
        t = Tmux(self.tmp_path, cmd, **kw)
        self.made.append(t)
        return t

    def close(self):
        for t in self.made:
            t.kill()


@pytest.fixture
def tmuxes(tmp_path):
    """Starts a command in a terminal of its own: tmuxes(cmd) -> Tmux."""
    ts = Terminals(tmp_path)
    yield ts.start
    ts.close()


# ---- logmash as a service runs: followed, with a state dir ----

def connectable(path):
    """Whether something accepts connections on the socket at path (a stale
    socket file is there, but refuses)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


class Service:
    """logmash -F with a state dir, as a service runs, headless."""

    def __init__(self, api, tmp_path, *extra, url=None, token=TOKEN, sock=None):
        self.tmp = tmp_path
        self.log = tmp_path / "app.log"
        self.log.touch()
        self.state = tmp_path / "state"
        self.sock = sock or str(self.state / "control.sock")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CODEMASH_")}
        env["CODEMASH_TOKEN"] = token
        self.err = open(tmp_path / "service.err", "wb")
        self.proc = subprocess.Popen(
            [BIN, "--url", url or api.url, "--project-id", PROJECT, "--no-tui", "-F",
             "--state-dir", str(self.state), "--status-interval", "0", *extra, str(self.log)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.err, env=env)
        assert wait_for(lambda: connectable(self.sock), 10), self.stderr()

    def write(self, n, start=0, text="line"):
        with open(self.log, "a") as f:
            for i in range(start, start + n):
                f.write("%s %d\n" % (text, i))

    def stderr(self):
        self.err.flush()
        return (self.tmp / "service.err").read_text(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()
        return self.proc.returncode


@pytest.fixture
def service(api, tmp_path):
    made = []

    def start(*extra, **kw):
        s = Service(api, tmp_path, *extra, **kw)
        made.append(s)
        return s
    yield start
    for s in made:
        s.stop()
