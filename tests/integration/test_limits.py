"""Resource limits: many files, huge lines, odd file types, no permission,
a full disk. Each gets a clear message and loses nothing already read."""
import json
import os
import re
import resource
import subprocess
import threading

import pytest

from conftest import BIN, PROJECT, TOKEN, UNDER_ASAN, run, wait_for


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def test_5000_followed_files_under_a_256_descriptor_limit(tmp_path):
    n = 5000
    for k in range(n):
        (tmp_path / ("%04d.log" % k)).write_text("file %d a\nfile %d b\n" % (k, k))

    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    p = subprocess.Popen([BIN, "-F", "--from-start", "--dry-run", str(tmp_path / "*.log")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, preexec_fn=limit)
    most = [0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            try:
                most[0] = max(most[0], open_fds(p.pid))
            except OSError:
                return
            stop.wait(0.01)
    t = threading.Thread(target=sample)
    t.start()
    try:
        got = []
        for line in p.stdout:
            got.append(json.loads(line)["message"])
            if len(got) == 2 * n:
                break
        # Then a line appended to an early file (its descriptor long closed).
        with open(tmp_path / "0007.log", "a") as f:
            f.write("file 7 c\n")
        got.append(json.loads(p.stdout.readline())["message"])
    finally:
        stop.set()
        t.join()
        p.terminate()
        err = p.communicate(timeout=30)[1].decode()
    assert sorted(got) == sorted(["file %d %s" % (k, c) for k in range(n) for c in "ab"] +
                                 ["file 7 c"]), err
    assert 0 < most[0] <= 256, most[0]
    assert "Traceback" not in err and "Too many open files" not in err, err


def test_a_100_mib_line_is_cut_and_memory_stays_small(api, tmp_path):
    f = tmp_path / "huge.log"
    with open(f, "wb") as out:
        out.write(b"before\n")
        chunk = b"x" * (1 << 20)
        for _ in range(100):
            out.write(chunk)
        out.write(b"\nafter\n")
    # Followed, so that it is still there to be measured: VmHWM is the peak
    # since exec (a child's ru_maxrss would count the forked test runner).
    p = subprocess.Popen([BIN, "-F", "--from-start", "--url", api.url, "--project-id",
                          PROJECT, str(f)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL,
                         env=dict(os.environ, CODEMASH_TOKEN=TOKEN))
    try:
        assert wait_for(lambda: len(api.logs()) == 3, 30)
        status = open("/proc/%d/status" % p.pid).read()
    finally:
        p.terminate()
        err = p.communicate(timeout=30)[1].decode()
    assert p.returncode == 0, err
    assert sorted(len(g["message"]) for g in api.logs()) == [5, 6, 1 << 20]
    assert "lines cut 1" in err
    assert "a line longer than --max-line-bytes was cut to 1048576 bytes" in err
    if not UNDER_ASAN:
        peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
        assert peak < 40 * 1024, "peak RSS %d KiB" % peak


def test_a_file_of_nul_bytes(tmp_path):
    f = tmp_path / "nul.log"
    f.write_bytes(b"\0" * 3000 + b"\n" + b"\0" * (3 << 20))
    p = run(["--dry-run", "--max-line-bytes", "64K", str(f)], token=None)
    bodies = [json.loads(l) for l in p.stdout.decode().splitlines()]
    assert p.returncode == 0, p.stderr
    assert [b["message"] for b in bodies] == ["\0" * 3000, "\0" * 65536]
    assert b"lines cut 1" in p.stderr


def test_a_directory_given_to_follow(tmp_path):
    good = tmp_path / "good.log"
    good.write_text("kept\n")
    d = tmp_path / "logs"
    d.mkdir()
    p = subprocess.Popen([BIN, "-F", "--from-start", "--dry-run", str(d), str(good)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        assert json.loads(p.stdout.readline())["message"] == "kept"
    finally:
        p.terminate()
        err = p.communicate(timeout=30)[1].decode()
    assert "cannot read %s: it is a directory" % d in err, err


def test_a_fifo_is_read_as_a_stream(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    p = subprocess.Popen([BIN, "--dry-run", str(fifo)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    with open(fifo, "w") as w:  # blocks until logmash opens it
        for i in range(1000):
            w.write("through the pipe %d\n" % i)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    assert [json.loads(l)["message"] for l in out.decode().splitlines()] == \
        ["through the pipe %d" % i for i in range(1000)]


def without_dac_override():
    """A root test runner reads any file: the child gives up the capability."""
    return ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", "--"]


def test_a_file_without_read_permission(tmp_path):
    good, locked = tmp_path / "good.log", tmp_path / "locked.log"
    good.write_text("kept\n")
    locked.write_text("secret\n")
    locked.chmod(0)
    p = subprocess.run(without_dac_override() + [BIN, "--dry-run", str(locked), str(good)],
                       capture_output=True, stdin=subprocess.DEVNULL, timeout=30)
    assert p.returncode == 1, p.stderr
    assert [json.loads(l)["message"] for l in p.stdout.decode().splitlines()] == ["kept"]
    assert ("cannot open %s: Permission denied" % locked).encode() in p.stderr, p.stderr


@pytest.fixture
def tiny_disk(tmp_path):
    """A 256 KiB tmpfs for the state directory (root only)."""
    d = tmp_path / "tiny"
    d.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(d)],
                       capture_output=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: %s" % r.stderr.decode().strip())
    yield d
    subprocess.run(["umount", "-l", str(d)], check=True)


def fill(folder):
    with open(folder / "filler", "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass


def test_a_full_state_disk_keeps_the_last_good_checkpoint(api, tmp_path, tiny_disk):
    log = tmp_path / "app.log"
    log.write_text("".join("first %d\n" % i for i in range(50)))
    state = tiny_disk / "state"
    p = run(["--state-dir", str(state), str(log)], api=api)
    assert p.returncode == 0, p.stderr
    assert len(api.logs()) == 50
    before = (state / "checkpoints").read_bytes()

    fill(tiny_disk)
    with open(log, "a") as f:
        f.write("".join("second %d\n" % i for i in range(50)))
    p = run(["--state-dir", str(state), str(log)], api=api)
    err = p.stderr.decode()
    assert "cannot save checkpoints in %s: No space left on device (the old ones stay)" \
        % (state / "checkpoints") \
        in err, err
    assert (state / "checkpoints").read_bytes() == before  # whole, not half written
    assert len(api.logs()) == 100

    # Room again: a restart sends the second half again (at least once),
    # the first half not again.
    os.remove(tiny_disk / "filler")
    p = run(["--state-dir", str(state), str(log)], api=api)
    assert p.returncode == 0, p.stderr
    msgs = [g["message"] for g in api.logs()]
    assert sorted(set(msgs)) == sorted({"first %d" % i for i in range(50)} |
                                       {"second %d" % i for i in range(50)})
    assert all(msgs.count("first %d" % i) == 1 for i in range(50))
    assert (state / "checkpoints").read_bytes() != before


def test_stdin_waits_for_room_in_a_full_spool_disk(api, tmp_path, tiny_disk):
    state = tiny_disk / "state"
    state.mkdir()
    fill(tiny_disk)
    p = subprocess.Popen([BIN, "--url", api.url, "--project-id", PROJECT,
                          "--state-dir", str(state), "-"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         env=dict(os.environ, CODEMASH_TOKEN=TOKEN))
    p.stdin.write("".join("stdin %d\n" % i for i in range(50)).encode())
    p.stdin.close()
    assert not wait_for(lambda: p.poll() is not None, 2)  # it waits, it does not end
    assert api.logs() == []
    os.remove(tiny_disk / "filler")
    p.wait(timeout=30)
    err = p.stderr.read().decode()
    assert p.returncode == 0, err
    assert "cannot write to the spool %s/spool: No space left on device (standard input waits)" \
        % state in err, err
    assert sorted(g["message"] for g in api.logs()) == sorted("stdin %d" % i for i in range(50))
