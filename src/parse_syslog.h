/* parse_syslog.h - a syslog line: RFC 5424, or RFC 3164 as /var/log/syslog
 * and auth.log write it (with or without <PRI>, a year-less or an RFC 3339
 * time), behind logmash.parse_syslog.
 *
 * The result points into the line: nothing is copied or allocated. */
#ifndef LOGMASH_PARSE_SYSLOG_H
#define LOGMASH_PARSE_SYSLOG_H

#include <stddef.h>

#include "parse.h"

struct syslog_line {
	int facility, severity; /* -1: no <PRI> */
	int rfc5424;
	int has_time;
	double time;            /* seconds since the epoch */
	struct slice host, app, pid, msgid, message;
	struct slice sd;        /* RFC 5424's structured data, as written ("[...]...") */
};

/* Parses s[0..n). now chooses the year of a year-less time (see
 * timeconv_yearless). Returns 0, or -1 with why. */
int parse_syslog(const char *s, size_t n, double now, struct syslog_line *out, char *why,
		 size_t why_n);

/* Walks RFC 5424 structured data sd[0..n): element(ctx, id) for each
 * SD-ELEMENT, then param(ctx, name, value) for each of its parameters,
 * the value unescaped (\" \\ \]) into tmp (tmp_n bytes, which a value
 * longer than that is cut to). Either callback may be NULL (to check the
 * syntax alone). Returns 0, or -1 with why if sd is not structured data. */
int parse_syslog_sd(const char *sd, size_t n, void (*element)(void *ctx, struct slice id),
		    void (*param)(void *ctx, struct slice name, struct slice value), void *ctx,
		    char *tmp, size_t tmp_n, char *why, size_t why_n);

#endif
