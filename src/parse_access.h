/* parse_access.h - an access log line in the Common or Combined Log Format
 * (Apache's common and combined, nginx's default combined), behind
 * logmash.parse_access.
 *
 *   client ident user [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.0" 200 2326 "referer" "agent"
 *
 * Slices point into the line, except quoted fields with escapes (\" and
 * \\, as Apache writes them): those are unescaped into the caller's
 * scratch buffer. */
#ifndef LOGMASH_PARSE_ACCESS_H
#define LOGMASH_PARSE_ACCESS_H

#include <stddef.h>

#include "parse.h"

struct access_line {
	struct slice client, ident, user;  /* ident, user: absent for "-" */
	double time;                       /* seconds since the epoch */
	struct slice method, path, protocol; /* absent when the request is "-" */
	int status;
	double bytes;                      /* "-" gives 0 */
	int combined;                      /* referer and agent were there */
	struct slice referer, agent;       /* absent for "-" or in common */
};

/* Parses s[0..n); scratch must hold n bytes. Returns 0, or -1 with why. */
int parse_access(const char *s, size_t n, char *scratch, struct access_line *out, char *why,
		 size_t why_n);

#endif
