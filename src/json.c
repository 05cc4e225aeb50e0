/* json.c - jsmn, compiled here once, and helpers around it. */
#define JSMN_STRICT
#include <jsmn.h>

#include "json.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

int json_parse(struct json_doc *d, const char *js, size_t len, int max_tokens)
{
	d->js = js;
	d->len = len;
	d->ntok = 0;
	if (!d->cap) {
		d->cap = 64;
		d->tok = xmalloc(sizeof *d->tok * (size_t)d->cap);
	}
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
			return -1;
		d->ntok = r;
		break;
	}
	/* jsmn accepts several values in a row; we want exactly one. */
	if (json_skip(d, 0) != d->ntok)
		return -1;
	for (size_t i = (size_t)d->tok[0].end; i < len; i++) {
		if (!strchr(" \t\r\n", js[i]))
			return -1;
	}
	return 0;
}

void json_doc_free(struct json_doc *d)
{
	free(d->tok);
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
