/* fuzz_control.c - what a client writes on the control socket (ctlproto.c
 * over json.c and jsmn), and a snapshot as `logmash top` reads it
 * (snapjson.c); the first byte picks which. Promises: a request is either
 * one of the commands with its numbers in bounds, or refused with a
 * printable reason; a snapshot is read or refused, never half-read into
 * bounds it does not have. */
#include <string.h>

#include "ctlproto.h"
#include "fuzz.h"
#include "snapjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct json_doc d = {0};
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	if (data[0] & 1) {
		static struct snapshot s;
		if (json_parse(&d, text, len, 1 << 16) == 0 && snapjson_read(&d, 0, &s) == 0) {
			PROMISE(s.n_sources <= SNAP_SOURCES && s.n_scripts <= SNAP_SCRIPTS,
				"the lists stay within a snapshot");
			PROMISE(s.n_errors <= ERRLOG_KEEP && s.n_notes <= ERRLOG_KEEP,
				"the errors stay within a snapshot");
			for (size_t i = 0; i < s.n_sources; i++)
				PROMISE(s.sources[i].state < N_SOURCE_STATES && strnlen(s.sources[i].path, SNAP_PATH) < SNAP_PATH,
					"a source has a state and a terminated path");
			PROMISE(s.sources_total >= s.n_sources, "the total counts those listed");
			(void)snapshot_state(&s);
		}
		json_doc_free(&d);
		return 0;
	}
	struct ctl_request r;
	char err[256] = "";
	if (ctl_parse(text, len, &r, &d, err, sizeof err) == 0) {
		PROMISE(r.cmd >= CTL_SNAPSHOT && r.cmd <= CTL_RETRY, "a known command");
		PROMISE(r.interval_ms >= 100 && r.interval_ms <= 60000, "the interval in bounds");
		PROMISE(r.limit >= 1 && r.limit <= 1000, "the tap limit in bounds");
		PROMISE(len <= CTL_LINE_MAX, "no request past the line limit");
	} else {
		size_t n = strnlen(err, sizeof err);
		PROMISE(n > 0 && n < sizeof err, "a refusal says why");
		PROMISE(valid_utf8((const unsigned char *)err, n), "the reason is valid UTF-8");
	}
	json_doc_free(&d);
	return 0;
}
