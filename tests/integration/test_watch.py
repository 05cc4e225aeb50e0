"""Watching a running logmash: the control socket, `logmash status`, `tap`
and `top` (in tmux), Prometheus /metrics (promtool, a real Prometheus) and
/health, against the stand-in."""
import grp
import json
import re
import os
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import BIN, PROJECT, TOKEN, free_port, wait_for


def attach(*args, timeout=20):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def status_json(svc, *extra):
    p = attach("status", "--socket", svc.sock, "--json", *extra)
    assert p.stdout, p.stderr
    return p.returncode, json.loads(p.stdout)


class Client:
    """A raw client of the control socket."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.s.settimeout(10)
        self.buf = b""
        assert self.next()["type"] == "hello"

    def send(self, obj_or_bytes):
        data = obj_or_bytes if isinstance(obj_or_bytes, bytes) else \
            (json.dumps(obj_or_bytes) + "\n").encode()
        self.s.sendall(data)

    def next(self, type=None):
        while True:
            while b"\n" not in self.buf:
                d = self.s.recv(1 << 20)
                if not d:
                    raise EOFError
                self.buf += d
            line, self.buf = self.buf.split(b"\n", 1)
            m = json.loads(line)
            if type is None or m["type"] == type:
                return m

    def close(self):
        self.s.close()


def test_status_json_counts_what_the_api_received(api, service):
    svc = service()
    svc.write(300)
    assert wait_for(lambda: len(api.logs()) == 300, 20)
    rc, s = status_json(svc)
    assert rc == 0, s
    assert s["sent"] == 300 and s["read"] == 300 and s["failed"] == 0
    assert s["health"] == "ok" and s["state"] in ("idle", "sending")
    for key in ("dropped", "dead_lettered", "in_flight", "queued", "latency_p50_ms",
                "latency_p95_ms", "latency_p99_ms", "concurrency_limit"):
        assert key in s
    (src,) = s["sources"]
    assert src["path"] == str(svc.log) and src["bytes_behind"] == 0 and src["sent"] == 300
    text = attach("status", "--state-dir", str(svc.state))
    assert text.returncode == 0 and "health: ok" in text.stdout and str(svc.log) in text.stdout
    assert TOKEN not in text.stdout + json.dumps(s)


def test_status_exit_codes_degraded_and_cannot_connect(api, service, tmp_path):
    p = attach("status", "--state-dir", str(tmp_path / "nothing"))
    assert p.returncode == 2 and "cannot connect" in p.stderr and "is logmash running" in p.stderr
    svc = service()
    api.faults(fail_every=1, fail_status=503)
    svc.write(20)
    assert wait_for(lambda: status_json(svc)[1]["state"] == "backing off", 20)
    rc, s = status_json(svc)
    assert rc == 1 and s["health"] == "degraded" and "backing off" in s["reason"]


def test_status_says_auth_failed(api, service):
    svc = service(token="wrong-token")
    svc.write(3)
    assert wait_for(lambda: status_json(svc)[1]["state"] == "auth failed", 20)
    rc, s = status_json(svc)
    assert rc == 1 and s["health"] == "down" and "token" in s["reason"]


def test_commands_pause_resume_retry_and_stop(api, service):
    svc = service()
    c = Client(svc.sock)
    c.send({"v": 1, "cmd": "pause"})
    assert c.next() == {"v": 1, "type": "ok", "cmd": "pause"}
    assert wait_for(lambda: status_json(svc)[1]["state"] == "paused", 10)
    svc.write(50)
    time.sleep(0.5)
    assert len(api.logs()) == 0
    c.send({"cmd": "resume"})
    assert c.next()["type"] == "ok"
    assert wait_for(lambda: len(api.logs()) == 50, 10)
    c.send({"cmd": "retry"})
    assert c.next()["cmd"] == "retry"
    c.send({"cmd": "stop"})
    assert c.next()["cmd"] == "stop"
    assert svc.proc.wait(15) == 0
    assert not os.path.exists(svc.sock)  # removed at exit


def test_bad_requests_get_an_error_and_logmash_goes_on(api, service):
    svc = service()
    c = Client(svc.sock)
    for bad in [b"hello\n", b"{}\n", b'{"cmd":"explode"}\n', b'{"v":9,"cmd":"stop"}\n',
                b"\x00\xff\xfe{\n", b'{"cmd":"tap","limit":-1}\n', b"\n"]:
        c.send(bad)
        r = c.next()
        assert r["type"] == "error" and r["error"], bad
    c.send(b"x" * 10000 + b"\n")  # too long: an error, then the connection ends
    assert c.next()["type"] == "error"
    with pytest.raises((EOFError, ConnectionResetError)):
        c.next()
    svc.write(10)
    assert wait_for(lambda: len(api.logs()) == 10, 10)
    assert svc.proc.poll() is None
    assert status_json(svc)[0] == 0


def test_a_stuck_client_never_holds_the_pipeline_and_is_dropped(api, service):
    svc = service("--control-stall", "2")
    stuck = Client(svc.sock)
    stuck.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.send({"cmd": "snapshot", "interval_ms": 100})
    stuck.send({"cmd": "tap", "limit": 1000})
    # It reads nothing from here on, while thousands of logs go through.
    svc.write(5000, text="a long line to fill the socket's buffers " * 4)
    assert wait_for(lambda: len(api.logs()) == 5000, 60)
    # ... and once it has taken nothing for --control-stall, logmash lets it go.
    assert wait_for(lambda: "dropped a client that took nothing for 2.0 s" in svc.stderr(), 30), \
        svc.stderr()
    stuck.s.settimeout(2)
    with pytest.raises((EOFError, ConnectionResetError)):
        while True:
            stuck.next()
    assert "dropped a client that took nothing" in svc.stderr()
    assert status_json(svc)[0] == 0


def test_at_most_16_clients_and_the_socket_is_0600(api, service):
    svc = service()
    assert stat.S_IMODE(os.stat(svc.sock).st_mode) == 0o600
    clients = [Client(svc.sock) for _ in range(16)]
    extra = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    extra.connect(svc.sock)
    extra.settimeout(5)
    reply = json.loads(extra.recv(4096).split(b"\n")[0])
    assert reply["type"] == "error" and "too many clients" in reply["error"]
    clients[0].close()
    time.sleep(0.3)
    Client(svc.sock).close()  # room again
    for c in clients[1:]:
        c.close()


def test_a_control_group_makes_it_0660(api, service):
    group = grp.getgrgid(os.getgid()).gr_name
    svc = service("--control-group", group)
    st = os.stat(svc.sock)
    assert stat.S_IMODE(st.st_mode) == 0o660 and st.st_gid == os.getgid()


def test_a_stale_socket_is_replaced_and_a_live_one_refused(api, service, tmp_path):
    path = str(tmp_path / "ctl.sock")
    live = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    live.bind(path)
    live.listen(1)
    p = subprocess.run([BIN, "--url", api.url, "--project-id", PROJECT, "--no-tui",
                        "--control-socket", path, "/dev/null"], capture_output=True, text=True,
                       env={"CODEMASH_TOKEN": TOKEN}, timeout=20)
    assert p.returncode == 2 and "another process serves the control socket" in p.stderr
    live.close()  # now stale: nobody listens
    svc = service("--control-socket", path, sock=path)
    assert status_json(svc)[0] == 0


def test_tap_prints_bodies_with_outcomes_sampled(api, service):
    svc = service()
    tap = subprocess.Popen([BIN, "tap", "--socket", svc.sock, "--limit", "20"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        api.faults(fail_first=3, fail_status=503)
        start = time.time()
        svc.write(2000)
        assert wait_for(lambda: len(api.logs()) == 2000, 30)
        took = time.time() - start
    finally:
        tap.terminate()
        out, _ = tap.communicate(10)
    lines = [json.loads(l) for l in out.splitlines()]
    assert lines, "tap printed nothing"
    # Sampled: at most the limit a second (and its first second's burst).
    assert len(lines) <= 20 * (took + 1.5) + 20
    outcomes = {l["outcome"] for l in lines}
    assert "sent" in outcomes and outcomes <= {"sent", "retry", "dead-lettered", "held"}
    for l in lines:
        assert l["type"] == "tap" and l["source"] == str(svc.log)
        assert l["input"] == str(svc.log)  # an input with no name is called by its path
    assert TOKEN not in out


def test_tap_count_exits(api, service):
    svc = service()
    tap = subprocess.Popen([BIN, "tap", "--socket", svc.sock, "--count", "5"],
                           stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)
    svc.write(50)
    out, _ = tap.communicate(timeout=15)
    assert tap.returncode == 0 and len(out.splitlines()) == 5


def test_a_glob_with_no_match_is_a_source_and_a_file_named_twice_is_listed_once(
        api, service, tmp_path):
    d = tmp_path / "logs"
    d.mkdir()
    svc = service(str(d / "*.log"), str(d / "a.log"), str(tmp_path / "none" / "*.log"))
    assert "no file matches %s/none/*.log (yet)" % tmp_path in svc.stderr()
    (d / "a.log").write_text("hello\n")
    assert wait_for(lambda: len(api.logs()) == 1, 20)
    _, s = status_json(svc)
    paths = [x["path"] for x in s["sources"]]
    assert paths.count(str(d / "a.log")) == 1, paths
    states = {x["path"]: x["state"] for x in s["sources"]}
    assert states[str(tmp_path / "none" / "*.log")] == "no match yet"
    assert states[str(d / "a.log")] == "following"


def test_sending_resumes_within_a_second_or_so_of_the_api_returning(api, service):
    svc = service()
    api.faults(down_for=6)
    svc.write(100)
    assert wait_for(lambda: status_json(svc)[1]["state"] == "backing off", 10)
    # The stand-in comes back at the 6 s mark; logmash probes every second.
    assert wait_for(lambda: len(api.logs()) == 100, 12)
    back = api.stats()
    assert svc.proc.poll() is None and back


def test_retry_now_ends_a_long_retry_after(api, service):
    svc = service()
    api.faults(fail_first=1, fail_status=503, retry_after=60)
    svc.write(1)
    assert wait_for(lambda: api.stats().get("requests", 0) >= 1, 10)
    time.sleep(0.5)
    assert len(api.logs()) == 0  # waiting out the 60 s Retry-After
    c = Client(svc.sock)
    c.send({"cmd": "retry"})
    assert wait_for(lambda: len(api.logs()) == 1, 5)


# ---- top, in a real terminal ----

def test_top_attaches_detaches_reconnects_and_stops(api, service, tmuxes, tmp_path):
    svc = service()
    stop = threading.Event()

    def writer():  # a steady 100 logs a second
        i = 0
        while not stop.is_set():
            svc.write(10, start=i)
            i += 10
            time.sleep(0.1)
    w = threading.Thread(target=writer)
    w.start()
    try:
        t = tmuxes("%s top --state-dir %s" % (BIN, svc.state))
        t.wait_screen(r"attached to /")
        # A fast API answers between snapshots: still SENDING, never IDLE.
        t.wait_screen(r"SENDING")
        for _ in range(10):
            assert "IDLE" not in t.screen()
            time.sleep(0.2)
        t.resize(80, 24)  # a resize reaches the attached dashboard too
        t.wait_screen(r"q detach .*\? help\s*$")
        t.keys("q")  # detach: the service runs on
        assert t.exit_code() == 0
        assert svc.proc.poll() is None
    finally:
        stop.set()
        w.join()
    # Attached again, it sees the service go and come back.
    t2 = tmuxes("%s top --state-dir %s" % (BIN, svc.state))
    t2.wait_screen(r"attached to")
    first = svc.proc
    svc.proc.terminate()
    first.wait(15)
    t2.wait_screen(r"went away|cannot connect")
    svc2 = service()
    assert svc2.state == svc.state
    t2.wait_screen(r"attached to", timeout=20)
    t2.keys("S")
    t2.wait_screen(r"Stop logmash\?")
    t2.keys("n")  # anything but y: no
    t2.wait_screen(r"not stopped")
    assert svc2.proc.poll() is None
    t2.keys("S")
    t2.wait_screen(r"Stop logmash\?")
    t2.keys("y")
    assert svc2.proc.wait(15) == 0
    t2.keys("q")
    assert t2.exit_code() == 0


@pytest.mark.parametrize("size", [(80, 24), (60, 12), (59, 11), (132, 40)])
def test_top_fits_each_size(api, service, tmuxes, size):
    svc = service()
    w, h = size
    t = tmuxes("%s top --state-dir %s" % (BIN, svc.state), width=w, height=h)
    if w < 60 or h < 12:
        t.wait_screen(r"60x12 or more for the dashboard")
    else:
        t.wait_screen(r"\? help")
        footer = [l for l in t.lines() if "? help" in l][0]
        assert footer.rstrip().endswith("? help") and "q detach" in footer
    t.keys("q")
    assert t.exit_code() == 0


# ---- Prometheus ----

def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_promtool_accepts_the_metrics_and_health_says_why(api, service):
    port = free_port()
    svc = service("--metrics-listen", "127.0.0.1:%d" % port)
    svc.write(40)
    assert wait_for(lambda: len(api.logs()) == 40, 20)
    assert wait_for(lambda: "logmash_logs_read_total 40" in get(
        "http://127.0.0.1:%d/metrics" % port)[1], 5)
    code, text = get("http://127.0.0.1:%d/metrics" % port)
    assert code == 200
    p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert 'logmash_source_bytes_behind{input="%s",path="%s"} 0' % (svc.log, svc.log) in text
    assert 'logmash_source_lag_seconds{input="%s",path="%s"} 0.000' % (svc.log, svc.log) in text
    assert get("http://127.0.0.1:%d/health" % port) == (200, "ok: idle\n") or \
        get("http://127.0.0.1:%d/health" % port)[1].startswith("ok: ")
    assert get("http://127.0.0.1:%d/nothing" % port)[0] == 404
    api.faults(token="rotated")
    svc.write(1, start=40)
    assert wait_for(lambda: get("http://127.0.0.1:%d/health" % port)[0] == 503, 20)
    assert "auth failed" in get("http://127.0.0.1:%d/health" % port)[1]
    # An outage or a refused token is not a stuck loop: the liveness answer
    # stays 200, so a liveness probe does not restart what cannot help.
    assert get("http://127.0.0.1:%d/health/live" % port) == (200, "alive\n")


def test_metrics_listen_is_checked(api, tmp_path):
    for bad in ["nonsense", "127.0.0.1", "localhost:9464", "127.0.0.1:99999"]:
        p = subprocess.run([BIN, "--url", api.url, "--project-id", PROJECT, "--no-tui",
                            "--metrics-listen", bad, "/dev/null"], capture_output=True,
                           text=True, env={"CODEMASH_TOKEN": TOKEN}, timeout=20)
        assert p.returncode == 2 and "--metrics-listen" in p.stderr, (bad, p.stderr)


def test_a_real_prometheus_scrapes_what_the_api_received(api, service, tmp_path):
    prom = shutil.which("prometheus")
    assert prom, "prometheus is in make deps' packages"
    port, prom_port = free_port(), free_port()
    svc = service("--metrics-listen", "127.0.0.1:%d" % port)
    cfg = tmp_path / "prometheus.yml"
    cfg.write_text("global:\n  scrape_interval: 1s\nscrape_configs:\n"
                   "  - job_name: logmash\n    static_configs:\n"
                   "      - targets: ['127.0.0.1:%d']\n" % port)
    data = tempfile.mkdtemp(dir=tmp_path)
    p = subprocess.Popen([prom, "--config.file", str(cfg), "--storage.tsdb.path", data,
                          "--web.listen-address", "127.0.0.1:%d" % prom_port],
                         stdout=subprocess.DEVNULL, stderr=open(tmp_path / "prom.err", "wb"))
    try:
        svc.write(123)
        assert wait_for(lambda: len(api.logs()) == 123, 20)
        q = ("http://127.0.0.1:%d/api/v1/query?query=sum(logmash_logs_sent_total)" % prom_port)

        def scraped():
            try:
                code, body = get(q)
            except OSError:
                return None
            r = json.loads(body)["data"]["result"] if code == 200 else []
            return r and float(r[0]["value"][1]) == len(api.logs())
        assert wait_for(scraped, 60), (tmp_path / "prom.err").read_text()[-2000:]
    finally:
        p.terminate()
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def test_status_names_a_rotated_file_by_its_new_path(api, service):
    svc = service("--rotate-wait", "60")
    svc.write(10)
    assert wait_for(lambda: len(api.logs()) == 10, 20)
    rotated = svc.log.with_name("app.log.1")
    os.rename(svc.log, rotated)
    svc.log.touch()
    svc.write(5, start=10)

    def paths():
        return {s["path"]: s["state"] for s in status_json(svc)[1]["sources"]}
    assert wait_for(lambda: paths() == {str(rotated): "rotated", str(svc.log): "following"},
                    20), paths()
    assert wait_for(lambda: len(api.logs()) == 15, 20)


def test_status_text_and_json_tell_the_same_during_an_outage(api, service):
    """With the API down, the text and the JSON name the same counts the same
    way: queued and waiting each one thing, undelivered everything read and
    not delivered (the files are read to their end: nothing is unread)."""
    api.faults(down_for=120)
    svc = service()
    svc.write(200)
    assert wait_for(lambda: status_json(svc)[1]["undelivered"] == 200, 20)
    _, s = status_json(svc)
    assert s["queued"] + s["waiting"] + s["in_flight"] == 200, s
    assert s["bytes_behind"] == 0
    assert isinstance(s["limit_reason_age_s"], (int, float)), s
    text = attach("status", "--socket", svc.sock).stdout
    m = re.search(r"in flight (\d+), queued (\d+), waiting (\d+)", text)
    assert m and sum(int(g) for g in m.groups()) == 200, text
    assert re.search(r"limit \d+ \([^)]*, \d+ (s|min) ago\)", text), text
