/* parse.h - what the line parsers share (parse_syslog.c, parse_access.c,
 * parse_kv.c, timeconv.c): a piece of the line, and the refusal. */
#ifndef LOGMASH_PARSE_H
#define LOGMASH_PARSE_H

#include <stddef.h>
#include <stdio.h>

/* A piece of the line; p NULL: the field is absent. */
struct slice {
	const char *p;
	size_t n;
};

/* Why a line was refused, into the caller's buffer. */
static inline void parse_why(char *why, size_t why_n, const char *msg)
{
	snprintf(why, why_n, "%s", msg);
}

static inline int parse_digit(char c)
{
	return c >= '0' && c <= '9';
}

#endif
