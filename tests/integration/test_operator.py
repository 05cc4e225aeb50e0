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
