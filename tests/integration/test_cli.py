"""The command line, the config file and credentials."""
import json
import os
import re

import pytest

from conftest import PROJECT, ROOT, TOKEN, run


def help_options():
    """--help, which logmash writes from its settings table:
    {section: {long name: (short, arg, default)}}."""
    p = run(["--help"], token=None)
    assert p.returncode == 0
    sections, section, opt = {}, None, None
    for line in p.stdout.decode().splitlines():
        if line.endswith(":") and not line.startswith(" "):
            section = line.split()[0].rstrip(":")
            sections[section] = {}
            continue
        m = re.match(r"^  (?:-(\w), |    )--([a-z0-9-]+)(?: (\S+))?(?:  +(.*))?$", line)
        if m and section:
            opt = m.group(2)
            sections[section][opt] = [m.group(1), m.group(3), m.group(4) or ""]
        elif line.startswith(" " * 29) and opt:
            sections[section][opt][2] += " " + line.strip()
        else:
            opt = None
    result = {}
    for sec, opts in sections.items():
        result[sec] = {}
        for name, (short, arg, text) in opts.items():
            d = re.search(r"\bdefault ([^;)]+)\)", text)
            result[sec][name] = (short, arg, d.group(1) if d else None)
    assert sum(len(o) for o in result.values()) > 40
    return result


def man_page():
    return open(os.path.join(ROOT, "packaging", "logmash.1")).read().replace("\\-", "-")


def man_options():
    """The man page's OPTIONS: {section: {long name: (short, arg, text)}}."""
    man = man_page()
    body = man[man.index("\n.SH OPTIONS\n"):]
    body = body[:body.index("\n.SH ", 1)]
    sections, section, tag, text = {}, None, None, []

    def close():
        if tag is not None:
            shorts = re.findall(r"(?<![-\w])-(\w)\b", tag)
            args = re.findall(r'" ([A-Z][A-Z:_]*)"', tag)
            plain = re.sub(r"\\f[BIR]|^\.\w+ ", "", " ".join(text))
            for name in re.findall(r"--([a-z0-9-]+)", tag):
                sections[section][name] = (shorts[0] if shorts else None,
                                           args[-1] if args else None, plain)
    lines = body.splitlines()
    for k, line in enumerate(lines):
        if line.startswith(".SS "):
            close()
            tag, section = None, line[4:].split()[0]
            sections[section] = {}
        elif line == ".TP":
            close()
            tag, text = lines[k + 1], []
        elif tag is not None and line != tag:
            text.append(line)
    close()
    return sections


def test_help_and_man_page_list_the_same_options_both_ways():
    """Each option of --help (the settings table) is in the man page's
    OPTIONS under the same section, with the same short option, value
    name and default; and the man page lists no option the table lacks."""
    helped, man = help_options(), man_options()
    assert sorted(helped) == sorted(man), "sections"
    for sec in helped:
        assert sorted(helped[sec]) == sorted(man[sec]), sec
        for name, (short, arg, default) in helped[sec].items():
            m_short, m_arg, m_text = man[sec][name]
            assert (short, arg) == (m_short, m_arg), name
            if default:
                assert re.search(r"default\)? ?\(?" + re.escape(default) + r"\b", m_text) or \
                    re.search(re.escape(default) + r"\W+\(the default\)", m_text), (name, default)


def test_man_page_config_keys_are_what_the_config_file_takes_both_ways(tmp_path):
    """Every key the man page's CONFIG FILE lists is taken by a config file;
    every option it does not list is an unknown setting there."""
    man = man_page()
    keys = man[man.index("Its keys:"):]
    keys = set(re.findall(r"[a-z0-9_]+", keys[len("Its keys:"):keys.index(".PP")]))
    names = {n.replace("-", "_") for opts in help_options().values() for n in opts}
    assert {"inputs", "scripts", "token_file"} <= keys

    def taken(key):
        cfg = tmp_path / "c.lua"
        cfg.write_text("%s = 1\n" % key)
        p = run(["--dry-run", "-c", str(cfg), "-"], input=b"", token=None)
        return b"unknown setting" not in p.stderr
    for key in sorted(names | keys):
        assert taken(key) == (key in keys), key


def example_config():
    """logmash example-config: {key: (value or None when commented out, help,
    takes a restart)}, and the whole text."""
    p = run(["example-config"], token=None)
    assert p.returncode == 0, p.stderr
    text = p.stdout.decode()
    rows, help_lines = {}, []
    for line in text.split("\n-- ---- API ----")[1].splitlines():
        m = re.match(r"^(-- )?([a-z0-9_]+) = (.*)$", line)
        if m:
            assert m.group(2) not in rows, m.group(2)  # once each
            helptext = " ".join(help_lines)
            rows[m.group(2)] = (None if m.group(1) else m.group(3), helptext,
                                "(restart:" in helptext)
            help_lines = []
        elif line.startswith("-- ") and not line.startswith("-- ----"):
            help_lines.append(line[3:])
    return rows, text


def test_example_config_holds_every_setting_with_its_default_both_ways(tmp_path):
    """The example config has each setting of --help (the table) once, with
    its default and help, and nothing else; it loads as a config as it is;
    the settings it marks as taking a restart are those the man page's
    SIGNALS names."""
    rows, text = example_config()
    helped = {n.replace("-", "_"): d for opts in help_options().values()
              for n, (_, _, d) in opts.items()}
    # --template-mask is repeatable: the config's key is the list template_masks.
    # The journal's options are an input of the config: inputs = { { journal = ... } }.
    cli_only = {"token_file", "filter", "enrich", "config", "help", "version", "dry_run",
                "replay", "template_mask", "journal", "journal_directory", "journal_match"}
    assert set(rows) == set(helped) - cli_only
    for key, (value, helptext, _) in rows.items():
        assert helptext, key
        if helped[key] is not None:
            assert value is not None and value.strip('"') == helped[key], (key, value)
    for key in ("token_file", "inputs", "scripts", "template_masks"):  # not options
        assert "-- %s = " % key in text
    assert "@" not in text
    cfg = tmp_path / "config.lua"
    cfg.write_text(text)
    p = run(["--dry-run", "-c", str(cfg), "-"], input=b"x\n", token=None)
    assert p.returncode == 0 and p.stdout.strip() == b'{"message":"x"}', p.stderr
    man = man_page()
    signals = man[man.index("\n.SH SIGNALS"):man.index("\n.SH ENVIRONMENT")]
    listed = signals[signals.index("except those that take a restart:"):signals.index("and standard input")]
    named = set(re.findall(r"\.BR? ([a-z0-9_]+)", listed))
    assert named == {k for k, (_, _, restart) in rows.items() if restart}


def test_the_man_page_has_no_placeholders():
    assert not re.search(r"@[A-Z]+@", man_page())


def test_readme_is_an_entry_page_and_its_links_resolve():
    """README.md stays short; every relative link in it and in docs/ names a
    file that exists, and every #anchor a heading there."""
    import re as _re
    readme = os.path.join(ROOT, "README.md")
    assert os.path.getsize(readme) <= 12000
    pages = [readme, os.path.join(ROOT, "HACKING.md")] + [
        os.path.join(ROOT, "docs", f) for f in os.listdir(os.path.join(ROOT, "docs"))]

    def anchors(path):
        heads = _re.findall(r"^#+ (.*)$", open(path).read(), _re.M)
        return {_re.sub(r"[^\w\- ]", "", _re.sub(r"[`*]", "", h.strip().lower())).replace(" ", "-")
                for h in heads}
    for page in pages:
        for target in _re.findall(r"\]\(([^)\s]+)\)", open(page).read()):
            if target.startswith(("http://", "https://")):
                continue
            path, _, anchor = target.partition("#")
            full = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
            assert os.path.exists(full), (page, target)
            if anchor:
                assert anchor in anchors(full), (page, target)


def test_version():
    p = run(["--version"], token=None)
    assert p.returncode == 0
    assert re.match(rb"logmash \d+\.\d+\.\d+", p.stdout)


def test_unknown_option_is_a_usage_error():
    p = run(["--frobnicate"], token=None)
    assert p.returncode == 2
    assert b"Try 'logmash --help'" in p.stderr


def test_token_is_never_an_argument():
    p = run(["--token", "secret", "-"], token=None, input="x\n")
    assert p.returncode == 2
    assert b"never taken as an argument" in p.stderr


def test_missing_token_or_project_id_is_a_clear_error(api):
    p = run(["-"], api=api, token=None, input="x\n")
    assert p.returncode == 2
    assert b"no API token: set CODEMASH_TOKEN or use --token-file" in p.stderr
    p = run(["-"], api=api, project=None, input="x\n")
    assert p.returncode == 2
    assert b"no project id" in p.stderr


def test_token_file_and_project_id_from_environment(api, tmp_path):
    tf = tmp_path / "token"
    tf.write_text(TOKEN + "\n")
    os.chmod(tf, 0o600)
    p = run(["--token-file", str(tf), "-"], api=api, token=None, project=None,
            env={"CODEMASH_PROJECT_ID": PROJECT}, input="via file\n")
    assert p.returncode == 0, p.stderr
    assert b"readable by every user" not in p.stderr
    assert [g["message"] for g in api.logs()] == ["via file"]
    os.chmod(tf, 0o644)
    p = run(["--token-file", str(tf), "-"], api=api, token=None, input="again\n")
    assert b"readable by every user" in p.stderr


def test_bad_numbers_are_usage_errors():
    for args in (["--max-in-flight", "0"], ["--max-line-bytes", "12Q"], ["--timeout", "-1"],
                 ["--url", "ftp://x"], ["--api-version", "v1/x"], ["--rate-limit", "0"]):
        p = run(["--dry-run", *args, "-"], token=None, input="x\n")
        assert p.returncode == 2, args
        assert p.stderr.startswith(b"logmash: "), args


def test_config_file_sets_everything_and_flags_override(api, tmp_path):
    (tmp_path / "token").write_text(TOKEN)
    os.chmod(tmp_path / "token", 0o600)
    (tmp_path / "up.lua").write_text("function enrich(log) log.message = log.message:upper() end")
    (tmp_path / "in.log").write_text("from config\n")
    cfg = tmp_path / "logmash.lua"
    cfg.write_text(
        'url = "%s"\n'
        'api_version = "v2"\n'
        'project_id = "%s"\n'
        'token_file = "token"            -- relative to this file\n'
        'inputs = { "in.log" }\n'
        'scripts = { { enrich = "up.lua" } }\n'
        'max_in_flight = 4\n'
        'max_line_bytes = "64K"\n' % (api.url, PROJECT))
    p = run(["--config", str(cfg)], token=None)
    assert p.returncode == 0, p.stderr
    assert [(g["message"], g["version"]) for g in api.logs()] == [("FROM CONFIG", "v2")]
    p = run(["-c", str(cfg), "--api-version", "v1", "-"], token=None, input="from stdin\n")
    assert p.returncode == 0, p.stderr
    assert [(g["message"], g["version"]) for g in api.logs()][1] == ("FROM STDIN", "v1")


def test_rate_limit_is_a_rate():
    p = run(["--dry-run", "--rate-limit", "0", "-"], token=None, input="x\n")
    assert p.returncode == 2
    assert b"--rate-limit wants requests a second" in p.stderr


def test_config_file_errors(tmp_path):
    cfg = tmp_path / "c.lua"
    for text, want in (('urll = "x"', b"unknown setting 'urll'"),
                       ('token = "abc"', b"does not belong in the config file"),
                       ('max_in_flight = {}', b"'max_in_flight' must be a number"),
                       ('url = ', b"cannot load config")):
        cfg.write_text(text)
        p = run(["--dry-run", "-c", str(cfg), "-"], token=None, input="x\n")
        assert p.returncode == 2, text
        assert want in p.stderr, (text, p.stderr)


def test_token_not_in_argv_or_output(api):
    p = run(["-"], api=api, input="x\n")
    assert TOKEN.encode() not in p.stderr + p.stdout


def test_config_after_an_input_is_still_read(api, tmp_path):
    """Options may follow inputs, --config included."""
    (tmp_path / "up.lua").write_text("function enrich(log) log.message = log.message:upper() end")
    cfg = tmp_path / "c.lua"
    cfg.write_text('project_id = "%s"\nscripts = { { enrich = "up.lua" } }\n' % PROJECT)
    p = run(["--url", api.url, "-", "--config", str(cfg)], token=TOKEN, input="late config\n")
    assert p.returncode == 0, p.stderr
    assert [g["message"] for g in api.logs()] == ["LATE CONFIG"]


def test_a_config_file_reads_the_environment(tmp_path):
    """os.getenv, and nothing else of os: a DaemonSet names each log's node."""
    cfg = tmp_path / "logmash.lua"
    cfg.write_text('inputs = { { paths = "-", items = { node = os.getenv("NODE_NAME") } } }\n')
    p = run(["--dry-run", "--config", str(cfg)], token=None, input="x\n",
            env={"NODE_NAME": "node-7"})
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout.decode().splitlines()[0])["items"] == {"node": "node-7"}


@pytest.mark.parametrize("text,says", [
    ("while true do end", "it runs too long (over 10000000 Lua instructions)"),
    ("local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(1000) .. i end", "not enough memory"),
    ("os.execute('touch pwned')", "attempt to call a nil value (field 'execute')"),
    ("io.open('pwned', 'w')", "attempt to index a nil value (global 'io')"),
    ("timeout = 'soon'", "--timeout wants seconds"),
])
def test_a_config_file_is_settings_not_a_program(tmp_path, text, says):
    cfg = tmp_path / "logmash.lua"
    cfg.write_text(text + "\n")
    p = run(["--dry-run", "--config", str(cfg), "-"], token=None, input="x\n")
    assert p.returncode == 2
    assert says.encode() in p.stderr, p.stderr
    assert not (tmp_path / "pwned").exists()


def test_exit_codes_in_util_h_are_the_man_pages():
    """The exit codes are written once, in the man page's EXIT STATUS; the
    code's names for them must be the codes it describes."""
    with open(os.path.join(ROOT, "src", "util.h")) as f:
        enum = re.search(r"enum \{\s*(EXIT_.*?)\};", f.read(), re.S).group(1)
    codes = {name: int(v) for name, v in re.findall(r"(EXIT_[A-Z]+) = (\d+)", enum)}
    with open(os.path.join(ROOT, "packaging", "logmash.1")) as f:
        man = f.read()
    section = man[man.index(".SH EXIT STATUS"):]
    section = section[:section.index(".S", 4)]  # a run's codes, not `status`'s (.SS)
    described = {int(n) for n in re.findall(r"^\.TP\n\.B (\d+)$", section, re.M)}
    assert set(codes.values()) == described, (codes, described)
    # and what each name says is what its code's paragraph says
    para = {int(n): text for n, text in re.findall(r"^\.B (\d+)\n(.*?)(?=^\.TP|\Z)", section, re.M | re.S)}
    words = {"EXIT_DELIVERED": "Nothing was lost", "EXIT_UNDELIVERED": "not delivered",
             "EXIT_USAGE": "Usage, config or script error", "EXIT_FATAL": "system call failed",
             "EXIT_AUTH": "refused the token", "EXIT_ENDPOINT": "URL is wrong"}
    assert set(words) == set(codes)
    for name, code in codes.items():
        assert words[name] in " ".join(para[code].split()), (name, para[code])
    # the docs point at it rather than copy it
    with open(os.path.join(ROOT, "docs", "operations.md")) as f:
        ops = f.read()
    assert "EXIT STATUS" in ops and "| 3 |" not in ops


def test_hackings_module_map_names_every_source_file():
    """HACKING.md's table of files is the newcomer's map: every .c of src/
    and ui/ is in it, and it names no file that is gone."""
    with open(os.path.join(ROOT, "HACKING.md")) as f:
        text = f.read()
    table = text[text.index("| file | its one job |"):text.index("## How failure is reported")]
    named = set()
    for cell in re.findall(r"^\| ([^|]+) \|", table, re.M):
        for name in re.findall(r"`([^`]+\.[ch])`", cell):
            named.add(name if "/" in name else "src/" + name)
    files = {"%s/%s" % (d, n) for d in ("src", "ui") for n in os.listdir(os.path.join(ROOT, d))
             if n.endswith(".c")}
    assert files - named == set(), "not in HACKING.md's table: %s" % sorted(files - named)
    gone = {n for n in named if not os.path.exists(os.path.join(ROOT, n))}
    assert not gone, "HACKING.md names files that are gone: %s" % sorted(gone)
