"""Scripts: the chain's contract, failures that lose nothing, and the example scripts."""
import csv
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import BIN, PROJECT, SHARED, TOKEN, dry, run, script, wait_for


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_syntax_error_stops_startup_with_file_and_line(api, tmp_path):
    bad = write(tmp_path, "bad.lua", "function filter(log)\n  return log.message ==\nend\n")
    p = run(["-f", bad, "-"], api=api, input="x\n")
    assert p.returncode == 2
    assert b"script failed to load: " in p.stderr and b"bad.lua:3:" in p.stderr
    assert api.stats()["requests"] == 0


def test_missing_function_and_missing_file(tmp_path):
    s = write(tmp_path, "s.lua", "function enrich(log) end")
    _, p = dry(["-f", s, "-"], input="x\n")
    assert p.returncode == 2
    assert b"defines no function filter(log)" in p.stderr
    _, p = dry(["-e", str(tmp_path / "nope.lua"), "-"], input="x\n")
    assert p.returncode == 2
    assert b"cannot open" in p.stderr


def test_runtime_error_fails_that_script_for_that_log_only(api, tmp_path):
    first = write(tmp_path, "first.lua", "function enrich(log) log.items.first = 'yes' end")
    flaky = write(tmp_path, "flaky.lua",
                  "function enrich(log)\n"
                  "  log.items.flaky = 'touched'\n"
                  "  if log.message:find('boom') then error('cannot parse ' .. log.message) end\n"
                  "  log.level = 'warn'\n"
                  "end\n")
    p = run(["-e", first, "-e", flaky, "-"], api=api, input="ok 1\nboom 2\nok 3\n")
    assert p.returncode == 0, p.stderr
    got = {g["message"]: g for g in api.logs()}
    assert got["boom 2"]["items"] == {"first": "yes"}  # as it entered flaky.lua
    assert got["boom 2"]["level"] is None
    assert got["ok 1"]["items"] == {"first": "yes", "flaky": "touched"}
    assert got["ok 3"]["level"] == "Warning"
    assert b"flaky.lua:3: cannot parse boom 2" in p.stderr
    assert b"script errors 1" in p.stderr
    assert b'flaky.lua failed 1 of 3 calls; the last: ' in p.stderr
    assert b'cannot parse boom 2 (line 2: "boom 2")' in p.stderr


def test_an_endless_loop_fails_that_log_only_and_the_rest_flows(api, tmp_path):
    s = write(tmp_path, "spin.lua",
              "function enrich(log)\n"
              "  log.items.seen = 'yes'\n"
              "  if log.message:find('spin') then while true do end end\n"
              "end\n")
    lines = "".join("spin %d\n" % i if i % 10 == 0 else "ok %d\n" % i for i in range(200))
    p = run(["-e", s, "-"], api=api, input=lines, timeout=30)
    assert p.returncode == 0, p.stderr
    got = {g["message"]: g for g in api.logs()}
    assert len(got) == 200  # every log, the looping ones as they entered the script
    assert got["spin 10"]["items"] is None and got["ok 11"]["items"] == {"seen": "yes"}
    err = p.stderr.decode()
    assert "spin.lua:3: ran over its instruction budget (--script-budget 100000)" in err
    assert "script errors 20" in err
    assert err.count("instruction budget") <= 3  # counted, not flooded


def test_bad_level_is_an_error_for_that_log_never_sent(api, tmp_path):
    s = write(tmp_path, "lvl.lua", "function enrich(log) log.level = log.message end")
    p = run(["--max-in-flight", "1", "-e", s, "-"], api=api, input="FATAL\nverbose\nloud\nWarning\n")
    assert p.returncode == 0, p.stderr
    assert [(g["message"], g["level"]) for g in api.logs()] == [
        ("FATAL", "Error"), ("verbose", "Information"), ("loud", None), ("Warning", "Warning")]
    assert b'log.level "loud" is not a level' in p.stderr


def test_repeated_errors_are_counted_not_flooded(tmp_path):
    s = write(tmp_path, "err.lua", "function enrich(log) error('always') end")
    _, p = dry(["-e", s, "-"], input="x\n" * 5000)
    assert p.returncode == 0
    assert p.stderr.decode().count("always") <= 3
    assert b"script errors 5000" in p.stderr


def test_distinct_errors_are_rate_limited(tmp_path):
    s = write(tmp_path, "err.lua", "function enrich(log) error('bad line ' .. log.line) end")
    _, p = dry(["-e", s, "-"], input="x\n" * 5000)
    assert p.returncode == 0
    err = p.stderr.decode()
    assert err.count("bad line") <= 25
    assert "more error reports were not printed" in err
    assert "script errors 5000" in err


def test_filter_drop_and_enrich_false_drop():
    f = script("drop_noise.lua")
    bodies, p = dry(["-f", f, "-"], input="GET /healthz 200\n10:00 DEBUG chatter\n10:00 INFO real\n")
    assert [b["message"] for b in bodies] == ["10:00 INFO real"]
    assert b"dropped 2" in p.stderr


def test_sandbox_blocks_process_execution(tmp_path):
    s = write(tmp_path, "x.lua", "function enrich(log) os.execute('touch %s/pwned') end" % tmp_path)
    bodies, p = dry(["-e", s, "-"], input="x\n")
    assert bodies == [{"message": "x"}]
    assert not (tmp_path / "pwned").exists()
    assert b"x.lua:1: os.execute is not allowed in logmash's sandbox (--unsafe-scripts lifts it)" in p.stderr
    bodies, p = dry(["--unsafe-scripts", "-e", s, "-"], input="x\n")
    assert (tmp_path / "pwned").exists()


@pytest.mark.parametrize("call,says", [
    ("os.execute('true')", "os.execute is not allowed"),
    ("io.popen('true')", "io.popen is not allowed"),
    ("os.exit(0)", "os.exit is not allowed"),
    ("os.remove('/tmp/x')", "os.remove is not allowed"),
    ("os.rename('/tmp/x', '/tmp/y')", "os.rename is not allowed"),
    ("package.loadlib('libc.so.6', 'puts')", "package.loadlib is not allowed"),
    ("debug.sethook()", "the debug library is not allowed"),
    ("require('socket.core')", "module 'socket.core' not found"),
    ("assert(load(string.dump(function() end)))", "attempt to load a binary chunk"),
])
def test_each_forbidden_call_fails_with_a_clear_message(tmp_path, call, says):
    s = write(tmp_path, "x.lua", "function enrich(log) %s end" % call)
    bodies, p = dry(["-e", s, "-"], input="x\n")
    assert bodies == [{"message": "x"}]  # the log goes on
    assert says.encode() in p.stderr, p.stderr


def both_logs_pass_an_enrich_of(tmp_path, body, *flags):
    """Runs an enrich(log) of body over two logs, which must come out as
    they went in, whatever the script does; returns the process."""
    s = write(tmp_path, "x.lua", "function enrich(log)\n%s\nend\n" % body)
    p = run(["--dry-run", *flags, "-e", s, "-"], input="a\nb\n", token=None, timeout=30)
    assert p.returncode == 0, p.stderr
    assert [json.loads(l) for l in p.stdout.decode().splitlines()] == \
        [{"message": "a"}, {"message": "b"}]
    return p


@pytest.mark.parametrize("loop,says", [
    ("while true do pcall(function() while true do end end) end", "instruction budget"),
    ("while true do xpcall(function() while true do end end, function(e) return e end) end",
     "instruction budget"),
    ("while true do pcall(error) end", "instruction budget"),
    ("coroutine.wrap(function() while true do end end)()", "instruction budget"),
    ("local co = coroutine.create(function() while true do end end)\n"
     "while true do coroutine.resume(co) end", "instruction budget"),
    # The collector runs finalizers where no budget reaches.
    ("setmetatable({}, {__gc = function() while true do end end}) collectgarbage()",
     "a __gc metamethod is not allowed"),
])
def test_a_runaway_call_cannot_catch_its_way_past_the_budget(tmp_path, loop, says):
    p = both_logs_pass_an_enrich_of(tmp_path, loop, "--script-budget", "1000000")
    assert says.encode() in p.stderr, p.stderr
    assert b"script errors 2" in p.stderr


def test_coroutines_and_pcall_still_work_within_the_budget(tmp_path):
    s = write(tmp_path, "x.lua",
              "function enrich(log)\n"
              "  local co = coroutine.wrap(function() for i = 1, 3 do pcall(coroutine.yield, i) end end)\n"
              "  local ok = pcall(error, 'caught')\n"
              "  log.items.sum = co() + co() + co()\n"
              "  log.items.ok = tostring(ok)\n"
              "end\n")
    bodies, p = dry(["-e", s, "-"], input="x\n")
    assert bodies == [{"message": "x", "items": {"sum": "6", "ok": "false"}}], p.stderr


def test_one_script_cannot_change_what_the_next_one_sees(tmp_path):
    """The chain shares one Lua state: a filter must not be able to turn the
    redaction after it off by replacing string functions or metatables."""
    attempts = [
        "string.gsub = function(s) return s, 0 end",
        "getmetatable('').__index = {gsub = function(s) return s, 0 end}",
        "require('string').gsub = function(s) return s, 0 end",
        "package.loaded.string = {}",
        "load('string = {}')()",
        "logmash.json_decode = nil",
        "rawset(string, 'gsub', function(s) return s, 0 end)",
        "rawset(load('return _G')(), 'string', {})",
    ]
    body = "".join("  logmash.log(select(2, pcall(function() %s end)))\n" % a for a in attempts)
    evil = write(tmp_path, "evil.lua", "function filter(log)\n%s  _G.string = {}\n"
                 "  x = 1\n  return true\nend\n" % body)
    bodies, p = dry(["-f", evil, "-e", script("redact.lua"), "-"],
                    input="login password=hunter2 ok\n")
    assert "hunter2" not in bodies[0]["message"], bodies
    err = p.stderr.decode()
    for lib in ["the string library", "package.loaded", "the logmash library",
                "the shared global environment (a chunk from load() or require())"]:
        assert "%s is shared by every script and cannot be changed" % lib in err, err
    assert "attempt to index a boolean value" in err  # getmetatable("") is false
    assert err.count("rawset: a library or the shared global environment is shared") == 2
    assert "script errors 0" in err  # what it does to its own globals is its own


def test_collectgarbage_cannot_take_memory_past_the_limit(tmp_path):
    s = write(tmp_path, "x.lua",
              "function enrich(log)\n"
              "  collectgarbage('stop')\n"
              "  collectgarbage('incremental', 0, 0, 0)\n"
              "  collectgarbage('setpause', -1)\n"
              "  local t = {}\n"
              "  for i = 1, 1000 do t[i] = string.rep('x', 1000) .. i end\n"
              "  log.items.kb = string.format('%d', math.floor(collectgarbage('count')))\n"
              "end\n")
    lines = "".join("line %d\n" % i for i in range(200))  # 200 MB allocated in all
    proc = subprocess.Popen([BIN, "--dry-run", "--script-memory", "16M", "-e", s, "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(lines.encode(), timeout=60)
    bodies = [json.loads(l) for l in out.decode().splitlines()]
    assert len(bodies) == 200, err
    assert max(int(b["items"]["kb"]) for b in bodies) <= 16 * 1024
    assert b"script errors 0" in err


@pytest.mark.parametrize("call,says", [
    ("local function f(n) return f(n + 1) + 1 end f(1)", "instruction budget"),
    ("local t = setmetatable({}, {__index = function(t, k) return t[k] end}) local _ = t.x",
     "stack overflow"),
    ("local function g(s) return (s:gsub('.', g)) end g('ab')", "stack overflow"),
    ("tostring(setmetatable({}, {__tostring = function(t) return tostring(t) end}))",
     "stack overflow"),
    ("coroutine.wrap(function() local function f() return f() + 1 end f() end)()",
     "instruction budget"),
    ("local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 1e6) .. i end",
     "out of memory (the Lua state is at its limit: raise --script-memory)"),
    ("error(select(2, logmash.json_decode(string.rep('[', 100000) .. string.rep(']', 100000))))",
     "json_decode: nested too deeply"),
    ("error(select(2, logmash.json_decode(string.rep('{\"a\":', 100000) .. '1' .. string.rep('}', 100000))))",
     "json_decode: nested too deeply"),
    ("local t = {} t.a = t error(select(2, logmash.json_encode(t)))",
     "json_encode: nested too deeply (or a table that contains itself)"),
])
def test_deep_recursion_fails_that_log_without_a_crash(tmp_path, call, says):
    p = both_logs_pass_an_enrich_of(tmp_path, call, "--script-memory", "64M")
    assert says.encode() in p.stderr, p.stderr


def test_init_runs_once_and_may_read_files(tmp_path):
    table = write(tmp_path, "users.txt", "7 alice\n9 bob\n")
    s = write(tmp_path, "lookup.lua",
              "local users = {}\n"
              "function init()\n"
              "  for l in io.lines(%r) do local id, n = l:match('(%%d+) (%%a+)'); users[id] = n end\n"
              "end\n"
              "function enrich(log) log.items.user = users[log.message:match('uid=(%%d+)')] end\n" % table)
    bodies, _ = dry(["-e", s, "-"], input="uid=9 login\nuid=1 login\n")
    assert bodies == [{"message": "uid=9 login", "items": {"user": "bob"}}, {"message": "uid=1 login"}]


def test_json_items_example():
    lines = [
        '{"ts":"2026-11-26T10:00:00Z","level":"warn","msg":"disk low","disk":{"free":12},"ok":false}',
        '{"message":"plain","severity":"ERROR","user":{"id":7,"tags":["a"]}}',
        'not json at all',
        '{"msg": "broken json"',
    ]
    bodies, p = dry(["-e", script("json_items.lua"), "-"], input="\n".join(lines) + "\n")
    assert p.returncode == 0
    assert bodies[0] == {"message": "disk low", "level": "Warning",
                         "items": {"ts": "2026-11-26T10:00:00Z", "disk.free": "12", "ok": "false"}}
    assert bodies[1] == {"message": "plain", "level": "Error", "items": {"user.id": "7", "user.tags.1": "a"}}
    assert bodies[2] == {"message": "not json at all"}
    assert bodies[3] == {"message": '{"msg": "broken json"'}


def test_add_host_example(tmp_path):
    f = write(tmp_path, "a.log", "hello\n")
    bodies, _ = dry(["-e", script("add_host.lua"), f])
    assert bodies[0]["items"] == {"host": os.uname().nodename, "file": f}
    p = run(["--dry-run", "-e", script("add_host.lua"), f], token=None,
            env={"LOGMASH_ENV": "staging"})
    assert json.loads(p.stdout)["items"]["env"] == "staging"


def test_redact_example():
    lines = {
        "login user=bob password=hunter2 ok": "login user=bob password=[REDACTED] ok",
        "db_password: s3cr3t; retry": "db_password: [REDACTED]; retry",
        '{"user":"bob","api_key":"AKIA123456","n":1}': '{"user":"bob","api_key":"[REDACTED]","n":1}',
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc-_x": "Authorization: Bearer [REDACTED]",
        "paid with 4111 1111 1111 1111 at 10:00": "paid with [CARD] at 10:00",
        "card 4012-8888-8888-1881 refunded": "card [CARD] refunded",
        # not card numbers (the Luhn check fails), not secrets
        "order 1234567890123456 shipped": "order 1234567890123456 shipped",
        "nothing secret here, token count 5": "nothing secret here, token count 5",
    }
    bodies, p = dry(["-e", script("json_items.lua"), "-e", script("redact.lua"), "-"],
                    input="\n".join(lines) + '\n{"msg":"hi","client_secret":"x1","card":"4111111111111111"}\n')
    assert p.returncode == 0 and b"script errors 0" in p.stderr
    assert [b["message"] for b in bodies[:len(lines)]] == list(lines.values())
    assert bodies[-1]["items"] == {"client_secret": "[REDACTED]", "card": "[CARD]"}


def test_sample_example():
    lines = ["GET /api/status 200"] * 250 + ["real work %d" % i for i in range(5)] + ["cache hit k"] * 30
    bodies, p = dry(["-f", script("sample.lua"), "-"], input="\n".join(lines) + "\n")
    assert p.returncode == 0
    status = [b for b in bodies if "status" in b["message"]]
    assert len(status) == 3 and all(b["items"] == {"sampled": "1/100"} for b in status)
    assert sum("cache hit" in b["message"] for b in bodies) == 3
    assert sum("real work" in b["message"] for b in bodies) == 5


def test_levels_example_on_common_formats():
    lines = {
        "2026-11-26 10:00:01,123 WARN  [main] c.e.App - slow": "Warning",
        "[Sun Dec 04 04:47:44 2005] [error] mod_jk child in error state": "Error",
        "03-17 16:13:38.811  1702  2395 E Tag: failed": "Error",
        "ERROR:root:Traceback follows": "Error",
        "time=2026 level=info msg=started": "Information",
        "<11>Nov 26 10:00:00 host app: kaput": "Error",
        '10.0.0.1 - - [26/Nov/2026:10:00:00 +0000] "GET /x HTTP/1.1" 503 12 "-" "curl"': "Error",
        '10.0.0.1 - - [26/Nov/2026:10:00:00 +0000] "GET /x HTTP/1.1" 404 12 "-" "curl"': "Warning",
        "nothing to see here": None,
    }
    bodies, p = dry(["-e", script("levels.lua"), "-"], input="\n".join(lines) + "\n")
    assert p.returncode == 0
    assert [b.get("level") for b in bodies] == list(lines.values())


ALIASES = {"info": "Information", "debug": "Information", "trace": "Information",
           "notice": "Information", "i": "Information", "d": "Information", "v": "Information",
           "warn": "Warning", "warning": "Warning", "w": "Warning",
           "error": "Error", "err": "Error", "fatal": "Error", "severe": "Error",
           "critical": "Error", "e": "Error", "f": "Error"}


@pytest.mark.skipif(not os.path.isdir(os.path.join(SHARED, "loghub")), reason="no ../shared/loghub")
@pytest.mark.parametrize("name", ["Hadoop", "Spark", "Zookeeper", "OpenStack", "Android",
                                  "Apache", "HDFS", "Windows", "BGL"])
def test_levels_example_agrees_with_loghub(name, tmp_path):
    """levels.lua against the levels loghub parsed by hand, line by line."""
    base = os.path.join(SHARED, "loghub", "%s_2k.log" % name)
    line_no = write(tmp_path, "n.lua", "function enrich(log) log.items.n = log.line end")
    bodies, p = dry(["-e", script("levels.lua"), "-e", line_no, base])
    assert p.returncode == 0
    got = {int(b["items"]["n"]): b.get("level") for b in bodies}
    with open(base + "_structured.csv", encoding="utf-8", errors="replace") as f:
        rows = list(csv.DictReader(f))
    wrong = [(r["LineId"], r["Level"], got.get(int(r["LineId"])))
             for r in rows if ALIASES.get(r["Level"].strip().lower()) != got.get(int(r["LineId"]))]
    assert wrong == [], wrong[:5]


def test_sighup_reloads_scripts_and_keeps_the_old_chain_when_broken(api, tmp_path):
    s = write(tmp_path, "v.lua", "function enrich(log) log.items.v = '1' end")
    log = tmp_path / "app.log"
    log.touch()
    env = dict(os.environ, CODEMASH_TOKEN=TOKEN)
    proc = subprocess.Popen([BIN, "--url", api.url, "--project-id", PROJECT, "--max-in-flight", "1",
                             "-F", "-e", s, str(log)], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.3)

    def write_lines(a, b):
        with open(log, "a") as f:
            f.write("".join("seq %d\n" % i for i in range(a, b)))
        assert wait_for(lambda: len(api.logs()) >= b, 10)

    write_lines(0, 100)
    with open(s, "w") as f:
        f.write("function enrich(log) log.items.v = '2' end")
    proc.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    write_lines(100, 200)
    with open(s, "w") as f:
        f.write("function enrich(log) log.items.v = \n")  # a syntax error
    proc.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    write_lines(200, 300)
    proc.send_signal(signal.SIGTERM)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=20) == 0, err
    got = [(int(g["message"].split()[1]), g["items"]["v"]) for g in api.logs()]
    assert sorted(n for n, _ in got) == list(range(300))  # none lost, none twice
    assert {v for n, v in got if n < 100} == {"1"}
    assert {v for n, v in got if n >= 100} == {"2"}  # the broken reload kept version 2
    assert "SIGHUP: scripts reloaded (1)" in err
    assert "the scripts were not reloaded, the running ones go on" in err and "v.lua:2:" in err


def check(args, input=""):
    return subprocess.run([BIN, "check", *args], input=input.encode(), capture_output=True,
                          timeout=30)


def test_check_shows_each_log_before_and_after_and_what_each_script_did(tmp_path):
    p = check([script("drop_noise.lua"), script("levels.lua")],
              "GET /healthz 200\n2026-11-26 10:00:00 WARN [w1] user=7 slow\n")
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode()
    assert 'line 1: "GET /healthz 200"\n  dropped by %s' % script("drop_noise.lua") in out
    assert 'line 2: "2026-11-26 10:00:00 WARN [w1] user=7 slow"\n  kept: level Warning' in out
    assert "filter %s: 2 calls, 1 dropped, 0 errors" % script("drop_noise.lua") in out
    assert "enrich %s: 1 call, 0 errors" % script("levels.lua") in out
    assert "sample: 2 logs, 1 kept, 1 dropped, 0 script errors" in out


def test_check_fails_when_a_script_errors_on_the_sample(tmp_path):
    s = write(tmp_path, "flaky.lua",
              "function enrich(log)\n"
              "  if log.message:find('boom') then error('cannot parse ' .. log.message) end\n"
              "  log.items.ok = true\n"
              "end\n")
    p = check(["-e", s], "fine\nboom 2\n")
    assert p.returncode == 1
    out = p.stdout.decode()
    # (Lua shortens a long path in its messages: the file's name is what counts)
    assert "flaky.lua:2: cannot parse boom 2 (the log went on as it entered that script)" in out
    assert 'kept: level none, items {ok="true"}' in out
    assert 'flaky.lua:2: cannot parse boom 2 (line 2: "boom 2")' in out


def test_check_reports_load_errors_with_file_and_line(tmp_path):
    s = write(tmp_path, "syntax.lua", "function filter(log)\n  return (\nend\n")
    p = check([s])
    assert p.returncode == 2
    assert b"script failed to load: " in p.stderr and b"syntax.lua:3:" in p.stderr
    both = write(tmp_path, "both.lua", "function filter(l) return true end\nfunction enrich(l) end\n")
    p = check([both])
    assert p.returncode == 2 and b"defines both filter(log) and enrich(log)" in p.stderr
    p = check(["-f", both], "x\n")  # told which: fine
    assert p.returncode == 0, p.stderr


def test_sighup_rereads_the_config_files_chain(tmp_path):
    write(tmp_path, "tag.lua", "function enrich(log) log.items.v = '1' end")
    write(tmp_path, "nodrop.lua", "function filter(log) return not log.message:find('drop') end")
    conf = tmp_path / "conf.lua"
    conf.write_text('scripts = { {enrich = "tag.lua"} }\n')
    log = tmp_path / "in.log"
    log.touch()
    proc = subprocess.Popen([BIN, "--dry-run", "-F", "--config", str(conf), str(log)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    time.sleep(0.3)

    def step(lines, new_conf):
        with open(log, "a") as f:
            f.write(lines)
        time.sleep(0.3)
        if new_conf is not None:
            conf.write_text(new_conf)
            proc.send_signal(signal.SIGHUP)
            time.sleep(0.3)

    step("one\n", 'scripts = { {filter = "nodrop.lua"}, {enrich = "tag.lua"} }\n')  # adds a filter
    step("drop two\nthree\n", 'scripts = { {filter = 3} }\n')                        # broken: kept
    step("drop four\nfive\n", "scripts = nil\n")                                     # none left
    step("six\n", None)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    got = [json.loads(l) for l in out.decode().splitlines()]
    assert got == [{"message": "one", "items": {"v": "1"}}, {"message": "three", "items": {"v": "1"}},
                   {"message": "five", "items": {"v": "1"}}, {"message": "six"}]
    assert "conf.lua reloaded: scripts; scripts reloaded (2)" in err.decode()
    assert "conf.lua reloaded: scripts; scripts reloaded (0)" in err.decode()
    assert "conf.lua:1: scripts[1]: filter must be a file name, not a number" in err.decode()


def test_dry_run_bodies_are_the_same_byte_for_byte_every_run(tmp_path):
    """Lua's table order changes from run to run (its hash seed): the items
    go out sorted by key, so a saved --dry-run output can be compared in CI."""
    enrich = tmp_path / "many.lua"
    enrich.write_text("function enrich(log)\n" + "".join(
        "  log.items.k%02d = '%d'\n" % ((i * 7) % 16, i) for i in range(16)) + "end\n")
    outs = set()
    for _ in range(5):
        p = run(["--dry-run", "-e", str(enrich), "-"], input="a\nb\n", token=None)
        assert p.returncode == 0, p.stderr
        outs.add(p.stdout)
    assert len(outs) == 1
    body = json.loads(outs.pop().splitlines()[0])
    assert list(body["items"]) == sorted(body["items"])
