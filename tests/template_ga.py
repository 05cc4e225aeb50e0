"""Grouping accuracy (GA) and parsing accuracy (PA) of logmash.template on
the 16 Loghub datasets (../shared/loghub, read there, never copied), each
run in a fresh logmash, one line at a time, grouped by the ids it returned.

GA: a line is right when the lines sharing its id are exactly the lines
sharing its true EventId. PA: a line is right when its template is its
EventTemplate. Drain's figures are those of Zhu et al. (ICSE-SEIP 2019),
tuned for each dataset.

  /usr/bin/python3 tests/template_ga.py      # the table, as docs/templates.md shows it
"""
import collections
import csv
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOGHUB = os.path.join(os.path.dirname(ROOT), "shared", "loghub")
BIN = os.environ.get("LOGMASH_BIN", os.path.join(ROOT, "logmash"))

DRAIN = {"HDFS": 0.9975, "Hadoop": 0.9475, "Spark": 0.92, "Zookeeper": 0.9665, "BGL": 0.9625,
         "HPC": 0.887, "Thunderbird": 0.955, "Windows": 0.997, "Linux": 0.69, "Android": 0.911,
         "HealthApp": 0.78, "Apache": 1.0, "Proxifier": 0.5265, "OpenSSH": 0.7875,
         "OpenStack": 0.7325, "Mac": 0.7865}

NUMBER = "function enrich(log) log.items.n = log.line end\n"


def rows(name):
    with open(os.path.join(LOGHUB, "%s_2k.log_structured.csv" % name), newline="",
              encoding="utf-8", errors="replace") as f:
        return list(csv.DictReader(f))


def mined(contents):
    """(id, template) of each content line, through scripts/templates.lua;
    a line logmash did not send (an empty one) gets an id of its own."""
    with tempfile.TemporaryDirectory() as d:
        numbering = os.path.join(d, "n.lua")
        with open(numbering, "w") as f:
            f.write(NUMBER)
        text = "".join(c.replace("\r", " ").replace("\n", " ") + "\n" for c in contents)
        p = subprocess.run([BIN, "--dry-run", "-e", os.path.join(ROOT, "scripts", "templates.lua"),
                            "-e", numbering, "-"], input=text.encode(), capture_output=True,
                           timeout=120, env={k: v for k, v in os.environ.items()
                                             if not k.startswith("CODEMASH_")})
        if p.returncode != 0:
            raise RuntimeError("logmash failed: %s" % p.stderr.decode(errors="replace"))
    out = [("unsent-%d" % i, None) for i in range(len(contents))]
    for line in p.stdout.decode().splitlines():
        items = json.loads(line)["items"]
        out[int(items["n"]) - 1] = (items["template_id"], items["template"])
    return out


def grouping_accuracy(pred, truth):
    by_pred, by_truth = collections.defaultdict(set), collections.defaultdict(set)
    for i, (p, t) in enumerate(zip(pred, truth)):
        by_pred[p].add(i)
        by_truth[t].add(i)
    right = sum(len(s) for s in by_pred.values() if by_truth[truth[next(iter(s))]] == s)
    return right / len(truth)


def measure(name):
    r = rows(name)
    got = mined([x["Content"] for x in r])
    ga = grouping_accuracy([g[0] for g in got], [x["EventId"] for x in r])
    pa = sum(g[1] == x["EventTemplate"] for g, x in zip(got, r)) / len(r)
    return {"dataset": name, "ga": ga, "pa": pa, "drain": DRAIN[name],
            "groups": len({g[0] for g in got}), "true": len({x["EventId"] for x in r})}


def measure_all():
    return [measure(n) for n in sorted(DRAIN)]


def table(results):
    lines = ["| dataset | GA | Drain (tuned) | PA | groups (true) |",
             "| --- | --- | --- | --- | --- |"]
    for r in results:
        mark = " (below)" if r["ga"] < r["drain"] else ""
        lines.append("| %s | %.4f%s | %.4f | %.4f | %d (%d) |" % (
            r["dataset"], r["ga"], mark, r["drain"], r["pa"], r["groups"], r["true"]))
    n = len(results)
    avg = sum(r["ga"] for r in results) / n
    lines.append("| average | %.4f | %.4f | %.4f | |" % (
        avg, sum(r["drain"] for r in results) / n, sum(r["pa"] for r in results) / n))
    beat = sum(r["ga"] >= r["drain"] for r in results)
    worst = min(results, key=lambda r: r["ga"])
    lines.append("")
    lines.append("GA at least Drain's on %d of %d; worst %s %.4f" % (beat, n, worst["dataset"],
                                                                   worst["ga"]))
    return "\n".join(lines)


if __name__ == "__main__":
    if not os.path.isdir(LOGHUB):
        sys.exit("no %s: the Loghub samples are beside the project" % LOGHUB)
    print(table(measure_all()))
