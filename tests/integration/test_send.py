"""Sending: what arrives at the API, how, and what happens when the API fails."""
import os
import signal
import subprocess
import time

from conftest import BIN, PROJECT, TOKEN, free_port, run, script


def app_log(n):
    """n lines with unique messages; every 10th is a health check, levels rotate."""
    lines = []
    for i in range(n):
        if i % 10 == 9:
            lines.append("2026-11-26T10:00:00Z DEBUG [web] GET /healthz 200 #%d" % i)
        else:
            lvl = ["INFO", "WARN", "ERROR"][i % 3]
            lines.append("2026-11-26T10:00:00Z %s [worker-%d] user=%d request #%d" % (lvl, i % 4, i, i))
    return "\n".join(lines) + "\n"


def test_every_kept_line_arrives_once_with_level_and_items(api, tmp_path):
    log = tmp_path / "app.log"
    log.write_text(app_log(1000))
    enrich = tmp_path / "items.lua"
    enrich.write_text('function enrich(log)\n'
                      '  log.items.worker = log.message:match("%[(worker%-%d+)%]")\n'
                      '  log.items.user = log.message:match("user=(%d+)")\n'
                      'end\n')
    p = run(["-f", script("drop_noise.lua"), "-e", script("levels.lua"), "-e", str(enrich),
             str(log)], api=api)
    assert p.returncode == 0, p.stderr
    got = api.logs()
    assert len(got) == 900
    by_msg = {g["message"]: g for g in got}
    assert len(by_msg) == 900, "a log arrived twice"
    for i in range(1000):
        if i % 10 == 9:
            continue
        lvl = ["INFO", "WARN", "ERROR"][i % 3]
        g = by_msg["2026-11-26T10:00:00Z %s [worker-%d] user=%d request #%d" % (lvl, i % 4, i, i)]
        assert g["level"] == {"INFO": "Information", "WARN": "Warning", "ERROR": "Error"}[lvl]
        assert g["items"] == {"worker": "worker-%d" % (i % 4), "user": str(i)}
    assert b"sent 900" in p.stderr and b"dropped 100" in p.stderr


def test_headers_and_body_follow_the_contract(api):
    p = run(["--max-in-flight", "1", "-e", script("levels.lua")], api=api,
            input="2026 WARN disk low\nplain line\n")
    assert p.returncode == 0, p.stderr
    a, b = api.logs()
    for g in (a, b):
        h = g["headers"]
        assert g["version"] == "v1"
        assert h["authorization"] == "Bearer " + TOKEN
        assert h["x-cm-projectid"] == PROJECT
        assert h["content-type"] == "application/json"
        assert h["user-agent"].startswith("logmash/")
    assert a["raw"] == '{"message":"2026 WARN disk low","level":"Warning"}'
    assert b["raw"] == '{"message":"plain line"}'  # no level, no items: left out


def test_api_version_and_trailing_slash(api):
    p = subprocess.run([BIN, "--url", api.url + "/", "--api-version", "v2", "--project-id", PROJECT, "-"],
                       input=b"x\n", capture_output=True, env={"CODEMASH_TOKEN": TOKEN, "PATH": os.environ["PATH"]})
    assert p.returncode == 0, p.stderr
    assert api.logs()[0]["version"] == "v2"


def test_requests_run_concurrently_over_kept_alive_connections(api, tmp_path):
    api.faults(delay_ms=50)
    log = tmp_path / "a.log"
    log.write_text("".join("line %d\n" % i for i in range(200)))
    p = run(["--max-in-flight", "8", str(log)], api=api)
    assert p.returncode == 0, p.stderr
    st = api.stats()
    assert st["accepted"] == 200
    assert 2 <= st["max_concurrent"] <= 8
    assert st["connections"] <= 8, "connections were not reused"


def test_max_in_flight_one_keeps_order(api, tmp_path):
    log = tmp_path / "a.log"
    log.write_text("".join("line %d\n" % i for i in range(100)))
    p = run(["--max-in-flight", "1", str(log)], api=api)
    assert p.returncode == 0, p.stderr
    assert [g["message"] for g in api.logs()] == ["line %d" % i for i in range(100)]
    assert api.stats()["max_concurrent"] == 1


def test_transient_failures_are_retried_until_delivered(api, tmp_path):
    api.faults(fail_every=3, fail_status=503)
    log = tmp_path / "a.log"
    log.write_text("".join("line %d\n" % i for i in range(60)))
    p = run([str(log)], api=api)
    assert p.returncode == 0, p.stderr
    assert sorted(g["message"] for g in api.logs()) == sorted("line %d" % i for i in range(60))
    err = p.stderr.decode()
    assert "HTTP 503: InjectedFault: injected fault 503 (will retry)" in err
    assert "retries 0" not in err


def test_429_and_dropped_connections_are_retried(api, tmp_path):
    api.faults(fail_every=4, fail_status=429, drop_every=5)
    log = tmp_path / "a.log"
    log.write_text("".join("line %d\n" % i for i in range(40)))
    p = run([str(log)], api=api)
    assert p.returncode == 0, p.stderr
    assert len({g["message"] for g in api.logs()}) == 40
    assert b"HTTP 429" in p.stderr


def test_retry_after_is_honoured(api):
    api.faults(fail_first=1, fail_status=503, retry_after=1)
    t = time.monotonic()
    p = run(["-"], api=api, input="only\n")
    assert p.returncode == 0, p.stderr
    assert time.monotonic() - t >= 0.9, "retried before Retry-After said"
    assert [g["message"] for g in api.logs()] == ["only"]


def test_permanent_rejection_is_not_retried(api):
    """Once an answer 2xx showed the URL works (before one, a 422 may be the
    URL's: test_operator.py)."""
    api.faults(fail_request=2, fail_status=422)
    p = run(["--max-in-flight", "1", "-"], api=api, input="first\nsecond\n")
    assert p.returncode == 1
    assert [g["message"] for g in api.logs()] == ["first"]
    err = p.stderr.decode()
    assert "HTTP 422: InjectedFault: injected fault 422" in err
    assert "a log from - was rejected; not kept" in err
    assert "failed 1" in err
    assert api.stats()["requests"] == 2


def test_wrong_token_stops_sending_with_exit_3(api, tmp_path):
    log = tmp_path / "a.log"
    log.write_text("".join("line %d\n" % i for i in range(500)))
    p = run([str(log)], api=api, token="wrong-secret-token")
    assert p.returncode == 3
    err = p.stderr.decode()
    assert "refused the token or project id" in err
    assert "wrong-secret-token" not in err
    assert api.logs() == []
    # it stopped: not one request a log
    assert api.stats()["requests"] <= 64


def test_wrong_project_id_is_an_auth_failure(api):
    p = run(["-"], api=api, input="x\n", project="other-project")
    assert p.returncode == 3
    assert b"Forbidden: unknown project id" in p.stderr


def test_unreachable_api_gives_up_after_max_retries():
    port = free_port()
    p = run(["--url", "http://127.0.0.1:%d" % port, "--project-id", PROJECT,
             "--max-retries", "2", "-"], input="a\nb\nc\n")
    assert p.returncode == 1
    err = p.stderr.decode()
    assert "Couldn't connect to server" in err
    assert "gave up on a log after 2 retries" in err
    assert "failed 3" in err


def test_a_long_outage_does_not_flood_stderr():
    port = free_port()
    p = run(["--url", "http://127.0.0.1:%d" % port, "--project-id", PROJECT, "--max-retries", "3",
             "--retry-max", "0.3", "-"], input="".join("line %d\n" % i for i in range(300)))
    assert p.returncode == 1
    err = p.stderr.decode().splitlines()
    assert len(err) < 10, err
    assert "failed 300" in err[-1]


def test_unreachable_api_keeps_logs_until_sigterm():
    port = free_port()
    env = dict(os.environ, CODEMASH_TOKEN=TOKEN)
    proc = subprocess.Popen([BIN, "--url", "http://127.0.0.1:%d" % port, "--project-id", PROJECT,
                             "--drain-timeout", "1", "-"], stdin=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    proc.stdin.write(b"a\nb\n")
    proc.stdin.close()
    time.sleep(1.0)
    assert proc.poll() is None, "gave up on logs while the API was down"
    proc.send_signal(signal.SIGTERM)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=10) == 1
    assert "not delivered 2" in err


def test_down_api_comes_back(api):
    api.faults(down_for=1.0)
    p = run(["-"], api=api, input="survivor\n")
    assert p.returncode == 0, p.stderr
    assert [g["message"] for g in api.logs()] == ["survivor"]


def test_second_signal_exits_at_once(api):
    api.faults(delay_ms=20000)
    env = dict(os.environ, CODEMASH_TOKEN=TOKEN)
    proc = subprocess.Popen([BIN, "--url", api.url, "--project-id", PROJECT, "--drain-timeout", "60", "-"],
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdin.write(b"slow\n")
    proc.stdin.flush()
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    assert proc.poll() is None, "did not drain after the first signal"
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=5) == 1
    proc.stdin.close()
    proc.stderr.close()
