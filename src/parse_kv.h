/* parse_kv.h - key=value pairs: logfmt by default (key=value,
 * key="quoted \" value", a bare key), or other separators, behind
 * logmash.parse_kv. */
#ifndef LOGMASH_PARSE_KV_H
#define LOGMASH_PARSE_KV_H

#include <stddef.h>

#include "parse.h"

struct kv_opts {
	const char *pair;   /* between pairs; NULL: any run of white space */
	const char *kv;     /* between a key and its value; NULL: "=" */
	const char *quotes; /* the characters that may quote a value; NULL: "\"" */
};

/* Calls pair(ctx, key, value) for each pair in s[0..n), in order; a bare
 * key (no separator) has the value "true". Quoted values are unescaped
 * (\" \\ \n \t \r and an escaped quote character) into scratch, which must
 * hold n bytes. With a separator of pairs other than white space, white
 * space around keys and values is trimmed. Returns how many pairs had a
 * key-value separator (0: the line has none), or -1 with why (an option
 * that is empty). */
int parse_kv(const char *s, size_t n, const struct kv_opts *o,
	     void (*pair)(void *ctx, struct slice key, struct slice value), void *ctx,
	     char *scratch, char *why, size_t why_n);

#endif
