/* json.h - reading JSON with jsmn.
 *
 * jsmn's tokens are offsets into the caller's text, in pre-order. This adds
 * the little jsmn leaves out: a token array that grows, a check that the
 * text is exactly one value, member lookup, and string unescaping. */
#ifndef LOGMASH_JSON_H
#define LOGMASH_JSON_H

#define JSMN_HEADER
#define JSMN_PARENT_LINKS /* as json.c compiles jsmn: part of the token's layout */
#include <jsmn.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct json_doc {
	const char *js;
	size_t len;
	jsmntok_t *tok;
	int ntok;
	int cap;
	int *open;       /* json_parse's stack of open containers, reused */
	int open_cap;
};

/* Containers nested deeper are refused before jsmn sees them: jsmn walks
 * up from the last token at every closing bracket, so its time grows with
 * the square of the depth (100,000 levels: 47 s). */
#define JSON_MAX_DEPTH 200

enum { JSON_INVALID = -1, JSON_TOO_DEEP = -2 };

/* Parses js[0..len) into d, reusing d's token array. Returns 0;
 * JSON_INVALID when the text is not exactly one JSON value (or has over
 * max_tokens tokens); JSON_TOO_DEEP past JSON_MAX_DEPTH. After 0, every
 * object's members are a string key and a value, so the tokens can be
 * walked by their sizes without going past ntok. */
int json_parse(struct json_doc *d, const char *js, size_t len, int max_tokens);
void json_doc_free(struct json_doc *d);

/* Index of the token after the value at i and everything inside it. */
int json_skip(const struct json_doc *d, int i);

/* Index of the value of member key in the object at obj, or -1. */
int json_get(const struct json_doc *d, int obj, const char *key);

/* Token i as a NUL-terminated, unescaped string in out (cleared first), when
 * it is a JSON string; returns 0, or -1 when it is not a valid string. */
int json_string(const struct json_doc *d, int i, struct buf *out);

/* Token i as a number: 0, or -1 when it is not a JSON number (or, for
 * json_uint, not a whole number from 0 to 2^64-1). */
int json_number(const struct json_doc *d, int i, double *out);
int json_uint(const struct json_doc *d, int i, uint64_t *out);

/* Appends the JSON string body s[0..n) (no quotes) with escapes decoded to
 * UTF-8; a lone surrogate becomes U+FFFD. Returns -1 on a bad escape. */
int json_unescape(struct buf *out, const char *s, size_t n);

#endif
