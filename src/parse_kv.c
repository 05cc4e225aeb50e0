/* parse_kv.c - key=value pairs (parse_kv.h). */
#include "parse_kv.h"

#include <stdio.h>
#include <string.h>

struct kv {
	const char *s;
	size_t n, i;
	const char *pair, *sep, *quotes;
	size_t pair_n, sep_n;
};

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static int at(const struct kv *k, const char *what, size_t len)
{
	/* One character, the common case, without a call. */
	if (len == 1)
		return k->i < k->n && k->s[k->i] == *what;
	return k->n - k->i >= len && !memcmp(k->s + k->i, what, len);
}

/* The separator between pairs at k->i: its length, or 0. */
static size_t at_pair(const struct kv *k)
{
	if (!k->pair)
		return k->i < k->n && is_space(k->s[k->i]);
	return at(k, k->pair, k->pair_n) ? k->pair_n : 0;
}

static struct slice trimmed(const struct kv *k, size_t from, size_t to)
{
	if (k->pair) {
		while (from < to && is_space(k->s[from]))
			from++;
		while (to > from && is_space(k->s[to - 1]))
			to--;
	}
	return (struct slice){k->s + from, to - from};
}

/* A quoted value at k->i (its opening quote), unescaped into *scratch. */
static struct slice quoted(struct kv *k, char **scratch)
{
	char q = k->s[k->i++];
	char *out = *scratch;
	struct slice v = {out, 0};
	while (k->i < k->n && k->s[k->i] != q) {
		char c = k->s[k->i++];
		if (c == '\\' && k->i < k->n) {
			char e = k->s[k->i++];
			if (e == 'n')
				c = '\n';
			else if (e == 't')
				c = '\t';
			else if (e == 'r')
				c = '\r';
			else if (e == '\\' || e == q)
				c = e;
			else
				k->i--; /* not an escape: the backslash stands */
		}
		*out++ = c;
	}
	if (k->i < k->n)
		k->i++; /* the closing quote; an unclosed value runs to the end */
	v.n = (size_t)(out - *scratch);
	*scratch = out;
	return v;
}

int parse_kv(const char *s, size_t n, const struct kv_opts *o,
	     void (*pair)(void *ctx, struct slice key, struct slice value), void *ctx,
	     char *scratch, char *why, size_t why_n)
{
	struct kv k = {.s = s, .n = n, .pair = o->pair, .sep = o->kv ? o->kv : "=",
		       .quotes = o->quotes ? o->quotes : "\""};
	k.pair_n = k.pair ? strlen(k.pair) : 0;
	k.sep_n = strlen(k.sep);
	if ((k.pair && !k.pair_n) || !k.sep_n) {
		snprintf(why, why_n, "parse_kv: the %s separator is empty", k.sep_n ? "pair" : "kv");
		return -1;
	}
	int with_sep = 0;
	while (k.i < n) {
		size_t skip;
		while ((skip = at_pair(&k)))
			k.i += skip;
		if (k.i >= n)
			break;
		size_t ks = k.i;
		while (k.i < n && !at_pair(&k) && !at(&k, k.sep, k.sep_n))
			k.i++;
		struct slice key = trimmed(&k, ks, k.i), val = {"true", 4};
		int has_sep = k.i < n && at(&k, k.sep, k.sep_n);
		if (has_sep) {
			k.i += k.sep_n;
			if (k.pair)
				while (k.i < n && is_space(s[k.i]) && !at_pair(&k))
					k.i++;
			if (k.i < n && s[k.i] && strchr(k.quotes, s[k.i])) {
				val = quoted(&k, &scratch);
				while (k.i < n && !at_pair(&k))
					k.i++; /* what follows a closing quote */
			} else {
				size_t vs = k.i;
				while (k.i < n && !at_pair(&k))
					k.i++;
				val = trimmed(&k, vs, k.i);
			}
		}
		if (!key.n)
			continue;
		with_sep += has_sep;
		pair(ctx, key, val);
	}
	return with_sep;
}
