"""The systemd journal as a source: journal files written here by
systemd-journal-remote from the export format (no journald runs), read
through sd-journal, sent to the stand-in API, the cursor kept as the
checkpoint."""
import collections
import json
import os
import re
import signal
import struct
import subprocess

from conftest import BIN, PROJECT, TOKEN, dry, run, seqs, wait_for

JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"
BOOT = "0123456789abcdef0123456789abcdef"


def export(entries, start=0):
    """Entries (dicts of field to str or bytes) in the journal export format."""
    out = bytearray()
    for n, fields in enumerate(entries, start):
        fields = {"__REALTIME_TIMESTAMP": str(1700000000000000 + n * 1000),
                  "__MONOTONIC_TIMESTAMP": str(n + 1), "_BOOT_ID": BOOT, **fields}
        for k, v in fields.items():
            v = v if isinstance(v, bytes) else str(v).encode()
            if any(c < 32 and c != 9 for c in v) or not _is_utf8(v):
                out += k.encode() + b"\n" + struct.pack("<Q", len(v)) + v + b"\n"
            else:
                out += k.encode() + b"=" + v + b"\n"
        out += b"\n"
    return bytes(out)


def _is_utf8(b):
    try:
        b.decode()
        return True
    except UnicodeDecodeError:
        return False


def write_journal(directory, entries, start=0, name="app.journal"):
    """Appends entries to directory/name (created when missing)."""
    os.makedirs(directory, exist_ok=True)
    src = os.path.join(str(directory), "in.export")
    with open(src, "wb") as f:
        f.write(export(entries, start))
    p = subprocess.run([JOURNAL_REMOTE, "--output=%s" % os.path.join(str(directory), name), src],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    os.unlink(src)


def shop(n, start=0, **extra):
    return [{"MESSAGE": "seq %06d" % i, "PRIORITY": "6", "_SYSTEMD_UNIT": "shop.service",
             "SYSLOG_IDENTIFIER": "shop", "_PID": "42", "_HOSTNAME": "node-1", **extra}
            for i in range(start, start + n)]


def checkpointed(state):
    """How many entries of the (one-file) journal the checkpoint says were
    acknowledged: the seqnum in its cursor."""
    text = (state / "checkpoints").read_text()
    m = re.search(r"^journal \S+ \S*;i=([0-9a-f]+);", text, re.M)
    return int(m.group(1), 16) if m else 0


def test_levels_items_and_fields(tmp_path):
    j = tmp_path / "j"
    entries = [{"MESSAGE": "p%d" % p, "PRIORITY": str(p), "_SYSTEMD_UNIT": "shop.service",
                "SYSLOG_IDENTIFIER": "shop", "_PID": "42", "_HOSTNAME": "node-1",
                "CODE_FILE": "cart.c"} for p in range(8)]
    entries.append({"MESSAGE": "no priority", "SYSLOG_IDENTIFIER": "kernel"})
    write_journal(j, entries)
    enrich = tmp_path / "fields.lua"
    enrich.write_text("""
function enrich(log)
  log.items.file = log.fields.CODE_FILE
  local ok, err = pcall(function() log.fields.CODE_FILE = "x" end)
  log.items.refused = tostring(not ok and err:find("read only") ~= nil)
end
""")
    bodies, p = dry(["--journal-directory", str(j), "-e", str(enrich)])
    assert p.returncode == 0, p.stderr
    levels = [b.get("level") for b in bodies]
    assert levels == ["Error"] * 4 + ["Warning"] + ["Information"] * 3 + [None]
    assert bodies[0]["items"] == {"unit": "shop.service", "identifier": "shop", "pid": "42",
                                  "host": "node-1", "file": "cart.c", "refused": "true"}
    assert bodies[8]["items"] == {"identifier": "kernel", "refused": "true"}


def test_matches_are_journalctls(tmp_path):
    j = tmp_path / "j"
    entries = []
    for unit in ("shop.service", "cart.service", "db.service"):
        for prio in ("3", "6"):
            entries.append({"MESSAGE": "%s %s" % (unit, prio), "PRIORITY": prio,
                            "_SYSTEMD_UNIT": unit})
    write_journal(j, entries)
    # The same field twice ORs; different fields AND.
    bodies, p = dry(["--journal-directory", str(j), "--journal-match", "_SYSTEMD_UNIT=shop.service",
                     "--journal-match", "_SYSTEMD_UNIT=cart.service", "--journal-match", "PRIORITY=3"])
    assert p.returncode == 0, p.stderr
    assert [b["message"] for b in bodies] == ["shop.service 3", "cart.service 3"]
    # The same from the config, beside a file input.
    log = tmp_path / "app.log"
    log.write_text("from the file\n")
    cfg = tmp_path / "config.lua"
    cfg.write_text('inputs = { "%s", { name = "units", journal = { directory = "%s", '
                   'matches = { "_SYSTEMD_UNIT=db.service" } }, items = { team = "data" } } }\n'
                   % (log, j))
    bodies, p = dry(["-c", str(cfg)])
    assert p.returncode == 0, p.stderr
    assert [b["message"] for b in bodies] == ["from the file", "db.service 3", "db.service 6"]
    assert bodies[1]["items"] == {"unit": "db.service", "team": "data"}


def test_mistakes_are_named(tmp_path):
    p = run(["--dry-run", "--journal-match", "_SYSTEMD_UNIT=x"], token=None)
    assert p.returncode == 2 and b"give --journal" in p.stderr, p.stderr
    p = run(["--dry-run", "--journal", "--journal-match", "unit=shop"], token=None)
    assert p.returncode == 2 and b"journal match 'unit=shop' is not FIELD=VALUE" in p.stderr, p.stderr
    cfg = tmp_path / "config.lua"
    cfg.write_text('inputs = { { journal = { directroy = "/x" } }, '
                   '{ journal = true, paths = "/var/log/x.log" }, '
                   '{ journal = { matches = { "PRIORITY" } } }, { journal = true, format = "cri" } }\n')
    p = run(["check", "-c", str(cfg)], token=None)
    err = p.stderr.decode()
    assert p.returncode != 0
    assert "inputs[1]: journal: unknown key 'directroy' (did you mean directory?)" in err, err
    assert "inputs[2]: reads the journal and paths" in err, err
    assert "inputs[3]: journal.matches[1]: journal match 'PRIORITY' is not FIELD=VALUE" in err, err
    assert "inputs[4]: a journal input's entries are whole logs" in err, err


def test_a_binary_message_is_sent_as_text(api, tmp_path):
    j = tmp_path / "j"
    write_journal(j, [{"MESSAGE": b"bad \xff\xfe bytes\x01", "PRIORITY": "4"}])
    p = run(["--journal-directory", str(j)], api=api)
    assert p.returncode == 0, p.stderr
    assert [g["message"] for g in api.logs()] == ["bad \ufffd\ufffd bytes\x01"]
    assert b"not valid in UTF-8, sent as U+FFFD" in p.stderr


def test_the_cursor_resumes_after_what_was_acknowledged(api, tmp_path):
    j, state = tmp_path / "j", tmp_path / "state"
    write_journal(j, shop(100))
    p = run(["--journal-directory", str(j), "--state-dir", str(state)], api=api)
    assert p.returncode == 0, p.stderr
    assert sorted(seqs(api)) == list(range(100))
    assert checkpointed(state) == 100
    write_journal(j, shop(50, 100), 100)
    p = run(["--journal-directory", str(j), "--state-dir", str(state)], api=api)
    assert p.returncode == 0, p.stderr
    assert sorted(seqs(api)) == list(range(150))  # only the new ones the second time


def start(args, api, err):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODEMASH_")}
    env["CODEMASH_TOKEN"] = TOKEN
    return subprocess.Popen([BIN, "--url", api.url, "--project-id", PROJECT, "--no-tui",
                             "--status-interval", "0", *args],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=env)


def test_sigkill_while_sending_loses_nothing(api, tmp_path):
    """A SIGKILL, then a restart: every entry arrives, and only those past
    the checkpoint the killed run left are sent again."""
    j, state = tmp_path / "j", tmp_path / "state"
    n = 20000
    write_journal(j, shop(n))
    api.faults(delay_ms=5)
    with open(tmp_path / "err", "wb") as err:
        proc = start(["-F", "--from-start", "--state-dir", str(state), "--concurrency", "fixed",
                      "--max-in-flight", "16", "--journal-directory", str(j)], api, err)
        try:
            assert wait_for(lambda: len(api.logs()) >= 500, 30), (tmp_path / "err").read_text()
        finally:
            proc.kill()  # SIGKILL
            proc.wait()
    done = checkpointed(state)
    first = seqs(api)
    assert done <= len(first) and set(range(done)) <= set(first)
    api.faults()
    p = run(["--journal-directory", str(j), "--state-dir", str(state)], api=api, timeout=120)
    assert p.returncode == 0, p.stderr
    got = seqs(api)
    assert sorted(set(got)) == list(range(n))  # none lost
    again = [s for s, c in collections.Counter(got).items() if c > 1]
    assert all(s >= done for s in again), (done, min(again))


def test_following_sends_entries_as_they_are_appended(api, tmp_path):
    j, state = tmp_path / "j", tmp_path / "state"
    write_journal(j, shop(10))
    with open(tmp_path / "err", "wb") as err:
        proc = start(["-F", "--state-dir", str(state), "--journal-directory", str(j)], api, err)
        try:
            assert wait_for(lambda: b"following journal journal from its end" in
                            (tmp_path / "err").read_bytes(), 10), (tmp_path / "err").read_text()
            write_journal(j, shop(5, 10), 10)
            assert wait_for(lambda: len(api.logs()) >= 5, 10), (tmp_path / "err").read_text()
            # The first run started at the end: what was there is not sent.
            assert sorted(seqs(api)) == list(range(10, 15))
            st = subprocess.run([BIN, "status", "--json", "--state-dir", str(state)],
                                capture_output=True, timeout=10)
            assert st.returncode == 0, st.stderr
            src = [s for s in json.loads(st.stdout)["sources"] if s["path"].startswith("journal")]
            assert src and src[0]["path"] == "journal:%s" % j and src[0]["lines"] == 5, src
            assert src[0]["state"] == "following", src
        finally:
            proc.terminate()
            proc.wait(15)
    assert proc.returncode == 0


def test_a_vacuumed_cursor_starts_at_the_oldest_entry(api, tmp_path):
    j, state = tmp_path / "j", tmp_path / "state"
    write_journal(j, shop(20), name="old.journal")
    p = run(["--journal-directory", str(j), "--state-dir", str(state)], api=api)
    assert p.returncode == 0, p.stderr
    # journald's vacuum deletes whole files, the oldest first.
    write_journal(j, shop(30, 20), 20, name="new.journal")
    os.unlink(j / "old.journal")
    p = run(["--journal-directory", str(j), "--state-dir", str(state)], api=api)
    # Entries between went with the file: exit 1, as for an input not read.
    assert p.returncode == 1, p.stderr
    assert b"no longer in the journal" in p.stderr and b"reading from the oldest entry" in p.stderr
    assert sorted(seqs(api)) == list(range(50))


def test_a_first_run_at_the_end_keeps_its_place(api, tmp_path):
    """Joining at the end is a position: killed before anything was
    acknowledged, the next start sends what came meanwhile."""
    j, state = tmp_path / "j", tmp_path / "state"
    write_journal(j, shop(10))
    with open(tmp_path / "err", "wb") as err:
        proc = start(["-F", "--state-dir", str(state), "--journal-directory", str(j)], api, err)
        try:
            assert wait_for(lambda: (state / "checkpoints").exists() and checkpointed(state) == 10,
                            10), (tmp_path / "err").read_text()
        finally:
            proc.kill()
            proc.wait()
    write_journal(j, shop(5, 10), 10)
    p = run(["--journal-directory", str(j), "--state-dir", str(state)], api=api)
    assert p.returncode == 0, p.stderr
    assert sorted(seqs(api)) == list(range(10, 15))


def both(a, b):
    """a.service's entries a..b-1 and b.service's a+100..b+99, in turn."""
    return [e for pair in zip(shop(b - a, a, _SYSTEMD_UNIT="a.service"),
                              shop(b - a, a + 100, _SYSTEMD_UNIT="b.service")) for e in pair]


def test_a_reload_applies_new_matches_from_the_checkpoint(api, tmp_path):
    j, state = tmp_path / "j", tmp_path / "state"
    write_journal(j, both(0, 5))
    cfg = tmp_path / "config.lua"
    conf = ('inputs = { { name = "units", journal = { directory = "%s", '
            'matches = { "_SYSTEMD_UNIT=%%s" } } } }\n' % j)
    cfg.write_text(conf % "a.service")
    err = tmp_path / "err"
    with open(err, "wb") as f:
        proc = start(["-F", "--from-start", "--state-dir", str(state), "-c", str(cfg)], api, f)
        try:
            assert wait_for(lambda: len(api.logs()) == 5, 10), err.read_text()
            assert sorted(seqs(api)) == list(range(5))
            cfg.write_text(conf % "b.service")
            proc.send_signal(signal.SIGHUP)
            assert wait_for(lambda: b"journal units reads other entries now" in err.read_bytes(),
                            10), err.read_text()
            write_journal(j, both(5, 6), 10)
            assert wait_for(lambda: {104, 105} <= set(seqs(api)), 10), err.read_text()
            # From the checkpoint (a's entry 4) on, b's entries: 104 was
            # written after it, 105 now; b's before it are not read again,
            # nor a's 5.
            assert sorted(seqs(api)) == [0, 1, 2, 3, 4, 104, 105]
        finally:
            proc.terminate()
            proc.wait(15)
    assert proc.returncode == 0, err.read_text()
