#!/usr/bin/env python3
"""A small, deterministic application log for the demo: the formats logmash's
example scripts handle (log4j-style lines, JSON lines, access-log lines), with
health-check noise, a multi-byte name and one line of invalid UTF-8.

usage: gen_sample.py [LINES] > sample.log
"""
import json
import random
import sys


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    rnd = random.Random(7)
    out = sys.stdout.buffer
    for i in range(n):
        ts = "2026-11-26T10:%02d:%02d.%03dZ" % (i // 600 % 60, i // 10 % 60, i % 1000)
        r = rnd.random()
        if r < 0.15:
            line = '10.0.0.%d - - [26/Nov/2026:10:00:00 +0000] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.29"' % rnd.randrange(255)
        elif r < 0.35:
            line = json.dumps({"ts": ts, "level": rnd.choice(["info", "warn", "error"]),
                               "msg": "payment %s" % rnd.choice(["authorised", "declined", "retried"]),
                               "order": {"id": rnd.randrange(10**6), "total": round(rnd.random() * 100, 2)},
                               "customer": rnd.choice(["Zoë", "Åsa", "Jürgen", "Ana"])},
                              ensure_ascii=False)
        elif r < 0.5:
            status = rnd.choice([200, 200, 200, 201, 404, 429, 500, 503])
            line = '10.0.0.%d - - [26/Nov/2026:10:00:00 +0000] "POST /api/orders HTTP/1.1" %d %d "-" "shop-web/2.1"' % (
                rnd.randrange(255), status, rnd.randrange(5000))
        else:
            lvl = rnd.choice(["INFO"] * 6 + ["WARN"] * 2 + ["ERROR", "DEBUG"])
            line = "%s %-5s [worker-%d] order=%d %s" % (
                ts, lvl, rnd.randrange(8), rnd.randrange(10**6),
                {"INFO": "shipped", "WARN": "stock low", "ERROR": "carrier API timeout",
                 "DEBUG": "cache hit"}[lvl])
        out.write(line.encode() + b"\n")
    out.write(b"2026-11-26T11:00:00.000Z ERROR [worker-0] upload of \xff\xfe legacy bytes failed\n")


if __name__ == "__main__":
    main()
