"""An operator's mistakes are bad input too: a clear message, and no log
lost or sent twice. Each test counts what arrived by sequence number."""
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import BIN, PROJECT, TOKEN, seqs, wait_for


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
    assert sorted(seqs(api)) == list(range(150))  # each once: the second never sent


def dead_letters_in(path):
    """The records of a dead-letter file (none when it is not there)."""
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
    assert dead_letters_in(state / "dead-letters.jsonl") == []
    assert api.logs() == []
    p = subprocess.run([BIN, "--url", api.url, "--project-id", PROJECT, "--state-dir", str(state),
                        str(log)], capture_output=True, timeout=60,
                       env=dict(os.environ, CODEMASH_TOKEN=TOKEN))
    assert p.returncode == 0, p.stderr
    assert sorted(seqs(api)) == list(range(50))


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
    assert dead_letters_in(dead) == []


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
    assert sorted(seqs(api)) == list(range(20))
    assert dead_letters_in(state / "dead-letters.jsonl") == []


UNIT = os.path.join(os.path.dirname(BIN), "packaging", "logmash.service")


def unit_settings():
    settings = {}
    with open(UNIT) as f:
        for line in f:
            if "=" in line and not line.startswith("#") and not line.startswith("["):
                key, value = line.rstrip("\n").split("=", 1)
                settings.setdefault(key, []).append(value)
    return settings


@pytest.mark.skipif(os.geteuid() != 0, reason="runs logmash as another user: needs root")
def test_the_shipped_unit_takes_a_new_token_on_reload(api):
    """The unit's ExecStart run as systemd 252 would run it: a dynamic user
    (here: nobody) with the unit's supplementary group, the token file
    root's, mode 640. A 401, a new token in the file, SIGHUP (the unit's
    ExecReload) and the held logs go out: the file itself is read again,
    not a copy made at start (LoadCredential=)."""
    unit = unit_settings()
    assert "LoadCredential" not in unit and "SetCredential" not in unit
    groups = " ".join(unit["SupplementaryGroups"]).split()
    assert "logmash" in groups
    (exec_start,) = unit["ExecStart"]
    assert "--token-file /etc/logmash/token" in exec_start
    assert unit["ExecReload"] == ["/bin/kill -HUP $MAINPID"]

    gid = 4711  # the group logmash, as groupadd --system would make it
    top = tempfile.mkdtemp(prefix="logmash-unit-")
    os.chmod(top, 0o755)  # pytest's tmp_path is root's alone
    try:
        etc, state, log = os.path.join(top, "etc"), os.path.join(top, "state"), \
            os.path.join(top, "app.log")
        os.mkdir(etc, 0o755)
        os.mkdir(state, 0o700)
        os.chown(state, 65534, 65534)  # StateDirectory= belongs to the dynamic user
        run = os.path.join(top, "run")
        os.mkdir(run, 0o755)
        os.chown(run, 65534, 65534)  # and RuntimeDirectory= too
        token = os.path.join(etc, "token")
        with open(token, "w") as f:
            f.write(TOKEN + "\n")
        os.chown(token, 0, gid)
        os.chmod(token, 0o640)
        config = os.path.join(etc, "config.lua")
        with open(config, "w") as f:
            f.write('url = "%s"\nproject_id = "%s"\ninputs = { "%s" }\nfollow = true\n'
                    'from_start = true\n' % (api.url, PROJECT, log))
        os.chmod(config, 0o644)
        append(log, 0, 10)
        os.chmod(log, 0o644)
        binary = os.path.join(top, "logmash")
        shutil.copy(BIN, binary)
        argv = shlex.split(exec_start.replace("@BINDIR@", top)
                           .replace("${STATE_DIRECTORY}", state)
                           .replace("${RUNTIME_DIRECTORY}", run)
                           .replace("/etc/logmash/", etc + "/"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("CODEMASH_")}
        proc = subprocess.Popen(["setpriv", "--reuid=65534", "--regid=65534",
                                 "--groups=%d" % gid, "--inh-caps=-all", "--", *argv,
                                 "--no-tui", "--status-interval", "0"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env=env)
        try:
            assert wait_for(lambda: len(api.logs()) == 10, 10), proc.stderr
            api.faults(token="rotated-token")  # the key was rotated
            append(log, 10, 30)
            assert wait_for(lambda: api.stats()["statuses"].get("401", 0) > 0, 10)
            with open(token, "w") as f:  # the operator fixes the file ...
                f.write("rotated-token\n")
            proc.send_signal(signal.SIGHUP)  # ... and runs systemctl reload
            delivered = wait_for(lambda: len(api.logs()) >= 30, 10)
            # `sudo logmash status` attaches to the unit's control socket.
            sock = os.path.join(run, "control.sock")
            assert oct(os.stat(sock).st_mode & 0o777) == "0o600"
            st = subprocess.run([BIN, "status", "--socket", sock], capture_output=True,
                                text=True, timeout=20)
            assert st.returncode == 0 and "health: ok" in st.stdout, st.stdout + st.stderr
        finally:
            proc.send_signal(signal.SIGTERM)
            err = proc.stderr.read().decode()
            code = proc.wait(timeout=20)
        assert delivered, err
        assert code == 0, err
        assert sorted(seqs(api)) == list(range(30))
        assert "SIGHUP: token reloaded from %s" % token in err
    finally:
        shutil.rmtree(top)


# ---- endpoint mistakes: a one-shot run ends, a follower holds; every
# message says what becomes of the logs ----

NO_SUCH_HOST = "no-such-host.invalid"  # .invalid never resolves (RFC 2606)


def test_a_host_that_does_not_resolve_ends_a_one_shot_run_with_exit_4(api, tmp_path):
    state, log = tmp_path / "state", tmp_path / "app.log"
    append(log, 0, 40)
    p = subprocess.run([BIN, "--url", "http://%s" % NO_SUCH_HOST, "--project-id", PROJECT,
                        "--state-dir", str(state), str(log)], capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL, env=dict(os.environ, CODEMASH_TOKEN=TOKEN))
    err = p.stderr.decode()
    assert p.returncode == 4, err
    assert "cannot resolve %s: check --url" % NO_SUCH_HOST in err
    assert "the state directory keeps what was not sent" in err
    assert "SIGHUP" not in err  # the process does not stay for one
    assert dead_letters_in(state / "dead-letters.jsonl") == []
    p = subprocess.run([BIN, "--url", api.url, "--project-id", PROJECT, "--state-dir", str(state),
                        str(log)], capture_output=True, timeout=60, stdin=subprocess.DEVNULL,
                       env=dict(os.environ, CODEMASH_TOKEN=TOKEN))
    assert p.returncode == 0, p.stderr
    assert sorted(seqs(api)) == list(range(40))


def test_with_follow_a_host_that_does_not_resolve_is_retried_and_shown(api, tmp_path):
    log = tmp_path / "app.log"
    append(log, 0, 5)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODEMASH_")}
    env["CODEMASH_TOKEN"] = TOKEN
    proc = subprocess.Popen([BIN, "-F", "--from-start", "--url", "http://%s" % NO_SUCH_HOST,
                             "--project-id", PROJECT, "--no-tui", "--status-interval", "0.2",
                             str(log)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env, text=True)
    try:
        lines = []
        end = time.time() + 30
        while time.time() < end:
            line = proc.stderr.readline()
            lines.append(line)
            if line.startswith("logmash: status: cannot resolve %s" % NO_SUCH_HOST):
                break
        else:
            pytest.fail("no status line said so: %s" % "".join(lines))
        assert proc.poll() is None  # a service holds through a DNS outage
        assert any("cannot resolve %s: check --url (retrying)" % NO_SUCH_HOST in l for l in lines)
    finally:
        proc.kill()
        proc.wait()


def test_a_refused_token_without_a_state_dir_does_not_claim_the_logs_are_kept(api, tmp_path):
    log = tmp_path / "app.log"
    append(log, 0, 30)
    p = subprocess.run([BIN, "--url", api.url, "--project-id", PROJECT, str(log)],
                       capture_output=True, timeout=60, stdin=subprocess.DEVNULL,
                       env=dict(os.environ, CODEMASH_TOKEN="wrong-token-abcdef"))
    err = p.stderr.decode()
    assert p.returncode == 3, err
    assert "every log kept" not in err
    assert "what was not sent is not kept (--state-dir keeps it for the next run)" in err
    assert "30 logs were not sent; they are not kept" in err
    assert "SIGHUP" not in err


def test_a_404_in_a_one_shot_run_does_not_offer_sighup(api, tmp_path):
    state, log = tmp_path / "state", tmp_path / "app.log"
    append(log, 0, 10)
    p = subprocess.run([BIN, "--url", api.url, "--project-id", PROJECT, "--api-version", "v9",
                        "--state-dir", str(state), str(log)], capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL, env=dict(os.environ, CODEMASH_TOKEN=TOKEN))
    err = p.stderr.decode()
    assert p.returncode == 4, err
    assert "SIGHUP" not in err
    assert "The run ends; the state directory keeps what was not sent for the next run" in err
    assert "10 logs were not sent; the next start sends them" in err
