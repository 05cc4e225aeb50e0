"""Several kinds of logs in one logmash: inputs as tables, each with its
own format (lines, CRI, Docker json-file), multi-line rule (presets java,
python, go, or a regex), encoding, items and scripts."""
import json
import os
import signal
import subprocess
import textwrap

from conftest import BIN, PROJECT, TOKEN, dry, run, wait_for


def config(tmp_path, inputs, extra=""):
    p = tmp_path / "config.lua"
    p.write_text("inputs = {\n%s\n}\n%s\n" % (textwrap.dedent(inputs), extra))
    return str(p)


def cri(stream, tag, text, t="2026-11-26T10:00:00.123456789Z"):
    return "%s %s %s %s\n" % (t, stream, tag, text)


def pod_log(tmp_path, ns="shop", pod="web-7d9f", uid="0f1e-22", container="app"):
    d = tmp_path / "pods" / ("%s_%s_%s" % (ns, pod, uid)) / container
    d.mkdir(parents=True)
    return d / "0.log"


class Follower:
    """logmash -c CONFIG following with a state directory, headless,
    against the stand-in; inputs are the config's inputs."""

    def __init__(self, api, tmp_path, inputs, extra=""):
        self.state = tmp_path / "state"
        self.base = ('url = "%s"\nproject_id = "%s"\nstate_dir = "%s"\nfollow = true\n'
                     'rotate_wait = 1\n%s' % (api.url, PROJECT, self.state, extra))
        self.tmp_path = tmp_path
        self.cfg = config(tmp_path, inputs, self.base)
        self.start()

    def start(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("CODEMASH_")}
        env["CODEMASH_TOKEN"] = TOKEN
        self.proc = subprocess.Popen([BIN, "-c", self.cfg, "--no-tui", "--status-interval", "0"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=env)
        assert wait_for(lambda: (self.state / "control.sock").exists(), 10)

    def reconfigure(self, inputs):
        """A new config, SIGHUP, and wait until logmash has taken it."""
        config(self.tmp_path, inputs, self.base)
        before = self.status()["reloads"]
        self.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: self.status()["reloads"] > before, 20)

    def status(self):
        p = subprocess.run([BIN, "status", "--json", "--state-dir", str(self.state)],
                           capture_output=True, text=True, timeout=20)
        return json.loads(p.stdout)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.proc.stderr.close()
        (self.state / "control.sock").unlink(missing_ok=True)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        err = self.proc.communicate(timeout=30)[1].decode()
        assert self.proc.returncode == 0, err
        return err


# ---- container formats ----

def test_cri_parts_are_joined_per_stream_with_the_pods_names(tmp_path):
    log = pod_log(tmp_path)
    log.write_text(cri("stdout", "F", "one")
                   + cri("stdout", "P", "a long line, ")
                   + cri("stderr", "F", "an error between the parts")
                   + cri("stdout", "P", "cut twice, ")
                   + cri("stdout", "F", "ends here")
                   + cri("stdout", "F", ""))  # an empty line of the container
    cfg = config(tmp_path, '{ name = "pods", paths = "pods/*/*/*.log", format = "cri" },')
    bodies, p = dry(["-c", cfg])
    assert p.returncode == 0, p.stderr
    msgs = [(b["message"], b["items"]["stream"]) for b in bodies]
    assert msgs == [("one", "stdout"), ("an error between the parts", "stderr"),
                    ("a long line, cut twice, ends here", "stdout"), ("", "stdout")][:len(msgs)]
    assert len(msgs) >= 3
    for b in bodies:
        assert (b["items"]["namespace"], b["items"]["pod"], b["items"]["container"]) == \
            ("shop", "web-7d9f", "app")


def test_var_log_containers_names_and_docker_json_file(tmp_path):
    d = tmp_path / "containers"
    d.mkdir()
    log = d / ("web-7d9f_shop_app-%s.log" % ("ab" * 32))
    log.write_text(json.dumps({"log": "hello \u00e9\n", "stream": "stdout", "time": "t"}) + "\n"
                   + json.dumps({"log": "part one, ", "stream": "stderr", "time": "t"}) + "\n"
                   + json.dumps({"log": "line\n", "stream": "stdout", "time": "t"}) + "\n"
                   + json.dumps({"log": "part two\r\n", "stream": "stderr", "time": "t"}) + "\n")
    cfg = config(tmp_path, '{ paths = "containers/*.log", format = "docker" },')
    bodies, p = dry(["-c", cfg])
    assert p.returncode == 0, p.stderr
    assert [(b["message"], b["items"]["stream"]) for b in bodies] == [
        ("hello \u00e9", "stdout"), ("line", "stdout"), ("part one, part two", "stderr")]
    assert bodies[0]["items"]["pod"] == "web-7d9f"
    assert bodies[0]["items"]["namespace"] == "shop"
    assert bodies[0]["items"]["container"] == "app"


def test_a_line_not_in_the_format_is_sent_as_it_is_and_reported_once(tmp_path):
    log = pod_log(tmp_path)
    log.write_text(cri("stdout", "F", "good") + "garbage one\n" + "garbage two\n"
                   + '{"log": "json is not CRI"}\n' + cri("stdout", "F", "good again"))
    cfg = config(tmp_path, '{ paths = "pods/*/*/*.log", format = "cri" },')
    bodies, p = dry(["-c", cfg])
    err = p.stderr.decode()
    assert [b["message"] for b in bodies] == ["good", "garbage one", "garbage two",
                                              '{"log": "json is not CRI"}', "good again"]
    assert "stream" not in bodies[1].get("items", {})
    assert err.count("not in CRI format") == 1, err
    assert "0.log: 3 lines not in CRI format, sent as they are" in err


def test_a_joined_record_is_bounded_by_max_line_bytes(tmp_path):
    log = pod_log(tmp_path)
    log.write_text("".join(cri("stdout", "P", "x" * 100) for _ in range(10))
                   + cri("stdout", "F", "end") + cri("stdout", "F", "next"))
    cfg = config(tmp_path, '{ paths = "pods/*/*/*.log", format = "cri" },',
                 "max_line_bytes = 250\n")
    bodies, p = dry(["-c", cfg])
    assert [len(b["message"]) for b in bodies] == [250, 4]
    assert "lines cut 1" in p.stderr.decode()


def test_format_on_the_command_line(tmp_path):
    log = tmp_path / "c.log"
    log.write_text(cri("stdout", "P", "a") + cri("stdout", "F", "b"))
    bodies, p = dry(["--format", "cri", str(log)])
    assert [b["message"] for b in bodies] == ["ab"], p.stderr
    p = run(["--dry-run", "--format", "crio", str(log)], token=None)
    assert p.returncode == 2
    assert b"--format is lines, cri or docker, not 'crio'" in p.stderr


def test_a_sigkill_inside_a_run_of_parts_sends_the_record_whole_after_a_restart(api, tmp_path):
    log = pod_log(tmp_path)
    log.write_text(cri("stdout", "F", "before"))
    f = Follower(api, tmp_path, '{ paths = "pods/*/*/*.log", format = "cri", from_start = true },')
    try:
        assert wait_for(lambda: [l["message"] for l in api.logs()] == ["before"], 10)
        with open(log, "a") as w:  # a record cut in parts, its end not written yet
            w.write(cri("stdout", "P", "first part, ") + cri("stderr", "F", "an error")
                    + cri("stdout", "P", "second part, "))
        assert wait_for(lambda: len(api.logs()) == 2, 10)  # the stderr line
        # Its checkpoint moves only up to the held parts, though the
        # stderr line after them is acknowledged.
        first = len(cri("stdout", "F", "before"))
        assert wait_for(lambda: checkpoint(f.state) == first, 10)
        assert checkpoint(f.state) == first
    finally:
        f.kill()
    with open(log, "a") as w:
        w.write(cri("stdout", "F", "the end"))
    f.start()
    try:
        assert wait_for(lambda: any(l["message"].startswith("first") for l in api.logs()), 10)
    finally:
        err = f.stop()
    msgs = [l["message"] for l in api.logs()]
    assert "first part, second part, the end" in msgs, (msgs, err)
    assert msgs.count("first part, second part, the end") == 1
    assert not any(m.startswith("second") for m in msgs)  # never half
    assert msgs.count("before") == 1


def checkpoint(state):
    """The offset in the state directory's one checkpoint, or None."""
    try:
        lines = (state / "checkpoints").read_text().splitlines()
    except FileNotFoundError:
        return None
    return int(lines[1].split()[4]) if len(lines) > 2 else None


# ---- multi-line presets ----

JAVA_TRACE = """\
2026-11-26 10:00:00.123 ERROR 4242 --- [nio-8080-exec-1] o.a.c.c.C.[.[.[/].[dispatcherServlet] : Servlet.service() threw exception
java.lang.IllegalStateException: no stock
\tat com.shop.Cart.checkout(Cart.java:42)
\tat com.shop.CartController.post(CartController.java:17)
\tat java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)
Caused by: com.shop.StockException: item 7 is gone
\tat com.shop.Stock.take(Stock.java:88)
\t... 2 more
\tSuppressed: java.io.IOException: closing
\t\tat com.shop.Stock.close(Stock.java:99)
2026-11-26 10:00:01.000  INFO 4242 --- [nio-8080-exec-2] com.shop.Cart : next request
Exception in thread "main" java.lang.NullPointerException: Cannot invoke "String.length()"
\tat Main.main(Main.java:3)
2026-11-26 10:00:02.000  INFO 4242 --- [main] com.shop.App : done
"""


def test_java_preset_joins_a_stack_trace_and_its_causes(tmp_path):
    log = tmp_path / "shop.log"
    log.write_text(JAVA_TRACE)
    bodies, p = dry(["--multiline", "java", str(log)])
    msgs = [b["message"] for b in bodies]
    assert len(msgs) == 4, msgs
    assert msgs[0].startswith("2026-11-26 10:00:00.123 ERROR")
    assert msgs[0].endswith("\t\tat com.shop.Stock.close(Stock.java:99)")
    assert msgs[0].count("\n") == 9
    assert msgs[1].endswith("next request")
    assert msgs[2] == ('Exception in thread "main" java.lang.NullPointerException: Cannot '
                       'invoke "String.length()"\n\tat Main.main(Main.java:3)')


PY_PROGRAM = r"""
import logging, sys
logging.basicConfig(stream=sys.stdout, level=logging.INFO,
                    format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("shop")
log.info("starting")
def take(item):
    raise KeyError(item)
try:
    try:
        take("item-7")
    except KeyError:
        int("not a number")
except ValueError:
    log.exception("checkout failed")
log.info("next request")
sys.stdout.flush()
raise RuntimeError("uncaught")
"""


def test_python_preset_joins_tracebacks_python_really_writes(tmp_path):
    log = tmp_path / "app.log"
    with open(log, "w") as f:
        subprocess.run(["/usr/bin/python3", "-c", PY_PROGRAM], stdout=f, stderr=subprocess.STDOUT)
    text = log.read_text()
    assert "During handling of the above exception" in text  # as Python wrote it
    bodies, p = dry(["--multiline", "python", str(log)])
    msgs = [b["message"] for b in bodies]
    assert len(msgs) == 3, msgs
    assert msgs[0].endswith("INFO shop: starting")
    assert "ERROR shop: checkout failed\nTraceback (most recent call last):" in msgs[1]
    assert "KeyError: 'item-7'" in msgs[1] and "During handling" in msgs[1]
    assert msgs[1].endswith("ValueError: invalid literal for int() with base 10: 'not a number'")
    # The line before a traceback is joined to it, as logging.exception
    # writes one; so is the last log line before an uncaught exception's.
    assert "INFO shop: next request\nTraceback (most recent call last):\n" in msgs[2]
    assert msgs[2].endswith("RuntimeError: uncaught")
    assert msgs == [m for m in msgs if m]  # nothing lost
    assert sum(m.count("\n") + 1 for m in msgs) == len([l for l in text.splitlines() if l])


# As the Go runtime writes a panic (go 1.21, linux/amd64), after a log line.
GO_TRACE = """\
2026/11/26 10:00:00 serving on :8080
panic: runtime error: index out of range [5] with length 3

goroutine 1 [running]:
main.pick(...)
\t/src/shop/main.go:12
main.main()
\t/src/shop/main.go:20 +0x1d
exit status 2
2026/11/26 10:00:05 restarted
fatal error: all goroutines are asleep - deadlock!

goroutine 1 [chan receive]:
main.main()
\t/src/shop/main.go:9 +0x2a
2026/11/26 10:00:09 restarted again
"""


def test_go_preset_joins_a_panic_and_its_goroutines(tmp_path):
    log = tmp_path / "go.log"
    log.write_text(GO_TRACE)
    bodies, p = dry(["--multiline", "go", str(log)])
    msgs = [b["message"] for b in bodies]
    assert len(msgs) == 5, msgs
    assert msgs[1].startswith("panic: runtime error")
    assert msgs[1].endswith("exit status 2")
    assert msgs[3].startswith("fatal error: all goroutines are asleep")
    assert msgs[3].endswith("main.go:9 +0x2a")
    assert msgs[4] == "2026/11/26 10:00:09 restarted again"


def test_multiline_continues_and_presets_per_input(tmp_path):
    (tmp_path / "a.log").write_text("one\n+ more\n+ again\ntwo\n")
    (tmp_path / "b.log").write_text("one\n+ not joined\n")
    cfg = config(tmp_path, '''\
        { paths = "a.log", multiline = { continues = "^\\\\+ ", max_lines = 10 } },
        "b.log",''')
    bodies, p = dry(["-c", cfg])
    assert [b["message"] for b in bodies] == ["one\n+ more\n+ again", "two", "one",
                                              "+ not joined"], p.stderr


# ---- encodings ----

def test_encodings_are_converted_to_utf8(tmp_path):
    (tmp_path / "l1.log").write_bytes(b"caf\xe9 cr\xe8me\n")
    (tmp_path / "w.log").write_bytes(b"\x80 5, \x93quoted\x94, bad \x81\n")
    (tmp_path / "k.log").write_bytes("привет\n".encode("koi8-r"))
    cfg = config(tmp_path, '''\
        { paths = "l1.log", encoding = "latin1" },
        { paths = "w.log", encoding = "windows-1252" },
        { paths = "k.log", encoding = "KOI8-R" },''')
    bodies, p = dry(["-c", cfg])
    assert [b["message"] for b in bodies] == ["café crème", "€ 5, \u201cquoted\u201d, bad \ufffd",
                                              "привет"], p.stderr
    err = p.stderr.decode()
    assert "w.log: 1 byte not valid in windows-1252, sent as U+FFFD" in err


def test_utf16_and_unknown_encodings_are_refused(tmp_path):
    (tmp_path / "a.log").write_text("x\n")
    cfg = config(tmp_path, '{ paths = "a.log", encoding = "UTF-16LE" },')
    p = run(["--dry-run", "-c", cfg], token=None)
    assert p.returncode == 2
    assert b"encoding 'UTF-16LE' is not supported" in p.stderr
    assert b"iconv -f UTF-16LE -t UTF-8" in p.stderr
    p = run(["--dry-run", "--encoding", "klingon", str(tmp_path / "a.log")], token=None)
    assert p.returncode == 2 and b"unknown encoding 'klingon'" in p.stderr


# ---- items, scripts, names ----

def test_each_input_has_its_items_and_own_chain_before_the_global_one(tmp_path):
    (tmp_path / "shop.log").write_text("buy 1\nnoise\nbuy 2\n")
    (tmp_path / "web.log").write_text("GET /\nnoise\n")
    (tmp_path / "shop.lua").write_text(
        "function filter(log) return log.message ~= 'noise' end\n")
    (tmp_path / "tag.lua").write_text(
        "function enrich(log) log.items.seen = log.items.service or 'none'\n"
        "  log.items.team = nil end\n")
    cfg = config(tmp_path, '''\
        { name = "shop", paths = { "shop.log" }, scripts = { { filter = "shop.lua" } },
          items = { service = "shop", team = "core", n = 3 } },
        { name = "web", paths = "web.log" },''', 'scripts = { { enrich = "tag.lua" } }\n')
    bodies, p = dry(["-c", cfg])
    assert p.returncode == 0, p.stderr
    got = [(b["message"], b.get("items")) for b in bodies]
    assert got == [("buy 1", {"service": "shop", "n": "3", "seen": "shop"}),
                   ("buy 2", {"service": "shop", "n": "3", "seen": "shop"}),
                   ("GET /", {"seen": "none"}), ("noise", {"seen": "none"})], got


def test_mistakes_in_an_input_are_named_with_their_line(tmp_path):
    cfg = config(tmp_path, '''\
        "a.log",
        { paths = "b.log", fromat = "cri" },
        { pahts = "c.log" },
        { paths = "d.log", multiline = "jav" },
        { paths = "e.log", format = "crio", encoding = "utf-16" },''')
    p = run(["--dry-run", "-c", cfg], token=None)
    assert p.returncode == 2
    err = p.stderr.decode()
    assert "config.lua:3: inputs[2]: unknown key 'fromat' (did you mean format?)" in err, err
    assert "config.lua:4: inputs[3]: unknown key 'pahts' (did you mean paths?)" in err
    assert "config.lua:4: inputs[3]: names no paths" in err
    assert "config.lua:5: inputs[4]: multiline is a preset (java, python, go)" in err
    assert "config.lua:6: inputs[5]: format is \"lines\", \"cri\" or \"docker\", not crio" in err
    assert "config.lua:6: inputs[5]: encoding 'utf-16' is not supported" in err


def test_the_input_name_in_status_and_metrics(api, tmp_path):
    (tmp_path / "shop.log").write_text("")
    from conftest import free_port
    port = free_port()
    f = Follower(api, tmp_path, '{ name = "shop", paths = "shop.log" },',
                 'metrics_listen = "127.0.0.1:%d"\n' % port)
    try:
        st = f.status()
        assert st["sources"][0]["input"] == "shop", st["sources"]
        import urllib.request
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read()
        assert ('logmash_source_bytes_behind{input="shop",path="%s"}'
                % (tmp_path / "shop.log")).encode() in text
    finally:
        f.stop()


# ---- a reload ----

def test_a_reload_adds_an_input_and_changes_anothers_rules(api, tmp_path):
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_text("")
    b.write_text("")
    f = Follower(api, tmp_path, '{ name = "a", paths = "a.log" },')
    try:
        with open(a, "a") as w:
            w.write("a 1\n  a 1 more\n")
        assert wait_for(lambda: len(api.logs()) == 2, 10)
        f.reconfigure('''\
            { name = "a", paths = "a.log", multiline = { start = "^a " },
              items = { from = "a" } },
            { name = "b", paths = "b.log", format = "cri" },''')
        with open(a, "a") as w:
            w.write("a 2\n  a 2 more\na 3\n")
        with open(b, "a") as w:
            w.write(cri("stdout", "P", "b ") + cri("stdout", "F", "1"))
        assert wait_for(lambda: len(api.logs()) == 4, 10)
        f.reconfigure('{ name = "b", paths = "b.log", format = "cri" },')
        with open(b, "a") as w:
            w.write(cri("stdout", "F", "b 2"))
        assert wait_for(lambda: len(api.logs()) == 6, 10), api.logs()
    finally:
        err = f.stop()
    got = sorted((l["message"], tuple(sorted((l.get("items") or {}).items())))
                 for l in api.logs())
    assert got == sorted([
        ("a 1", ()), ("  a 1 more", ()),
        ("a 2\n  a 2 more", (("from", "a"),)),
        ("b 1", (("stream", "stdout"),)),
        ("a 3", ()),  # being joined as its input went: joined by a's rule, without its items
        ("b 2", (("stream", "stdout"),)),
    ]), (got, err)
    assert "is a new input" in err and "a.log is no longer an input" in err


# ---- trying an input's rules ----

def test_check_reads_a_sample_as_an_input_of_the_config_does(tmp_path):
    (tmp_path / "tag.lua").write_text("function enrich(log) log.items.tagged = 'yes' end\n")
    (tmp_path / "keep.lua").write_text("function filter(log) return log.message ~= 'noise' end\n")
    cfg = config(tmp_path, '''\
        "other.log",
        { name = "shop", paths = "shop.log", multiline = "java", items = { service = "shop" },
          scripts = { { enrich = "tag.lua" } } },''', 'scripts = { { filter = "keep.lua" } }\n')
    sample = "boom\n\tat a.B.c(B.java:1)\nnoise\nok\n"
    p = run(["check", "-c", cfg, "--input", "shop"], input=sample, token=None)
    out = p.stdout.decode()
    assert p.returncode == 0, (out, p.stderr)
    assert 'line 1: "boom\\n\\tat a.B.c(B.java:1)"' in out
    assert 'kept: level none, items {service="shop", tagged="yes"}' in out
    assert "dropped by %s" % (tmp_path / "keep.lua") in out
    assert "sample: 3 logs, 2 kept, 1 dropped, 0 script errors" in out
    p = run(["check", "-c", cfg, "--input", "nope"], input="", token=None)
    assert p.returncode == 2
    assert ("has no input named 'nope' (its inputs: %s, shop)" % (tmp_path / "other.log")
            ).encode() in p.stderr


def test_check_with_a_format_and_a_preset_and_no_config(tmp_path):
    (tmp_path / "up.lua").write_text("function enrich(log) log.message = log.message:upper() end\n")
    sample = (cri("stderr", "F", "java.lang.Error: x") + cri("stdout", "F", "start")
              + cri("stdout", "P", "java.lang.IllegalStateException: ")
              + cri("stdout", "F", "no stock") + cri("stdout", "F", "\tat a.B.c(B.java:1)")
              + "not cri\n")
    p = run(["check", "--format", "cri", "--multiline", "java", str(tmp_path / "up.lua")],
            input=sample, token=None)
    out = p.stdout.decode()
    assert p.returncode == 0, (out, p.stderr)
    assert ('"START\\nJAVA.LANG.ILLEGALSTATEEXCEPTION: NO STOCK\\n\\tAT A.B.C(B.JAVA:1)"'
            in out), out
    assert 'items {stream="stdout"}' in out and 'items {stream="stderr"}' in out
    assert "(1 line not in cri format, sent as it is)" in out
    p = run(["check", "--format", "cri"], input=cri("stdout", "F", "x"), token=None)
    assert p.returncode == 0 and b'line 1: "x"' in p.stdout


# ---- following container logs ----

def test_kubelet_rotation_is_followed_and_its_gz_never_read(api, tmp_path):
    log = pod_log(tmp_path)
    log.write_text("")
    f = Follower(api, tmp_path, '{ name = "pods", paths = "pods/*/*/*.log", format = "cri" },')
    try:
        with open(log, "a") as w:
            w.write("".join(cri("stdout", "F", "old %d" % i) for i in range(5)))
            w.write(cri("stdout", "P", "cut across "))
        assert wait_for(lambda: len(api.logs()) == 5, 10)
        # kubelet: rename, a new file; the runtime goes on in the new one.
        rotated = log.with_name("0.log.20261126-100000")
        os.rename(log, rotated)
        with open(log, "w") as w:
            w.write("".join(cri("stdout", "F", "new %d" % i) for i in range(5)))
        assert wait_for(lambda: len(api.logs()) == 11, 10), api.logs()
        # Later it compresses the rotated one: never read, whatever its name.
        subprocess.run(["gzip", str(rotated)], check=True)
        with open(log, "a") as w:
            w.write(cri("stdout", "F", "last"))
        assert wait_for(lambda: len(api.logs()) == 12, 10)
    finally:
        err = f.stop()
    msgs = sorted(l["message"] for l in api.logs())
    # The part the old file ended on is sent as it was (its F line never
    # came there); every line once.
    assert msgs == sorted(["old %d" % i for i in range(5)] + ["cut across "]
                          + ["new %d" % i for i in range(5)] + ["last"]), (msgs, err)
    assert all(l["items"]["pod"] == "web-7d9f" for l in api.logs())


def test_from_start_for_one_input_only(api, tmp_path):
    (tmp_path / "old.log").write_text("old 1\nold 2\n")
    (tmp_path / "new.log").write_text("there before\n")
    f = Follower(api, tmp_path, '''\
        { paths = "old.log", from_start = true },
        { paths = "new.log" },''')
    try:
        assert wait_for(lambda: len(api.logs()) == 2, 10)
        with open(tmp_path / "new.log", "a") as w:
            w.write("new 1\n")
        assert wait_for(lambda: len(api.logs()) == 3, 10)
    finally:
        err = f.stop()
    assert sorted(l["message"] for l in api.logs()) == ["new 1", "old 1", "old 2"]
    assert "following %s from its end: 1 line" % (tmp_path / "new.log") in err
