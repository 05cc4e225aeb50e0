#!/usr/bin/env python3
"""gen_w1.py LINES [SEED] > app.log - workload W1's application log.

A web service's log, deterministic by seed: one line every 7 ms of a day,
80% INFO requests, 10% WARN (rate limited), 4% ERROR (upstream timeouts)
and 6% DEBUG health checks (GET /healthz), which filter.lua drops. Each
line: an ISO time, the level, [worker-N], user=N, the request, status and
duration, about 90 bytes. W1 is 1,000,000 lines with seed 42.
"""
import random
import sys

ROUTES = ("/api/orders/%d", "/api/users/%d", "/api/cart/%d/items", "/api/search?q=item%d")


def stamp(i):
    ms = i * 7
    return "2026-11-26T%02d:%02d:%02d.%03dZ" % (ms // 3600000 % 24, ms // 60000 % 60,
                                               ms // 1000 % 60, ms % 1000)


def line(i, rnd):
    kind = rnd.random()
    worker, user = rnd.randrange(16), rnd.randrange(100000)
    if kind < 0.06:
        return "%s DEBUG [worker-%d] GET /healthz 200 0ms" % (stamp(i), worker)
    route = rnd.choice(ROUTES) % rnd.randrange(10000)
    if kind < 0.10:
        return "%s ERROR [worker-%d] user=%d POST %s 500 %dms upstream timeout" % (
            stamp(i), worker, user, route, rnd.randrange(1000, 30000))
    if kind < 0.20:
        return "%s WARN  [worker-%d] user=%d GET %s 429 %dms rate limited" % (
            stamp(i), worker, user, route, rnd.randrange(1, 50))
    return "%s INFO  [worker-%d] user=%d GET %s 200 %dms" % (
        stamp(i), worker, user, route, rnd.randrange(1, 400))


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.strip().split("\n")[0])
    n = int(sys.argv[1])
    rnd = random.Random(int(sys.argv[2]) if len(sys.argv) == 3 else 42)
    out = sys.stdout
    chunk = []
    for i in range(n):
        chunk.append(line(i, rnd))
        if len(chunk) == 10000:
            out.write("\n".join(chunk) + "\n")
            chunk = []
    if chunk:
        out.write("\n".join(chunk) + "\n")


if __name__ == "__main__":
    main()
