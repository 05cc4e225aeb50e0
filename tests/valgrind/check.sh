#!/bin/sh
# Fails, printing them, if any memcheck log of `make valgrind` holds an error
# or a leak (tests/valgrind/memcheck.sh runs memcheck with -q: clean runs log
# nothing).
set -eu
logs=$1
n=$(ls "$logs" | wc -l)
bad=$(find "$logs" -name 'memcheck.*.log' -size +0c)
if [ -n "$bad" ]; then
	for f in $bad; do echo "== $f"; cat "$f"; done
	echo "memcheck: errors or leaks in $(echo "$bad" | wc -l) of $n logmash runs" >&2
	exit 1
fi
echo "memcheck: $n logmash runs, no errors, no leaks"
