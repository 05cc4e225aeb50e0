#!/usr/bin/python3
"""The chaos soak (make soak; a 60-second run is part of make test).

A writer appends numbered lines at a steady rate to several files, which are
rotated (renamed, logrotate's create) at random. The stand-in API changes its
faults at random: 5xx and 429 answers, dropped connections, slow answers,
short outages. logmash follows the files with a state directory, and is
SIGKILLed and restarted at random. At the end the faults stop and logmash
catches up; then every line written must have arrived at least once, repeats
must stay within the bound the README gives, and memory must have stayed
bounded. Prints the figures; exits 1 when a check fails.
"""
import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from conftest import PROJECT, TOKEN, StandIn  # noqa: E402 (the tests' stand-in client)
BIN = os.environ.get("LOGMASH_BIN", os.path.join(ROOT, "logmash"))
MAX_IN_FLIGHT = 64


def random_faults(rng):
    """One of the stand-in's moods."""
    kind = rng.choice(["fine", "5xx", "429", "drops", "slow", "mixed", "down"])
    if kind == "fine":
        return {}
    if kind == "5xx":
        return {"fail_every": rng.randint(2, 10), "fail_status": rng.choice([500, 502, 503])}
    if kind == "429":
        return {"fail_every": rng.randint(2, 6), "fail_status": 429, "retry_after": 1}
    if kind == "drops":
        return {"drop_every": rng.randint(3, 15)}
    if kind == "slow":
        return {"delay_ms": rng.randint(50, 400)}
    if kind == "down":
        return {"down_until": time.time() + rng.uniform(1, 4)}
    return {"fail_every": rng.randint(3, 9), "fail_status": 503,
            "drop_every": rng.randint(5, 20), "delay_ms": rng.randint(0, 100)}


class Soak:
    def __init__(self, seconds, rate, files, seed):
        self.seconds, self.rate, self.nfiles = seconds, rate, files
        self.rng = random.Random(seed)
        self.dir = tempfile.mkdtemp(prefix="logmash-soak-")
        self.state = os.path.join(self.dir, "state")
        self.api = StandIn()
        self.written = 0
        self.stop_chaos = threading.Event()
        self.proc = None
        self.proc_lock = threading.Lock()
        self.kills = self.rotations = self.fault_changes = 0
        self.rss = []          # (seconds since start, KiB) of the running logmash
        self.peak_kib = 0
        self.errors = []

    def path(self, k):
        return os.path.join(self.dir, "app%d.log" % k)

    def start_logmash(self):
        env = dict(os.environ, CODEMASH_TOKEN=TOKEN)
        self.proc = subprocess.Popen(
            [BIN, "-F", "--from-start", "--url", self.api.url, "--project-id", PROJECT,
             "--state-dir", self.state, "--retry-base", "0.05", "--retry-max", "1",
             "--max-in-flight", str(MAX_IN_FLIGHT), "--status-interval", "0",
             os.path.join(self.dir, "app*.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.dir, "stderr.log"), "ab"), env=env)

    # -- the actors --

    def writer(self):
        n, t0 = 0, time.time()
        while not self.stop_chaos.is_set():
            due = int((time.time() - t0) * self.rate)
            while n < due:
                k = n % self.nfiles
                with open(self.path(k), "a") as f:
                    f.write("soak %08d file %d %s\n" % (n, k, "x" * (n % 97)))
                n += 1
            self.written = n
            time.sleep(0.01)

    def rotator(self):
        while not self.stop_chaos.wait(self.rng.uniform(0.5, 4)):
            k = self.rng.randrange(self.nfiles)
            try:
                os.rename(self.path(k), "%s.%d" % (self.path(k), self.rotations))
                self.rotations += 1
            except FileNotFoundError:
                pass

    def chaos_api(self):
        while not self.stop_chaos.wait(self.rng.uniform(1, 5)):
            self.api.faults(**(random_faults(self.rng) or {"fail_every": 0}))
            self.fault_changes += 1

    def killer(self):
        while not self.stop_chaos.wait(self.rng.uniform(3, 12)):
            with self.proc_lock:
                self.proc.send_signal(signal.SIGKILL)
                self.proc.wait()
                self.kills += 1
                time.sleep(self.rng.uniform(0, 1))
                self.start_logmash()

    def sampler(self, t0):
        while not self.stop_sampling.wait(0.5):
            with self.proc_lock:
                try:
                    status = open("/proc/%d/status" % self.proc.pid).read()
                except OSError:
                    continue
            m = re.search(r"VmRSS:\s+(\d+)", status)
            if m:
                self.rss.append((time.time() - t0, int(m.group(1))))
            m = re.search(r"VmHWM:\s+(\d+)", status)
            if m:
                self.peak_kib = max(self.peak_kib, int(m.group(1)))

    # -- the run --

    def arrived(self):
        return [int(m.group(1)) for m in
                (re.match(r"soak (\d+) ", g["message"]) for g in self.api.logs())
                if m]

    def run(self):
        t0 = time.time()
        self.start_logmash()
        self.stop_sampling = threading.Event()
        actors = [threading.Thread(target=f) for f in
                  (self.writer, self.rotator, self.chaos_api, self.killer)]
        sampler = threading.Thread(target=self.sampler, args=(t0,))
        for t in actors + [sampler]:
            t.start()
        time.sleep(self.seconds)
        self.stop_chaos.set()
        for t in actors:
            t.join()
        self.api.faults(fail_every=0)
        # Catch up: every line written, then a clean stop.
        want = set(range(self.written))
        deadline = time.time() + 120
        while time.time() < deadline and not want <= set(self.arrived()):
            time.sleep(1)
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=60)
        self.stop_sampling.set()
        sampler.join()
        got = self.arrived()
        self.api.stop()
        return self.report(got, rc, time.time() - t0)

    def report(self, got, rc, took):
        distinct = set(got)
        missing = sorted(set(range(self.written)) - distinct)
        repeats = len(got) - len(distinct)
        # README, Delivery: a crash repeats what was acknowledged since the
        # last checkpoint save (about a second) and what was in flight; a
        # lost answer repeats its log. Dropped connections here lose the
        # request before it is stored, so they repeat nothing.
        bound = (self.kills + 1) * (2 * self.rate + MAX_IN_FLIGHT)
        third = max(1, len(self.rss) // 3)
        early = max((k for _, k in self.rss[:third]), default=0)
        late = max((k for _, k in self.rss[-third:]), default=0)
        print("soak: %.0f s of chaos (%.0f s in all), %d files, %d lines/s" %
              (self.seconds, took, self.nfiles, self.rate))
        print("soak: %d SIGKILLs and restarts, %d rotations, %d changes of the API's faults" %
              (self.kills, self.rotations, self.fault_changes))
        print("soak: lines written %d, arrived %d (%d distinct), missing %d, repeated %d "
              "(bound %d), most copies of one line %d" %
              (self.written, len(got), len(distinct), len(missing), repeats, bound,
               max((got.count(x) for x in set(got) if got.count(x) > 1), default=1)
               if repeats < 5000 else -1))
        print("soak: peak RSS %.1f MiB; RSS max in the first third %.1f MiB, last third %.1f MiB"
              % (self.peak_kib / 1024, early / 1024, late / 1024))
        fails = []
        if missing:
            fails.append("%d lines never arrived (first: %s)" % (len(missing), missing[:10]))
        if repeats > bound:
            fails.append("%d repeats, over the bound of %d" % (repeats, bound))
        if rc != 0:
            fails.append("logmash exited %d at the end (stderr: %s/stderr.log)" % (rc, self.dir))
        if "ASAN_OPTIONS" not in os.environ:  # ASan's quarantine makes RSS meaningless
            if self.peak_kib > 64 * 1024:
                fails.append("peak RSS %d KiB, over 64 MiB" % self.peak_kib)
            if late > early * 1.5 + 4096:
                fails.append("RSS grew: %d KiB early, %d KiB late" % (early, late))
        for f in fails:
            print("soak: FAILED: " + f)
        if not fails:
            print("soak: passed")
            subprocess.run(["rm", "-rf", self.dir])
        return 1 if fails else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--rate", type=int, default=200, help="lines a second, all files together")
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    a = ap.parse_args()
    print("soak: seed %d (--seed %d repeats this run's choices)" % (a.seed, a.seed))
    sys.exit(Soak(a.seconds, a.rate, a.files, a.seed).run())


if __name__ == "__main__":
    main()
