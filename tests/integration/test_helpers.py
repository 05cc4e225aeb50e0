"""The script helpers written in C (logmash.regex, the parsers, the times),
the example scripts and docs/scripts.md's recipes that use them, checked on
real lines: Loghub's logs against their hand-parsed fields (../shared/loghub),
and generated access logs. Also the log table's checks and the sandbox, as a
script meets them."""
import calendar
import csv
import datetime
import json
import os
import random
import re

import pytest

from conftest import ROOT, SHARED, dry, run, script
from test_scripts import write

LOGHUB = os.path.join(SHARED, "loghub")
needs_loghub = pytest.mark.skipif(not os.path.isdir(LOGHUB), reason="no ../shared/loghub")
DOCS = os.path.join(ROOT, "docs", "scripts.md")


def loghub_rows(name):
    with open(os.path.join(LOGHUB, "%s_2k.log_structured.csv" % name),
              encoding="utf-8", errors="replace") as f:
        return list(csv.DictReader(f))


def by_line(bodies):
    """Bodies keyed by the item n, the line number a numbering script set."""
    return {int(b["items"]["n"]): b for b in bodies}


def numbered(tmp_path, *chain, path, name="n.lua"):
    """Runs the chain, then a script that numbers each log, over path."""
    n = write(tmp_path, name, "function enrich(log) log.items.n = log.line end")
    args = []
    for s in chain:
        args += ["-e", s]
    bodies, p = dry(args + ["-e", n, path])
    assert p.returncode == 0, p.stderr
    assert b"script errors 0" in p.stderr, p.stderr
    return by_line(bodies)


def disagreements(rows, got, fields):
    """(line, field, want, got) wherever a field differs, white space around
    each value set aside (Loghub trims it)."""
    wrong = []
    for r in rows:
        b = got.get(int(r["LineId"]))
        for ours, theirs in fields:
            want = (theirs(r) if callable(theirs) else r[theirs].strip()) or None
            have = ours(b) if callable(ours) else (b or {}).get("items", {}).get(ours)
            have = have.strip() if isinstance(have, str) else have
            if want != (have or None):
                wrong.append((r["LineId"], theirs, want, have))
    return wrong


# ---- parse_syslog against Loghub ----

DUMP_SYSLOG = """
function enrich(log)
  local m, err = logmash.parse_syslog(log.message)
  if not m then log.items.err = err return end
  for _, k in ipairs{"host", "app", "pid", "message"} do log.items["s_" .. k] = m[k] end
  log.items.s_time = m.time and logmash.format_time(m.time, "%m-%d %H:%M:%S")
end
"""


@needs_loghub
@pytest.mark.parametrize("name,fields", [
    ("OpenSSH", [("s_host", "Component"), ("s_pid", "Pid"), ("s_message", "Content")]),
    ("Linux", [("s_host", "Level"), ("s_app", "Component"), ("s_pid", "PID"),
               ("s_message", "Content")]),
])
def test_parse_syslog_agrees_with_loghub_on_every_line(name, fields, tmp_path):
    dump = write(tmp_path, "dump.lua", DUMP_SYSLOG)
    got = numbered(tmp_path, dump, path=os.path.join(LOGHUB, "%s_2k.log" % name))
    rows = loghub_rows(name)
    assert len(got) == len(rows) == 2000
    wrong = disagreements(rows, got, fields)
    assert wrong == [], wrong[:5]
    if name == "OpenSSH":
        assert {b["items"]["s_app"] for b in got.values()} == {"sshd"}
    months = {m: i for i, m in enumerate(calendar.month_abbr) if m}
    day_key = "Day" if name == "OpenSSH" else "Date"
    month_key = "Date" if name == "OpenSSH" else "Month"
    for r in rows:
        want = "%02d-%02d %s" % (months[r[month_key]], int(r[day_key]), r["Time"])
        assert got[int(r["LineId"])]["items"]["s_time"] == want, r


@needs_loghub
@pytest.mark.parametrize("name,fields", [
    ("OpenSSH", [("host", "Component"), ("pid", "Pid"), (lambda b: b["message"], "Content")]),
    ("Linux", [("host", "Level"), ("app", "Component"), ("pid", "PID"),
               (lambda b: b["message"], "Content")]),
])
def test_syslog_example_agrees_with_loghub(name, fields, tmp_path):
    got = numbered(tmp_path, script("syslog.lua"), path=os.path.join(LOGHUB, "%s_2k.log" % name))
    rows = loghub_rows(name)
    wrong = disagreements(rows, got, fields)
    assert wrong == [], wrong[:5]
    # The level from a level word where the message leads with one.
    for r in rows:
        b = got[int(r["LineId"])]
        lead = re.match(r"(?i)(error|fatal|warning|warn|info|debug)\b", r["Content"].strip())
        if lead:
            want = {"error": "Error", "fatal": "Error", "warning": "Warning",
                    "warn": "Warning"}.get(lead.group(1).lower(), "Information")
            assert b.get("level") == want, (r["LineId"], r["Content"], b.get("level"))


def test_syslog_example_takes_the_level_from_the_severity():
    lines = ["<11>Nov 26 10:00:00 web1 app[7]: kaput",
             "<12>Nov 26 10:00:00 web1 app[7]: careful",
             "<14>Nov 26 10:00:00 web1 app[7]: error: but only a notice by its PRI",
             '<165>1 2026-11-26T10:00:01.003Z host.example evntslog - ID47 [x@1 a="b"] event',
             "not a syslog line at all"]
    bodies, p = dry(["-e", script("syslog.lua"), "-"], input="\n".join(lines) + "\n")
    assert b"script errors 0" in p.stderr, p.stderr
    assert [b.get("level") for b in bodies] == ["Error", "Warning", "Information",
                                                "Information", None]
    assert bodies[0] == {"message": "kaput", "level": "Error",
                         "items": {"host": "web1", "app": "app", "pid": "7"}}
    assert bodies[3]["items"] == {"host": "host.example", "app": "evntslog", "msgid": "ID47"}
    assert bodies[4] == {"message": "not a syslog line at all"}


# ---- parse_access and access.lua on generated lines ----

def combined_lines(n, seed=7):
    """(line, what it holds) for n access lines of every kind a server
    writes: IPv4 and IPv6, users, '-' sizes, quotes in agents, odd requests."""
    rnd = random.Random(seed)
    out = []
    t0 = datetime.datetime(2026, 11, 26, 10, 0, 0, tzinfo=datetime.timezone.utc)
    agents = ["curl/8.5.0", "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0",
              'Mozilla/5.0 \\"quoted\\" agent', "-", "kube-probe/1.29"]
    for i in range(n):
        client = rnd.choice(["10.0.%d.%d" % (rnd.randrange(256), rnd.randrange(256)),
                             "2001:db8::%x" % rnd.randrange(65536), "::1"])
        user = rnd.choice(["-", "-", "frank", "alice"])
        offset = rnd.choice([0, 60, -420, 330])
        t = t0 + datetime.timedelta(seconds=i * 7)
        local = t + datetime.timedelta(minutes=offset)
        stamp = local.strftime("%d/%b/%Y:%H:%M:%S ") + "%s%02d%02d" % (
            "+" if offset >= 0 else "-", abs(offset) // 60, abs(offset) % 60)
        method = rnd.choice(["GET", "POST", "PUT", "DELETE"])
        path = rnd.choice(["/", "/api/orders/%d" % rnd.randrange(9999), "/search?q=a%20b&x=1"])
        status = rnd.choice([200, 200, 201, 301, 304, 400, 404, 429, 500, 503])
        size = rnd.choice(["-", str(rnd.randrange(100000))])
        agent = rnd.choice(agents)
        line = '%s - %s [%s] "%s %s HTTP/1.1" %d %s "-" "%s"' % (
            client, user, stamp, method, path, status, size, agent)
        out.append((line, dict(client=client, user=None if user == "-" else user,
                               time=t.timestamp(), method=method, path=path, status=status,
                               bytes=0 if size == "-" else int(size),
                               agent=None if agent == "-" else agent.replace('\\"', '"'))))
    return out


def test_access_example_on_generated_combined_lines(tmp_path):
    lines = combined_lines(400)
    log = tmp_path / "access.log"
    log.write_text("".join(l + "\n" for l, _ in lines))
    t = write(tmp_path, "t.lua", "function enrich(log) local a = logmash.parse_access(log.message)"
              " log.items.t = a.time end")
    bodies, p = dry(["-e", script("access.lua"), "-e", t, str(log)])
    assert b"script errors 0" in p.stderr, p.stderr
    assert len(bodies) == len(lines)
    for b, (line, want) in zip(bodies, lines):
        items = b["items"]
        assert b["message"] == line
        assert items["client"] == want["client"]
        assert items["method"] == want["method"] and items["path"] == want["path"]
        assert items["status"] == str(want["status"])
        assert items["bytes"] == str(want["bytes"])
        assert items.get("agent") == want["agent"]
        assert float(items["t"]) == want["time"]
        s = want["status"]
        assert b["level"] == ("Error" if s >= 500 else "Warning" if s >= 400 else "Information")


def test_access_parser_refuses_what_is_not_an_access_line(tmp_path):
    s = write(tmp_path, "r.lua", "function enrich(log) local a, e = logmash.parse_access(log.message)"
              " log.items.e = e end")
    bodies, _ = dry(["-e", s, "-"], input="hello world\n1.2.3.4 - - [x] \"GET /\" 200 1\n")
    assert all(b["items"]["e"].startswith("not an access log line") for b in bodies), bodies


def test_logfmt_example():
    lines = ['time=2026-11-26T10:00:01.5+01:00 level=warn msg="disk \\"sda1\\" almost full" pct=93 ok',
             "lvl=chatty msg=hi",
             "no pairs in this line"]
    bodies, p = dry(["-e", script("logfmt.lua"), "-"], input="\n".join(lines) + "\n")
    assert b"script errors 0" in p.stderr, p.stderr
    assert bodies == [
        {"message": 'disk "sda1" almost full', "level": "Warning",
         "items": {"pct": "93", "ok": "true", "time": "2026-11-26T09:00:01.500Z"}},
        {"message": "hi", "items": {"level": "chatty"}},
        {"message": "no pairs in this line"},
    ]


# ---- docs/scripts.md's recipes, on Loghub ----

def recipe(name, tmp_path):
    with open(DOCS) as f:
        doc = f.read()
    m = re.search(r"<!-- recipe: %s -->\n```lua\n(.*?)```" % name, doc, re.S)
    assert m, "docs/scripts.md has no recipe %s" % name
    return write(tmp_path, name + ".lua", m.group(1))


def apache_content(row):
    """(client, message) of an Apache error line's content as Loghub keeps
    it: the recipe takes a leading [client ADDR] apart."""
    m = re.match(r"\[client ([^\]]+)\] (.*)", row["Content"].strip())
    return (m.group(1), m.group(2)) if m else (None, row["Content"].strip())


LEVELS = {"INFO": "Information", "WARN": "Warning", "ERROR": "Error", "FATAL": "Error",
          "DEBUG": "Information", "notice": "Information", "error": "Error", "warn": "Warning",
          "V": "Information", "D": "Information", "I": "Information", "W": "Warning",
          "E": "Error", "F": "Error"}


@needs_loghub
@pytest.mark.parametrize("name,log,fields,times", [
    ("apache_error", "Apache", [(lambda b: b["message"], lambda r: apache_content(r)[1]),
                                ("client", lambda r: apache_content(r)[0])],
     lambda r: datetime.datetime.strptime(r["Time"], "%a %b %d %H:%M:%S %Y")),
    ("log4j", "HDFS", [("logger", "Component"), ("pid", "Pid"), (lambda b: b["message"], "Content")],
     lambda r: datetime.datetime.strptime(r["Date"] + " " + r["Time"], "%y%m%d %H%M%S")),
    ("log4j", "Hadoop", [("logger", "Component"), ("thread", "Process"),
                         (lambda b: b["message"], "Content")],
     lambda r: datetime.datetime.strptime(r["Date"] + " " + r["Time"], "%Y-%m-%d %H:%M:%S,%f")),
    ("log4j", "Spark", [("logger", "Component"), (lambda b: b["message"], "Content")],
     lambda r: datetime.datetime.strptime(r["Date"] + " " + r["Time"], "%y/%m/%d %H:%M:%S")),
    ("logcat", "Android", [("tag", "Component"), ("pid", "Pid"), ("tid", "Tid"),
                           (lambda b: b["message"], "Content")], None),
])
def test_docs_recipes_agree_with_loghub(name, log, fields, times, tmp_path):
    got = numbered(tmp_path, recipe(name, tmp_path), path=os.path.join(LOGHUB, "%s_2k.log" % log))
    rows = loghub_rows(log)
    assert len(got) == len(rows)
    wrong = disagreements(rows, got, fields)
    assert wrong == [], wrong[:5]
    for r in rows:
        b = got[int(r["LineId"])]
        assert b.get("level") == LEVELS[r["Level"].strip()], (r["LineId"], r["Level"], b.get("level"))
        if times:
            want = times(r).replace(tzinfo=datetime.timezone.utc).isoformat(timespec="milliseconds")
            assert b["items"]["time"] == want.replace("+00:00", "Z"), (r["LineId"], b["items"])


# ---- logmash.regex as scripts meet it ----

def test_a_regex_that_does_not_compile_stops_the_script_loading_and_names_it(tmp_path):
    s = write(tmp_path, "bad.lua", "local re = logmash.regex('(?<user>\\\\w+')\n"
              "function enrich(log) end\n")
    p = run(["--dry-run", "-e", s, "-"], input="x\n", token=None)
    assert p.returncode == 2
    assert re.search(rb'bad.lua:1: logmash.regex: the pattern "\(\?<user>\\w\+" does not '
                     rb'compile: missing closing parenthesis \(at offset \d+\)', p.stderr), p.stderr


def test_a_backtracking_regex_fails_that_log_only_and_the_rest_flows(tmp_path):
    s = write(tmp_path, "slow.lua",
              "local re = logmash.regex('^(a+)+$')\n"
              "function enrich(log) log.items.m = tostring(re:test(log.message)) end\n")
    lines = ["a" * 30 + "b", "aaaa", "a" * 40 + "!", "ok"]
    bodies, p = dry(["-e", s, "-"], input="\n".join(lines) + "\n")
    assert [b.get("items", {}).get("m") for b in bodies] == [None, "true", None, "false"]
    assert b"match limit exceeded (the pattern backtracks too much" in p.stderr, p.stderr
    assert b"script errors 2" in p.stderr


def test_regex_methods_named_captures_gsub_and_gmatch(tmp_path):
    s = write(tmp_path, "r.lua", r"""
local kv = logmash.regex([[(?<k>\w+)=(?<v>\S*)]])
local opt = logmash.regex([[^(?<a>x)?(?<b>\d+)]])
function enrich(log)
  local m = kv:match(log.message)
  log.items.first = m.k .. "/" .. m.v .. "/" .. m[0] .. "/" .. m[1]
  local n = 0
  for p in kv:gmatch(log.message) do n = n + 1 end
  log.items.pairs = n
  log.items.swapped = (kv:gsub(log.message, "$v=${k}"))
  local up, c = kv:gsub(log.message, function(p) return p.k:upper() end, 1)
  log.items.up, log.items.count = up, c
  local o = opt:match("42")
  log.items.absent = tostring(o.a) .. " " .. o.b .. " " .. tostring(o[1])
  log.items.ci = tostring(logmash.regex("ERROR", "i"):test("an error"))
  log.items.from = kv:match(log.message, -5)[0]
  log.items.same = tostring(logmash.regex([[(?<k>\w+)=(?<v>\S*)]]) == kv)
  log.items.utf8 = (logmash.regex("."):gsub("é\255x", "<$0>"))
  log.items.empty = (logmash.regex("x*"):gsub("abc", "-"))
  local ok, e = pcall(kv.gsub, kv, "a=1", "$nope")
  log.items.bad = e
end
""")
    bodies, p = dry(["-e", s, "-"], input="user=bob id=42 x=\n")
    assert b"script errors 0" in p.stderr, p.stderr
    it = bodies[0]["items"]
    assert it["first"] == "user/bob/user=bob/user"
    assert it["pairs"] == "3"
    assert it["swapped"] == "bob=user 42=id =x"
    assert it["up"] == "USER id=42 x=" and it["count"] == "1"
    assert it["absent"] == "nil 42 nil"
    assert it["ci"] == "true"
    assert it["from"] == "x="
    assert it["same"] == "true"
    assert it["utf8"] == "<\u00e9>\ufffd<x>"  # the invalid byte never matched a character
    assert it["empty"] == "-a-b-c-"
    assert "$nope, which is not a group of the pattern" in it["bad"]


# ---- the log table, a filter's answer, item values: what check says ----

def test_check_reports_each_silent_mistake_with_line_and_script(tmp_path):
    """The four ways a script used to lose what its author meant."""
    typo = write(tmp_path, "typo.lua", "function enrich(log)\n  log.levle = 'Error'\nend\n")
    item = write(tmp_path, "item.lua", "function enrich(log)\n  log.item.user = 'bob'\nend\n")
    msg = write(tmp_path, "msg.lua", "function enrich(log)\n  log.mesage = 'x'\nend\n")
    forgot = write(tmp_path, "forgot.lua",
                   "function filter(log)\n  if log.message:find('health') then return false end\nend\n")
    for s, says in [(typo, "typo.lua:2: log.levle is not a field of a log (did you mean level?)"),
                    (item, "item.lua:2: log.item is not a field of a log (did you mean items?)"),
                    (msg, "msg.lua:2: log.mesage is not a field of a log (did you mean message?)"),
                    (forgot, "forgot.lua: filter returned nil: return true to keep the log, "
                             "false to drop it")]:
        p = run(["check", s], input="GET /health\nreal work\n", token=None)
        out = p.stdout.decode()
        assert p.returncode == 1, out
        assert says in out, out
        # Under the sample line it failed on, and in the script's summary.
        assert re.search(r'line 2: "real work"\n  error: \S*' + re.escape(says), out), out
        assert '(line 2: "real work")' in out, out
    # The forgotten answer kept the logs that were not dropped.
    bodies, p = dry(["-f", forgot, "-"], input="GET /health\nreal work\n")
    assert [b["message"] for b in bodies] == ["real work"]
    assert b"script errors 1" in p.stderr


def test_item_numbers_are_sent_exact_or_in_their_shortest_form(tmp_path):
    s = write(tmp_path, "n.lua", "function enrich(log) log.items.n = 2^63; log.items.r = 1/3;"
              " log.items.i = 2^53; log.items.f = 0.1 + 0.2 end")
    bodies, p = dry(["-e", s, "-"], input="x\n")
    assert bodies[0]["items"] == {"n": "9223372036854775808", "r": "0.3333333333333333",
                                  "i": "9007199254740992", "f": "0.30000000000000004"}


# ---- the sandbox: every way to write a file or run a program fails ----

WRITES = [
    "io.open(D .. 'f1', 'w'):write('x')",
    "io.open(D .. 'f2', 'a')",
    "io.open(D .. 'f3', 'w+')",
    "io.open(D .. 'f4', 'r+')",
    "io.open(D .. 'f5', 'rb+')",
    "io.open(D .. 'in.txt', 'r'):write('x')",
    "local f = io.open(D .. 'in.txt') f:setvbuf('no') f:write('x') f:flush()",
    "io.output(D .. 'f6') io.write('x')",
    "io.write('x')",
    "io.tmpfile():write('x')",
    "io.stdout:write('x')",
    "io.popen('touch ' .. D .. 'f7')",
    "io.popen('cat', 'w'):write('x')",
    "os.execute('touch ' .. D .. 'f8')",
    "os.remove(D .. 'in.txt')",
    "os.rename(D .. 'in.txt', D .. 'f9')",
    "os.tmpname()",
    "os.exit(3)",
    "package.loadlib('libc.so.6', 'system')('touch ' .. D .. 'f10')",
    "package.cpath = '/usr/lib/x86_64-linux-gnu/?.so'",
    "require('lfs')",
    "debug.getregistry()",
    "load(string.dump(function() end))()",
    "getmetatable(io.open(D .. 'in.txt')).__index.write = print",
    "io.lines()",
    "io.close()",
    "io.read('l')",
    "io.input(D .. 'in.txt')",
]


def test_every_way_to_write_a_file_or_run_a_program_fails(tmp_path):
    d = tmp_path / "box"
    d.mkdir()
    (d / "in.txt").write_text("kept\n")
    body = "local D = %r\nlocal tries = {\n%s}\n" % (str(d) + "/", "".join(
        "  function() %s end,\n" % t for t in WRITES))
    body += ("function enrich(log)\n"
             "  for i, f in ipairs(tries) do\n"
             "    local ok, e = pcall(f)\n"
             "    log.items[string.format('%02d', i)] = ok and 'DID IT' or tostring(e)\n"
             "  end\n"
             "  log.items.read = io.open(D .. 'in.txt'):read('l')\n"
             "end\n")
    s = write(tmp_path, "try.lua", body)
    bodies, p = dry(["-e", s, "-"], input="x\n")
    assert p.returncode == 0, p.stderr
    items = bodies[0]["items"]
    assert items["read"] == "kept"  # reading is allowed
    for i, attempt in enumerate(WRITES, 1):
        assert items["%02d" % i] != "DID IT", attempt
    assert sorted(os.listdir(d)) == ["in.txt"], os.listdir(d)
    assert (d / "in.txt").read_text() == "kept\n"
    assert "is not allowed in logmash's sandbox: files can be read, not written" in items["01"]


def sandbox_table():
    """docs/scripts.md's table of what the sandbox offers: library -> names."""
    with open(DOCS) as f:
        doc = f.read()
    table = doc[doc.index("| library | what a script may use |"):]
    out = {}
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        lib, names = [c.strip() for c in line.strip("|").split("|")]
        out[lib.strip("`").split(" ")[0]] = re.findall(r"`([^`]+)`", names)
    return out


# Lua 5.4's base library, all of it: what the sandbox does not list must
# refuse.
LUA_BASE = ["assert", "collectgarbage", "dofile", "error", "getmetatable", "ipairs", "load",
            "loadfile", "next", "pairs", "pcall", "print", "rawequal", "rawget", "rawlen",
            "rawset", "require", "select", "setmetatable", "tonumber", "tostring", "type",
            "warn", "xpcall", "_VERSION"]


def test_the_sandbox_offers_what_the_docs_list_and_nothing_else(tmp_path):
    offered = sandbox_table()
    listed = {k: {n: True for n in v} for k, v in offered.items()}
    # A function the docs do not list is called with no arguments and must
    # say it is not allowed; a listed one is not called (it may do real
    # work), only looked for.
    s = write(tmp_path, "list.lua", """
local listed = logmash.json_decode(%r)
local function refuses(f)
  local ok, e = pcall(f)
  return not ok and tostring(e):find("is not allowed in logmash's sandbox", 1, true) ~= nil
end
local function works(t, lib, names)
  local out = {}
  for _, k in ipairs(names) do
    local v = t[k]
    if v ~= nil and not (type(v) == "function" and not listed[lib][k] and refuses(v)) then
      out[#out + 1] = k
    end
  end
  table.sort(out)
  return table.concat(out, " ")
end
local function keys(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  return out
end
function enrich(log)
  log.items.base = works(_G, "base", %s)
  for _, lib in ipairs{"coroutine", "io", "math", "os", "package", "string", "table", "utf8"} do
    log.items[lib] = works(_G[lib], lib, keys(_G[lib]))
  end
  local f = io.open(%r)
  log.items.file = works(setmetatable({}, {__index = function(_, k)
    return function() return f[k](f) end end}), "file",
    {"close", "flush", "lines", "read", "seek", "setvbuf", "write"})
end
""" % (json.dumps(listed), "{%s}" % ", ".join('"%s"' % n for n in LUA_BASE), DOCS))
    bodies, p = dry(["-e", s, "-"], input="x\n")
    assert b"script errors 0" in p.stderr, p.stderr
    items = bodies[0]["items"]
    assert set(offered) == {"base", "coroutine", "io", "file", "math", "os", "package", "string",
                            "table", "utf8", "logmash"}
    for lib, names in offered.items():
        if lib == "logmash":
            continue
        assert items[lib].split() == sorted(names), (lib, sorted(set(items[lib].split()) ^ set(names)))


def test_parse_syslog_structured_data_small_and_past_the_stack_scratch(tmp_path):
    """RFC 5424 parameters unescaped into a scratch on the C stack, and, for
    structured data over 4 KiB, into one on the Lua stack: the result is
    the table either way."""
    s = write(tmp_path, "sd.lua", "function enrich(log)\n"
              "  local m = logmash.parse_syslog(log.message)\n"
              "  log.items.a = m.sd['x@1'].a\n"
              "  log.items.k = m.sd['y@2'] and m.sd['y@2'].k\n"
              "  log.items.msg = m.message\n"
              "end\n")
    lines = ['<34>1 2026-11-26T10:00:01Z h app - - [x@1 a="b\\"c\\]"] small',
             '<34>1 2026-11-26T10:00:01Z h app - - [x@1 a="%s"][y@2 k="z"] big' % ("v" * 6000)]
    bodies, p = dry(["-e", s, "-"], input="\n".join(lines) + "\n")
    assert b"script errors 0" in p.stderr, p.stderr
    assert bodies[0]["items"] == {"a": 'b"c]', "msg": "small"}
    assert bodies[1]["items"] == {"a": "v" * 6000, "k": "z", "msg": "big"}
