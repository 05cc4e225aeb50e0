"""An operator's mistakes are bad input too: a clear message, and no log
lost or sent twice. Each test counts what arrived by sequence number."""
import os
import signal
import subprocess
import time

from conftest import BIN, PROJECT, TOKEN, wait_for


def seqs(api):
    return sorted(int(g["message"].split()[1]) for g in api.logs())


def append(path, a, b):
    with open(path, "a") as f:
        f.write("".join("seq %d\n" % i for i in range(a, b)))


def start(api, *args, stdin=subprocess.DEVNULL):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODEMASH_")}
    env["CODEMASH_TOKEN"] = TOKEN
    return subprocess.Popen([BIN, "--url", api.url, "--project-id", PROJECT, "--no-tui",
                             "--status-interval", "0", *args],
                            stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env)


def listing(folder):
    """Every file under folder with its size, mode and modification time."""
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            st = os.stat(os.path.join(root, name))
            out[os.path.join(root, name)] = (st.st_size, st.st_mode, st.st_mtime_ns)
    return out


def test_a_second_logmash_on_a_state_dir_refuses_and_touches_nothing(api, tmp_path):
    state, log = tmp_path / "state", tmp_path / "app.log"
    log.touch()
    first = start(api, "-F", "--from-start", "--state-dir", str(state), str(log))
    append(log, 0, 100)
    assert wait_for(lambda: len(api.logs()) == 100)
    time.sleep(1.2)  # its checkpoint is saved: the directory is at rest
    before = listing(state)

    second = start(api, "-F", "--state-dir", str(state), str(log))
    assert second.wait(timeout=10) == 2
    err = second.stderr.read().decode()
    assert "state dir %s is in use by logmash PID %d" % (state, first.pid) in err, err
    assert listing(state) == before
    # Two standard inputs would share the spool: the same answer.
    piped = start(api, "--state-dir", str(state), "-", stdin=subprocess.PIPE)
    piped.stdin.close()
    assert piped.wait(timeout=10) == 2
    assert listing(state) == before

    # A dry run only reads the checkpoints: it may look beside the owner.
    dry = subprocess.run([BIN, "--dry-run", "--state-dir", str(state), str(log)],
                         capture_output=True, timeout=30)
    assert dry.returncode == 0, dry.stderr

    # SIGKILL leaves no stale lock: the next one starts and goes on.
    first.send_signal(signal.SIGKILL)
    first.wait()
    third = start(api, "-F", "--state-dir", str(state), str(log))
    append(log, 100, 150)
    assert wait_for(lambda: len(api.logs()) >= 150)
    third.send_signal(signal.SIGTERM)
    assert third.wait(timeout=20) == 0
    assert seqs(api) == list(range(150))  # each once: the second never sent


def dead_letters(path):
    return path.read_text().splitlines() if path.exists() else []


def test_a_wrong_api_version_holds_every_log_and_says_which_url(api, tmp_path):
    """404 to every request: the URL is wrong, not the logs. Nothing is
    dead-lettered, the checkpoint does not move, exit code 4; with the
    version fixed, the next run sends everything."""
    state, log = tmp_path / "state", tmp_path / "app.log"
    append(log, 0, 50)
    p = subprocess.run([BIN, "--url", api.url, "--project-id", PROJECT, "--api-version", "v9",
                        "--state-dir", str(state), str(log)], capture_output=True, timeout=60,
                       env=dict(os.environ, CODEMASH_TOKEN=TOKEN))
    err = p.stderr.decode()
    assert p.returncode == 4, err
    assert "POST %s/v9/logs answered 404" % api.url in err
    assert "check --url and --api-version" in err
    assert dead_letters(state / "dead-letters.jsonl") == []
    assert api.logs() == []
    p = subprocess.run([BIN, "--url", api.url, "--project-id", PROJECT, "--state-dir", str(state),
                        str(log)], capture_output=True, timeout=60,
                       env=dict(os.environ, CODEMASH_TOKEN=TOKEN))
    assert p.returncode == 0, p.stderr
    assert seqs(api) == list(range(50))


def test_a_400_to_every_log_is_a_wrong_url_not_50_dead_letters(api, tmp_path):
    dead = tmp_path / "dead.jsonl"
    api.faults(fail_first=100000, fail_status=400)
    log = tmp_path / "app.log"
    append(log, 0, 50)
    p = subprocess.run([BIN, "--url", api.url, "--project-id", PROJECT, "--dead-letter", str(dead),
                        str(log)], capture_output=True, timeout=60,
                       env=dict(os.environ, CODEMASH_TOKEN=TOKEN))
    err = p.stderr.decode()
    assert p.returncode == 4, err
    assert "answered 400 to every log" in err
    assert dead_letters(dead) == []


def test_with_follow_a_wrong_url_waits_for_sighup(api, tmp_path):
    state, log = tmp_path / "state", tmp_path / "app.log"
    log.touch()
    api.faults(fail_first=100000, fail_status=405)
    proc = start(api, "-F", "--from-start", "--state-dir", str(state), str(log))
    append(log, 0, 20)
    assert wait_for(lambda: api.stats()["requests"] > 0)
    time.sleep(1)
    assert proc.poll() is None  # a follower waits for the fix
    assert api.logs() == []
    api.faults()  # the proxy in front of the API is fixed
    proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: len(api.logs()) == 20)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    assert seqs(api) == list(range(20))
    assert dead_letters(state / "dead-letters.jsonl") == []
