#!/bin/sh
# make demo: logmash end to end on this machine. Starts the stand-in Logs API
# on 127.0.0.1, generates a sample application log, ships it through the
# example scripts, and shows what arrived. Cleans up after itself.
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
work=$(mktemp -d /tmp/logmash-demo.XXXXXX)
standin=""
cleanup() {
	if [ -n "$standin" ]; then
		kill "$standin" 2>/dev/null || true
		wait "$standin" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

$PY tests/standin_api.py --port 0 --token demo-token --project-id demo-project \
	--record "$work/received.jsonl" >"$work/standin.out" &
standin=$!
i=0
until grep -q "listening on" "$work/standin.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 100 ] && { echo "the stand-in API did not start" >&2; exit 1; }
	sleep 0.05
done
port=$(awk '{print $3}' "$work/standin.out")
url="http://127.0.0.1:$port"

$PY tests/gen_sample.py 500 >"$work/app.log"
echo "== A sample application log: $(wc -l <"$work/app.log") lines, for example:"
sed -n '1,4p' "$work/app.log" | cut -c1-110
echo
echo "== logmash ships it to the stand-in Logs API at $url"
echo "   CODEMASH_TOKEN=demo-token ./logmash --no-tui --url $url --project-id demo-project \\"
echo "     --filter scripts/drop_noise.lua --enrich scripts/json_items.lua \\"
echo "     --enrich scripts/levels.lua --enrich scripts/add_host.lua app.log"
status=0
# --no-tui: the demo runs to its end by itself (with the dashboard, a run
# without -F keeps its last screen until q).
CODEMASH_TOKEN=demo-token ./logmash --no-tui --url "$url" --project-id demo-project \
	--filter scripts/drop_noise.lua --enrich scripts/json_items.lua \
	--enrich scripts/levels.lua --enrich scripts/add_host.lua "$work/app.log" || status=$?
echo
echo "== What the API received (logmash exited with $status):"
$PY - "$work/received.jsonl" "$url" <<'PYEOF'
import collections, json, sys, urllib.request
logs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
levels = collections.Counter(l.get("level") or "(none)" for l in logs)
print("   %d logs: %s" % (len(logs), ", ".join("%s %d" % kv for kv in sorted(levels.items()))))
with urllib.request.urlopen(sys.argv[2] + "/_standin/stats") as r:
    st = json.load(r)
print("   over %d kept-alive connections, up to %d requests at once" % (st["connections"], st["max_concurrent"]))
print("   three of them, as the API stored them:")
items = lambda x: x.get("items") or {}
for l in (next(x for x in logs if "worker" in x["message"]),
          next(x for x in logs if "order.id" in items(x)),
          next(x for x in logs if "legacy bytes" in x["message"])):
    print("     " + json.dumps({k: l[k] for k in ("message", "level", "items") if l.get(k)}, ensure_ascii=False))
PYEOF
echo
echo "Next: README.md, 'Real use with CodeMash', to send your own logs."
exit "$status"
