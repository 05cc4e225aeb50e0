"""Sending across a network: the real logmash against tests/remote (nginx,
TLS, HTTP/2, in front of a backend that answers a round trip later and
serves a limited number of requests at once). Every test counts arrivals
by sequence number: nothing may be lost."""
import json
import os
import subprocess
import threading
import time

import pytest

import remote_api  # tests/remote, on the path through conftest
from conftest import BIN, PROJECT, TOKEN, wait_for

assert remote_api.TOKEN == TOKEN and remote_api.PROJECT == PROJECT


@pytest.fixture
def remote(tmp_path):
    record = str(tmp_path / "arrived.jsonl")
    api = remote_api.RemoteAPI(delay_ms=20, record=record)
    api.record = record
    yield api
    api.stop()


def numbered(tmp_path, n):
    path = tmp_path / "app.log"
    with open(path, "w") as f:
        for i in range(n):
            f.write("seq %d\n" % i)
    return str(path)


class Run:
    """logmash sending a file to the remote stand-in, headless, with a status
    line (JSON) every 0.2 s, read as it comes."""

    def __init__(self, api, path, *args, url=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("CODEMASH_")}
        env["CODEMASH_TOKEN"] = TOKEN
        self.proc = subprocess.Popen(
            [BIN, "--url", url or api.url, "--project-id", PROJECT, "--ca-file", api.cert,
             "--no-tui", "--status-interval", "0.2", "--status-format", "json", *args, path],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env=env, text=True)
        self.status = []
        self.other = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            if line.startswith("{"):
                self.status.append(json.loads(line))
            else:
                self.other.append(line)

    def latest(self):
        return self.status[-1] if self.status else {}

    def wait(self, timeout=120):
        try:
            rc = self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(timeout=5)
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def runs():
    started = []

    def start(*a, **kw):
        r = Run(*a, **kw)
        started.append(r)
        return r
    yield start
    for r in started:
        r.kill()


def arrived(api):
    api.stats()  # flushes the record
    seqs = []
    with open(api.record) as f:
        for line in f:
            seqs.append(int(json.loads(line)["message"].split()[1]))
    return seqs


def assert_all_arrived(api, n):
    seqs = arrived(api)
    assert set(seqs) == set(range(n)), "missing %d" % len(set(range(n)) - set(seqs))
    return seqs


def test_ramps_up_from_cold_over_few_http2_connections(tmp_path, remote, runs):
    n = 30000
    r = runs(remote, numbered(tmp_path, n))
    assert r.wait() == 0, "".join(r.other)
    seqs = assert_all_arrived(remote, n)
    assert len(seqs) == n  # no retries were needed: none twice
    st = remote.stats()
    assert st["http2_requests"] == n
    assert st["client_connections"] <= 4
    limits = [s["concurrency_limit"] for s in r.status]
    # It starts low and grows with the answers. How far it gets depends on
    # the machine's speed (demand caps the ramp): make bench measures that.
    assert max(limits) > 16, limits
    assert any(s["rtt_baseline_ms"] >= 19 for s in r.status)


def converge(tmp_path, remote, runs, refuse, retry_after=1, at_once=False):
    remote.set(capacity=32, refuse=refuse, retry_after=retry_after, refuse_at_once=at_once)
    n = 8000  # C / RTT = 1,600 a second: about 5 s
    r = runs(remote, numbered(tmp_path, n))
    assert r.wait() == 0, "".join(r.other)
    assert_all_arrived(remote, n)
    st = remote.stats()
    assert st["max_active"] <= 32
    share = st["refused"] / st["requests"]
    return r, st, share


# The share refused is the controller's doing, not the machine's speed: a
# limit that does not settle near the capacity is refused far more (41% of
# all requests, when refusals came at once, before conc_room).
@pytest.mark.parametrize("at_once", [False, True], ids=["after-the-round-trip", "at-once"])
def test_converges_under_a_capacity_with_503(tmp_path, remote, runs, at_once):
    r, st, share = converge(tmp_path, remote, runs, 503, at_once=at_once)
    assert share <= 0.10, st
    assert any("503" in s["limit_reason"] for s in r.status)
    # The breaker stayed shut: a busy API is not a dead one.
    assert not any(s["state"] == "backing off" for s in r.status)


@pytest.mark.parametrize("at_once", [False, True], ids=["after-the-round-trip", "at-once"])
def test_converges_under_429_and_retry_after(tmp_path, remote, runs, at_once):
    r, st, share = converge(tmp_path, remote, runs, 429, retry_after=1, at_once=at_once)
    assert share <= 0.10, st
    # The reason is the latest change's: said with the samples, should a
    # step down for 429 fall between two of them again (CI saw it once,
    # with make bench running beside it).
    assert any("429" in s["limit_reason"] for s in r.status), \
        sorted({s["limit_reason"] for s in r.status})


# The limit follows the API each way; how fast is make bench's to measure
# (a busy machine answers slower). FOLLOW is long enough for a loaded one,
# and short of the time these runs take at the lower capacity.
FOLLOW = 60


@pytest.mark.parametrize("at_once", [False, True], ids=["after-the-round-trip", "at-once"])
def test_follows_a_capacity_drop_and_recovery(tmp_path, remote, runs, at_once):
    remote.set(capacity=200, refuse_at_once=at_once)
    n = 60000
    r = runs(remote, numbered(tmp_path, n))
    assert wait_for(lambda: r.latest().get("concurrency_limit", 0) >= 64, FOLLOW), r.status[-3:]
    remote.set(capacity=20)
    assert wait_for(lambda: r.latest().get("concurrency_limit", 999) <= 30, FOLLOW), r.status[-3:]
    time.sleep(2)
    remote.set(capacity=200)
    assert wait_for(lambda: r.latest().get("concurrency_limit", 0) >= 40, FOLLOW), r.status[-3:]
    assert r.wait() == 0, "".join(r.other)
    assert_all_arrived(remote, n)


def test_steps_down_on_a_round_trip_spike(tmp_path, remote, runs):
    n = 40000
    r = runs(remote, numbered(tmp_path, n))
    assert wait_for(lambda: r.latest().get("concurrency_limit", 0) >= 64, FOLLOW)
    before = r.latest()["concurrency_limit"]
    remote.set(delay_ms=200)  # 10x: a queue somewhere on the way
    assert wait_for(lambda: "baseline" in r.latest().get("limit_reason", ""), FOLLOW), r.status[-3:]
    assert wait_for(lambda: r.latest().get("concurrency_limit", before) < before, FOLLOW)
    remote.set(delay_ms=20)
    assert r.wait() == 0, "".join(r.other)
    assert_all_arrived(remote, n)


def test_restarts_low_after_an_outage_and_grows_again(tmp_path, remote, runs):
    n = 40000
    r = runs(remote, numbered(tmp_path, n))
    assert wait_for(lambda: r.latest().get("concurrency_limit", 0) >= 64, FOLLOW)
    remote.set(down=1)
    assert wait_for(lambda: r.latest().get("state") == "backing off", FOLLOW), r.status[-3:]
    assert r.latest()["concurrency_limit"] <= 16
    time.sleep(1)
    remote.set(down=0)
    assert wait_for(lambda: r.latest().get("concurrency_limit", 0) >= 64, FOLLOW), r.status[-3:]
    assert r.wait() == 0, "".join(r.other)
    assert_all_arrived(remote, n)


def test_fixed_concurrency_is_unchanged(tmp_path, remote, runs):
    n = 3000
    r = runs(remote, numbered(tmp_path, n), "--concurrency", "fixed", "--max-in-flight", "8")
    assert r.wait() == 0, "".join(r.other)
    assert_all_arrived(remote, n)
    st = remote.stats()
    assert st["max_active"] == 8
    assert {s["concurrency_limit"] for s in r.status} == {8}


def test_http1_uses_more_connections_but_capped(tmp_path, remote, runs):
    n = 20000
    r = runs(remote, numbered(tmp_path, n), "--max-connections", "48", url=remote.h1_url)
    assert r.wait() == 0, "".join(r.other)
    assert_all_arrived(remote, n)
    st = remote.stats()
    assert st["http2_requests"] == 0
    assert 8 < st["client_connections"] <= 48
    assert max(s["concurrency_limit"] for s in r.status) <= 48
