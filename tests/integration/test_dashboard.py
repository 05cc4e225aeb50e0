"""The operator console: the dashboard in a real terminal (tmux), and the
headless status line."""
import json
import os
import re
import shlex
import subprocess
import time

import pytest

from conftest import (BIN, NOT_UNDER_VALGRIND, PROJECT, TOKEN, StandIn, Terminals,
                      make_certificate, pids_of, run, script, wait_for)


@pytest.fixture
def term(tmp_path):
    """logmash against api in a terminal: term(args, api) -> Tmux."""
    ts = Terminals(tmp_path)

    def start(args, api, **kw):
        return ts.start(" ".join(shlex.quote(a) for a in
                                 [BIN, "--url", api.url, "--project-id", PROJECT, *args]), **kw)
    yield start
    ts.close()
    # A closed terminal stops logmash (see the hang-up test); a leftover
    # would spin on, unseen, and slow every test after it.
    assert wait_for(lambda: not pids_of(tmp_path), 15), "logmash outlived its terminal"


def append(path, lines):
    with open(path, "a") as f:
        for l in lines:
            f.write(l + "\n")


def counter(screen, name):
    m = re.search(r"│ %s\s+(\d+)" % re.escape(name), screen)
    return int(m.group(1)) if m else None


def test_counters_on_screen_match_what_arrived(api, term, tmp_path):
    log = tmp_path / "app.log"
    append(log, ["line %d ERROR boom" % i if i % 4 == 0 else "line %d" % i for i in range(300)])
    t = term(["-F", "--from-start", "-e", script("levels.lua"), str(log)], api)
    t.wait_screen(r"SENDING|IDLE")
    assert wait_for(lambda: len(api.logs()) == 300)
    # The next frames catch up: read, sent, the levels, and the header.
    assert wait_for(lambda: counter(t.screen(), "sent") == 300, 5), t.screen()
    s = t.screen()
    assert counter(s, "read") == 300
    assert counter(s, "failed") == 0
    arrived = api.logs()
    errors = sum(1 for l in arrived if l.get("level") == "Error")
    assert re.search(r"Error\s+%d\b" % errors, s), s
    assert "project test-project" in s and api.url in s
    assert TOKEN not in s
    # Per source: behind, sent, dropped, failed, lag, state.
    assert re.search(r"app\.log\s+\S+ \S+\s+300\s+0\s+0\s+\S+\s+following", s), s
    t.keys("q")
    assert t.exit_code() == 0


def test_503_shows_in_the_errors_panel_with_its_status(term, tmp_path):
    api = StandIn("--fail-every", "3", "--fail-status", "503")
    try:
        log = tmp_path / "app.log"
        append(log, ["hello %d" % i for i in range(30)])
        t = term(["-F", "--from-start", str(log)], api)
        t.wait_screen(r"Errors 1")
        t.keys("Tab")  # 100x30: one pane at a time; Tab brings the errors
        t.wait_screen(r"http\s+x?\d*\s+HTTP 503")
        # Enter opens it whole.
        t.keys("Enter")
        t.wait_screen(r"Error \(Esc closes\)")
        t.wait_screen(r"kind:\s+http")
        t.keys("Escape")
        assert wait_for(lambda: "Esc closes" not in t.screen(), 5)
        assert wait_for(lambda: len(api.logs()) == 30)
        t.keys("q")
        assert t.exit_code() == 0
    finally:
        api.stop()


def test_a_broken_scripts_error_shows_with_file_and_line(api, term, tmp_path):
    broken = tmp_path / "broken.lua"
    broken.write_text("function enrich(log)\n  if log.message:find('bad') then error('no good') end\nend\n")
    log = tmp_path / "app.log"
    append(log, ["fine", "bad one", "fine again"])
    t = term(["-F", "--from-start", "-e", str(broken), str(log)], api, width=200, height=60)
    # 200x60: the three panes are stacked, errors visible without Tab.
    t.wait_screen(r"Sources 1.*\n(.*\n)*.*Errors 1")
    t.wait_screen(r"script\s+\S*broken\.lua:2: no good")
    t.wait_screen(r"script errors\s+1")
    assert wait_for(lambda: len(api.logs()) == 3)  # the log went on as it was
    # Enter on it: the line it failed on, as check shows it.
    t.keys("Tab", "Enter")
    t.wait_screen(r"failed on \(the latest\): \S*app\.log")  # wrapped in the popup:
    t.wait_screen(r"line 2: bad one")
    t.keys("Escape")
    assert wait_for(lambda: "Esc closes" not in t.screen(), 5)
    t.keys("q")
    assert t.exit_code() == 0


def test_p_pauses_sending_and_resumes_it(api, term, tmp_path):
    log = tmp_path / "app.log"
    append(log, ["before %d" % i for i in range(10)])
    t = term(["-F", "--from-start", str(log)], api)
    assert wait_for(lambda: len(api.logs()) == 10)
    t.keys("p")
    t.wait_screen(r"PAUSED")
    append(log, ["during %d" % i for i in range(20)])
    time.sleep(1.5)
    assert len(api.logs()) == 10, "sent while paused"
    t.wait_screen(r"queued (20|1\d)|waiting [1-9]")  # read and waiting
    t.keys("p")
    assert wait_for(lambda: len(api.logs()) == 30)
    t.wait_screen(r"SENDING|IDLE")
    t.keys("q")
    assert t.exit_code() == 0


def test_help_explains_every_key_the_footer_shows(api, term, tmp_path):
    """The footer and ? come from one key table: each key the footer names is
    in the help window, which a second ? closes."""
    log = tmp_path / "app.log"
    append(log, ["one"])
    t = term(["-F", "--from-start", str(log)], api, width=140, height=40)
    t.wait_screen(r"\? help\s*$")
    footer = t.lines()[39]
    shown = re.findall(r"(?:^ |  )(\S+) [a-zA-Z]", footer)
    assert "q" in shown and "p" in shown and "?" in shown, footer
    t.keys("?")
    t.wait_screen(r"Keys")
    help_labels = {m for l in t.lines() for m in re.findall(r"│ (\S+)(?=\s{2,}\S)", l)}
    for key in shown:
        assert any(key == label or key in label.split("/") for label in help_labels), \
            (key, help_labels)
    t.keys("?")
    assert wait_for(lambda: "Keys" not in t.screen(), 5)
    t.keys("q")
    assert t.exit_code() == 0


def test_r_reloads_the_scripts(api, term, tmp_path):
    enrich = tmp_path / "tag.lua"
    enrich.write_text("function enrich(log) log.items.v = 'one' end\n")
    log = tmp_path / "app.log"
    append(log, ["a"])
    t = term(["-F", "--from-start", "-e", str(enrich), str(log)], api)
    assert wait_for(lambda: len(api.logs()) == 1)
    enrich.write_text("function enrich(log) log.items.v = 'two' end\n")
    t.keys("r")
    t.wait_screen(r"reloaded 1x")
    # A reload that took is an event, not an error.
    t.wait_screen(r"Errors 0 \(Tab\).*Events and script messages 1")
    append(log, ["b"])
    assert wait_for(lambda: len(api.logs()) == 2)
    assert [l["items"]["v"] for l in api.logs()] == ["one", "two"]
    # A broken script is refused, and the error is shown; the old one goes on.
    enrich.write_text("function enrich(log) oops(\n")
    t.keys("r")
    t.keys("Tab")
    t.wait_screen(r"warning\s+.*not reloaded")
    append(log, ["c"])
    assert wait_for(lambda: len(api.logs()) == 3)
    assert api.logs()[2]["items"]["v"] == "two"
    t.keys("q")
    assert t.exit_code() == 0


def frame_is_clean(lines, w, h):
    """The screen is exactly the dashboard at w x h: header on top, keys at
    the bottom, each box's corners where the layout puts them."""
    assert len(lines) >= h
    assert lines[0].startswith(" logmash "), lines[0]
    assert lines[h - 1].startswith(" q quit"), lines[h - 1]
    rw = max(w // 3, 34)
    assert lines[2][0] == "┌" and lines[2][w - rw - 1] == "┐" and lines[2][w - rw] == "┌", lines[2]
    assert lines[2][w - 1] == "┐", lines[2]
    assert lines[13][0] == "└" and lines[13][w - 1] == "┘", lines[13]  # 12 rows from row 2
    bottom = [i for i, l in enumerate(lines[:h]) if l.startswith("└")]
    assert bottom[-1] == h - 2, bottom  # the last pane ends just above the keys
    for l in lines[:h]:
        assert len(l) <= w


def test_resize_redraws_without_garbage(api, term, tmp_path):
    log = tmp_path / "app.log"
    append(log, ["x %d" % i for i in range(5)])
    t = term(["-F", "--from-start", str(log)], api, width=120, height=40)
    assert wait_for(lambda: len(api.logs()) == 5)
    for w, h in ((80, 24), (200, 60), (80, 24)):
        t.resize(w, h)
        assert wait_for(lambda: len(t.lines()[0]) <= w and t.lines()[h - 1].startswith(" q quit"), 5), \
            t.screen()
        time.sleep(0.5)  # a frame or two after the resize
        frame_is_clean(t.lines(), w, h)
    # At 200x60 the panes stack: all four titles at once.
    t.resize(200, 60)
    t.wait_screen(r"Sources 1[^\n]*\n(.*\n)*.*Errors 0(.*\n)*.*Events and script messages 0"
                  r"(.*\n)*.*Templates 0")
    # Below 60x12 it degrades to the essentials, as docs/dashboard.md says.
    t.resize(59, 12)
    t.wait_screen(r"logmash (sending|idle), up")
    t.wait_screen(r"60x12 or more")
    t.resize(80, 24)
    t.wait_screen(r" q quit")
    t.keys("q")
    assert t.exit_code() == 0


def test_q_exits_and_restores_the_terminal(api, term, tmp_path):
    log = tmp_path / "app.log"
    append(log, ["one", "two"])
    t = term(["-F", "--from-start", str(log)], api)
    assert wait_for(lambda: len(api.logs()) == 2)
    assert t.tmux("display", "-p", "#{alternate_on}").strip() == "1"
    t.keys("q")
    assert t.exit_code() == 0, t.screen()
    t.wait_screen("EXITED")
    assert t.tmux("display", "-p", "#{alternate_on}").strip() == "0"
    assert t.tmux("display", "-p", "#{cursor_flag}").strip() == "1"
    before = (tmp_path / "stty.before").read_text()
    assert wait_for(lambda: (tmp_path / "stty.after").exists())
    assert (tmp_path / "stty.after").read_text() == before  # modes as they were
    s = t.screen()
    assert "logmash: read 2, dropped 0, sent 2" in s


def test_insecure_is_in_the_header(term, tmp_path):
    api = StandIn(tls=make_certificate(str(tmp_path)))
    try:
        log = tmp_path / "app.log"
        append(log, ["one"])
        t = term(["--insecure", "-F", "--from-start", str(log)], api)
        t.wait_screen(r"TLS NOT VERIFIED \(--insecure\)")
        assert wait_for(lambda: len(api.logs()) == 1)
        assert "TLS NOT VERIFIED" in t.screen().splitlines()[0]
        t.keys("q")
        assert t.exit_code() == 0
    finally:
        api.stop()


@NOT_UNDER_VALGRIND
def test_a_crash_still_restores_the_terminal(api, term, tmp_path):
    log = tmp_path / "app.log"
    append(log, ["one"])
    t = term(["-F", "--from-start", str(log)], api)
    assert wait_for(lambda: len(api.logs()) == 1)
    pid = subprocess.run(["pgrep", "-n", "-f", "logmash --url %s" % api.url],
                         capture_output=True, text=True).stdout.split()
    assert pid
    os.kill(int(pid[0]), 11)  # SIGSEGV, as a bug would
    t.wait_screen("EXITED")
    assert t.tmux("display", "-p", "#{alternate_on}").strip() == "0"
    assert (tmp_path / "stty.after").read_text() == (tmp_path / "stty.before").read_text()


def test_no_color_draws_without_colour(api, term, tmp_path):
    log = tmp_path / "app.log"
    append(log, ["one"])
    coloured = term(["-F", "--from-start", str(log)], api)
    coloured.wait_screen("SENDING|IDLE")
    assert re.search(r"\x1b\[3[0-7]m|\x1b\[[0-9;]*3[1-6][;m]",
                     coloured.tmux("capture-pane", "-p", "-e"))
    coloured.keys("q")
    plain = term(["-F", "--from-start", str(log)], api, env={"NO_COLOR": "1"})
    plain.wait_screen("SENDING|IDLE")
    assert not re.search(r"\x1b\[[0-9;]*3[1-7][;m]", plain.tmux("capture-pane", "-p", "-e"))
    plain.keys("q")


def test_headless_status_line_and_json(api, tmp_path):
    lines = "".join("line %d\n" % i for i in range(200))
    # Slow answers keep it running long enough for a few lines.
    api.faults(delay_ms=20)
    p = run(["--status-interval", "0.3", "--max-in-flight", "4"], api=api, input=lines)
    err = p.stderr.decode()
    status = [l for l in err.splitlines() if l.startswith("logmash: status: ")]
    assert status, err
    assert re.match(r"logmash: status: (sending|idle), up \d+:\d\d: read \d+ \(\S+/s\), dropped 0, "
                    r"sent \d+ \(\S+/s\)", status[0]), status[0]
    assert "\x1b" not in err  # no dashboard when stdout is not a terminal
    p = run(["--status-interval", "0.3", "--status-format", "json", "--max-in-flight", "4"],
            api=api, input=lines)
    docs = [json.loads(l) for l in p.stderr.decode().splitlines() if l.startswith("{")]
    assert docs
    assert {"state", "read", "sent", "failed", "queued", "latency_p99_ms"} <= set(docs[-1])
    assert docs[-1]["read"] <= 200 and docs[-1]["sent"] <= docs[-1]["read"]
    assert TOKEN not in p.stderr.decode()


def test_status_interval_0_turns_the_status_line_off(api):
    api.faults(delay_ms=20)
    p = run(["--status-interval", "0", "--max-in-flight", "2"], api=api,
            input="".join("line %d\n" % i for i in range(100)))
    assert p.returncode == 0, p.stderr
    assert b"logmash: status:" not in p.stderr
    assert len(api.logs()) == 100


def test_status_format_is_checked(api):
    p = run(["--status-format", "yaml"], api=api, input="x\n")
    assert p.returncode == 2
    assert b"--status-format is text or json" in p.stderr


def test_a_closed_terminal_stops_logmash(api, term, tmp_path):
    log = tmp_path / "app.log"
    append(log, ["one"])
    t = term(["-F", "--from-start", "--state-dir", str(tmp_path / "state"), str(log)], api)
    assert wait_for(lambda: len(api.logs()) == 1)
    assert pids_of(tmp_path)
    t.kill()  # the operator's session ends: the terminal hangs up
    assert wait_for(lambda: not pids_of(tmp_path), 15)
    # It stopped as on SIGTERM: what arrived is checkpointed, nothing lost.
    append(log, ["two"])
    p = run(["--state-dir", str(tmp_path / "state"), str(log)], api=api)
    assert p.returncode == 0
    assert [l["message"] for l in api.logs()] == ["one", "two"]


def test_dashboard_shows_the_concurrency_limit_and_why(tmp_path, term):
    """Across a network (the remote stand-in, 20 ms, capacity 32 with 503 for
    the rest): the limit, why it last moved, and the round trip against its
    baseline are on screen."""
    import remote_api  # tests/remote, on the path through conftest
    log = tmp_path / "app.log"
    log.write_text("".join("seq %d\n" % i for i in range(20000)))
    with remote_api.RemoteAPI(delay_ms=20, capacity=32) as api:
        t = term(["--ca-file", api.cert, "-F", "--from-start", str(log)], api, width=120,
                 height=40)
        try:
            t.wait_screen(r"in flight \d+/\d+")
            t.wait_screen(r"limit \d+: 503 from the API")
            t.wait_screen(r"round trip \d+(\.\d+)? ms, base (19|2\d)(\.\d+)? ms")
            t.keys("q")
            assert t.exit_code() == 0
        finally:
            t.kill()


def test_stdin_on_the_terminal_turns_the_dashboard_off_and_loses_no_keystroke(api, term):
    """The keys and the logs typed would share the terminal: logmash says so,
    goes on headless, and every line typed is a log. (--max-in-flight 1: the
    order of delivery is promised only then; under ASan the two went at once.)"""
    t = term(["--max-in-flight", "1", "-"], api)
    t.wait_screen(r"no dashboard: standard input is this terminal")
    t.keys("first typed", "Enter")
    t.keys("q", "Enter")  # a log, not the dashboard's quit
    t.keys("C-d")
    assert t.exit_code() == 0, t.screen()
    assert [g["message"] for g in api.logs()] == ["first typed", "q"]


def test_a_one_shot_run_keeps_its_last_screen_until_q(api, term, tmp_path):
    """Without -F the file is sent in a moment: the dashboard stays on its
    final counts, says it is finished, and the summary follows after q."""
    log = tmp_path / "app.log"
    append(log, ["line %d" % i for i in range(50)])
    t = term([str(log)], api)
    t.wait_screen(r"FINISHED.*every input read to its end: q quits")
    assert counter(t.screen(), "sent") == 50, t.screen()
    time.sleep(1)
    assert not t.done.exists()  # still there, waiting for q
    t.keys("q")
    assert t.exit_code() == 0, t.screen()
    t.wait_screen(r"logmash: read 50, dropped 0, sent 50")


def test_sources_show_each_files_input_by_name(api, term, tmp_path):
    (tmp_path / "shop.log").write_text("buy 1\n")
    log = tmp_path / "pods" / "shop_web-1_u1" / "app" / "0.log"
    log.parent.mkdir(parents=True)
    log.write_text("2026-11-26T10:00:00Z stdout F hi\n")
    cfg = tmp_path / "config.lua"
    cfg.write_text('inputs = {\n  { name = "shop", paths = "shop.log" },\n'
                   '  { name = "pods", paths = "pods/*/*/*.log", format = "cri" },\n}\n')
    t = term(["-F", "--from-start", "-c", str(cfg)], api)
    assert wait_for(lambda: len(api.logs()) == 2, 10)
    t.wait_screen(r"shop: \S*shop\.log\s")
    t.wait_screen(r"pods: \S*0\.log\s")
    t.keys("q")
    assert t.exit_code() == 0


def test_a_journal_source_shows_in_sources(api, term, tmp_path):
    from test_journal import shop, write_journal
    j = tmp_path / "j"
    write_journal(j, shop(40))
    t = term(["-F", "--from-start", "--journal-directory", str(j)], api)
    assert wait_for(lambda: len(api.logs()) == 40)
    # Its path, nothing behind in bytes, its logs sent, lag and state.
    assert wait_for(lambda: re.search(r"journal:.*/j\s+-\s+40\s+0\s+0\s+\S+\s+following",
                                      t.screen()), 5), t.screen()
    t.keys("q")
    assert t.exit_code() == 0
