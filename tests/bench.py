#!/usr/bin/env python3
"""make bench: logmash measured against a baseline in the same run.

Workload W1 (../shared/bench): gen_applog.py 1000000 42, filter.lua, enrich.lua.
Each row alternates logmash and its baseline RUNS times and compares medians,
so that a noisy shared machine slows both alike.

  Lua stage: logmash --dry-run (read, frame, scripts, encode, write) against
             lua5.4 lua_limit.lua (the stock interpreter running only the scripts).
  Follow latency: with -F, from a line's write to its arrival at the stand-in API.

usage: bench.py [--runs N] [--lines N]
"""
import argparse
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--lines", type=int, default=1000000)
    a = ap.parse_args()
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
    base_cmd = ["lua5.4", os.path.join(BENCH, "lua_limit.lua"), filt, enr]
    ours_cmd = [os.path.join(ROOT, "logmash"), "--dry-run", "-f", filt, "-e", enr, "-"]
    base, ours = [], []
    for i in range(a.runs):
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
    n = a.lines
    print()
    print("W1: %d lines, %s logs kept; median of %d alternating runs" % (n, kept_o.group(1), a.runs))
    print("%-34s %14s %14s %7s" % ("stage", "logmash", "baseline", "ratio"))
    print("%-34s %14s %14s %7.2f" % ("Lua stage (--dry-run vs lua_limit)",
                                     "%.0f lines/s" % (n / ow), "%.0f lines/s" % (n / bw), bw / ow))
    print("%-34s %14s %14s %7.2f" % ("  CPU per line", "%.2f us" % (oc / n * 1e6),
                                     "%.2f us" % (bc / n * 1e6), bc / oc))
    print("(ratio > 1: logmash is faster than the stock interpreter running the scripts alone)")
    p50, p99 = follow_latency()
    print()
    print("%-34s %14s %14s" % ("follow latency (write to API)", "p50 %.1f ms" % p50, "p99 %.1f ms" % p99))
    print("(-F on a file written 100 times a second; the API is the Python stand-in, its own")
    print(" time included)")


if __name__ == "__main__":
    main()
