#!/bin/sh
# logmash under valgrind's memcheck, for `make valgrind`: the integration
# tests run this in place of the binary (LOGMASH_BIN). Each process writes its
# own log; with -q a log holds something only when memcheck found an error or
# a leak, so tests/valgrind/check.sh fails on any log that is not empty. The
# exit code stays logmash's own, which the tests check.
here=$(dirname "$0")
logs=${LOGMASH_VALGRIND_LOGS:?set LOGMASH_VALGRIND_LOGS to a folder for the logs}
exec valgrind -q --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --track-origins=yes \
	--suppressions="$here/memcheck.supp" --log-file="$logs/memcheck.%p.log" \
	"$here/../../logmash" "$@"
