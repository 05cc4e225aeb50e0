/* ctlproto.c - control requests from JSON. */
#include "ctlproto.h"

#include <stdio.h>
#include <string.h>

static const char *const names[] = {
	[CTL_SNAPSHOT] = "snapshot", [CTL_TAP] = "tap",       [CTL_PAUSE] = "pause",
	[CTL_RESUME] = "resume",     [CTL_RELOAD] = "reload", [CTL_STOP] = "stop",
	[CTL_RETRY] = "retry",
};

const char *ctl_cmd_name(enum ctl_cmd c)
{
	return names[c];
}

/* Member key of obj as a whole number within [lo, hi], or def when absent. */
static int bounded(const struct json_doc *d, int obj, const char *key, long lo, long hi, long def,
		   long *out, char *err, size_t errlen)
{
	int t = json_get(d, obj, key);
	*out = def;
	if (t < 0)
		return 0;
	double v;
	if (json_number(d, t, &v) != 0 || v < (double)lo || v > (double)hi || v != (double)(long)v) {
		snprintf(err, errlen, "\"%s\" must be a whole number from %ld to %ld", key, lo, hi);
		return -1;
	}
	*out = (long)v;
	return 0;
}

int ctl_parse(const char *line, size_t len, struct ctl_request *r, struct json_doc *d, char *err,
	      size_t errlen)
{
	memset(r, 0, sizeof *r);
	if (len > CTL_LINE_MAX) {
		snprintf(err, errlen, "a request is one line of at most %d bytes", CTL_LINE_MAX);
		return -1;
	}
	if (json_parse(d, line, len, 64) != 0 || d->ntok < 1 || d->tok[0].type != JSMN_OBJECT) {
		snprintf(err, errlen, "a request is a JSON object on one line, such as "
			 "{\"v\":%d,\"cmd\":\"snapshot\"}", CTL_VERSION);
		return -1;
	}
	int t = json_get(d, 0, "v");
	double v;
	if (t >= 0 && (json_number(d, t, &v) != 0 || v != CTL_VERSION)) {
		snprintf(err, errlen, "this logmash speaks version %d of the protocol", CTL_VERSION);
		return -1;
	}
	struct buf cmd = {0};
	t = json_get(d, 0, "cmd");
	if (t < 0 || json_string(d, t, &cmd) != 0) {
		buf_free(&cmd);
		snprintf(err, errlen, "a request needs \"cmd\": snapshot, tap, pause, resume, reload, "
			 "stop or retry");
		return -1;
	}
	int found = -1;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(buf_cstr(&cmd), names[i]) == 0)
			found = (int)i;
	buf_free(&cmd);
	if (found < 0) {
		snprintf(err, errlen, "unknown \"cmd\": it is snapshot, tap, pause, resume, reload, "
			 "stop or retry");
		return -1;
	}
	r->cmd = (enum ctl_cmd)found;
	if (bounded(d, 0, "interval_ms", 100, 60000, 1000, &r->interval_ms, err, errlen) != 0 ||
	    bounded(d, 0, "limit", 1, 1000, 100, &r->limit, err, errlen) != 0)
		return -1;
	return 0;
}
