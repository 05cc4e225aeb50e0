"""Fixtures: the real logmash binary against the project's stand-in Logs API."""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

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
    import socket
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
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.02)
    return False
