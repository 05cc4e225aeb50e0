"""logmash.throttle, sample and dedupe as scripts use them, and
scripts/throttle.lua. The exact counts under a clock of the test's own are
tests/unit/test_volume.c's; here: what a script sees, its mistakes named,
each script's keys its own, the bound, and the counts shown."""
import json
import time

from conftest import dry, run, script, wait_for


def lua(tmp_path, name, body):
    p = tmp_path / name
    p.write_text(body)
    return str(p)


def test_sample_and_dedupe_answer_per_script(tmp_path):
    a = lua(tmp_path, "a.lua", """
function enrich(log)
  log.items.a = tostring(logmash.sample(log.message, 3))
end""")
    b = lua(tmp_path, "b.lua", """
function enrich(log)
  local first, repeats = logmash.dedupe(log.message, 3600)
  log.items.b = tostring(first) .. "/" .. repeats
end""")
    bodies, p = dry(["-e", a, "-e", b, "-"], input="x\nx\ny\nx\nx\n")
    assert [(l["items"]["a"], l["items"]["b"]) for l in bodies] == [
        ("true", "true/0"), ("false", "false/0"), ("true", "true/0"), ("false", "false/0"),
        ("true", "false/0")]
    # The same key in another script is another key: b's own sample starts afresh.
    c = lua(tmp_path, "c.lua", """
function enrich(log) log.items.c = tostring(logmash.sample(log.message, 3)) end""")
    bodies, _ = dry(["-e", a, "-e", c, "-"], input="x\nx\n")
    assert [(l["items"]["a"], l["items"]["c"]) for l in bodies] == [("true", "true"),
                                                                    ("false", "false")]


def test_keys_are_bounded_least_recently_used_first(tmp_path):
    s = lua(tmp_path, "d.lua", """
function filter(log) return (logmash.dedupe(log.message, 3600)) end""")
    lines = "a\nb\na\nc\nb\na\n"
    bodies, _ = dry(["-f", s, "-"], input=lines)
    assert [l["message"] for l in bodies] == ["a", "b", "c"]
    # Two keys at most: c pushes out b (a was used since), then b pushes out a.
    bodies, _ = dry(["--volume-keys-max", "2", "-f", s, "-"], input=lines)
    assert [l["message"] for l in bodies] == ["a", "b", "c", "b", "a"]


def test_a_wrong_argument_is_named(tmp_path):
    s = lua(tmp_path, "bad.lua", """
function filter(log) return (logmash.throttle("k", -1)) end""")
    p = run(["check", "-f", s], input=b"x\n", token=None)
    out = p.stdout.decode()
    assert "bad argument #2 to 'throttle' (per_second must be a number above 0 or 0)" in out, out
    s = lua(tmp_path, "bad2.lua", """
function filter(log) return (logmash.sample("k", 0)) end""")
    out = run(["check", "-f", s], input=b"x\n", token=None).stdout.decode()
    assert "bad argument #2 to 'sample' (n must be 1 or more)" in out, out


def test_check_counts_what_each_script_kept_and_dropped(tmp_path):
    s = lua(tmp_path, "s.lua", """
function filter(log) return logmash.sample("all", 4) end""")
    out = run(["check", "-q", "-f", s], input=b"l\n" * 10, token=None).stdout.decode()
    assert "throttle, sample and dedupe: 3 kept, 7 dropped" in out, out


def test_throttle_lua_keeps_errors_and_says_how_many_it_dropped(api, service):
    svc = service("-e", script("levels.lua"), "-e", script("throttle.lua"))
    with open(svc.log, "a") as f:
        f.write("".join("GET /api/items/%d took %d ms\n" % (i, i % 7) for i in range(200)))
        f.write("".join("ERROR payment %d failed\n" % i for i in range(50)))

    def status():
        p = run(["status", "--state-dir", str(svc.state), "--json"], token=None)
        return json.loads(p.stdout) if p.stdout else {}
    assert wait_for(lambda: status().get("read") == 250 and status()["undelivered"] == 0, 20)
    time.sleep(0.2)  # 10 a second: a token back after 0.1 s
    with open(svc.log, "a") as f:
        f.write("GET /api/items/999 took 1 ms\n")
    assert wait_for(lambda: any("999" in l["message"] for l in api.logs()), 20)
    st = status()
    assert svc.stop() == 0
    logs = api.logs()
    gets = [l for l in logs if l["message"].startswith("GET")]
    errors = [l for l in logs if l.get("level") == "Error"]
    assert len(errors) == 50  # every error kept, never throttled
    # 10 a second, a burst of 20: far fewer than 200 went through...
    assert 20 <= len(gets) < 150
    # ...and whoever counts them can add back what was dropped.
    dropped = sum(int((l.get("items") or {}).get("throttled", 0)) for l in gets)
    assert len(gets) + dropped == 201
    last = [l for l in gets if "999" in l["message"]][0]
    assert int(last["items"]["throttled"]) > 0
    # The script's answers, as status shows them.
    thr = [x for x in st["scripts"] if x["path"].endswith("throttle.lua")][0]
    assert thr["volume_kept"] == len(gets) and thr["volume_dropped"] == dropped
