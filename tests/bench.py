#!/usr/bin/env python3
"""make bench: logmash measured against a baseline in the same run.

Workload W1 (tests/bench): gen_w1.py 1000000 42, filter.lua, enrich.lua.
Each row alternates logmash and its baseline several times and compares the
median of the ratios of neighbouring runs, so that a noisy shared machine
slows both sides of one ratio alike. At the end one table is printed and kept,
with the machine and the date, in tests/bench/RESULTS.md.

  lua        W1 through --dry-run (read, frame, scripts, encode, write) against
             lua5.4 lua_only.lua (the stock interpreter running only the scripts)
  helpers    W1 with an enrich using logmash.regex, parse_kv, parse_time and
             format_time (helpers.lua) against one giving the same items with
             Lua patterns and a time parser in Lua (patterns.lua): both in
             logmash, and patterns.lua in lua5.4 lua_only.lua
  send       W1 end to end to nginx (Debian's, one worker, answering 200 with a
             log id) over HTTP/1.1, against wrk with as many connections (64);
             and tests/bench/plain_curl.c, the plainest libcurl multi loop
             posting the same body, against the same wrk: libcurl's own floor
  h2         the same over HTTP/2 (TLS, ALPN), against h2load with as many
             connections and streams
  latency    -F on a file written 1,000 lines a second: write to arrival at the
             stand-in API
  memory     peak RSS for W1 end to end; RSS through a 60 s outage with W1 waiting
  growth     CPU per log with 1 to 5,000 followed files, per byte with 100 B to
             64 KiB lines, and CPU seconds per million logs end to end
  dashboard  W1 end to end with the dashboard drawing under tmux against the
             same run headless
  remote     default flags across a network: tests/remote (nginx, TLS, HTTP/2,
             a backend answering 20, 50 or 150 ms later) against h2load -c 4
             -m 128 on the same stand-in (its ceiling); a capacity of 32 with
             the rest refused: 503 after the round trip, 503 at once, 429 and
             Retry-After at once (rate, share refused, CPU a log); a capacity
             of 200 -> 20 -> 200 mid-run, refused at once
  journal    the first 100,000 lines of W1 as journal entries (written by
             systemd-journal-remote, with the fields journald gives a
             service's line) read to their end through the W1 scripts,
             against the same lines from a file; and the crash row below
             with the journal as the input
  kubernetes the DaemonSet of packaging/kubernetes/logmash.yaml as a node runs
             it (its config and arguments) over 100 CRI files of 1,000 W1
             lines, to tests/remote 50 ms away: peak RSS (its memory
             limit), CPU a log (its CPU request), the connections and the
             Prometheus series of a node (the fleet table of
             docs/operations.md)
  crash      -F with a state dir to the stand-in API, SIGKILLed mid-run, then
             started again: the logs sent twice, against what was in flight
             plus 0.1 s of acknowledgements; the fsyncs a second the
             checkpoints cost, and the CPU a log with a state dir against
             the same run without one

usage: bench.py [--stages lua,send,...] [--runs N] [--send-runs N] [--lines N]
                [--outage SECS] [--no-results]
"""
import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))  # template_ga
BENCH = os.path.join(ROOT, "tests", "bench")  # W1: its generator and scripts
OUT = os.path.join(ROOT, "bench-out")
RESULTS = os.path.join(ROOT, "tests", "bench", "RESULTS.md")
LOGMASH = os.path.join(ROOT, "logmash")
STAGES = ["lua", "helpers", "templates", "inputs", "journal", "kubernetes", "send", "h2", "latency", "memory", "growth", "dashboard",
          "watch", "remote", "crash"]

ROWS = []  # (stage, logmash, baseline, ratio or None, target)


def row(stage, ours, base="", ratio=None, target=""):
    ROWS.append((stage, ours, base, ratio, target))
    r = "" if ratio is None else "%.2f" % ratio
    print("  => %-38s %16s %16s %6s  %s" % (stage, ours, base, r, target), flush=True)


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd, stdin_path):
    """Runs cmd with stdin from a file; returns (wall s, cpu s, stderr)."""
    before = cpu_children()
    with open(stdin_path, "rb") as fin:
        t = time.perf_counter()
        p = subprocess.run(cmd, stdin=fin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit("bench: %s failed: %s" % (cmd[0], p.stderr.decode()[-500:]))
    return wall, cpu_children() - before, p.stderr.decode()


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pair_ratio(ours, base):
    """The median over pairs of neighbouring runs of ours/base."""
    return statistics.median(o / b for o, b in zip(ours, base))


# ---- the Lua stage ----

def lua_stage(log, filt, enr, runs, n):
    base_cmd = ["lua5.4", os.path.join(BENCH, "lua_only.lua"), filt, enr]
    ours_cmd = [LOGMASH, "--dry-run", "-f", filt, "-e", enr, "-"]
    base, ours = [], []
    for i in range(runs):
        b = timed(base_cmd, log)
        o = timed(ours_cmd, log)
        kept_b = re.search(r"(\d+) kept", b[2])
        kept_o = re.search(r"written (\d+)", o[2])
        if not kept_b or not kept_o or kept_b.group(1) != kept_o.group(1):
            sys.exit("bench: kept counts differ: %s / %s" % (b[2].strip(), o[2].strip()))
        base.append(b)
        ours.append(o)
        print("  run %d: lua5.4 %.2fs, logmash %.2fs" % (i + 1, b[0], o[0]), flush=True)
    row("Lua stage, W1 (--dry-run vs lua_only)",
        "%.0f lines/s" % (n / statistics.median(x[0] for x in ours)),
        "%.0f lines/s" % (n / statistics.median(x[0] for x in base)),
        pair_ratio([x[0] for x in base], [x[0] for x in ours]), ">= 1.2")
    row("  CPU per line", "%.2f us" % (statistics.median(x[1] for x in ours) / n * 1e6),
        "%.2f us" % (statistics.median(x[1] for x in base) / n * 1e6),
        pair_ratio([x[1] for x in base], [x[1] for x in ours]))


# ---- the template miner ----

def templates_stage(log, filt, enr, runs, n):
    """The miner alone over the 16 Loghub contents repeated to 1,000,000
    lines (against hashing each line), W1's chain with templates.lua after
    it (against the chain alone), and the grouping accuracy table."""
    import template_ga
    if not os.path.isdir(template_ga.LOGHUB):
        print("  (no ../shared/loghub: the templates stage needs it)")
        return
    contents = os.path.join(OUT, "loghub_contents.txt")
    with open(contents, "w", encoding="utf-8") as f:
        for name in sorted(template_ga.DRAIN):
            for r in template_ga.rows(name):
                f.write(r["Content"].replace("\r", " ").replace("\n", " ") + "\n")
    exe = os.path.join(OUT, "template_speed")
    objs = [os.path.join(ROOT, "src", o + ".o") for o in ("template", "template_mask", "utf8",
                                                          "util", "buf")]
    subprocess.run(["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-I" + os.path.join(ROOT, "src"),
                    "-o", exe, os.path.join(BENCH, "template_speed.c"), *objs, "-lpcre2-8",
                    "-lm"], check=True)
    mined, hashed = [], []
    for i in range(runs):
        out = subprocess.run([exe, contents, "1000000"], check=True, capture_output=True,
                             text=True).stdout.split()
        mined.append(float(out[0]))
        hashed.append(float(out[1]))
        groups, memory = int(out[2]), int(out[3])
        print("  run %d: mined %.0f lines/s, hashed %.0f lines/s" % (i + 1, mined[-1], hashed[-1]),
              flush=True)
    row("Template miner alone, 1M Loghub lines", "%.0f lines/s" % statistics.median(mined),
        "%.0f hashed/s" % statistics.median(hashed),
        statistics.median(m / h for m, h in zip(mined, hashed)), ">= 1,000,000 lines/s")
    row("  memory per template", "%.0f B" % (memory / max(groups, 1)), "%d templates" % groups,
        None, "<= 1 KiB")
    tpl = os.path.join(ROOT, "scripts", "templates.lua")
    base, ours = [], []
    for i in range(runs):
        b = timed([LOGMASH, "--dry-run", "-f", filt, "-e", enr, "-"], log)
        o = timed([LOGMASH, "--dry-run", "-f", filt, "-e", enr, "-e", tpl, "-"], log)
        base.append(b[0])
        ours.append(o[0])
        print("  run %d: chain %.2fs, chain + templates.lua %.2fs" % (i + 1, b[0], o[0]),
              flush=True)
    row("W1 chain + templates.lua (rate vs chain)", "%.0f lines/s" % (n / statistics.median(ours)),
        "%.0f lines/s" % (n / statistics.median(base)), pair_ratio(base, ours), ">= 0.7")
    results = template_ga.measure_all()
    print(template_ga.table(results))
    row("Template GA, 16 Loghub datasets", "%.4f" % (sum(r["ga"] for r in results) / 16),
        "Drain 0.8654", None, ">= 0.90")


# ---- the script helpers ----

def helpers_stage(log, filt, runs, n):
    """W1's enrich with logmash's helpers (helpers.lua) against the same
    items from Lua patterns and a time parser in Lua (patterns.lua): both in
    logmash, and patterns.lua under the stock lua5.4. The bodies of the two
    must be the same, byte for byte."""
    helpers, patterns = os.path.join(BENCH, "helpers.lua"), os.path.join(BENCH, "patterns.lua")
    outs = {}
    for s in (helpers, patterns):
        with open(log, "rb") as fin:
            outs[s] = subprocess.run([LOGMASH, "--dry-run", "-f", filt, "-e", s, "-"], stdin=fin,
                                     capture_output=True, check=True).stdout
    if outs[helpers] != outs[patterns] or not outs[helpers]:
        sys.exit("bench: helpers.lua and patterns.lua give different bodies")
    ours_cmd = [LOGMASH, "--dry-run", "-f", filt, "-e", helpers, "-"]
    pat_cmd = [LOGMASH, "--dry-run", "-f", filt, "-e", patterns, "-"]
    lua_cmd = ["lua5.4", os.path.join(BENCH, "lua_only.lua"), filt, patterns]
    ours, pat, lua = [], [], []
    for i in range(runs):
        ours.append(timed(ours_cmd, log))
        pat.append(timed(pat_cmd, log))
        lua.append(timed(lua_cmd, log))
        print("  run %d: helpers %.2fs, patterns %.2fs, patterns in lua5.4 %.2fs"
              % (i + 1, ours[-1][0], pat[-1][0], lua[-1][0]), flush=True)
    rate = lambda runs_: "%.0f lines/s" % (n / statistics.median(x[0] for x in runs_))
    row("helpers vs patterns, both in logmash", rate(ours), rate(pat),
        pair_ratio([x[0] for x in pat], [x[0] for x in ours]), ">= 1.5")
    row("helpers in logmash vs patterns in lua5.4", rate(ours), rate(lua),
        pair_ratio([x[0] for x in lua], [x[0] for x in ours]), ">= 1.2")


# ---- sending ----

def remote_module():
    sys.path.insert(0, os.path.join(ROOT, "tests", "remote"))
    import remote_api
    return remote_api


NGINX_CONF = remote_module().NGINX_HEAD + """
    server {
        listen 127.0.0.1:%(port)d;
        listen 127.0.0.1:%(tls_port)d ssl http2;
        ssl_certificate %(dir)s/cert.pem;
        ssl_certificate_key %(dir)s/key.pem;
        location / {
            default_type application/json;
            return 200 '{"result":"5f0c2c5e-0000-4000-8000-000000000000"}';
        }
    }
}
"""

WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = %(body)s
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-token"
wrk.headers["x-cm-projectid"] = "bench"
"""


@contextlib.contextmanager
def nginx_server():
    """Debian's nginx on free ports of 127.0.0.1, answering as the API does,
    in cleartext HTTP/1.1 and over TLS with HTTP/2. Yields a dict (url,
    tls_url, cert, dir), or None without nginx."""
    nginx = "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        yield None
        return
    tmp = tempfile.mkdtemp(prefix="logmash-send-")
    cert, _ = remote_module().make_certificate(tmp)
    port, tls_port = free_port(), free_port()
    with open(os.path.join(tmp, "nginx.conf"), "w") as f:
        f.write(NGINX_CONF % {"dir": tmp, "port": port, "tls_port": tls_port, "workers": 1})
    srv = subprocess.Popen([nginx, "-c", os.path.join(tmp, "nginx.conf"), "-p", tmp],
                           stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        yield {"url": "http://127.0.0.1:%d" % port, "tls_url": "https://127.0.0.1:%d" % tls_port,
               "cert": cert, "dir": tmp}
    finally:
        srv.terminate()
        srv.wait()
        subprocess.run(["rm", "-rf", tmp])


def proc_status_kib(pid, key):
    """A line of /proc/PID/status in KiB (0 once the process is gone)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_anon(pid):
    """The anonymous part of a running process's RSS now, in KiB: what a
    mapped file (the journal's) does not count in."""
    return proc_status_kib(pid, "RssAnon")


def vm_hwm(pid):
    """The peak RSS of a running process so far, in KiB (0 once it is gone)."""
    return proc_status_kib(pid, "VmHWM")


def send_w1(url, filt, enr, log, connections, extra=(), token="bench-token", project="bench"):
    """logmash sending W1 to url, headless: (logs/s, CPU s, peak RSS KiB, logs sent,
    peak anonymous RSS KiB). connections None: logmash's default concurrency."""
    env = dict(os.environ, CODEMASH_TOKEN=token)
    limit = ["--max-in-flight", str(connections)] if connections else []
    with tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        p = subprocess.Popen([LOGMASH, "--url", url, "--project-id", project, *limit,
                              "-f", filt, "-e", enr, *extra,
                              *([log] if log else [])], stdout=subprocess.DEVNULL, stderr=err, env=env)
        # Its own CPU (wait4) and peak RSS: the kernel's high-water mark,
        # read while it runs. (ru_maxrss would count the forked Python's
        # pages before the exec, about 22 MB.)
        hwm = anon = 0
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            hwm = max(hwm, vm_hwm(p.pid))
            anon = max(anon, rss_anon(p.pid))
            time.sleep(0.05)
        wall = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read()
    if p.returncode != 0:
        sys.exit("bench: logmash failed sending W1: %s" % text.decode()[-400:])
    sent = int(re.search(rb"sent (\d+)", text).group(1))
    return sent / wall, ru.ru_utime + ru.ru_stime, hwm, sent, anon


def w1_body(log, filt, enr):
    """A typical W1 body, as logmash sends it."""
    return subprocess.run([LOGMASH, "--dry-run", "-f", filt, "-e", enr, "-"],
                          input=open(log, "rb").read(4096), capture_output=True).stdout.splitlines()[0]


def build_plain_curl():
    """tests/bench/plain_curl.c built into bench-out."""
    exe = os.path.join(OUT, "plain_curl")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libcurl"], check=True,
                           capture_output=True, text=True).stdout.split()
    subprocess.run(["cc", "-std=c11", "-O2", "-o", exe,
                    os.path.join(ROOT, "tests", "bench", "plain_curl.c"), *flags], check=True)
    return exe


def run_plain_curl(exe, url, body, count, connections):
    """(requests/s, CPU s) of the plain libcurl loop posting body count times."""
    t = time.perf_counter()
    p = subprocess.Popen([exe, url, body, str(count), str(connections)],
                         stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    err = p.stderr.read().decode()
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("bench: plain_curl failed: %s" % err[-400:])
    return count / wall, ru.ru_utime + ru.ru_stime


def sending(srv, log, filt, enr, runs, connections=64):
    """W1 end to end to nginx over HTTP/1.1, against wrk posting a W1 body;
    the plain libcurl loop against the same wrk. Returns (logmash runs,
    the plain loop's CPU s a request)."""
    wrk = "/usr/bin/wrk"
    if not os.path.exists(wrk):
        print("send: skipped (needs Debian's wrk: make deps)")
        return None, None
    body = w1_body(log, filt, enr)
    script = os.path.join(srv["dir"], "post.lua")
    with open(script, "w") as f:
        f.write(WRK_SCRIPT % {"body": json.dumps(body.decode())})
    body_file = os.path.join(srv["dir"], "body.json")
    with open(body_file, "wb") as f:
        f.write(body)
    plain = build_plain_curl()
    base, ours, floor, default = [], [], [], []
    for i in range(runs):
        out = subprocess.run([wrk, "-t1", "-c%d" % connections, "-d10s", "-s", script,
                              srv["url"] + "/v1/logs"], capture_output=True, text=True).stdout
        base.append(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)))
        ours.append(send_w1(srv["url"], filt, enr, log, connections))
        default.append(send_w1(srv["url"], filt, enr, log, None))
        floor.append(run_plain_curl(plain, srv["url"] + "/v1/logs", body_file, 300000,
                                    connections))
        print("  run %d: wrk %.0f req/s, logmash %.0f logs/s (%.1f s CPU), default flags "
              "%.0f logs/s, plain libcurl loop %.0f req/s (%.1f us CPU a request)"
              % (i + 1, base[-1], ours[-1][0], ours[-1][1], default[-1][0], floor[-1][0],
                 floor[-1][1] / 300000 * 1e6), flush=True)
    row("sending HTTP/1.1, %d connections" % connections,
        "%.0f logs/s" % statistics.median(x[0] for x in ours),
        "%.0f req/s" % statistics.median(base), pair_ratio([x[0] for x in ours], base), ">= 0.6")
    row("  the same, default flags (adaptive)",
        "%.0f logs/s" % statistics.median(x[0] for x in default),
        "%.0f req/s" % statistics.median(base), pair_ratio([x[0] for x in default], base),
        ">= 0.39 (fixed 64, before)")
    row("  the plain libcurl loop, same body", "%.0f req/s" % statistics.median(x[0] for x in floor),
        "%.0f req/s" % statistics.median(base), pair_ratio([x[0] for x in floor], base),
        "(libcurl's floor)")
    return ours, statistics.median(x[1] for x in floor) / 300000


def sending_h2(srv, log, filt, enr, runs, connections=64):
    """W1 end to end over HTTP/2 (TLS), against h2load with as many
    connections (one a send thread) and streams (--max-in-flight in all)."""
    h2load = "/usr/bin/h2load"
    if not os.path.exists(h2load):
        print("h2: skipped (needs Debian's nghttp2-client: make deps)")
        return
    body = os.path.join(srv["dir"], "body.json")
    with open(body, "wb") as f:
        f.write(w1_body(log, filt, enr))
    threads = 2 if len(os.sched_getaffinity(0)) >= 2 else 1
    streams = connections // threads
    base, ours = [], []
    for i in range(runs):
        out = subprocess.run([h2load, "-c%d" % threads, "-m%d" % streams, "-t1", "-D10",
                              "-d", body, "-H", "content-type: application/json",
                              "-H", "authorization: Bearer bench-token",
                              "-H", "x-cm-projectid: bench", srv["tls_url"] + "/v1/logs"],
                             capture_output=True, text=True).stdout
        m = re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out)
        if not m or "succeeded, 0 failed" not in out.replace("  ", " ") and " 0 failed" not in out:
            sys.exit("bench: h2load failed: %s" % out[-600:])
        base.append(float(m.group(1)))
        ours.append(send_w1(srv["tls_url"], filt, enr, log, connections,
                            ["--ca-file", srv["cert"], "--send-threads", str(threads)]))
        print("  run %d: h2load %.0f req/s, logmash %.0f logs/s" % (i + 1, base[-1], ours[-1][0]),
              flush=True)
    row("sending HTTP/2 (TLS), %d conn x %d streams" % (threads, streams),
        "%.0f logs/s" % statistics.median(x[0] for x in ours),
        "%.0f req/s" % statistics.median(base), pair_ratio([x[0] for x in ours], base), ">= 0.6")


# ---- an input's rules: formats, presets, encodings, several inputs ----

def derived(name, make):
    """OUT/name, written once by make(file)."""
    path = os.path.join(OUT, name)
    if not os.path.exists(path):
        with open(path + ".tmp", "wb") as f:
            make(f)
        os.rename(path + ".tmp", path)
    return path


def dry_cpu(args, runs):
    """CPU seconds of `logmash --dry-run ARGS` (median of runs) and the logs it wrote."""
    cpus, logs = [], None
    for _ in range(runs):
        wall, cpu, err = timed([LOGMASH, "--dry-run", *args], os.devnull)
        m = re.search(r"written (\d+)", err)
        logs = int(m.group(1)) if m else 0
        cpus.append(cpu)
    return cpus, logs


def per_log_rows(stage, ours_args, base_args, runs, target, logs, scripts):
    """Alternating runs: CPU per W1 log (logs of them, the same in both
    runs) ours against base, with W1's scripts and then without (the
    rules' own cost, undiluted). A ratio of CPU: lower is better."""
    for label, extra in (("", scripts), ("  the same, no scripts", [])):
        ours, base = [], []
        for _ in range(runs):
            base.append(dry_cpu(extra + base_args, 1)[0][0] / logs)
            ours.append(dry_cpu(extra + ours_args, 1)[0][0] / logs)
        row(label or stage, "%.2f us/log" % (statistics.median(ours) * 1e6),
            "%.2f us/log" % (statistics.median(base) * 1e6), pair_ratio(ours, base),
            target + " (CPU)" if not label else "")


def inputs_stage(log, filt, enr, runs, n=300000):
    """What an input's rules cost: the same lines read by the rules and
    without them, no scripts (the rules' own cost, undiluted), and four
    inputs with their own chains against one."""
    plain = w1_slice(log, n)
    lines = open(plain, "rb").read().splitlines()
    ts = b"2026-11-26T10:00:00.123456789Z stdout "

    def cri(f):
        for i, l in enumerate(lines):
            if i % 20 == 0 and len(l) > 8:  # 5%: cut in two parts, as a runtime does at 16 KiB
                h = len(l) // 2
                f.write(ts + b"P " + l[:h] + b"\n" + ts + b"F " + l[h:] + b"\n")
            else:
                f.write(ts + b"F " + l + b"\n")
    # The same text as plain lines (the logs the CRI file holds).
    scripts = ["-f", filt, "-e", enr]
    per_log_rows("W1 as CRI, 5% in P parts, vs plain lines", ["--format", "cri",
                 derived("w1-%d-cri.log" % n, cri)], [plain], runs, "<= 1.3", n, scripts)

    trace = [b"java.lang.IllegalStateException: no stock"] + \
        [b"\tat com.shop.Cart.step%d(Cart.java:%d)" % (k, 40 + k) for k in range(7)] + \
        [b"\t... 12 more"]

    def java(f):
        for i, l in enumerate(lines):
            f.write(l + b"\n")
            if i % 10 == 0:  # 10% of records: a 10-line trace
                f.write(b"\n".join(trace) + b"\n")
    jpath = derived("w1-%d-java.log" % n, java)
    # Per W1 log: with the preset a trace is one log, without it ten.
    per_log_rows("W1, 10% with 10-line Java traces: java preset vs none",
                 ["--multiline", "java", jpath], [jpath], runs, "<= 1.3", n, scripts)

    def latin1(f):
        for l in lines:
            f.write(l.replace(b"user", b"us\xe9r") + b"\n")

    def utf8(f):
        for l in lines:
            f.write(l.replace(b"user", "usér".encode()) + b"\n")
    per_log_rows("W1 in Latin-1, encoding latin1, vs in UTF-8",
                 ["--encoding", "latin1", derived("w1-%d-latin1.log" % n, latin1)],
                 [derived("w1-%d-utf8.log" % n, utf8)], runs, "<= 1.3", n, scripts)

    # Four inputs, each with its own chain, against one input and one chain.
    quarters = []
    for q in range(4):
        quarters.append(derived("w1-%d-q%d.log" % (n, q),
                                lambda f, q=q: f.write(b"".join(l + b"\n" for l in lines[q::4]))))
    four = os.path.join(OUT, "four-inputs.lua")
    with open(four, "w") as f:
        f.write("inputs = {\n%s}\n" % "".join(
            '  { name = "q%d", paths = "%s", scripts = { { filter = "%s" }, { enrich = "%s" } } },\n'
            % (q, p, filt, enr) for q, p in enumerate(quarters)))
    one = os.path.join(OUT, "one-input.lua")
    with open(one, "w") as f:
        f.write('inputs = { { paths = "%s/w1-%d-q?.log" } }\n'
                'scripts = { { filter = "%s" }, { enrich = "%s" } }\n' % (OUT, n, filt, enr))
    ours, base = [], []
    for _ in range(runs):
        b = timed([LOGMASH, "--dry-run", "-c", one], os.devnull)
        o = timed([LOGMASH, "--dry-run", "-c", four], os.devnull)
        base.append(b[0])
        ours.append(o[0])
    row("4 inputs with own chains vs 1 input, 1 chain", "%.0f lines/s" % (n / statistics.median(ours)),
        "%.0f lines/s" % (n / statistics.median(base)), pair_ratio(base, ours), ">= 0.9 (rate)")


# ---- across a network ----

def w1_slice(log, n):
    """The first n lines of W1, in a file of their own."""
    path = os.path.join(OUT, "w1-slice-%d.log" % n)
    if not os.path.exists(path):
        with open(log, "rb") as src, open(path + ".tmp", "wb") as dst:
            for i, line in enumerate(src):
                if i >= n:
                    break
                dst.write(line)
        os.rename(path + ".tmp", path)
    return path


def h2load_ceiling(api, body, seconds=8):
    """h2load -c 4 -m 128 against the stand-in: (req/s, CPU s a request)."""
    t = subprocess.Popen(["/usr/bin/h2load", "-c4", "-m128", "-t1", "-D%d" % seconds, "-d", body,
                          "-H", "content-type: application/json",
                          "-H", "authorization: Bearer " + api.token,
                          "-H", "x-cm-projectid: " + api.project, api.url + "/v1/logs"],
                         stdout=subprocess.PIPE, text=True)
    out = t.stdout.read()
    _, status, ru = os.wait4(t.pid, 0)
    m = re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out)
    done = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded", out)
    if not m or not done or done.group(1) != done.group(2):
        sys.exit("bench: h2load failed against the remote stand-in: %s" % out[-600:])
    return float(m.group(1)), (ru.ru_utime + ru.ru_stime) / int(done.group(2))


def remote_latency(log, filt, enr, runs, rtts=(20, 50, 150)):
    """Default flags at each round trip: rate against the stand-in's ceiling
    (h2load), CPU per log against h2load's per request, peak RSS and the
    connections used."""
    ra = remote_module()
    body = os.path.join(OUT, "body.json")
    with open(body, "wb") as f:
        f.write(w1_body(log, filt, enr))
    for rtt in rtts:
        with ra.RemoteAPI(delay_ms=rtt, token="bench-token", project="bench") as api:
            base, ours, cpu_ratio, conns, h2cpu = [], [], [], [], []
            for i in range(runs):
                ceiling, h2_cpu = h2load_ceiling(api, body)
                # About ten seconds at the ceiling, from a cold start.
                sl = w1_slice(log, int(ceiling * 10 / 1000) * 1000)
                api.reset()
                rate, cpu, hwm, sent, _ = send_w1(api.url, filt, enr, sl, None,
                                               ["--ca-file", api.cert])
                st = api.stats()
                base.append(ceiling)
                ours.append((rate, cpu / sent, hwm, st["max_active"]))
                cpu_ratio.append((cpu / sent) / h2_cpu)
                h2cpu.append(h2_cpu)
                conns.append(st["client_connections"])
                print("  %d ms, run %d: h2load %.0f req/s (%.1f us CPU each), logmash %.0f logs/s "
                      "(%.1f us CPU each, %d at once at most, %d connections, peak RSS %.1f MB)"
                      % (rtt, i + 1, ceiling, h2_cpu * 1e6, rate, cpu / sent * 1e6,
                         st["max_active"], st["client_connections"], hwm / 1024), flush=True)
            row("remote HTTP/2, %d ms: rate / stand-in ceiling" % rtt,
                "%.0f logs/s" % statistics.median(x[0] for x in ours),
                "%.0f req/s (h2load -c4 -m128)" % statistics.median(base),
                pair_ratio([x[0] for x in ours], base), ">= 0.8")
            row("  CPU a log / h2load's a request (lower is better)",
                "%.1f us" % (statistics.median(x[1] for x in ours) * 1e6), "",
                statistics.median(cpu_ratio), "<= 1.5")
            if rtt == 50:
                plain = build_plain_curl()
                pc = subprocess.Popen([plain, api.url + "/v1/logs", body, "60000", "1024", api.cert],
                                      stderr=subprocess.PIPE)
                _, status, ru = os.wait4(pc.pid, 0)
                pc.stderr.close()
                if os.waitstatus_to_exitcode(status) != 0:
                    sys.exit("bench: plain_curl failed against the remote stand-in")
                floor = (ru.ru_utime + ru.ru_stime) / 60000
                print("  50 ms: the plain libcurl loop, 1,024 streams: %.1f us CPU a request"
                      % (floor * 1e6), flush=True)
                row("  the plain libcurl loop's CPU a request / h2load's", "%.1f us" % (floor * 1e6),
                    "", floor / statistics.median(h2cpu), "(libcurl 7.88's floor)")
                row("  peak RSS, at most %d in flight" % max(x[3] for x in ours),
                    "%.1f MB" % (max(x[2] for x in ours) / 1024), "", None, "<= 24 MB")
                row("  connections to the host (HTTP/2)", "%d" % max(conns), "", None, "<= 4")


def run_status(api, path, extra=()):
    """logmash on path to the stand-in with a JSON status line every 0.2 s:
    (process, list the lines arrive in)."""
    env = dict(os.environ, CODEMASH_TOKEN=remote_module().TOKEN)
    p = subprocess.Popen([LOGMASH, "--url", api.url, "--project-id", remote_module().PROJECT,
                          "--ca-file", api.cert, "--no-tui", "--status-interval", "0.2",
                          "--status-format", "json", *extra, path],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
    lines = []

    def read():
        for line in p.stderr:
            if line.startswith("{"):
                lines.append(json.loads(line))
    import threading
    threading.Thread(target=read, daemon=True).start()
    return p, lines


def steady_rate(lines, skip_first, skip_last):
    """Logs sent a second between skip_first s after the first status line
    and skip_last s before the last (slow start and the tail left out)."""
    t0 = lines[0]["time"] + skip_first
    t1 = lines[-1]["time"] - skip_last
    mid = [x for x in lines if t0 <= x["time"] <= t1]
    if len(mid) < 2:
        return 0.0
    return (mid[-1]["sent"] - mid[0]["sent"]) / (mid[-1]["time"] - mid[0]["time"])


def numbered(n):
    path = os.path.join(OUT, "numbered-%d.log" % n)
    if not os.path.exists(path):
        with open(path, "w") as f:
            for i in range(n):
                f.write("seq %d\n" % i)
    return path


def arrived(api, record):
    """The sequence numbers the stand-in accepted (asking for its stats
    first flushes its record)."""
    api.stats()
    seen = set()
    with open(record) as f:
        for line in f:
            seen.add(int(json.loads(line)["message"].split()[1]))
    return seen


CAPACITY_CASES = (  # (label, status refused with, refused at once)
    ("503 after the round trip", 503, False),
    ("503 at once", 503, True),
    ("429 + Retry-After at once", 429, True),
)


def capacity_run(ra, rtt, refuse, at_once, n=10000):
    """One run against a capacity of 32: (steady rate / (C/RTT), refused
    share, CPU seconds a delivered log, lost)."""
    record = os.path.join(OUT, "remote-record.jsonl")
    if os.path.exists(record):
        os.unlink(record)
    with ra.RemoteAPI(delay_ms=rtt, capacity=32, refuse=refuse, record=record,
                      refuse_at_once=at_once) as api:
        p, lines = run_status(api, numbered(n))
        _, _, ru = os.wait4(p.pid, 0)
        p.returncode = 0  # reaped here, for its rusage
        st = api.stats()
        lost = n - len(arrived(api, record))
    rate = steady_rate(lines, 3, 1) / (32 / (rtt / 1000))
    return rate, st["refused"] / st["requests"], (ru.ru_utime + ru.ru_stime) / n, lost


def remote_capacity(runs, rtt=50):
    """A capacity of 32 with the rest refused: after the round trip (as a
    server's own queue answers), at once (a gateway's cap), and with 429 and
    Retry-After at once. The rate against C / RTT, the share refused, and
    the CPU a delivered log costs against refusals after the round trip;
    then 200 -> 20 -> 200 mid-run with refusals at once: how long the limit
    takes to follow each way, and nothing lost."""
    ra = remote_module()
    cpu = {}
    for label, refuse, at_once in CAPACITY_CASES:
        rates, refused, cpus = [], [], []
        for i in range(runs):
            rate, share, c, lost = capacity_run(ra, rtt, refuse, at_once)
            rates.append(rate)
            refused.append(share)
            cpus.append(c)
            print("  capacity 32, %s, run %d: %.2f of C/RTT from 3 s to the last 1 s, %.1f%% "
                  "refused, %.0f us CPU a log, %d lost"
                  % (label, i + 1, rate, share * 100, c * 1e6, lost), flush=True)
            if lost:
                sys.exit("bench: logs lost under a capacity limit")
        cpu[label] = statistics.median(cpus)
        row("remote, capacity 32, %s, %d ms: rate / (C/RTT)" % (label, rtt), "steady state", "",
            statistics.median(rates), ">= 0.85")
        row("  requests refused", "%.1f%%" % (statistics.median(refused) * 100), "", None,
            "<= 5%")
    base = CAPACITY_CASES[0][0]
    for label, _, _ in CAPACITY_CASES[1:]:
        row("  CPU a log, %s / %s" % (label, base), "%.0f us" % (cpu[label] * 1e6),
            "%.0f us" % (cpu[base] * 1e6), cpu[label] / cpu[base], "<= 1.3")

    record = os.path.join(OUT, "remote-record.jsonl")
    if os.path.exists(record):
        os.unlink(record)
    with ra.RemoteAPI(delay_ms=rtt, capacity=200, record=record, refuse_at_once=True) as api:
        n = 60000
        p, lines = run_status(api, numbered(n))

        def until(pred, most):
            t = time.time()
            while time.time() - t < most:
                if lines and pred(lines[-1]["concurrency_limit"]):
                    return time.time() - t
                time.sleep(0.05)
            return None
        until(lambda x: x >= 180, 15)
        api.set(capacity=20)
        down = until(lambda x: x <= 25, 15)
        time.sleep(3)
        api.set(capacity=200)
        up = until(lambda x: x >= 180, 15)
        p.wait()
        lost = n - len(arrived(api, record))
    fmt = lambda x: "%.1f s" % x if x is not None else "not within 15 s"
    print("  capacity 200 -> 20: limit <= 25 after %s; 20 -> 200: >= 180 after %s; %d lost"
          % (fmt(down), fmt(up), lost), flush=True)
    row("remote, capacity 200 -> 20 -> 200, refused at once", "%s / %s" % (fmt(down), fmt(up)),
        "", None, "within 5 s each way")
    row("  lost", "%d" % lost, "", None, "0")


# ---- latency ----

def follow_latency(rate=1000, seconds=5):
    """-F on a file written `rate` lines a second: from each line's write to
    its arrival at the stand-in API (its own time included)."""
    tmp = tempfile.mkdtemp(prefix="logmash-bench-")
    log = os.path.join(tmp, "app.log")
    open(log, "w").close()
    api = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "standin_api.py"),
                            "--port", "0", "--token", "bench", "--project-id", "bench"],
                           stdout=subprocess.PIPE, text=True)
    port = int(api.stdout.readline().split()[2])
    env = dict(os.environ, CODEMASH_TOKEN="bench")
    lm = subprocess.Popen([LOGMASH, "-F", "--url", "http://127.0.0.1:%d" % port,
                           "--project-id", "bench", log], stderr=subprocess.DEVNULL, env=env)
    lines = rate * seconds
    try:
        time.sleep(0.5)
        with open(log, "a") as f:
            start = time.perf_counter()
            for i in range(lines):
                # Paced against the clock, not by sleeping a fixed step.
                due = start + i / rate
                now = time.perf_counter()
                if due > now:
                    time.sleep(due - now)
                f.write("lat %.6f\n" % time.time())
                f.flush()
        time.sleep(1.0)
        with urllib.request.urlopen("http://127.0.0.1:%d/_standin/logs" % port) as r:
            got = json.load(r)
    finally:
        lm.send_signal(signal.SIGTERM)
        lm.wait()
        api.terminate()
        api.wait()
        subprocess.run(["rm", "-rf", tmp])
    lat = sorted((g["received_at"] - float(g["message"].split()[1])) * 1000 for g in got)
    if len(lat) != lines:
        sys.exit("bench: follow latency: %d of %d lines arrived" % (len(lat), lines))
    p50, p99 = lat[len(lat) // 2], lat[int(len(lat) * 0.99) - 1]
    row("follow latency p50 (%d lines/s)" % rate, "%.1f ms" % p50, "", None, "<= 2 ms")
    row("follow latency p99 (%d lines/s)" % rate, "%.1f ms" % p99, "", None, "<= 10 ms")


# ---- memory ----

def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def outage_memory(log, filt, enr, seconds):
    """W1 waiting to be sent while the API is down: RSS must not grow with
    the backlog (the queue is bounded; the rest waits in the file)."""
    port = free_port()  # nothing listens there: every request is refused
    env = dict(os.environ, CODEMASH_TOKEN="bench")
    tmp = tempfile.mkdtemp(prefix="logmash-outage-")
    lm = subprocess.Popen([LOGMASH, "-F", "--from-start", "--state-dir", tmp, "--url",
                           "http://127.0.0.1:%d" % port, "--project-id", "bench", "--no-tui",
                           "-f", filt, "-e", enr, log], stderr=subprocess.DEVNULL, env=env)
    samples = []
    try:
        for _ in range(int(seconds)):
            time.sleep(1)
            samples.append(rss_kib(lm.pid))
    finally:
        lm.send_signal(signal.SIGKILL)
        lm.wait()
        subprocess.run(["rm", "-rf", tmp])
    settled = samples[min(5, len(samples) - 1):]  # after start-up and the queue filling
    growth = (max(settled) - settled[0]) / 1024
    row("RSS through a %ds outage, W1 waiting" % seconds,
        "%.1f -> %.1f MB" % (settled[0] / 1024, samples[-1] / 1024),
        "", None, "flat (grew %.2f MB)" % growth)


# ---- cost growth ----

def follow_until(paths, expect, extra=()):
    """logmash -F --dry-run over paths until it has written `expect` bodies;
    returns its CPU seconds (all threads, to the microsecond: wait4)."""
    lm = subprocess.Popen([LOGMASH, "-F", "--from-start", "--dry-run", *extra, *paths],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    got = 0
    try:
        for _ in lm.stdout:
            got += 1
            if got == expect:
                break
    finally:
        lm.send_signal(signal.SIGKILL)
        _, _, ru = os.wait4(lm.pid, 0)
        lm.returncode = -9  # reaped here: Popen must not wait again
        lm.stdout.close()
    if got != expect:
        sys.exit("bench: growth: %d of %d logs came out" % (got, expect))
    return ru.ru_utime + ru.ru_stime


def growth(total=1000000):
    tmp = tempfile.mkdtemp(prefix="logmash-growth-")
    try:
        line = "2026-11-26T00:00:00.000Z INFO  [worker-1] user=4711 GET /api/cart/17/items 200 12ms"
        per_log = {}
        for files in (1, 100, 1000, 5000):
            d = os.path.join(tmp, "f%d" % files)
            os.makedirs(d)
            each = total // files
            for k in range(files):
                with open(os.path.join(d, "%05d.log" % k), "w") as f:
                    f.write((line + " %d\n" % k) * each)
            cpu = follow_until([os.path.join(d, "*.log")], each * files)
            per_log[files] = cpu / (each * files) * 1e6
            print("  %d followed files: %.2f us CPU a log" % (files, per_log[files]), flush=True)
        for files in (100, 1000, 5000):
            row("CPU a log, %d followed files" % files, "%.2f us" % per_log[files],
                "%.2f us (1 file)" % per_log[1], per_log[1] / per_log[files], "~1 (flat)")
        per_byte = {}
        volume = 128 << 20
        for size in (100, 4096, 65536):
            path = os.path.join(tmp, "lines%d.log" % size)
            n = volume // size
            with open(path, "w") as f:
                f.write(("x" * (size - 1) + "\n") * n)
            cpu = follow_until([path], n)
            per_byte[size] = cpu / volume * 1e9
            print("  %d-byte lines: %.2f ns CPU a byte" % (size, per_byte[size]), flush=True)
        for size in (4096, 65536):
            row("CPU a byte, %s lines" % ("4 KiB" if size == 4096 else "64 KiB"),
                "%.2f ns" % per_byte[size], "%.2f ns (100 B)" % per_byte[100],
                per_byte[100] / per_byte[size], "within 1.5x")
    finally:
        subprocess.run(["rm", "-rf", tmp])


# ---- the crash window ----

def standin():
    api = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "standin_api.py"),
                            "--port", "0", "--token", "bench", "--project-id", "bench",
                            "--delay-ms", "5"], stdout=subprocess.PIPE, text=True)
    return api, "http://127.0.0.1:%d" % int(api.stdout.readline().split()[2])


def standin_logs(url):
    with urllib.request.urlopen(url + "/_standin/logs") as r:
        return [int(g["message"].split()[1]) for g in json.load(r)]


def killed_run(log, state, seconds, in_flight, strace_out=None):
    """-F over log (a path, or a list of arguments) for `seconds`, then
    SIGKILL. Returns (logs the API took, their rate a second, CPU seconds of
    logmash, fsync calls or None)."""
    api, url = standin()
    env = dict(os.environ, CODEMASH_TOKEN="bench")
    cmd = [LOGMASH, "-F", "--from-start", "--no-tui", "--url", url, "--project-id", "bench",
           "--concurrency", "fixed", "--max-in-flight", str(in_flight),
           *([log] if isinstance(log, str) else log)]
    if state:
        cmd[1:1] = ["--state-dir", state]
    lm = subprocess.Popen(cmd, stderr=subprocess.DEVNULL, env=env)
    tracer = None
    if strace_out:  # attached: SIGKILL then goes to logmash itself
        tracer = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=fsync,fdatasync", "-o",
                                   strace_out, "-p", str(lm.pid)], stderr=subprocess.DEVNULL)
    traced = time.time()
    try:
        time.sleep(1.0)  # started, connections open
        # the rate of the last second before the kill: what the checkpoint
        # trails by then is what a restart repeats
        samples, end = [], time.time() + seconds
        while time.time() < end:
            samples.append((time.time(), len(standin_logs(url))))
            time.sleep(0.1)
        samples.append((time.time(), len(standin_logs(url))))
        last = samples[-1]
        first = next(x for x in samples if x[0] >= last[0] - 1.0)
        rate = (last[1] - first[1]) / max(last[0] - first[0], 0.1)
    finally:
        os.kill(lm.pid, signal.SIGKILL)
        _, _, ru = os.wait4(lm.pid, 0)
        lm.returncode = -9
        if tracer:
            tracer.wait()
    traced = time.time() - traced
    got = standin_logs(url)
    api.terminate()
    api.wait()
    fsyncs = None
    if strace_out:
        with open(strace_out) as f:
            fsyncs = sum(1 for line in f if "fsync(" in line or "fdatasync(" in line) / traced
    return got, rate, ru.ru_utime + ru.ru_stime, fsyncs


JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"


def journal_of(lines, directory):
    """lines (bytes, without newlines) as a journal file in directory, each
    entry with the fields journald gives a service's stdout line."""
    os.makedirs(directory, exist_ok=True)
    export = os.path.join(directory, "in.export")
    prio = {b"ERROR": b"3", b"WARN": b"4", b"DEBUG": b"7"}
    with open(export, "wb") as f:
        for i, line in enumerate(lines):
            level = line.split(b" ", 2)[1] if b" " in line else b""
            f.write(b"__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n"
                    b"_BOOT_ID=0123456789abcdef0123456789abcdef\n"
                    b"_MACHINE_ID=fedcba9876543210fedcba9876543210\n_HOSTNAME=node-1\n"
                    b"_TRANSPORT=stdout\n_UID=998\n_GID=998\n_PID=4242\n_COMM=shop\n"
                    b"_EXE=/usr/bin/shop\n_CMDLINE=/usr/bin/shop --serve\n"
                    b"_SYSTEMD_UNIT=shop.service\n_SYSTEMD_CGROUP=/system.slice/shop.service\n"
                    b"_SYSTEMD_SLICE=system.slice\nSYSLOG_IDENTIFIER=shop\nSYSLOG_FACILITY=3\n"
                    b"PRIORITY=%s\nMESSAGE=%s\n\n"
                    % (1700000000000000 + i, i + 1, prio.get(level, b"6"), line))
    p = subprocess.run([JOURNAL_REMOTE, "--output=%s" % os.path.join(directory, "app.journal"),
                        export], capture_output=True)
    os.unlink(export)
    if p.returncode != 0:
        sys.exit("bench: systemd-journal-remote failed: %s" % p.stderr.decode()[-300:])


def journal_stage(log, filt, enr, runs, n=100000):
    if not os.path.exists(JOURNAL_REMOTE):
        print("  journal: skipped (needs Debian's systemd-journal-remote: make deps)")
        return
    tmp = tempfile.mkdtemp(prefix="logmash-journal-")
    try:
        path = w1_slice(log, n)
        with open(path, "rb") as f:
            lines = f.read().splitlines()
        journal_of(lines, os.path.join(tmp, "j"))
        ours, base = [], []
        for _ in range(runs):
            base.append(timed([LOGMASH, "--dry-run", "-f", filt, "-e", enr, path], os.devnull)[0])
            ours.append(timed([LOGMASH, "--dry-run", "-f", filt, "-e", enr, "--journal-directory",
                               os.path.join(tmp, "j")], os.devnull)[0])
        row("journal, 100k W1 entries, --dry-run vs a file", "%.0f logs/s" % (n / statistics.median(ours)),
            "%.0f lines/s" % (n / statistics.median(base)), pair_ratio(base, ours),
            "(sd-journal's fields: the floor)")
        with nginx_server() as srv:
            if srv:
                sent_j, sent_f = [], []
                for _ in range(runs):
                    sent_f.append(send_w1(srv["url"], filt, enr, path, 64))
                    sent_j.append(send_w1(srv["url"], filt, enr, None, 64,
                                          extra=["--journal-directory", os.path.join(tmp, "j")]))
                row("journal, 100k W1 entries sent (HTTP/1.1, 64) vs a file",
                    "%.0f logs/s" % statistics.median(x[0] for x in sent_j),
                    "%.0f logs/s" % statistics.median(x[0] for x in sent_f),
                    statistics.median(j[0] / f[0] for j, f in zip(sent_j, sent_f)), ">= 0.8 (rate)")
                # sd-journal maps the journal's files: their pages count in
                # RSS (and are the kernel's to drop); the heap is the rest.
                row("peak RSS, journal end to end (anonymous)",
                    "%.1f MB (%.1f MB)" % (max(x[2] for x in sent_j) / 1024, max(x[4] for x in sent_j) / 1024),
                    "%.1f MB (%.1f MB) file" % (max(x[2] for x in sent_f) / 1024, max(x[4] for x in sent_f) / 1024),
                    None, "")
        # SIGKILL while sending, then the rest: what is sent twice.
        seq = [b"seq %07d" % i for i in range(200000)]
        journal_of(seq, os.path.join(tmp, "seq"))
        crash_window(runs, source=["--journal-directory", os.path.join(tmp, "seq")], label="journal: ")
    finally:
        subprocess.run(["rm", "-rf", tmp])


def daemonset(tmp):
    """The manifest's config and arguments, pointed into tmp: (args, env)."""
    import yaml
    with open(os.path.join(ROOT, "packaging", "kubernetes", "logmash.yaml")) as f:
        d = {x["kind"]: x for x in yaml.safe_load_all(f) if x}
    cfg = os.path.join(tmp, "config.lua")
    with open(cfg, "w") as f:
        f.write(d["ConfigMap"]["data"]["config.lua"]
                .replace("/var/log/pods", os.path.join(tmp, "pods"))
                .replace("/usr/share/logmash/scripts", os.path.join(ROOT, "scripts")))
    token = os.path.join(tmp, "token")
    with open(token, "w") as f:
        f.write("bench-token\n")
    os.chmod(token, 0o400)
    port = free_port()
    at = {"--config": cfg, "--token-file": token, "--state-dir": os.path.join(tmp, "state"),
          "--metrics-listen": "127.0.0.1:%d" % port}
    (c,) = d["DaemonSet"]["spec"]["template"]["spec"]["containers"]
    args = ["%s=%s" % (a.split("=")[0], at[a.split("=")[0]]) if a.split("=")[0] in at else a
            for a in c["args"]]
    return args, dict(os.environ, CODEMASH_PROJECT_ID="bench", NODE_NAME="node-1"), port


def kubernetes_stage(log, files=100, each=1000):
    if not os.path.exists("/usr/sbin/nginx"):
        print("  kubernetes: skipped (needs Debian's nginx-light: make deps)")
        return
    tmp = tempfile.mkdtemp(prefix="logmash-k8s-")
    try:
        with open(w1_slice(log, files * each), "rb") as f:
            lines = f.read().splitlines()
        for i in range(files):
            d = os.path.join(tmp, "pods", "shop_web-%d_%04x" % (i // 2, i), "c%d" % (i % 2))
            os.makedirs(d)
            with open(os.path.join(d, "0.log"), "wb") as f:
                f.writelines(b"2026-12-06T10:00:00.%09dZ stdout F %s\n" % (k, l)
                             for k, l in enumerate(lines[i * each:(i + 1) * each]))
        args, env, port = daemonset(tmp)
        ra = remote_module()
        with ra.RemoteAPI(delay_ms=50, token="bench-token", project="bench") as api:
            p = subprocess.Popen([LOGMASH, *args, "--from-start", "--url", api.url,
                                  "--ca-file", api.cert], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            hwm = anon = 0
            series = None
            t = time.time()
            done = 0
            try:
                # drop_noise.lua drops W1's health checks: the rest arrives.
                while time.time() - t < 300:
                    hwm, anon = max(hwm, vm_hwm(p.pid)), max(anon, rss_anon(p.pid))
                    st = api.stats()
                    if series is None and st["accepted"] > 1000:
                        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port) as r:
                            series = sum(1 for l in r.read().decode().splitlines()
                                         if l and not l.startswith("#"))
                    if st["accepted"] == done and done > 0.9 * files * each:
                        break  # nothing more for a while: all sent
                    done = st["accepted"]
                    time.sleep(0.5)
                took = time.time() - t
            finally:
                p.terminate()
                _, _, ru = os.wait4(p.pid, 0)
            st = api.stats()
        cpu = (ru.ru_utime + ru.ru_stime) / max(st["accepted"], 1)
        print("  %d logs in %.1f s, %d connections, peak RSS %.1f MiB (%.1f MiB anonymous), "
              "%.1f us CPU a log, %s series" % (st["accepted"], took, st["client_connections"],
                                               hwm / 1024, anon / 1024, cpu * 1e6, series), flush=True)
        row("DaemonSet, 100 CRI files, 50 ms: peak RSS", "%.1f MiB" % (hwm / 1024), "", None,
            "its memory limit, with 50% headroom")
        row("  CPU a log", "%.1f us" % (cpu * 1e6), "", None, "its CPU request")
        row("  rate (a node's ceiling at 50 ms)", "%.0f logs/s" % (st["accepted"] / took), "", None, "")
        row("  connections to the API (HTTP/2)", "%d" % st["client_connections"], "", None, "<= 4")
        row("  Prometheus series a node", "%s" % series, "", None, "")
    finally:
        subprocess.run(["rm", "-rf", tmp])


def crash_window(runs, in_flight=16, lines=200000, source=None, label=""):
    """source: the input's arguments (the journal's); None: a file of lines."""
    tmp = tempfile.mkdtemp(prefix="logmash-crash-")
    try:
        log = source
        if log is None:
            log = os.path.join(tmp, "app.log")
            with open(log, "w") as f:
                f.writelines("seq %07d\n" % i for i in range(lines))
        args = [log] if isinstance(log, str) else log
        excess, allowed, cpu_with, cpu_without = [], [], [], []
        for r in range(runs):
            state = os.path.join(tmp, "state%d" % r)
            first, rate, cpu, _ = killed_run(log, state, 3, in_flight)
            cpu_with.append(cpu / len(first))
            # the rest, from the checkpoint, to its end
            api, url = standin()
            p = subprocess.run([LOGMASH, "--no-tui", "--state-dir", state, "--url", url,
                                "--project-id", "bench", *args], stderr=subprocess.PIPE,
                               env=dict(os.environ, CODEMASH_TOKEN="bench"))
            second = standin_logs(url)
            api.terminate()
            api.wait()
            if p.returncode != 0 or len(set(first) | set(second)) != lines:
                sys.exit("bench: crash: logs lost after SIGKILL: %s" % p.stderr.decode()[-300:])
            excess.append(len(first) + len(second) - lines)
            allowed.append(in_flight + rate * 0.1)
            print("  run %d: %d logs/s, %d sent twice (in flight %d + 0.1 s = %.0f)"
                  % (r + 1, rate, excess[-1], in_flight, allowed[-1]), flush=True)
            if source:
                continue
            got, _, cpu, _ = killed_run(log, None, 3, in_flight)
            cpu_without.append(cpu / len(got))
        worst = max(range(runs), key=lambda i: excess[i] / allowed[i])
        row("%ssent twice after SIGKILL (worst of %d)" % (label, runs), "%d logs" % excess[worst],
            "%.0f (in flight + 0.1 s)" % allowed[worst], allowed[worst] / max(excess[worst], 1),
            ">= 1")
        if source:
            return
        got, _, _, fsyncs = killed_run(log, os.path.join(tmp, "traced"), 3, in_flight,
                                       os.path.join(tmp, "strace.out"))
        row("fsyncs a second, checkpoints", "%.1f" % fsyncs, "", None,
            "<= 20 (a save each 100 ms, 2 each)")
        row("CPU a log with a state dir", "%.1f us" % (statistics.median(cpu_with) * 1e6),
            "%.1f us (none)" % (statistics.median(cpu_without) * 1e6),
            pair_ratio(cpu_without, cpu_with), "~1")
    finally:
        subprocess.run(["rm", "-rf", tmp])


# ---- the dashboard ----

def seconds_of(t):
    """bash's times: 1m2.500s -> 62.5"""
    m = re.match(r"(\d+)m([\d.]+)s", t)
    return int(m.group(1)) * 60 + float(m.group(2))


def dashboard_cost(srv, log, filt, enr, runs, connections=64):
    """W1 end to end with the dashboard drawing in a terminal (tmux) against
    the same run headless (--no-tui), alternating."""
    if not os.path.exists("/usr/bin/tmux"):
        print("dashboard: skipped (needs Debian's tmux: make deps)")
        return
    tmp = tempfile.mkdtemp(prefix="logmash-tui-")
    sock = "logmash-bench-%d" % os.getpid()
    headless, drawn = [], []
    try:
        for i in range(runs):
            headless.append(send_w1(srv["url"], filt, enr, log, connections, ["--no-tui"])[:2])
            done = os.path.join(tmp, "done%d" % i)
            cmd = " ".join(shlex.quote(x) for x in [
                LOGMASH, "--url", srv["url"], "--project-id", "bench",
                "--max-in-flight", str(connections), "-f", filt, "-e", enr, log])
            # Timed inside the terminal, from logmash's start to its exit;
            # bash's times gives the CPU of its children: logmash's.
            shell = ("s=$(date +%%s.%%N); CODEMASH_TOKEN=bench-token %s 2> %s.err; c=$?; "
                     "e=$(date +%%s.%%N); times > %s.times; "
                     "echo $c $s $e $(tail -1 %s.times) > %s.tmp; mv %s.tmp %s") % (
                         cmd, done, done, done, done, done, done)
            subprocess.run(["tmux", "-L", sock, "new-session", "-d", "-x", "120", "-y", "40",
                            "bash", "-c", shell + "; sleep 5"], check=True)
            end = time.time() + 600
            while not os.path.exists(done) and time.time() < end:
                time.sleep(0.05)
            code, start, stop, user, system = open(done).read().split()
            if code != "0":
                sys.exit("bench: logmash under the dashboard failed: %s"
                         % open(done + ".err").read()[-400:])
            sent = int(re.search(r"sent (\d+)", open(done + ".err").read()).group(1))
            drawn.append((sent / (float(stop) - float(start)), seconds_of(user) + seconds_of(system)))
            subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True)
            print("  run %d: headless %.0f logs/s (%.1f s CPU), dashboard %.0f logs/s (%.1f s CPU)"
                  % (i + 1, headless[-1][0], headless[-1][1], drawn[-1][0], drawn[-1][1]),
                  flush=True)
    finally:
        subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True)
        subprocess.run(["rm", "-rf", tmp])
    cost_rows("W1 with the dashboard (tmux 120x40)", drawn, headless)


def cost_rows(stage, ours, base):
    """The two rows of what watching costs: W1's rate and its CPU, each a list
    of (logs/s, CPU s) from alternating runs, against the same unwatched."""
    row(stage, "%.0f logs/s" % statistics.median(x[0] for x in ours),
        "%.0f logs/s" % statistics.median(x[0] for x in base),
        pair_ratio([x[0] for x in ours], [x[0] for x in base]), ">= 0.95")
    row("  its CPU for W1", "%.1f s" % statistics.median(x[1] for x in ours),
        "%.1f s" % statistics.median(x[1] for x in base),
        pair_ratio([x[1] for x in base], [x[1] for x in ours]), ">= 0.95")


def watch_cost(srv, log, filt, enr, runs, connections=64):
    """W1 end to end with `logmash top` attached (tmux) and a real Prometheus
    scraping /metrics every second, against the same run watched by neither,
    alternating. Both have a state dir (the socket's home) and
    --metrics-listen: the difference is the watching."""
    prom = shutil.which("prometheus")
    if not os.path.exists("/usr/bin/tmux") or not prom:
        print("watch: skipped (needs Debian's tmux and prometheus: make deps)")
        return
    tmp = tempfile.mkdtemp(prefix="logmash-watch-")
    sock = "logmash-bench-watch-%d" % os.getpid()
    plain, watched = [], []
    try:
        for i in range(runs):
            for watch in (False, True):
                state = os.path.join(tmp, "state-%d-%d" % (i, watch))
                port, prom_port = free_port(), free_port()
                extra = ["--no-tui", "--state-dir", state,
                         "--metrics-listen", "127.0.0.1:%d" % port]
                p = None
                if watch:
                    cfg = os.path.join(tmp, "prom-%d.yml" % i)
                    with open(cfg, "w") as f:
                        f.write("global:\n  scrape_interval: 1s\nscrape_configs:\n"
                                "  - job_name: logmash\n    static_configs:\n"
                                "      - targets: ['127.0.0.1:%d']\n" % port)
                    p = subprocess.Popen([prom, "--config.file", cfg, "--storage.tsdb.path",
                                          os.path.join(tmp, "tsdb-%d" % i), "--web.listen-address",
                                          "127.0.0.1:%d" % prom_port],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    # top waits for the socket, attaching within a second of it.
                    subprocess.run(["tmux", "-L", sock, "new-session", "-d", "-x", "120", "-y",
                                    "40", LOGMASH, "top", "--state-dir", state], check=True)
                try:
                    r = send_w1(srv["url"], filt, enr, log, connections, extra)[:2]
                finally:
                    if p:
                        p.terminate()
                        p.wait()
                    subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True)
                (watched if watch else plain).append(r)
            print("  run %d: watched by neither %.0f logs/s (%.1f s CPU), by top and Prometheus "
                  "%.0f logs/s (%.1f s CPU)" % (i + 1, plain[-1][0], plain[-1][1], watched[-1][0],
                                                 watched[-1][1]), flush=True)
    finally:
        subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True)
        subprocess.run(["rm", "-rf", tmp])
    cost_rows("W1 with top attached and Prometheus scraping 1/s", watched, plain)


# ---- the table ----

def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    curl = subprocess.run(["curl-config", "--version"], capture_output=True, text=True).stdout.strip()
    version = subprocess.run([LOGMASH, "--version"], capture_output=True, text=True).stdout.strip()
    return "%s; %s, %d cores usable; Linux %s; %s" % (
        version, cpu, len(os.sched_getaffinity(0)), platform.release(), curl or "libcurl")


def table():
    lines = ["| stage | logmash | baseline | ratio | target |", "| --- | --- | --- | --- | --- |"]
    for stage, ours, base, ratio, target in ROWS:
        lines.append("| %s | %s | %s | %s | %s |" % (stage.strip(), ours, base,
                                                     "" if ratio is None else "%.2f" % ratio, target))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5, help="alternating runs of the Lua stage")
    ap.add_argument("--send-runs", type=int, default=3, help="alternating runs of the send rows")
    ap.add_argument("--lines", type=int, default=1000000)
    ap.add_argument("--outage", type=int, default=60, help="seconds of the outage (memory)")
    ap.add_argument("--stages", default=",".join(STAGES),
                    help="which stages to run, comma-separated (default: all)")
    ap.add_argument("--no-results", action="store_true", help="do not write RESULTS.md")
    a = ap.parse_args()
    stages = a.stages.split(",")
    unknown = set(stages) - set(STAGES)
    if unknown:
        sys.exit("bench: unknown stages %s (known: %s)" % (", ".join(unknown), ", ".join(STAGES)))
    os.makedirs(OUT, exist_ok=True)
    log = os.path.join(OUT, "w1-%d-seed42.log" % a.lines)
    if not os.path.exists(log):
        print("generating W1 (%d lines) into %s" % (a.lines, log), flush=True)
        with open(log + ".tmp", "wb") as f:
            subprocess.run([sys.executable, os.path.join(BENCH, "gen_w1.py"), str(a.lines), "42"],
                           stdout=f, check=True)
        os.rename(log + ".tmp", log)
    filt, enr = os.path.join(BENCH, "filter.lua"), os.path.join(BENCH, "enrich.lua")
    started = time.time()

    if "lua" in stages:
        print("== lua", flush=True)
        lua_stage(log, filt, enr, a.runs, a.lines)
    if "helpers" in stages:
        print("== helpers", flush=True)
        helpers_stage(log, filt, a.runs, a.lines)
    if "templates" in stages:
        print("== templates", flush=True)
        templates_stage(log, filt, enr, a.runs, a.lines)
    if "inputs" in stages:
        print("== inputs", flush=True)
        inputs_stage(log, filt, enr, a.runs)
    if "journal" in stages:
        print("== journal", flush=True)
        journal_stage(log, filt, enr, a.runs)
    if "kubernetes" in stages:
        print("== kubernetes", flush=True)
        kubernetes_stage(log)
    if {"send", "h2", "memory", "growth", "dashboard", "watch"} & set(stages):
        with nginx_server() as srv:
            if not srv:
                print("send, h2, dashboard: skipped (needs Debian's nginx-light: make deps)")
            sent, plain_cpu = None, None
            if srv and "send" in stages:
                print("== send", flush=True)
                sent, plain_cpu = sending(srv, log, filt, enr, a.send_runs)
            if srv and "h2" in stages:
                print("== h2", flush=True)
                sending_h2(srv, log, filt, enr, a.send_runs)
            if "memory" in stages:
                print("== memory", flush=True)
                if srv and not sent:
                    sent = [send_w1(srv["url"], filt, enr, log, 64)]
                if sent:
                    row("peak RSS, W1 end to end", "%.1f MB" % (max(x[2] for x in sent) / 1024),
                        "", None, "<= 16 MB")
                outage_memory(log, filt, enr, a.outage)
            if "growth" in stages:
                print("== growth", flush=True)
                growth()
                if sent:
                    per_million = statistics.median(x[1] / x[3] * 1e6 for x in sent)
                    if plain_cpu:
                        row("CPU s per million logs, end to end", "%.1f s" % per_million,
                            "%.1f s (plain libcurl loop)" % (plain_cpu * 1e6),
                            plain_cpu * 1e6 / per_million, "<= 8")
                    else:
                        row("CPU s per million logs, end to end", "%.1f s" % per_million, "",
                            None, "<= 8")
            if srv and "dashboard" in stages:
                print("== dashboard", flush=True)
                dashboard_cost(srv, log, filt, enr, a.send_runs)
            if srv and "watch" in stages:
                print("== watch", flush=True)
                watch_cost(srv, log, filt, enr, a.send_runs)
    if "latency" in stages:
        print("== latency", flush=True)
        follow_latency()
    if "remote" in stages:
        print("== remote", flush=True)
        remote_latency(log, filt, enr, a.send_runs)
        remote_capacity(a.send_runs)
    if "crash" in stages:
        print("== crash", flush=True)
        crash_window(a.send_runs)

    took = time.time() - started
    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    print()
    print("W1: %d lines; %s; %s; %.0f s" % (a.lines, when, machine(), took))
    print(table())
    print("(ratio > 1 is better for logmash, except where the target says CPU: there lower is; "
          "each is the median over alternating pairs of runs)")
    if not a.no_results and set(stages) == set(STAGES):
        os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
        with open(RESULTS, "w") as f:
            f.write("# make bench: the last full run\n\n")
            f.write("Written by `make bench` (tests/bench.py); see docs/performance.md for what\n"
                    "each row measures. Ratios > 1 are better for logmash.\n\n")
            f.write("- when: %s (%.0f s)\n- machine: %s\n- workload: W1, %d lines (tests/bench/gen_w1.py, seed 42)\n\n"
                    % (when, took, machine(), a.lines))
            f.write(table() + "\n")
        print("kept in %s" % os.path.relpath(RESULTS, ROOT))


if __name__ == "__main__":
    main()
