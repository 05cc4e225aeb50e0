#!/bin/sh
# run.sh SECONDS TARGET... - runs each libFuzzer target in build/fuzz for
# SECONDS, starting from the inputs kept in tests/fuzz/corpus/TARGET (each of
# which is replayed first: past crashes are regression tests). New inputs
# go to build/fuzz/corpus-TARGET, crashes to build/fuzz/crash-TARGET-*.
# Prints the executions a target ran; exits 1 on the first failure.
set -u
seconds=$1
shift
status=0
for t in "$@"; do
	bin=build/fuzz/fuzz_$t
	seeds=tests/fuzz/corpus/$t
	work=build/fuzz/corpus-$t
	log=build/fuzz/$t.log
	mkdir -p "$work" "$seeds"
	# One worker, bounded memory and time an input.
	if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="build/fuzz/crash-$t-" \
		"$work" "$seeds" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		cov=$(sed -n 's/^.*cov: \([0-9]*\).*$/\1/p' "$log" | tail -n 1)
		echo "fuzz $t: ${runs:-?} runs in ${seconds}s, ${cov:-?} edges covered, no failure"
	else
		echo "fuzz $t: FAILED; the input and the report:" >&2
		ls build/fuzz/crash-"$t"-* >&2 2>/dev/null
		grep -E "broken promise|ERROR: |SUMMARY|runtime error" "$log" | head -n 20 >&2
		echo "  (whole log: $log; once fixed, keep the input in $seeds/)" >&2
		status=1
	fi
done
exit $status
