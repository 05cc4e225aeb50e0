/* ctlproto.h - the control socket's protocol: what a client may ask.
 *
 * Line-delimited JSON, one object a line each way. A request:
 *   {"v":1,"cmd":"snapshot","interval_ms":1000}  the dashboard's snapshots, now and then
 *                                                each interval (100..60000, default 1000)
 *   {"v":1,"cmd":"tap","limit":100}              the bodies sent and their outcomes,
 *                                                at most limit a second (1..1000, default 100)
 *   {"v":1,"cmd":"pause"|"resume"|"reload"|"stop"|"retry"}
 * "v" may be left out; another version than CTL_VERSION is refused.
 * Replies: {"v":1,"type":"hello"|"ok"|"error"|"snapshot"|"tap"|"dropped",...}.
 * Parsing is pure (no I/O): the fuzz target's subject. */
#ifndef LOGMASH_CTLPROTO_H
#define LOGMASH_CTLPROTO_H

#include <stddef.h>

#include "json.h"

#define CTL_VERSION 1
#define CTL_LINE_MAX 4096 /* a longer request is refused and the client dropped */

enum ctl_cmd { CTL_SNAPSHOT, CTL_TAP, CTL_PAUSE, CTL_RESUME, CTL_RELOAD, CTL_STOP, CTL_RETRY };

struct ctl_request {
	enum ctl_cmd cmd;
	long interval_ms; /* CTL_SNAPSHOT */
	long limit;       /* CTL_TAP: lines a second */
};

/* Parses one request line (without its newline). Returns 0, or -1 with
 * what is wrong, in words for the client, in err. d is scratch space. */
int ctl_parse(const char *line, size_t len, struct ctl_request *r, struct json_doc *d, char *err,
	      size_t errlen);

/* The command's name in the protocol. */
const char *ctl_cmd_name(enum ctl_cmd c);

#endif
