"""Delivery: dead letters, replay, the breaker, credentials reloaded, the
stdin spool through outages and SIGKILL, bounded memory, draining.

Each test counts what arrived by sequence number."""
import collections
import json
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import BIN, PROJECT, TOKEN, StandIn, free_port, make_certificate, run, seqs, wait_for


def lines(a, b):
    return "".join("seq %06d\n" % i for i in range(a, b))


def start(args, api=None, url=None, stdin=subprocess.PIPE, token=TOKEN, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODEMASH_")}
    if token:
        env["CODEMASH_TOKEN"] = token
    env.update(env_extra or {})
    cmd = [BIN, "--url", url or api.url, "--project-id", PROJECT] + list(args)
    return subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def test_a_400_is_dead_lettered_with_the_answer_and_replayed(api, tmp_path):
    """A 400 for one log, once the URL has shown it works (a 2xx before)."""
    dead = tmp_path / "dead.jsonl"
    api.faults(fail_request=2, fail_status=400)
    p = run(["--max-in-flight", "1", "--dead-letter", str(dead), "-"], api=api, input=lines(0, 20))
    assert p.returncode == 1  # not everything was delivered
    assert sorted(seqs(api)) == [0] + list(range(2, 20))
    assert b"failed 1 (dead-lettered 1)" in p.stderr
    (rec,) = [json.loads(l) for l in dead.read_text().splitlines()]
    assert rec["status"] == 400
    assert rec["error"] == "HTTP 400: InjectedFault: injected fault 400"
    assert json.loads(rec["answer"])["responseStatus"]["errorCode"] == "InjectedFault"
    assert rec["body"] == {"message": "seq 000001"}
    assert rec["source"] == "-" and rec["line"] == 2 and rec["time"].endswith("Z")
    # the operator fixes the cause, then sends the dead letters again
    p = run(["--replay", str(dead), "--dead-letter", str(tmp_path / "again.jsonl")], api=api)
    assert p.returncode == 0, p.stderr
    assert sorted(seqs(api)) == list(range(20))


def test_replay_refuses_its_own_dead_letter_file(api, tmp_path):
    dead = tmp_path / "dead.jsonl"
    dead.write_text("")
    p = run(["--replay", str(dead), "--dead-letter", str(dead)], api=api)
    assert p.returncode == 2
    assert b"that is the dead-letter file" in p.stderr


def write_dead_letters(path, a, b):
    """A dead-letter file holding the logs seq a..b-1, as logmash writes it."""
    with open(path, "w") as f:
        for i in range(a, b):
            f.write(json.dumps({"time": "2026-11-30T10:00:00Z", "status": 400, "error": "HTTP 400",
                                "answer": "", "source": "-", "line": i,
                                "body": {"message": "seq %06d" % i}}) + "\n")


def test_a_replay_sends_each_dead_letter_once_however_often_it_runs(api, tmp_path):
    dead = tmp_path / "dead.jsonl"
    write_dead_letters(dead, 0, 50)
    p = run(["--replay", str(dead)], api=api)
    assert p.returncode == 0, p.stderr
    assert sorted(seqs(api)) == list(range(50))
    assert (tmp_path / "dead.jsonl.replayed").exists()
    p = run(["--replay", str(dead)], api=api)
    assert p.returncode == 0, p.stderr
    assert b"sending only what earlier replays did not deliver" in p.stderr
    assert sorted(seqs(api)) == list(range(50))  # nothing a second time
    # what is appended later is replayed once too
    with open(dead, "a") as f:
        f.write(json.dumps({"body": {"message": "seq 000050"}}) + "\n")
    p = run(["--replay", str(dead)], api=api)
    assert sorted(seqs(api)) == list(range(51))


def test_an_interrupted_replay_resumes_where_it_stopped(api, tmp_path):
    dead = tmp_path / "dead.jsonl"
    write_dead_letters(dead, 0, 400)
    api.faults(delay_ms=20)
    proc = start(["--replay", str(dead), "--max-in-flight", "4"], api=api, stdin=subprocess.DEVNULL)
    assert wait_for(lambda: len(api.logs()) >= 100, timeout=30)
    proc.kill()  # SIGKILL halfway
    proc.wait()
    first = len(api.logs())
    assert first < 400
    api.faults()
    p = run(["--replay", str(dead)], api=api)
    assert p.returncode == 0, p.stderr
    got = seqs(api)
    assert sorted(set(got)) == list(range(400))
    # repeats: at most what was in flight and the last checkpoint's delay
    assert len(got) - 400 <= 4 + 40, len(got) - 400


def test_two_replays_of_one_file_cannot_run_at_once(api, tmp_path):
    dead = tmp_path / "dead.jsonl"
    write_dead_letters(dead, 0, 100)
    api.faults(delay_ms=50)
    proc = start(["--replay", str(dead), "--max-in-flight", "1"], api=api, stdin=subprocess.DEVNULL)
    assert wait_for(lambda: len(api.logs()) >= 1)
    p = run(["--replay", str(dead)], api=api)
    proc.kill()
    proc.wait()
    assert p.returncode == 2
    assert b"another logmash is replaying it now" in p.stderr


def test_the_dead_letter_file_rotates_and_what_rotation_deletes_is_counted(api, tmp_path):
    dead = tmp_path / "dead.jsonl"
    api.faults(fail_every=2, fail_status=400)  # every other log rejected, for good
    p = run(["--max-in-flight", "1", "--dead-letter", str(dead), "--dead-letter-max-bytes", "2K",
             "--dead-letter-keep", "2", "-"], api=api, input=lines(0, 200))
    assert p.returncode == 1
    err = p.stderr.decode()
    files = [dead, tmp_path / "dead.jsonl.1", tmp_path / "dead.jsonl.2"]
    assert not (tmp_path / "dead.jsonl.3").exists()
    kept = []
    for f in files:
        assert 0 < f.stat().st_size <= 2048
        kept += [json.loads(l)["body"]["message"] for l in f.read_text().splitlines()]
    deleted = int(re.search(r"deleted by rotation (\d+)", err).group(1))
    assert deleted > 0 and deleted + len(kept) == 100
    assert re.search(r"dead-letter file \S+dead.jsonl.2 deleted to keep --dead-letter-max-bytes: "
                     r"its \d+ logs were never replayed and are gone", err), err
    # the newest are the ones kept
    assert max(kept) in ("seq 000198", "seq 000199")


def test_out_of_retries_goes_to_dead_letters(api, tmp_path):
    dead = tmp_path / "dead.jsonl"
    api.faults(fail_every=1, fail_status=503)
    p = run(["--max-retries", "2", "--retry-max", "0.2", "--dead-letter", str(dead), "-"],
            api=api, input=lines(0, 5))
    assert p.returncode == 1
    recs = [json.loads(l) for l in dead.read_text().splitlines()]
    assert sorted(r["body"]["message"] for r in recs) == ["seq %06d" % i for i in range(5)]
    assert all(r["status"] == 503 and "after 2 retries" in r["error"] for r in recs)


def test_the_breaker_stops_hammering_a_failing_api(api, tmp_path):
    api.faults(fail_every=1, fail_status=503)
    proc = start(["--retry-base", "0.1", "--retry-max", "1", "-"], api=api)
    proc.stdin.write(lines(0, 500).encode())
    proc.stdin.close()
    time.sleep(4)
    during = api.stats()["requests"]
    # The first requests at once, then a pause and one probe at a time:
    # without the breaker, every slot retrying every 0.1-1 s would make many
    # hundreds
    assert during < 150, during
    api.faults()  # the API recovers
    assert wait_for(lambda: len(api.logs()) >= 500, 30)
    assert proc.wait(timeout=30) == 0
    err = proc.stderr.read().decode()
    assert "all sending paused" in err and "the API answers again" in err
    assert sorted(seqs(api)) == list(range(500))


def test_401_mid_run_holds_every_log_until_sighup(api, tmp_path):
    tf = tmp_path / "token"
    tf.write_text(TOKEN)
    os.chmod(tf, 0o600)
    log = tmp_path / "app.log"
    log.touch()
    dead = tmp_path / "dead.jsonl"
    proc = start(["-F", "--token-file", str(tf), "--dead-letter", str(dead), str(log)], api=api,
                 token=None, stdin=subprocess.DEVNULL)
    time.sleep(0.3)
    with open(log, "a") as f:
        f.write(lines(0, 10))
    assert wait_for(lambda: len(api.logs()) == 10, 10)
    api.faults(token="rotated-token")  # the project's key was rotated
    with open(log, "a") as f:
        f.write(lines(10, 200))
    assert wait_for(lambda: api.stats()["statuses"].get("401", 0) > 0, 10)
    time.sleep(1)
    assert proc.poll() is None, "a follower waits for new credentials"
    assert len(api.logs()) == 10
    tf.write_text("rotated-token")
    proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: len(api.logs()) >= 200, 20), len(api.logs())
    proc.send_signal(signal.SIGTERM)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=20) == 0, err
    assert sorted(seqs(api)) == list(range(200))
    assert "refused the token or project id" in err and "SIGHUP: token reloaded" in err
    assert dead.read_text() == ""  # nothing was dead-lettered
    assert "rotated-token" not in err


def checkpointed_lines(state, log):
    """Lines of log the checkpoint file says were delivered (11-byte lines)."""
    try:
        text = (state / "checkpoints").read_text()
    except FileNotFoundError:
        return 0
    for line in text.splitlines()[1:-1]:
        fields = line.split(" ", 5)
        if fields[5] == str(log):
            return int(fields[4]) // 11
    return 0


def test_a_sigkill_repeats_only_what_was_past_the_checkpoint(api, tmp_path):
    """After a SIGKILL the next start sends every log, and repeats only those
    past the checkpoint the killed run left (how closely the checkpoint
    follows the acknowledgements, 0.1 s, is make bench's crash row: a busy
    machine would make it a test of speed)."""
    state, log = tmp_path / "state", tmp_path / "app.log"
    log.write_text(lines(0, 20000))
    api.faults(delay_ms=5)
    proc = start(["-F", "--from-start", "--state-dir", str(state), "--concurrency", "fixed",
                  "--max-in-flight", "16", str(log)], api=api, stdin=subprocess.DEVNULL)
    assert wait_for(lambda: len(api.logs()) >= 500, 20)
    proc.kill()  # SIGKILL
    proc.wait()
    proc.stderr.close()
    checkpointed = checkpointed_lines(state, log)
    first = seqs(api)
    assert checkpointed <= len(first) and set(range(checkpointed)) <= set(first)
    if len(set(first)) == 20000:
        pytest.skip("the run ended before the kill: nothing to measure")
    p = run(["--state-dir", str(state), str(log)], api=api)
    assert p.returncode == 0, p.stderr
    got = seqs(api)
    assert sorted(set(got)) == list(range(20000))  # none lost
    again = [n for n, c in collections.Counter(got).items() if c > 1]
    assert all(n >= checkpointed for n in again), (checkpointed, min(again))


def test_sigkill_during_an_outage_the_spool_brings_stdin_back(api, tmp_path):
    state = tmp_path / "state"
    down = "http://127.0.0.1:9"  # nothing listens: the API is out
    proc = start(["--state-dir", str(state), "-"], url=down)
    proc.stdin.write(lines(0, 3000).encode())
    proc.stdin.flush()
    time.sleep(1.5)
    proc.kill()  # SIGKILL, in the middle of the outage
    proc.wait()
    proc.stderr.close()
    assert os.listdir(state / "spool")
    p = subprocess.run([BIN, "--url", api.url, "--project-id", PROJECT, "--state-dir", str(state), "-"],
                       stdin=subprocess.DEVNULL, capture_output=True, env=dict(os.environ, CODEMASH_TOKEN=TOKEN))
    assert p.returncode == 0, p.stderr
    assert sorted(seqs(api)) == list(range(3000))
    assert os.listdir(state / "spool") == []  # delivered segments are deleted


def test_a_full_spool_makes_stdin_wait_and_loses_nothing(api, tmp_path):
    state = tmp_path / "state"
    api.faults(down_for=3)
    proc = start(["--state-dir", str(state), "--spool-max-bytes", "1M", "-"], api=api)
    pad = "x" * 90
    data = "".join("seq %06d %s\n" % (i, pad) for i in range(15000)).encode()  # 1.5 MB > 1 MiB
    t = time.monotonic()
    proc.stdin.write(data)
    proc.stdin.close()
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    proc.stderr.close()
    assert time.monotonic() - t > 2.5  # stdin waited for the API to come back
    got = seqs(api)
    assert sorted(got) == list(range(15000))


def test_memory_stays_flat_through_a_60_second_outage(api, tmp_path):
    log = tmp_path / "big.log"
    log.write_text(lines(0, 30000))
    api.faults(down_for=60)
    t0 = time.monotonic()
    proc = start(["--retry-max", "5", str(log)], api=api, stdin=subprocess.DEVNULL)
    time.sleep(3)
    samples = []
    while time.monotonic() - t0 < 57:
        samples.append(rss_kb(proc.pid))
        time.sleep(3)
    # The queue filled in the first seconds; after that reading is paused
    # (the file waits on disk) and nothing grows.
    assert max(samples) - samples[0] < 2048, samples
    assert not seqs(api), "the API was down"
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    err = proc.stderr.read().decode()
    assert "all sending paused" in err and "the API answers again" in err
    assert sorted(seqs(api)) == list(range(30000))


def test_sigterm_drains_what_was_read(api, tmp_path):
    api.faults(delay_ms=100)
    proc = start(["--max-in-flight", "8", "--drain-timeout", "20", "-"], api=api)
    proc.stdin.write(lines(0, 100).encode())
    proc.stdin.flush()
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    err = proc.stderr.read().decode()
    assert "stopping: sending what was read" in err
    assert sorted(seqs(api)) == list(range(100))


def test_rate_limit(api):
    t = time.monotonic()
    p = run(["--rate-limit", "20", "-"], api=api, input=lines(0, 50))
    assert p.returncode == 0, p.stderr
    assert time.monotonic() - t >= 1.4  # 50 requests at 20 a second, after a burst of 20
    assert sorted(seqs(api)) == list(range(50))


@pytest.fixture
def tls_api(tmp_path):
    s = StandIn(tls=make_certificate(str(tmp_path)))
    yield s
    s.stop()


def test_http2_over_tls_multiplexes_requests_on_few_connections(tls_api, tmp_path):
    tls_api.faults(delay_ms=50)  # answers take a while: requests pile up as streams
    log = tmp_path / "app.log"
    log.write_text(lines(0, 600))
    p = run(["--ca-file", tls_api.cert, "--send-threads", "2", str(log)], api=tls_api)
    assert p.returncode == 0, p.stderr
    st = tls_api.stats()
    assert sorted(seqs(tls_api)) == list(range(600))
    assert st["http2_requests"] == 600, st  # ALPN chose HTTP/2
    # At most 4 to the host (--max-connections), as many streams on each as
    # the server allows: this one allows 100.
    assert st["connections"] <= 4, st
    assert st["max_concurrent"] >= 16, st  # streams at once on those connections


def test_http2_faults_every_log_arrives(tls_api, tmp_path):
    tls_api.faults(fail_every=7, fail_status=503, drop_every=97)
    log = tmp_path / "app.log"
    log.write_text(lines(0, 500))
    p = run(["--ca-file", tls_api.cert, "--retry-base", "0.05", str(log)], api=tls_api)
    assert p.returncode == 0, p.stderr
    st = tls_api.stats()
    assert st["statuses"].get("503", 0) > 0 and st["http2_requests"] > 500, st
    assert sorted(set(seqs(tls_api))) == list(range(500))


def test_an_untrusted_certificate_is_named(tls_api):
    p = run(["--max-retries", "0", "-"], api=tls_api, input=lines(0, 3))
    assert p.returncode == 1
    err = p.stderr.decode()
    assert "certificate" in err and "--ca-file" in err, err
    assert tls_api.stats()["requests"] == 0


def test_insecure_takes_a_self_signed_certificate_and_warns(tls_api):
    p = run(["--insecure", "--max-retries", "0", "-"], api=tls_api, input=lines(0, 3))
    assert p.returncode == 0, p.stderr
    assert sorted(seqs(tls_api)) == [0, 1, 2]
    err = p.stderr.decode()
    assert "warning: --insecure" in err and "not verified" in err, err


def curl_version():
    out = subprocess.run(["curl-config", "--vernum"], capture_output=True, text=True).stdout
    return int(out.strip(), 16)


def test_http2_prior_knowledge(api, tmp_path):
    """Cleartext HTTP/2: refused with libcurl 7.88 (its reused h2c
    connections fail), multiplexed with a libcurl that works."""
    log = tmp_path / "app.log"
    log.write_text(lines(0, 300))
    p = run(["--http2-prior-knowledge", str(log)], api=api)
    if 0x075800 <= curl_version() < 0x080000:
        assert p.returncode == 2
        assert b"--http2-prior-knowledge needs libcurl 8.0.0" in p.stderr
        assert api.stats()["requests"] == 0
    else:
        assert p.returncode == 0, p.stderr
        assert api.stats()["http2_requests"] == 300
        assert sorted(seqs(api)) == list(range(300))


def test_a_2xx_without_a_log_id_is_dead_lettered_not_retried_for_ever(api, tmp_path):
    """The API broke the contract (200 with no "result"): by default a log
    gets 5 retries, then goes to the dead-letter file with the answer."""
    dead = tmp_path / "dead.jsonl"
    api.faults(fail_first=1000, fail_status=200)
    p = run(["--retry-base", "0.01", "--retry-max", "0.05", "--dead-letter", str(dead), "-"],
            api=api, input=lines(0, 5), timeout=60)
    assert p.returncode == 1, p.stderr
    recs = [json.loads(l) for l in dead.read_text().splitlines()]
    assert sorted(r["body"]["message"] for r in recs) == ["seq %06d" % i for i in range(5)]
    assert all(r["status"] == 200 and "without a log id" in r["error"] for r in recs), recs[0]
    assert api.stats()["requests"] == 5 * 6  # a first try and 5 retries each
    assert b"failed 5 (dead-lettered 5)" in p.stderr


def test_without_a_dead_letter_file_rejected_logs_are_announced_and_counted_lost(api, tmp_path):
    api.faults(fail_every=2, fail_status=413)
    p = run(["--max-in-flight", "1", "-"], api=api, input=lines(0, 5))
    assert p.returncode == 1
    assert b"will be counted as lost, not kept: give --dead-letter FILE" in p.stderr
    assert b"failed 2 (dead-lettered 0, lost 2)" in p.stderr
    assert sorted(seqs(api)) == [0, 2, 4]
    api.faults()
    kept = run(["--max-in-flight", "1", "--dead-letter", str(tmp_path / "d.jsonl"), "-"],
               api=api, input=lines(5, 6))
    assert kept.returncode == 0
    assert b"counted as lost" not in kept.stderr


def test_stopped_during_an_outage_with_a_state_dir_exits_0_and_the_next_start_sends_all(api, tmp_path):
    """systemctl stop during an outage: nothing is lost, so the unit must not
    show as failed; a real loss (no state dir) still exits 1."""
    state, log = tmp_path / "state", tmp_path / "app.log"
    log.write_text(lines(0, 100))
    down = "http://127.0.0.1:%d" % free_port()
    proc = start(["-F", "--from-start", "--state-dir", str(state), "--drain-timeout", "1",
                  str(log), "-"], url=down)
    proc.stdin.write(lines(100, 150).encode())
    proc.stdin.flush()
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=10) == 0, err
    assert "not delivered 150" in err
    assert "150 logs not delivered yet: the next start sends them (%s" % state in err
    proc.stdin.close()
    p = run(["--state-dir", str(state), str(log)], api=api)
    assert p.returncode == 0, p.stderr
    assert sorted(seqs(api)) == list(range(150))


def test_stopped_during_an_outage_without_a_state_dir_exits_1_and_says_so(tmp_path):
    log = tmp_path / "app.log"
    log.write_text(lines(0, 10))
    down = "http://127.0.0.1:%d" % free_port()
    proc = start(["-F", "--from-start", "--drain-timeout", "1", str(log)], url=down,
                 stdin=subprocess.DEVNULL)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=10) == 1, err
    assert "10 logs not delivered are not kept: give --state-dir" in err


def test_a_connection_reset_on_the_first_request_does_not_stall_the_others(api, tmp_path):
    """Each send thread's first request fails (strace injects ECONNRESET):
    the transfers that waited for that connection must go on at once, not
    after --timeout (libcurl 7.88 with CURLOPT_PIPEWAIT held them 30 s)."""
    log = tmp_path / "app.log"
    log.write_text(lines(0, 300))
    env = dict(os.environ, CODEMASH_TOKEN=TOKEN)
    if "ASAN_OPTIONS" in env:  # LeakSanitizer cannot run under ptrace (it exits 86)
        env["ASAN_OPTIONS"] += ":detect_leaks=0"
    p = subprocess.run(["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=sendto",
                        "-e", "inject=sendto:error=ECONNRESET:when=1",
                        BIN, "--url", api.url, "--project-id", PROJECT, "--no-tui",
                        "--retry-base", "0.05", "--drain-timeout", "1", "--timeout", "20",
                        str(log)], capture_output=True, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    assert sorted(set(seqs(api))) == list(range(300))


def test_waiting_behind_a_probe_costs_no_cpu(api, tmp_path):
    """While the breaker's probe is under way nothing may start: the loop
    must sleep until it ends, not wake for the retries that wait behind it
    (it spun at 100% of a core)."""
    api.faults(fail_every=1, fail_status=503)
    proc = start(["--retry-base", "0.1", "--retry-max", "0.2", "-"], api=api)
    proc.stdin.write(lines(0, 200).encode())
    proc.stdin.flush()
    assert wait_for(lambda: api.stats()["requests"] >= 20, 10)
    api.faults(delay_ms=3000)  # the probe hangs for 3 s
    time.sleep(1.0)
    with open("/proc/%d/stat" % proc.pid) as f:
        before = sum(int(x) for x in f.read().rsplit(")", 1)[1].split()[11:13])
    time.sleep(2.0)
    with open("/proc/%d/stat" % proc.pid) as f:
        after = sum(int(x) for x in f.read().rsplit(")", 1)[1].split()[11:13])
    proc.kill()
    proc.wait()
    proc.stdin.close()
    proc.stderr.close()
    ticks = os.sysconf("SC_CLK_TCK")
    assert (after - before) / ticks < 0.3, "%.2f s of CPU in 2 s of waiting" % ((after - before) / ticks)
