"""SIGHUP applies the whole config file while logmash runs: the API's URL and
credentials, the sender's settings, the inputs, the multi-line rule, the
scripts and the dead-letter limits. A setting that takes a restart is named
and keeps its value; a config that does not load changes nothing."""
import json
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import BIN, PROJECT, TOKEN, StandIn, seqs, wait_for


@pytest.fixture
def api_b():
    s = StandIn()
    yield s
    s.stop()


class Service:
    """logmash -c CONFIG, headless, as a unit runs it."""

    def __init__(self, tmp_path, extra_env=None, args=()):
        self.conf = tmp_path / "config.lua"
        self.log = tmp_path / "app.log"
        self.log.touch()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CODEMASH_")}
        env["CODEMASH_TOKEN"] = TOKEN
        env.update(extra_env or {})
        self.proc = subprocess.Popen(
            [BIN, "-c", str(self.conf), "--no-tui", "--status-interval", "0", *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        self.err = None
        # Up once its control socket is (the inputs are open by then).
        self.state = tmp_path / "state"
        assert wait_for(lambda: (self.state / "control.sock").exists(), 10)

    def write(self, lo, hi, log=None):
        with open(log or self.log, "a") as f:
            f.write("".join("seq %d\n" % i for i in range(lo, hi)))

    def status(self):
        p = subprocess.run([BIN, "status", "--json", "--state-dir", str(self.state)],
                           capture_output=True, text=True, timeout=20)
        return json.loads(p.stdout)

    def reload(self):
        """SIGHUP, and wait until logmash has taken it (or refused it)."""
        before = self.status()
        done = lambda s: (s["reloads"] + s["reloads_refused"] >
                          before["reloads"] + before["reloads_refused"])
        self.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: done(self.status()), 20)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.err = self.proc.stderr.read().decode()
        return self.proc.wait(timeout=30)


def config(path, url, extra="", inputs='"app.log"'):
    path.write_text('url = "%s"\nproject_id = "%s"\ninputs = {%s}\nfollow = true\n'
                    'state_dir = "state"\n%s\n' % (url, PROJECT, inputs, extra))


def test_a_reload_moves_to_a_new_url_counting_every_log_once(api, api_b, tmp_path):
    # The old API answers slowly: requests under way at the reload finish
    # there, and everything read after it goes to the new one.
    api.faults(delay_ms=800)
    config(tmp_path / "config.lua", api.url)
    svc = Service(tmp_path)
    try:
        svc.write(0, 100)
        assert wait_for(lambda: api.stats()["requests"] > 0, 10)
        config(svc.conf, api_b.url)
        svc.reload()
        svc.write(100, 300)
        assert wait_for(lambda: len(api.logs()) + len(api_b.logs()) >= 300, 20)
    finally:
        code = svc.stop()
    assert code == 0, svc.err
    a, b = sorted(seqs(api)), sorted(seqs(api_b))
    assert sorted(a + b) == list(range(300)), svc.err  # none lost, none twice
    assert a and b
    assert min(b) >= 0 and set(range(100, 300)) <= set(b)  # read after the reload: the new URL
    assert "reloaded: url %s" % api_b.url in svc.err


def test_a_setting_that_takes_a_restart_is_named_and_keeps_its_value(api, tmp_path):
    config(tmp_path / "config.lua", api.url)
    svc = Service(tmp_path)
    try:
        svc.write(0, 10)
        assert wait_for(lambda: len(api.logs()) == 10, 10)
        config(svc.conf, api.url, 'state_dir = "elsewhere"\nmax_retries = 7\n'
                                  'send_threads = 1\n')
        svc.reload()
        svc.write(10, 20)
        assert wait_for(lambda: len(api.logs()) == 20, 10)
    finally:
        code = svc.stop()
    assert code == 0, svc.err
    conf = str(svc.conf)
    assert ("state_dir changed in %s to %s: restart to apply it (still %s)"
            % (conf, tmp_path / "elsewhere", tmp_path / "state")) in svc.err
    assert "send_threads changed in %s to 1: restart to apply it (still 0)" % conf in svc.err
    assert "reloaded: max_retries 7;" in svc.err
    assert not (tmp_path / "elsewhere").exists()


def test_the_command_line_still_wins_and_says_so(api, tmp_path):
    config(tmp_path / "config.lua", api.url)
    svc = Service(tmp_path, args=["--max-retries", "5"])
    try:
        svc.write(0, 1)
        assert wait_for(lambda: len(api.logs()) == 1, 10)  # running: SIGHUP is its own
        config(svc.conf, api.url, "max_retries = 9\n")
        svc.reload()
    finally:
        code = svc.stop()
    assert code == 0, svc.err
    assert ("max_retries in %s is overridden by --max-retries on the command line (still 5)"
            % svc.conf) in svc.err


def test_a_config_that_does_not_load_changes_nothing(api, api_b, tmp_path):
    config(tmp_path / "config.lua", api.url)
    svc = Service(tmp_path)
    try:
        svc.write(0, 10)
        assert wait_for(lambda: len(api.logs()) == 10, 10)
        config(svc.conf, api_b.url, "max_retires = 3\n")  # a typo
        svc.reload()
        config(svc.conf, api_b.url, 'multiline_start = "("\n')  # a bad regex
        svc.reload()
        svc.write(10, 20)
        assert wait_for(lambda: len(api.logs()) == 20, 10)
        st = subprocess.run([BIN, "status", "--json", "--state-dir", str(tmp_path / "state")],
                            capture_output=True, text=True, timeout=20)
    finally:
        code = svc.stop()
    assert code == 0, svc.err
    assert api_b.logs() == []
    assert "not reloaded, nothing changed" in svc.err and "max_retires" in svc.err
    assert "bad regular expression '('" in svc.err
    doc = json.loads(st.stdout)
    assert doc["reloads_refused"] == 2 and doc["reloads"] == 0, doc
    assert doc["last_reload"].startswith("refused: ") and "(" in doc["last_reload"]


def test_inputs_added_and_removed_by_a_reload(api, tmp_path):
    other = tmp_path / "other.log"
    other.write_text("seq 1000\n")  # there before: a new input starts at its end, as at start
    config(tmp_path / "config.lua", api.url)
    svc = Service(tmp_path)
    try:
        svc.write(0, 10)
        assert wait_for(lambda: len(api.logs()) == 10, 10)
        config(svc.conf, api.url, inputs='"other.log"')
        svc.reload()
        svc.write(1001, 1011, log=other)
        svc.write(10, 20)  # no longer an input: not sent
        assert wait_for(lambda: len(api.logs()) == 20, 10)
        time.sleep(1)
    finally:
        code = svc.stop()
    assert code == 0, svc.err
    assert sorted(seqs(api)) == list(range(10)) + list(range(1001, 1011)), svc.err
    assert "app.log is no longer an input" in svc.err
    assert "other.log is a new input" in svc.err
    assert "following %s from its end: 1 line (9 B) already there is not sent" % other in svc.err


def test_the_sender_takes_new_limits_and_systemd_hears_of_the_reload(api, tmp_path):
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    config(tmp_path / "config.lua", api.url)
    svc = Service(tmp_path, extra_env={"NOTIFY_SOCKET": path})
    got = []
    try:
        sock.settimeout(10)
        got.append(sock.recv(4096).decode())  # READY=1
        config(svc.conf, api.url, 'concurrency = "fixed"\nmax_in_flight = 3\n')
        svc.reload()
        end = time.time() + 5
        while time.time() < end and not any("READY=1" in m for m in got[1:]):
            sock.settimeout(max(0.01, end - time.time()))
            try:
                got.append(sock.recv(4096).decode())
            except socket.timeout:
                break
        st = subprocess.run([BIN, "status", "--json", "--state-dir", str(tmp_path / "state")],
                            capture_output=True, text=True, timeout=20)
    finally:
        code = svc.stop()
        sock.close()
    assert code == 0, svc.err
    assert "READY=1" in got[0]
    reloading = [i for i, m in enumerate(got) if "RELOADING=1" in m]
    assert reloading and "MONOTONIC_USEC=" in got[reloading[0]], got
    assert any("READY=1" in m for m in got[reloading[0] + 1:]), got
    doc = json.loads(st.stdout)
    assert doc["concurrency_limit"] == 3, doc
    assert doc["reloads"] == 1 and doc["last_reload"].startswith("concurrency fixed, max_in_flight 3")


def test_a_reload_applies_a_new_multiline_rule_from_the_next_record(api, tmp_path):
    config(tmp_path / "config.lua", api.url)
    svc = Service(tmp_path)
    try:
        with open(svc.log, "a") as f:
            f.write("2026 one\n  at a\n")  # no rule yet: two logs
        assert wait_for(lambda: len(api.logs()) == 2, 10)
        config(svc.conf, api.url, 'multiline_start = "^[0-9]{4} "\nmultiline_timeout = 0.2\n')
        svc.reload()
        with open(svc.log, "a") as f:
            f.write("2026 two\n  at b\n  at c\n2026 three\n")
        assert wait_for(lambda: len(api.logs()) == 4, 10)
    finally:
        code = svc.stop()
    assert code == 0, svc.err
    # (in any order: requests go many at once)
    assert sorted(l["message"] for l in api.logs()) == sorted(
        ["2026 one", "  at a", "2026 two\n  at b\n  at c", "2026 three"])
    assert "reloaded: multiline_start ^[0-9]{4} , multiline_timeout 0.2" in svc.err
