"""Input: whatever bytes arrive, every line becomes one valid log, and nothing is lost."""
import os

import pytest

from conftest import SHARED, dry, run


def test_invalid_utf8_and_nul_bytes_arrive_as_valid_json(api):
    p = run(["--max-in-flight", "1", "-"], api=api,
            input=b"caf\xc3\xa9 \xff\xfe bad\nnul\x00inside\nctl\x01\x1b[31m\n")
    assert p.returncode == 0, p.stderr
    got = [g["message"] for g in api.logs()]
    assert got == ["caf\u00e9 \ufffd\ufffd bad", "nul\x00inside", "ctl\x01\x1b[31m"]
    assert '"nul\\u0000inside"' in api.logs()[1]["raw"]


def test_crlf_empty_lines_and_missing_final_newline(api):
    p = run(["--max-in-flight", "1", "-"], api=api, input=b"a\r\n\r\n\nb\r\nlast")
    assert p.returncode == 0, p.stderr
    assert [g["message"] for g in api.logs()] == ["a", "b", "last"]
    assert b"read 3," in p.stderr and b"empty lines 2\n" in p.stderr  # skipped, and said


def test_empty_lines_are_counted_not_sent(api, tmp_path):
    f = tmp_path / "ten.log"
    f.write_text("1\n2\n\n4\n5\n\n7\n8\n9\n10\n")
    p = run([str(f)], api=api)
    assert p.returncode == 0, p.stderr
    assert len(api.logs()) == 8
    assert b"read 8," in p.stderr and b"empty lines 2\n" in p.stderr


def test_a_5_mib_line_is_cut_at_max_line_bytes(api, tmp_path):
    f = tmp_path / "big.log"
    f.write_bytes(b"before\n" + b"x" * (5 << 20) + b"\nafter\n")
    p = run([str(f)], api=api)
    assert p.returncode == 0, p.stderr
    got = api.logs()
    assert sorted(len(g["message"]) for g in got) == [5, 6, 1 << 20]
    assert b"lines cut 1" in p.stderr
    assert b"a line longer than --max-line-bytes was cut to 1048576 bytes" in p.stderr


def test_max_line_bytes_option_and_utf8_boundary():
    bodies, p = dry(["--max-line-bytes", "5", "-"], input="abcd\u00e9fgh\nok\n")
    assert p.returncode == 0
    assert [b["message"] for b in bodies] == ["abcd", "ok"]  # é is not split


def test_empty_file_sends_nothing_and_succeeds(api, tmp_path):
    f = tmp_path / "empty.log"
    f.write_bytes(b"")
    p = run([str(f)], api=api)
    assert p.returncode == 0, p.stderr
    assert api.stats()["requests"] == 0
    assert b"read 0" in p.stderr


def test_several_inputs_in_order_with_their_source(api, tmp_path):
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_text("a1\na2\n")
    b.write_text("b1\n")
    src = tmp_path / "src.lua"
    src.write_text("function enrich(log) log.items.source = log.source; log.items.line = log.line end")
    p = run(["--max-in-flight", "1", "-e", str(src), str(a), "-", str(b)], api=api, input="s1\n")
    assert p.returncode == 0, p.stderr
    got = [(g["message"], g["items"]["source"], g["items"]["line"]) for g in api.logs()]
    assert got == [("a1", str(a), "1"), ("a2", str(a), "2"), ("s1", "-", "1"), ("b1", str(b), "1")]


def test_unreadable_inputs_are_reported_and_the_rest_still_sent(api, tmp_path):
    good = tmp_path / "good.log"
    good.write_text("kept\n")
    p = run([str(tmp_path / "missing.log"), str(tmp_path), str(good)], api=api)
    assert p.returncode == 1
    err = p.stderr.decode()
    assert "cannot open %s: No such file or directory" % (tmp_path / "missing.log") in err
    assert "cannot read %s: it is a directory" % tmp_path in err
    assert [g["message"] for g in api.logs()] == ["kept"]


def test_dry_run_writes_bodies_and_sends_nothing(tmp_path):
    bodies, p = dry(["-"], input="one\ntwo\n")
    assert p.returncode == 0
    assert bodies == [{"message": "one"}, {"message": "two"}]
    assert b"dry run: nothing sent" in p.stderr


@pytest.mark.skipif(not os.path.isdir(os.path.join(SHARED, "loghub")), reason="no ../shared/loghub")
@pytest.mark.parametrize("name", ["Apache", "Windows", "Mac", "Thunderbird", "OpenStack"])
def test_real_logs_one_log_a_nonempty_line(name):
    path = os.path.join(SHARED, "loghub", "%s_2k.log" % name)
    with open(path, "rb") as f:
        raw = f.read()
    lines = [l.rstrip(b"\r") for l in raw.split(b"\n")]
    want = [l.decode("utf-8", "replace") for l in lines if l]
    bodies, p = dry([path])
    assert p.returncode == 0
    assert [b["message"] for b in bodies] == want


PYTHON_LOG = """2026-11-30 10:00:00,001 INFO app: started
2026-11-30 10:00:01,002 ERROR app: payment failed
Traceback (most recent call last):
  File "app.py", line 10, in pay
    charge(order)
ValueError: card declined
2026-11-30 10:00:02,003 INFO app: next
"""

JAVA_LOG = """2026-11-30T10:00:00.001Z INFO  [main] c.e.App - started
2026-11-30T10:00:01.002Z ERROR [main] c.e.App - request failed
java.lang.IllegalStateException: boom
\tat com.example.App.handle(App.java:42)
\tat com.example.App.main(App.java:7)
Caused by: java.io.IOException: broken pipe
\tat com.example.Net.send(Net.java:99)
\t... 2 more
2026-11-30T10:00:02.003Z INFO  [main] c.e.App - next
"""

LEVEL_FIRST = """INFO started
ERROR: payment failed
Traceback (most recent call last):
  File "app.py", line 10, in pay
ValueError: card declined
WARNING slow
"""


@pytest.mark.parametrize("pattern,text,errors", [
    (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T]", PYTHON_LOG, "ValueError: card declined"),
    (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T]", JAVA_LOG, "\t... 2 more"),
    (r"^(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|CRITICAL|FATAL)[ :]", LEVEL_FIRST,
     "ValueError: card declined"),
])
def test_the_documented_multiline_patterns_keep_a_trace_with_its_error(pattern, text, errors):
    """The patterns docs/operations.md gives: three records, the whole trace
    in the ERROR one, ending with its last line."""
    logs, p = dry(["--multiline-start", pattern, "-"], input=text)
    assert p.returncode == 0, p.stderr
    assert len(logs) == 3, [l["message"] for l in logs]
    error = logs[1]["message"]
    assert "ERROR" in error.split("\n")[0] and error.endswith(errors), error
    assert "Traceback" in error or "Caused by" in error
