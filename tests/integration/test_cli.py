"""The command line, the config file and credentials."""
import os
import re
import subprocess

import pytest

from conftest import BIN, PROJECT, ROOT, TOKEN, dry, run


def long_options():
    """Every option the parser takes: the settings table and the command-line-only ones."""
    table = open(os.path.join(ROOT, "src", "settings.c")).read()
    names = re.findall(r'SETTING\("([a-z0-9-]+)"', table)
    cli = open(os.path.join(ROOT, "src", "options.c")).read()
    names += re.findall(r'\{"([a-z-]+)", (?:required|no|optional)_argument', cli)
    assert len(names) > 30
    return [n for n in names if n != "token"]


def test_help_documents_every_option():
    p = run(["--help"], token=None)
    assert p.returncode == 0
    out = p.stdout.decode()
    assert out.startswith("Usage: logmash")
    for name in long_options():
        assert "--" + name in out, name


def test_docs_and_man_page_document_every_option():
    table = open(os.path.join(ROOT, "docs", "configuration.md")).read()
    man = open(os.path.join(ROOT, "packaging", "logmash.1")).read().replace("\\-", "-")
    for name in long_options():
        assert "--" + name in table, name
        assert "--" + name in man, name


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


@pytest.mark.parametrize("text,says", [
    ("while true do end", "it runs too long (over 10000000 Lua instructions)"),
    ("local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(1000) .. i end", "not enough memory"),
    ("os.execute('touch pwned')", "attempt to index a nil value (global 'os')"),
    ("timeout = 'soon'", "--timeout wants seconds"),
])
def test_a_config_file_is_settings_not_a_program(tmp_path, text, says):
    cfg = tmp_path / "logmash.lua"
    cfg.write_text(text + "\n")
    p = run(["--dry-run", "--config", str(cfg), "-"], token=None, input="x\n")
    assert p.returncode == 2
    assert says.encode() in p.stderr, p.stderr
    assert not (tmp_path / "pwned").exists()
