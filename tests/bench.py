#!/usr/bin/env python3
"""make bench: logmash measured against a baseline in the same run.

Workload W1 (../shared/bench): gen_applog.py 1000000 42, filter.lua, enrich.lua.
Each row alternates logmash and its baseline RUNS times and compares medians,
so that a noisy shared machine slows both alike.

  Lua stage: logmash --dry-run (read, frame, scripts, encode, write) against
             lua5.4 lua_limit.lua (the stock interpreter running only the scripts).
  Sending: W1 end to end to nginx (Debian's, one worker, answering 200 with a log
             id), against wrk posting a W1 body to the same nginx over as many
             connections (64).
  Dashboard: W1 end to end with the dashboard drawing under tmux, against the
             same run headless.
  Follow latency: with -F, from a line's write to its arrival at the stand-in API.

usage: bench.py [--runs N] [--lines N]
"""
import argparse
import contextlib
import os
import re
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
BENCH = os.path.join(SHARED, "bench")
OUT = os.path.join(ROOT, "bench-out")


def timed(cmd, stdin_path):
    """Runs cmd with stdin from a file; returns (wall s, cpu s, stderr)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(stdin_path, "rb") as fin:
        t = time.perf_counter()
        p = subprocess.run(cmd, stdin=fin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit("bench: %s failed: %s" % (cmd[0], p.stderr.decode()[-500:]))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, p.stderr.decode()


def follow_latency(lines=300, interval=0.01):
    """Time from a line's write to its arrival at the stand-in API, with -F."""
    import json
    import signal
    import tempfile
    import urllib.request
    tmp = tempfile.mkdtemp(prefix="logmash-bench-")
    log = os.path.join(tmp, "app.log")
    open(log, "w").close()
    api = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "standin_api.py"), "--port", "0",
                            "--token", "bench", "--project-id", "bench"], stdout=subprocess.PIPE, text=True)
    port = int(api.stdout.readline().split()[2])
    env = dict(os.environ, CODEMASH_TOKEN="bench")
    lm = subprocess.Popen([os.path.join(ROOT, "logmash"), "-F", "--url", "http://127.0.0.1:%d" % port,
                           "--project-id", "bench", log], stderr=subprocess.DEVNULL, env=env)
    try:
        time.sleep(0.5)
        with open(log, "a") as f:
            for i in range(lines):
                f.write("lat %.6f\n" % time.time())
                f.flush()
                time.sleep(interval)
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
    return lat[len(lat) // 2], lat[int(len(lat) * 0.99) - 1]


NGINX_CONF = """
worker_processes 1;
daemon off;
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path %(dir)s/body;
    proxy_temp_path %(dir)s/proxy;
    fastcgi_temp_path %(dir)s/fastcgi;
    uwsgi_temp_path %(dir)s/uwsgi;
    scgi_temp_path %(dir)s/scgi;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    server {
        listen 127.0.0.1:%(port)d;
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


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def nginx_server():
    """Debian's nginx on a free port of 127.0.0.1, answering as the API
    does: yields (url, its folder), or None without nginx."""
    import tempfile
    nginx = "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        yield None
        return
    tmp = tempfile.mkdtemp(prefix="logmash-send-")
    port = free_port()
    with open(os.path.join(tmp, "nginx.conf"), "w") as f:
        f.write(NGINX_CONF % {"dir": tmp, "port": port})
    srv = subprocess.Popen([nginx, "-c", os.path.join(tmp, "nginx.conf"), "-p", tmp],
                           stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        yield "http://127.0.0.1:%d" % port, tmp
    finally:
        srv.terminate()
        srv.wait()
        subprocess.run(["rm", "-rf", tmp])


def send_w1(url, filt, enr, log, connections, extra=()):
    """logmash sending W1 to url, headless: (logs/s, CPU s, peak RSS KiB)."""
    env = dict(os.environ, CODEMASH_TOKEN="bench-token")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run([os.path.join(ROOT, "logmash"), "--url", url, "--project-id", "bench",
                        "--max-in-flight", str(connections), "-f", filt, "-e", enr, *extra, log],
                       capture_output=True, env=env)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit("bench: logmash failed sending W1: %s" % p.stderr.decode()[-400:])
    sent = int(re.search(rb"sent (\d+)", p.stderr).group(1))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return sent / wall, cpu, after.ru_maxrss


def sending(log, filt, enr, runs, connections=64):
    """W1 end to end to nginx, against wrk posting a W1 body to it."""
    import json
    wrk = "/usr/bin/wrk"
    with nginx_server() as srv:
        if not srv or not os.path.exists(wrk):
            print("sending: skipped (needs Debian's nginx-light and wrk: make deps)")
            return
        url, tmp = srv
        # A typical W1 body, as logmash sends it.
        body = subprocess.run([os.path.join(ROOT, "logmash"), "--dry-run", "-f", filt, "-e", enr,
                               "-"], input=open(log, "rb").read(4096),
                              capture_output=True).stdout.splitlines()[0]
        with open(os.path.join(tmp, "post.lua"), "w") as f:
            f.write(WRK_SCRIPT % {"body": json.dumps(body.decode())})
        wrk_rates, ours = [], []
        for i in range(runs):
            out = subprocess.run([wrk, "-t1", "-c%d" % connections, "-d10s", "-s",
                                  os.path.join(tmp, "post.lua"), url + "/v1/logs"],
                                 capture_output=True, text=True).stdout
            wrk_rates.append(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)))
            ours.append(send_w1(url, filt, enr, log, connections))
            print("  run %d: wrk %.0f req/s, logmash %.0f logs/s" % (i + 1, wrk_rates[-1], ours[-1][0]),
                  flush=True)
    w = statistics.median(wrk_rates)
    o = statistics.median(x[0] for x in ours)
    cpu = statistics.median(x[1] for x in ours)
    # The ratio of each pair of neighbouring runs: a shared machine's slow
    # spells then weigh on both sides of one ratio.
    ratio = statistics.median(x[0] / r for x, r in zip(ours, wrk_rates))
    print("%-34s %14s %14s %7.2f" % ("sending, HTTP/1.1, %d connections" % connections,
                                     "%.0f logs/s" % o, "%.0f req/s" % w, ratio))
    print("%-34s %14s" % ("  logmash CPU for W1", "%.1f s" % cpu))
    print("%-34s %14s" % ("  peak memory (largest child)", "%.1f MB" % (max(x[2] for x in ours) / 1024)))
    print("(baseline: wrk posting the same 1 body to the same nginx; logmash also reads,")
    print(" runs the scripts and encodes each log)")


def dashboard_cost(log, filt, enr, runs, connections=64):
    """W1 end to end with the dashboard drawing in a terminal (tmux) against
    the same run headless (--no-tui), alternating."""
    import shlex
    import tempfile
    if not os.path.exists("/usr/bin/tmux"):
        print("dashboard: skipped (needs Debian's tmux: make deps)")
        return
    with nginx_server() as srv:
        if not srv:
            print("dashboard: skipped (needs Debian's nginx-light: make deps)")
            return
        url, _ = srv
        tmp = tempfile.mkdtemp(prefix="logmash-tui-")
        sock = "logmash-bench-%d" % os.getpid()
        headless, drawn = [], []
        try:
            for i in range(runs):
                headless.append(send_w1(url, filt, enr, log, connections, ["--no-tui"])[:2])
                done = os.path.join(tmp, "done%d" % i)
                cmd = " ".join(shlex.quote(x) for x in [
                    os.path.join(ROOT, "logmash"), "--url", url, "--project-id", "bench",
                    "--max-in-flight", str(connections), "-f", filt, "-e", enr, log])
                # The time is taken inside the terminal: from the start of
                # logmash to its exit, as headless.
                # bash's times: the CPU of its children, i.e. logmash's.
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
                drawn.append((sent / (float(stop) - float(start)), seconds(user) + seconds(system)))
                subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True)
                print("  run %d: headless %.0f logs/s (%.1f s CPU), dashboard %.0f logs/s (%.1f s CPU)"
                      % (i + 1, headless[-1][0], headless[-1][1], drawn[-1][0], drawn[-1][1]),
                      flush=True)
        finally:
            subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True)
            subprocess.run(["rm", "-rf", tmp])
    ratio = statistics.median(d[0] / h[0] for d, h in zip(drawn, headless))
    cpu = statistics.median(h[1] / d[1] for d, h in zip(drawn, headless))
    print("%-34s %14s %14s %7.2f" % ("dashboard drawing (tmux 120x40)",
                                     "%.0f logs/s" % statistics.median(d[0] for d in drawn),
                                     "%.0f logs/s" % statistics.median(h[0] for h in headless), ratio))
    print("%-34s %14s %14s %7.2f" % ("  its CPU for W1",
                                     "%.1f s" % statistics.median(d[1] for d in drawn),
                                     "%.1f s" % statistics.median(h[1] for h in headless), cpu))
    print("(baseline: the same W1 run headless, --no-tui; 1.00 means the dashboard costs nothing)")


def seconds(t):
    """bash's times: 1m2.500s -> 62.5"""
    m = re.match(r"(\d+)m([\d.]+)s", t)
    return int(m.group(1)) * 60 + float(m.group(2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--lines", type=int, default=1000000)
    ap.add_argument("--send-runs", type=int, default=3)
    ap.add_argument("--stages", default="lua,send,follow,dashboard",
                    help="which stages to run, comma-separated (default: all)")
    a = ap.parse_args()
    stages = set(a.stages.split(","))
    if not os.path.isdir(BENCH):
        sys.exit("bench: %s not found: the shared benchmark workload lives beside the repository "
                 "(set SHARED=/path/to/shared)" % BENCH)
    os.makedirs(OUT, exist_ok=True)
    log = os.path.join(OUT, "w1-%d.log" % a.lines)
    if not os.path.exists(log):
        print("generating W1 (%d lines) into %s" % (a.lines, log), flush=True)
        with open(log + ".tmp", "wb") as f:
            subprocess.run([sys.executable, os.path.join(BENCH, "gen_applog.py"), str(a.lines), "42"],
                           stdout=f, check=True)
        os.rename(log + ".tmp", log)

    filt, enr = os.path.join(BENCH, "filter.lua"), os.path.join(BENCH, "enrich.lua")
    if "lua" in stages:
        lua_stage(log, filt, enr, a.runs, a.lines)
    if "send" in stages:
        print()
        sending(log, filt, enr, a.send_runs)
    if "dashboard" in stages:
        print()
        dashboard_cost(log, filt, enr, a.send_runs)
    if "follow" in stages:
        p50, p99 = follow_latency()
        print()
        print("%-34s %14s %14s" % ("follow latency (write to API)", "p50 %.1f ms" % p50,
                                   "p99 %.1f ms" % p99))
        print("(-F on a file written 100 times a second; the API is the Python stand-in, its own")
        print(" time included)")


def lua_stage(log, filt, enr, runs, n):
    base_cmd = ["lua5.4", os.path.join(BENCH, "lua_limit.lua"), filt, enr]
    ours_cmd = [os.path.join(ROOT, "logmash"), "--dry-run", "-f", filt, "-e", enr, "-"]
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

    bw = statistics.median(x[0] for x in base)
    ow = statistics.median(x[0] for x in ours)
    bc = statistics.median(x[1] for x in base)
    oc = statistics.median(x[1] for x in ours)
    print()
    print("W1: %d lines, %s logs kept; median of %d alternating runs" % (n, kept_o.group(1), runs))
    print("%-34s %14s %14s %7s" % ("stage", "logmash", "baseline", "ratio"))
    print("%-34s %14s %14s %7.2f" % ("Lua stage (--dry-run vs lua_limit)",
                                     "%.0f lines/s" % (n / ow), "%.0f lines/s" % (n / bw), bw / ow))
    print("%-34s %14s %14s %7.2f" % ("  CPU per line", "%.2f us" % (oc / n * 1e6),
                                     "%.2f us" % (bc / n * 1e6), bc / oc))
    print("(ratio > 1: logmash is faster than the stock interpreter running the scripts alone)")


if __name__ == "__main__":
    main()
