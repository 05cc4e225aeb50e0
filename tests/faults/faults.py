#!/usr/bin/env python3
"""make faults: system calls failing under logmash, through strace's fault
injection (strace -f -e inject=CALL:error=ERRNO:when=N[+]).

Each case runs the real binary with a state directory against the stand-in
API (tests/standin_api.py), with one call failing once at its first use, once
midway, or at every use from midway on. The case passes when it ended one of
these ways:

  absorbed   nothing to report (EINTR, EAGAIN are no errors): exit 0, all sent
  reported   the error was reported and logmash went on (exit 0 or 1)
  fatal      logmash stopped with a clear message and exit code 2
  stopped    a persistent failure held the logs until SIGTERM (exit 0: kept)

and in every case a start without the fault then delivers every log the
first run took in, counted by sequence number. It fails on a crash (a
signal), a hang (SIGTERM did not end it), a silent loss (exit 0 and logs
missing), or a loss after the second start.

The scenarios: a file read to its end (--state-dir); standard input through
the spool; a file followed (-F). The calls and errors are those logmash
meets and those that really happen there.

usage: faults.py [--only CALL[,CALL]] [--table FILE]
The table (call x error x when -> outcome) is printed, and written between
the markers of the reliability section of docs/operations.md with --table docs/operations.md.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOGMASH = os.path.join(ROOT, "logmash")
STANDIN = os.path.join(ROOT, "tests", "standin_api.py")
LINES = 300
TOKEN, PROJECT = "faults-token", "faults"

# call -> (errors, scenarios); the scenario where the call does its work
# A call named "CALL@input" fails only on the input file (strace -P): the
# other calls of that name go on working.
MATRIX = [
    ("read", ["EIO", "EINTR", "EAGAIN"], ["file", "stdin"]),
    ("read@input", ["EIO"], ["file", "follow"]),
    ("write", ["ENOSPC", "EIO", "EINTR"], ["stdin"]),
    ("openat", ["EMFILE", "EACCES", "ENOMEM"], ["file", "follow"]),
    ("fsync", ["EIO", "ENOSPC"], ["file"]),
    ("fdatasync", ["EIO", "ENOSPC"], ["stdin"]),
    ("rename", ["EIO", "ENOSPC"], ["file"]),
    ("unlink", ["EIO"], ["stdin"]),
    ("mkdir", ["ENOSPC", "EACCES"], ["stdin"]),
    ("inotify_add_watch", ["ENOSPC", "ENOMEM"], ["follow"]),
    ("socket", ["EMFILE"], ["file"]),
    ("connect", ["ECONNREFUSED", "ENETUNREACH"], ["file"]),
    ("sendto", ["ECONNRESET", "EPIPE", "EAGAIN"], ["file"]),
    ("recvfrom", ["ECONNRESET", "EAGAIN", "EINTR"], ["file"]),
    ("poll", ["EINTR", "ENOMEM"], ["file"]),
    ("mmap", ["ENOMEM"], ["file"]),
]
# Not in the matrix, because strace cannot fail them as the kernel would:
# - clock_gettime: on x86-64 the vDSO answers it without entering the kernel;
# - brk: the kernel never fails it with an error (it returns the old break);
#   an injected -ENOMEM reads to glibc as a new break, and malloc then
#   touches memory that is not there. malloc's failures come through mmap.

RUN_S = 8      # a case that has not ended by then gets SIGTERM
STOP_S = 10    # and must have exited that much later


class StandIn:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, STANDIN, "--port", "0", "--token", TOKEN,
                                      "--project-id", PROJECT], stdout=subprocess.PIPE, text=True)
        self.url = "http://127.0.0.1:%d" % int(self.proc.stdout.readline().split()[2])

    def _call(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data,
                                     method="POST" if data else "GET")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def seqs(self):
        return [int(g["message"].split()[1]) for g in self._call("/_standin/logs")]

    def reset(self):
        self._call("/_standin/reset", {})

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def logmash_pid(proc):
    """The logmash that proc (strace, or logmash itself) runs: signals go to
    it, not to strace, which would detach and leave it running."""
    if os.path.basename(proc.args[0]) != "strace":
        return proc.pid
    for _ in range(100):
        try:
            with open("/proc/%d/task/%d/children" % (proc.pid, proc.pid)) as f:
                kids = f.read().split()
            if kids:
                return int(kids[0])
        except FileNotFoundError:
            return None
        time.sleep(0.01)
    return None


def numbered(a, b):
    return "".join("seq %06d\n" % i for i in range(a, b)).encode()


def command(scenario, url, state, log):
    cmd = [LOGMASH, "--url", url, "--project-id", PROJECT, "--no-tui", "--status-interval", "0",
           "--state-dir", state, "--drain-timeout", "2", "--retry-base", "0.05",
           "--retry-max", "0.5"]
    if scenario == "file":
        return cmd + [log]
    if scenario == "stdin":
        return cmd + ["-"]
    return cmd + ["-F", "--from-start", log]


def fresh_run(api, workdir):
    """A clean slate for one run: the stand-in forgets, the state dir goes,
    the input holds LINES numbered lines. Returns (state, log, env)."""
    api.reset()
    state = os.path.join(workdir, "state")
    log = os.path.join(workdir, "input", "app.log")
    subprocess.run(["rm", "-rf", state])
    with open(log, "wb") as f:
        f.write(numbered(0, LINES))
    return state, log, dict(os.environ, CODEMASH_TOKEN=TOKEN)


def run_case(api, scenario, name, errno, when, workdir):
    """One case: returns (verdict ok?, outcome, exit code, note)."""
    state, log, env = fresh_run(api, workdir)
    cmd = command(scenario, api.url, state, log)
    call, _, scope = name.partition("@")
    if call:
        cmd = ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=%s" % call,
               "-e", "inject=%s:error=%s:when=%s" % (call, errno, when)] + \
            (["-P", log] if scope == "input" else []) + cmd
    r, w = os.pipe()
    keep = os.dup(r)  # what logmash leaves in the pipe is not its to lose
    os.set_blocking(keep, False)
    stdin = r if scenario == "stdin" else subprocess.DEVNULL
    errf = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=errf, env=env)
    os.close(r)
    if scenario == "stdin":
        os.write(w, numbered(0, LINES))
    os.close(w)
    stopped = False  # by SIGTERM, still holding logs at the deadline
    deadline = time.time() + RUN_S
    while proc.poll() is None and time.time() < deadline:
        if scenario == "follow" and len(set(api.seqs())) >= LINES:
            time.sleep(0.3)  # -F never ends: SIGTERM is its normal end
            break
        time.sleep(0.05)
    if proc.poll() is None:
        stopped = time.time() >= deadline
        pid = logmash_pid(proc)
        if pid:
            os.kill(pid, signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_S)
        except subprocess.TimeoutExpired:
            subprocess.run(["pkill", "-9", "-f", state])
            proc.kill()
            proc.wait()
            os.close(keep)
            return False, "HANG", None, "did not exit %d s after SIGTERM" % STOP_S
    code = proc.returncode
    errf.seek(0)
    err = errf.read().decode(errors="replace")
    errf.close()
    left = b""
    try:
        while True:
            chunk = os.read(keep, 65536)
            if not chunk:
                break
            left += chunk
    except BlockingIOError:
        pass
    os.close(keep)
    first = set(api.seqs())
    consumed = set(range(LINES)) - {int(l.split()[1]) for l in left.decode().splitlines()}
    reports = [l for l in err.splitlines() if l.startswith("logmash: ") and
               not l.startswith("logmash: read ") and not l.startswith("logmash: sent by level")]
    note = reports[0][len("logmash: "):] if reports else ""
    if code is not None and code < 0 and not (stopped and code == -signal.SIGTERM):
        return False, "CRASH", code, "killed by signal %d: %s" % (-code, note)
    if code == 0 and not stopped and not consumed <= first:
        return False, "SILENT LOSS", code, "exit 0 with %d logs missing" % len(consumed - first)
    if code == 2:
        outcome = "fatal"
        if not reports and not (call == "write" and when.endswith("+")):
            return False, "FATAL, NO MESSAGE", code, ""
        if not reports:  # every write fails: so did the one of the message
            outcome, note = "fatal, its message unwritable", "write(2) failed too"
    elif stopped:
        outcome = "stopped"
    elif code == 0 and not reports:
        outcome = "absorbed"
    elif code in (0, 1) and reports:
        outcome = "reported"
    else:
        return False, "UNCLEAR", code, note or "exit %s and nothing said" % code
    # The next start, without the fault: nothing the first run took is lost.
    again = subprocess.run(command("stdin" if scenario == "stdin" else "file", api.url, state, log),
                           input=left, capture_output=True, env=env, timeout=60)
    got = set(api.seqs())
    if again.returncode != 0:
        return False, "NEXT START FAILED", again.returncode, again.stderr.decode()[-300:]
    missing = set(range(LINES)) - got
    if missing:
        return False, "LOST", code, "%d logs lost (first %s)" % (len(missing), min(missing))
    return True, outcome, code, note


def strace_counts(out):
    counts = {}
    with open(out) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 5 and fields[-1].isidentifier() and fields[3].isdigit():
                counts[fields[-1]] = int(fields[3])
    return counts


def loader_calls(workdir):
    """The calls made before logmash's own code runs (the dynamic loader,
    libraries' set-up): `logmash --version` makes them and little else.
    A fault there is the loader's to report, not logmash's."""
    out = os.path.join(workdir, "loader")
    subprocess.run(["strace", "-f", "-c", "-o", out, LOGMASH, "--version"],
                   stdout=subprocess.DEVNULL, check=True)
    return strace_counts(out)


def calls_made(api, scenario, workdir):
    """How often the busiest thread makes each call in a run of the
    scenario: strace counts an injection's `when` in each thread."""
    out = os.path.join(workdir, "calls")
    state, log, env = fresh_run(api, workdir)
    calls = ",".join(sorted({c.partition("@")[0] for c, _, _ in MATRIX}))
    # -y: each descriptor's path, to count the calls on the input file
    proc = subprocess.Popen(["strace", "-f", "-qq", "-y", "-o", out, "-e", "trace=" + calls] +
                            command(scenario, api.url, state, log),
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    if scenario == "stdin":
        proc.stdin.write(numbered(0, LINES))
    proc.stdin.close()
    if scenario == "follow":
        end = time.time() + 10
        while len(set(api.seqs())) < LINES and time.time() < end:
            time.sleep(0.05)
        time.sleep(0.3)
        os.kill(logmash_pid(proc), signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pid = logmash_pid(proc)
        if pid:
            os.kill(pid, signal.SIGKILL)
        proc.kill()
        proc.wait()
        sys.exit("faults: the %s run without faults did not end" % scenario)
    per_thread = {}
    with open(out) as f:
        for line in f:
            m = re.match(r"(\d+)\s+(\w+)\((\d+<([^>]*)>)?", line)
            if m:
                key = (m.group(1), m.group(2))
                per_thread[key] = per_thread.get(key, 0) + 1
                if m.group(4) == os.path.realpath(log):
                    key = (m.group(1), m.group(2) + "@input")
                    per_thread[key] = per_thread.get(key, 0) + 1
    counts = {}
    for (_, call), n in per_thread.items():
        counts[call] = max(counts.get(call, 0), n)
    # A matrix over a run that did nothing would pass and prove nothing.
    if proc.returncode not in (0, -signal.SIGTERM) or set(api.seqs()) != set(range(LINES)) \
            or not counts:
        sys.exit("faults: the %s run without faults failed (exit %s, %d logs sent, %d calls "
                 "counted)" % (scenario, proc.returncode, len(set(api.seqs())), len(counts)))
    return counts


def table(results):
    lines = ["| call | error | first use | midway | from midway on (EINTR, EAGAIN: every third) |",
             "| --- | --- | --- | --- | --- |"]
    for (call, errno), cells in results.items():
        lines.append("| `%s` | %s | %s |" % (call, errno, " | ".join(cells)))
    return "\n".join(lines)


def cell(ok, outcome, code, scenario):
    text = "%s (%s%s)" % (outcome, scenario, "" if code is None else ", exit %d" % code)
    return text if ok else "**FAILED: %s**" % text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", help="calls to test, comma-separated")
    ap.add_argument("--table", help="write the table into this file between its markers")
    a = ap.parse_args()
    only = set(a.only.split(",")) if a.only else None
    if subprocess.run(["strace", "-V"], capture_output=True).returncode != 0:
        sys.exit("faults: needs strace (make deps installs it)")
    api = StandIn()
    workdir = tempfile.mkdtemp(prefix="logmash-faults-")
    # the followed file in a folder of its own: logmash watches that folder,
    # and strace writing its output there would wake it without end
    os.mkdir(os.path.join(workdir, "input"))
    failures, results, started = [], {}, time.time()
    try:
        counts = {s: calls_made(api, s, workdir) for s in ("file", "stdin", "follow")}
        loader = loader_calls(workdir)
        for call, errnos, scenarios in MATRIX:
            if only and call not in only:
                continue
            for errno in errnos:
                cells = []
                for when_name in ("first", "midway", "persistent"):
                    outcomes = []
                    for scenario in scenarios:
                        base = 0 if "@" in call else loader.get(call, 0)
                        n = counts[scenario].get(call, 0) - base
                        if n <= 0:
                            outcomes.append("not called (%s)" % scenario)
                            continue
                        first, mid = base + 1, base + (n + 1) // 2
                        if when_name == "midway" and mid == first:
                            outcomes.append("called once (%s)" % scenario)
                            continue
                        # EINTR and EAGAIN come and go: every third call, not
                        # every call (no kernel refuses a read for ever so),
                        # nor every other (that locks step with libcurl's
                        # pairs of polls, which the kernel would not do)
                        every = "%d+3" % mid if errno in ("EINTR", "EAGAIN") else "%d+" % mid
                        when = {"first": str(first), "midway": str(mid), "persistent": every}[when_name]
                        ok, outcome, code, note = run_case(api, scenario, call, errno, when, workdir)
                        print("%-18s %-12s %-4s %-7s %-22s %s" % (call, errno, when, scenario,
                              outcome if ok else "FAILED: " + outcome, note[:90]), flush=True)
                        if not ok:
                            failures.append((call, errno, when, scenario, outcome, note))
                        outcomes.append(cell(ok, outcome, code, scenario))
                    cells.append("; ".join(outcomes))
                results[(call, errno)] = cells
    finally:
        api.stop()
        subprocess.run(["pkill", "-9", "-f", workdir])  # nothing of a case outlives the run
        subprocess.run(["rm", "-rf", workdir])
    text = table(results)
    print()
    print(text)
    print("\n%d cases failed; %.0f s" % (len(failures), time.time() - started))
    if a.table and not only:
        with open(a.table) as f:
            doc = f.read()
        begin, end = "<!-- make faults: begin -->", "<!-- make faults: end -->"
        if begin not in doc or end not in doc:
            sys.exit("faults: %s has no %s ... %s markers" % (a.table, begin, end))
        head, rest = doc.split(begin, 1)
        tail = rest.split(end, 1)[1]
        with open(a.table, "w") as f:
            f.write(head + begin + "\n" + text + "\n" + end + tail)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
