"""`logmash check -c CONFIG [--connect]`: a configuration checked before it
runs, nothing sent."""
import os
import subprocess

from conftest import BIN, PROJECT, TOKEN, StandIn, make_certificate


def check(*args, env=None, cwd=None):
    e = {"CODEMASH_TOKEN": TOKEN, "PATH": os.environ["PATH"]}
    e.update(env or {})
    return subprocess.run([BIN, "check", *args], capture_output=True, text=True, env=e,
                          cwd=cwd, timeout=30, stdin=subprocess.DEVNULL)


def config(tmp_path, url, **extra):
    lines = ['url = "%s"' % url, 'project_id = "%s"' % PROJECT]
    for k, v in extra.items():
        lines.append("%s = %s" % (k, v))
    p = tmp_path / "config.lua"
    p.write_text("\n".join(lines) + "\n")
    return str(p)


def test_a_good_config_passes_and_sends_nothing(api, tmp_path):
    (tmp_path / "app.log").write_text("x\n")
    cfg = config(tmp_path, api.url, inputs='{"%s"}' % (tmp_path / "app.log"),
                 state_dir='"%s"' % (tmp_path / "state"), follow="true")
    p = check("-c", cfg, "-e", os.path.join(os.path.dirname(BIN), "scripts", "levels.lua"))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "0 errors, 0 warnings" in p.stdout and "levels.lua: loads, enrich" in p.stdout
    assert "will be created" in p.stdout
    assert api.stats()["requests"] == 0


def test_warnings_and_errors_each_say_what_to_do(api, tmp_path):
    tok = tmp_path / "token"
    tok.write_text(TOKEN + "\n")
    tok.chmod(0o644)
    bad = tmp_path / "bad.lua"
    bad.write_text("function enrich(log) return log.x. end\n")
    cfg = config(tmp_path, api.url, follow="true",
                 inputs='{"%s", "%s"}' % (tmp_path / "none" / "*.log", tmp_path / "later.log"))
    p = check("-c", cfg, "--token-file", str(tok), env={"CODEMASH_TOKEN": ""})
    assert p.returncode == 1, p.stdout + p.stderr
    assert "matches nothing yet" in p.stdout and "not there yet" in p.stdout
    assert "chmod 640" in p.stdout
    assert "no --state-dir" not in p.stdout and "give --state-dir DIR" in p.stdout
    p = check("-c", cfg, "-e", str(bad))
    assert p.returncode == 2 and "bad.lua:1:" in p.stdout
    # Without -F a missing input is an error, and a bad setting exits 2 at once.
    p = check("-c", config(tmp_path, api.url, inputs='{"%s"}' % (tmp_path / "gone.log")))
    assert p.returncode == 2 and "gone.log: No such file" in p.stdout
    p = check("-c", cfg, "--max-in-flight", "0")
    assert p.returncode == 2 and "--max-in-flight" in p.stderr


def test_a_state_dir_in_use_is_an_error(api, service, tmp_path):
    svc = service()
    cfg = config(tmp_path, api.url, state_dir='"%s"' % svc.state, follow="true",
                 inputs='{"%s"}' % svc.log)
    p = check("-c", cfg)
    assert p.returncode == 2 and "in use" in p.stdout, p.stdout
    assert svc.proc.poll() is None


def test_connect_reports_the_protocol_and_certificate(tmp_path):
    cert, key = make_certificate(str(tmp_path))
    api = StandIn(tls=(cert, key))
    try:
        cfg = config(tmp_path, api.url)
        p = check("-c", cfg, "--connect", "--ca-file", cert)
        assert p.returncode == 0, p.stdout + p.stderr
        assert "HTTP/2" in p.stdout and "no log sent" in p.stdout
        assert "CN = 127.0.0.1" in p.stdout or "CN=127.0.0.1" in p.stdout
        assert "(verified)" in p.stdout
        assert api.logs() == []
        p = check("-c", cfg, "--connect")  # the system's CAs do not know it
        assert p.returncode == 2 and "certificate" in p.stdout.lower()
    finally:
        api.stop()
    p = check("-c", config(tmp_path, "https://127.0.0.1:1"), "--connect")
    assert p.returncode == 2 and "connect https://127.0.0.1:1" in p.stdout


MISTAKES = '''url = "http://127.0.0.1:9"
max_retires = 3
folow = true
scripts = {
  { filter = "a.lua" },
  { enrch = "x.lua" },
  "b.lua",
}
timeout = "soon"
'''


def test_every_config_mistake_is_named_at_once_with_its_line(tmp_path):
    """A run and `check -c` name each mistake in one go, each with the line
    that made it and, for a typo, the key that was meant."""
    cfg = tmp_path / "config.lua"
    cfg.write_text(MISTAKES)
    want = ["5 mistakes in %s:" % cfg,
            "%s:2: unknown setting 'max_retires' (did you mean max_retries?)" % cfg,
            "%s:3: unknown setting 'folow' (did you mean follow?)" % cfg,
            "%s:6: scripts[2]: unknown key 'enrch' (did you mean enrich?)" % cfg,
            "%s:7: scripts[3]: is a string, not a table" % cfg,
            "%s:9: --timeout wants seconds" % cfg]
    for args in (["check", "-c", str(cfg)], ["--dry-run", "-c", str(cfg), "-"]):
        p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL)
        assert p.returncode == 2, p.stderr
        for w in want:
            assert w in p.stderr, (args, w, p.stderr)
    # One mistake: one line, no count.
    cfg.write_text('url = "http://127.0.0.1:9"\n\nmax_in_fligth = 3\n')
    p = check("-c", str(cfg))
    assert p.returncode == 2
    assert p.stderr == ("logmash: %s:3: unknown setting 'max_in_fligth' "
                        "(did you mean max_in_flight?)\n" % cfg), p.stderr


def test_an_unconfigured_host_is_told_each_thing_it_lacks(tmp_path):
    """The example config as it ships (/etc/logmash/config.lua in the
    package): no project id and no token, both named, nothing else."""
    cfg = tmp_path / "config.lua"
    cfg.write_text(subprocess.run([BIN, "example-config"], capture_output=True, text=True,
                                  check=True).stdout)
    p = check("-c", str(cfg), "--token-file", str(tmp_path / "token"), env={"CODEMASH_TOKEN": ""})
    assert p.returncode == 2, p.stdout + p.stderr
    errors = [l for l in p.stdout.splitlines() if l.startswith("error")]
    assert len(errors) == 2, p.stdout
    assert errors[0].startswith("error   project id: none: set project_id in the config")
    assert errors[1] == "error   token file %s: No such file or directory" % (tmp_path / "token")
    empty = tmp_path / "empty"
    empty.write_text("")
    empty.chmod(0o600)
    p = check("-c", str(cfg), "--token-file", str(empty), "--project-id", PROJECT,
              env={"CODEMASH_TOKEN": ""})
    assert p.returncode == 2 and "error   token file %s" % empty in p.stdout, p.stdout
