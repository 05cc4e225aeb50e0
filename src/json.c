/* json.c - jsmn, compiled here once, and helpers around it. */
#define JSMN_STRICT
/* Without parent links jsmn finds a closing bracket's container, and the
 * container after a comma, by scanning back over every token so far:
 * [[],[],...] or a wide object took time quadratic in its size (80,000
 * tokens: 6 s). With them it walks up the open containers only. */
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "json.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Whether the tokens are one value whose objects all hold key-value pairs
 * with string keys. jsmn, even strict, takes {"a"}, {"a":1,"b"} and
 * {1:2} as objects; a walk by sizes would then read past the tokens. Each
 * open container is kept as (children still expected) * 2 + is_object; an
 * object expects 2 a member, and a key when that count is even. */
static int well_formed(struct json_doc *d)
{
	int depth = 0;
	for (int i = 0; i < d->ntok; i++) {
		const jsmntok_t *t = &d->tok[i];
		if (depth == 0 && i > 0)
			return 0; /* a second value */
		if (depth > 0) {
			int *top = &d->open[depth - 1];
			int is_obj = *top & 1, left = *top >> 1;
			*top = (left - 1) << 1 | is_obj;
			if (is_obj && left % 2 == 0) {
				if (t->type != JSMN_STRING)
					return 0; /* a key that is not a string */
				continue; /* a key: its value comes next */
			}
		}
		if ((t->type == JSMN_OBJECT || t->type == JSMN_ARRAY) && t->size > 0) {
			if (t->size > d->ntok)
				return 0;
			if (depth == d->open_cap) {
				d->open_cap = d->open_cap ? d->open_cap * 2 : 64;
				d->open = xrealloc(d->open, sizeof *d->open * (size_t)d->open_cap);
			}
			int children = t->type == JSMN_OBJECT ? 2 * t->size : t->size;
			d->open[depth++] = children << 1 | (t->type == JSMN_OBJECT);
			continue;
		}
		while (depth > 0 && d->open[depth - 1] >> 1 == 0)
			depth--;
	}
	return depth == 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Whether brackets outside strings nest deeper than JSON_MAX_DEPTH. */
static int too_deep(const char *js, size_t len)
{
	int depth = 0, in_string = 0;
	for (size_t i = 0; i < len; i++) {
		char c = js[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > JSON_MAX_DEPTH)
				return 1;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return 0;
}

int json_parse(struct json_doc *d, const char *js, size_t len, int max_tokens)
{
	d->js = js;
	d->len = len;
	d->ntok = 0;
	if (!d->cap) {
		d->cap = 64;
		d->tok = xmalloc(sizeof *d->tok * (size_t)d->cap);
	}
	/* Strict jsmn wants a delimiter after a primitive, so a bare 3 or true
	 * ending the text would be "partial": a lone primitive is taken here.
	 * Its spelling is checked where it is read, as jsmn's tokens are. */
	size_t a = 0, b = len;
	while (a < b && is_space(js[a]))
		a++;
	while (b > a && is_space(js[b - 1]))
		b--;
	if (a < b && b <= INT_MAX && js[a] != '{' && js[a] != '[' && js[a] != '"') {
		for (size_t i = a; i < b; i++)
			if (!js[i] || is_space(js[i]) || strchr(",:[]{}\"\\", js[i]))
				return JSON_INVALID;
		memset(&d->tok[0], 0, sizeof d->tok[0]);
		d->tok[0].type = JSMN_PRIMITIVE;
		d->tok[0].start = (int)a;
		d->tok[0].end = (int)b;
		d->ntok = 1;
		return 0;
	}
	if (too_deep(js, len))
		return JSON_TOO_DEEP;
	for (;;) {
		jsmn_parser p;
		jsmn_init(&p);
		int r = jsmn_parse(&p, js, len, d->tok, (unsigned)d->cap);
		if (r == JSMN_ERROR_NOMEM && d->cap < max_tokens) {
			d->cap = d->cap * 2 < max_tokens ? d->cap * 2 : max_tokens;
			d->tok = xrealloc(d->tok, sizeof *d->tok * (size_t)d->cap);
			continue;
		}
		if (r < 1)
			return JSON_INVALID;
		d->ntok = r;
		break;
	}
	/* jsmn accepts several values in a row, and objects of keys without
	 * values; we want exactly one well-formed value. */
	if (!well_formed(d))
		return JSON_INVALID;
	/* (jsmn stops at a NUL: what follows must be checked here. A string's
	 * token ends before its closing quote.) */
	for (size_t i = (size_t)d->tok[0].end + (d->tok[0].type == JSMN_STRING); i < len; i++) {
		if (!is_space(js[i]))
			return JSON_INVALID;
	}
	return 0;
}

void json_doc_free(struct json_doc *d)
{
	free(d->tok);
	free(d->open);
	memset(d, 0, sizeof *d);
}

int json_skip(const struct json_doc *d, int i)
{
	/* Pre-order: a container's subtree is its size children, each with
	 * their own subtrees; an object's children are keys, each with one value. */
	int pending = 1;
	while (pending > 0 && i < d->ntok) {
		const jsmntok_t *t = &d->tok[i++];
		pending--;
		if (t->type == JSMN_OBJECT)
			pending += t->size * 2;
		else if (t->type == JSMN_ARRAY)
			pending += t->size;
	}
	return i;
}

int json_get(const struct json_doc *d, int obj, const char *key)
{
	if (obj < 0 || obj >= d->ntok || d->tok[obj].type != JSMN_OBJECT)
		return -1;
	size_t klen = strlen(key);
	int i = obj + 1;
	for (int m = 0; m < d->tok[obj].size && i < d->ntok; m++) {
		const jsmntok_t *k = &d->tok[i];
		/* Keys keep their escapes; ours have none, so compare raw. */
		if (k->type == JSMN_STRING && (size_t)(k->end - k->start) == klen &&
		    memcmp(d->js + k->start, key, klen) == 0)
			return i + 1;
		i = json_skip(d, i + 1);
	}
	return -1;
}

int json_string(const struct json_doc *d, int i, struct buf *out)
{
	buf_clear(out);
	if (i < 0 || i >= d->ntok || d->tok[i].type != JSMN_STRING)
		return -1;
	const jsmntok_t *t = &d->tok[i];
	int r = json_unescape(out, d->js + t->start, (size_t)(t->end - t->start));
	buf_cstr(out);
	return r;
}

/* Token i's text, NUL-terminated in tmp, when it is a number. */
static const char *number_text(const struct json_doc *d, int i, char *tmp, size_t n)
{
	if (i < 0 || i >= d->ntok || d->tok[i].type != JSMN_PRIMITIVE)
		return NULL;
	const char *s = d->js + d->tok[i].start;
	size_t len = (size_t)(d->tok[i].end - d->tok[i].start);
	if (len == 0 || len >= n || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
		return NULL; /* true, false, null */
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	return tmp;
}

int json_number(const struct json_doc *d, int i, double *out)
{
	char tmp[64], *end;
	const char *s = number_text(d, i, tmp, sizeof tmp);
	if (!s)
		return -1;
	*out = strtod(s, &end);
	return *end ? -1 : 0;
}

int json_uint(const struct json_doc *d, int i, uint64_t *out)
{
	char tmp[64], *end;
	const char *s = number_text(d, i, tmp, sizeof tmp);
	if (!s || s[0] == '-')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || errno == ERANGE)
		return -1;
	*out = v;
	return 0;
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static void put_utf8(struct buf *out, unsigned cp)
{
	char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
	} else {
		b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), b[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	buf_append(out, b, n);
}

int json_unescape(struct buf *out, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		const char *bs = memchr(s + i, '\\', n - i);
		size_t run = bs ? (size_t)(bs - (s + i)) : n - i;
		buf_append(out, s + i, run);
		i += run;
		if (i >= n)
			break;
		if (i + 1 >= n)
			return -1;
		char c = s[i + 1];
		i += 2;
		switch (c) {
		case '"': buf_putc(out, '"'); break;
		case '\\': buf_putc(out, '\\'); break;
		case '/': buf_putc(out, '/'); break;
		case 'b': buf_putc(out, '\b'); break;
		case 'f': buf_putc(out, '\f'); break;
		case 'n': buf_putc(out, '\n'); break;
		case 'r': buf_putc(out, '\r'); break;
		case 't': buf_putc(out, '\t'); break;
		case 'u': {
			unsigned cp, lo;
			if (i + 4 > n || hex4(s + i, &cp) != 0)
				return -1;
			i += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= n && s[i] == '\\' &&
			    s[i + 1] == 'u' && hex4(s + i + 2, &lo) == 0 && lo >= 0xDC00 &&
			    lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 6;
			} else if (cp >= 0xD800 && cp <= 0xDFFF) {
				cp = 0xFFFD; /* lone surrogate */
			}
			put_utf8(out, cp);
			break;
		}
		default:
			return -1;
		}
	}
	return 0;
}
