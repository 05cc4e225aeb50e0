"""logmash as a systemd service, without systemd: the notifications a
Type=notify unit relies on (a test listens on NOTIFY_SOCKET as systemd
would), and the start line the journal shows."""
import os
import signal
import socket
import subprocess
import time

from conftest import BIN, PROJECT, TOKEN


def notifications(sock, until):
    """Datagrams received until the deadline, as (time, {key: value})."""
    got = []
    while time.time() < until:
        sock.settimeout(max(0.01, until - time.time()))
        try:
            data = sock.recv(4096).decode()
        except socket.timeout:
            break
        got.append((time.time(), dict(l.split("=", 1) for l in data.splitlines() if "=" in l)))
    return got


def test_notify_ready_status_watchdog_and_stopping(api, tmp_path):
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    log = tmp_path / "app.log"
    log.write_text("".join("seq %d\n" % i for i in range(50)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODEMASH_")}
    env.update(CODEMASH_TOKEN=TOKEN, NOTIFY_SOCKET=path, WATCHDOG_USEC="1000000")
    started = time.time()
    proc = subprocess.Popen([BIN, "--url", api.url, "--project-id", PROJECT, "--no-tui",
                             "-F", "--from-start", "--state-dir", str(tmp_path / "state"),
                             str(log)], stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env)
    try:
        got = notifications(sock, started + 6.5)
        proc.send_signal(signal.SIGTERM)
        got += notifications(sock, time.time() + 3)
    finally:
        proc.send_signal(signal.SIGKILL)
        err = proc.stderr.read().decode()
        proc.wait()
        sock.close()
    messages = [m for _, m in got]
    assert messages and messages[0].get("READY") == "1", messages[:3]
    assert messages[0]["STATUS"].startswith(("sending", "idle")), messages[0]
    # the watchdog at half of WATCHDOG_USEC: about every 0.5 s for 6 s
    pings = [t for t, m in got if m.get("WATCHDOG") == "1"]
    assert len(pings) >= 8, len(pings)
    # a status line every 5 s: what systemctl status shows
    statuses = [m["STATUS"] for m in messages[1:] if "STATUS" in m and "STOPPING" not in m]
    assert statuses and "/s, queued " in statuses[0] and ", behind " in statuses[0] \
        and statuses[0].endswith(" errors"), statuses
    assert any(m.get("STOPPING") == "1" for m in messages)
    assert len(api.logs()) == 50, err


def test_without_notify_socket_nothing_is_sent_and_all_works(api, tmp_path):
    log = tmp_path / "app.log"
    log.write_text("one\n")
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "CODEMASH_TOKEN")}
    env["CODEMASH_TOKEN"] = TOKEN
    p = subprocess.run([BIN, "--url", api.url, "--project-id", PROJECT, "--no-tui", str(log)],
                       stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=30)
    assert p.returncode == 0, p.stderr
    assert "cannot notify systemd" not in p.stderr.decode()


def test_a_headless_run_says_what_started(api, tmp_path):
    log = tmp_path / "app.log"
    log.write_text("one\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODEMASH_")}
    env["CODEMASH_TOKEN"] = TOKEN
    p = subprocess.run([BIN, "--url", api.url, "--project-id", PROJECT, "--no-tui",
                        "--enrich", os.path.join(os.path.dirname(BIN), "scripts", "levels.lua"),
                        "--state-dir", str(tmp_path / "state"), str(log)],
                       stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=30)
    assert p.returncode == 0, p.stderr
    first = p.stderr.decode().splitlines()[0]
    assert first.startswith("logmash 0.") and "sending to %s/v1/logs, project %s" % (api.url, PROJECT) in first
    assert "scripts: enrich " in first and "levels.lua" in first
    assert "sources: %s" % log in first and "state dir %s" % (tmp_path / "state") in first
    assert TOKEN not in p.stderr.decode()
