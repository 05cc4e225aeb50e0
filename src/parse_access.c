/* parse_access.c - Common and Combined Log Format lines (parse_access.h).
 *
 * A quoted field ends at a quote that the end of the line or the next
 * field follows, so that an agent holding a bare quote (which nginx writes
 * as \x22 but some servers write as it came) still parses. */
#include "parse_access.h"

#include <stdio.h>
#include <string.h>

#include "timeconv.h"

static struct slice word(const char *s, size_t n, size_t *i)
{
	size_t start = *i;
	while (*i < n && s[*i] != ' ')
		(*i)++;
	return (struct slice){s + start, *i - start};
}

static int spaces(const char *s, size_t n, size_t *i)
{
	if (*i >= n || s[*i] != ' ')
		return -1;
	while (*i < n && s[*i] == ' ')
		(*i)++;
	return 0;
}

static struct slice dash_absent(struct slice v)
{
	if (v.n == 1 && v.p[0] == '-')
		v.p = NULL, v.n = 0;
	return v;
}

/* Whether the quote at s[i] closes its field: the line ends there, or
 * the next field (a status, a size, "-" or another quoted one) follows. */
static int closes(const char *s, size_t n, size_t i)
{
	if (++i == n)
		return 1;
	if (s[i] != ' ')
		return 0;
	while (i < n && s[i] == ' ')
		i++;
	return i == n || s[i] == '"' || s[i] == '-' || parse_digit(s[i]);
}

/* "..." at s[*i]: the slice inside, unescaped into *scratch if it has
 * escapes (then *scratch moves past it). */
static int quoted(const char *s, size_t n, size_t *i, char **scratch, struct slice *out)
{
	if (*i >= n || s[*i] != '"')
		return -1;
	size_t start = ++*i;
	int escaped = 0;
	for (; *i < n; (*i)++) {
		if (s[*i] == '\\' && *i + 1 < n) {
			escaped = 1;
			(*i)++;
		} else if (s[*i] == '"' && closes(s, n, *i)) {
			break;
		}
	}
	if (*i >= n)
		return -1;
	out->p = s + start;
	out->n = *i - start;
	(*i)++;
	if (escaped) {
		char *o = *scratch;
		for (size_t k = 0; k < out->n; k++) {
			if (out->p[k] == '\\' && k + 1 < out->n &&
			    (out->p[k + 1] == '"' || out->p[k + 1] == '\\'))
				k++;
			*o++ = out->p[k];
		}
		out->p = *scratch;
		out->n = (size_t)(o - *scratch);
		*scratch = o;
	}
	return 0;
}

/* [10/Oct/2000:13:55:36 -0700] */
static int clf_time(const char *s, size_t n, size_t *i, double *t)
{
	const char *close;
	if (*i >= n || s[*i] != '[' || !(close = memchr(s + *i, ']', n - *i)))
		return -1;
	char why[8];
	size_t start = *i + 1;
	*i = (size_t)(close - s) + 1;
	return timeconv_parse(s + start, (size_t)(close - s) - start, "%d/%b/%Y:%H:%M:%S %z", 0,
			      t, why, sizeof why);
}

/* The request line: METHOD PATH PROTOCOL, or "-"; a request with fewer
 * parts (HTTP/0.9, or garbage) gives what it has. */
static void request(struct slice r, struct access_line *o)
{
	if (r.n == 0 || (r.n == 1 && r.p[0] == '-'))
		return;
	const char *end = r.p + r.n;
	const char *sp = memchr(r.p, ' ', r.n);
	o->method = (struct slice){r.p, sp ? (size_t)(sp - r.p) : r.n};
	if (!sp)
		return;
	const char *path = sp + 1;
	const char *last = memrchr(path, ' ', (size_t)(end - path));
	if (last && end - last > 5 && !memcmp(last + 1, "HTTP/", 5)) {
		o->path = (struct slice){path, (size_t)(last - path)};
		o->protocol = (struct slice){last + 1, (size_t)(end - last - 1)};
	} else {
		o->path = (struct slice){path, (size_t)(end - path)};
	}
}

int parse_access(const char *s, size_t n, char *scratch, struct access_line *o, char *why,
		 size_t why_n)
{
	memset(o, 0, sizeof *o);
	size_t i = 0;
	struct slice req;
	o->client = word(s, n, &i);
	if (!o->client.n || spaces(s, n, &i)) {
		parse_why(why, why_n, "not an access log line: no client address");
		return -1;
	}
	o->ident = dash_absent(word(s, n, &i));
	if (spaces(s, n, &i)) {
		parse_why(why, why_n, "not an access log line: no ident after the client");
		return -1;
	}
	o->user = dash_absent(word(s, n, &i));
	if (spaces(s, n, &i) || clf_time(s, n, &i, &o->time)) {
		parse_why(why, why_n, "not an access log line: no time as [10/Oct/2000:13:55:36 -0700]");
		return -1;
	}
	if (spaces(s, n, &i) || quoted(s, n, &i, &scratch, &req)) {
		parse_why(why, why_n, "not an access log line: no quoted request after the time");
		return -1;
	}
	request(req, o);
	if (spaces(s, n, &i) || n - i < 3 || !parse_digit(s[i]) || !parse_digit(s[i + 1]) || !parse_digit(s[i + 2]) ||
	    (n - i > 3 && s[i + 3] != ' ')) {
		parse_why(why, why_n, "not an access log line: no three-digit status after the request");
		return -1;
	}
	o->status = (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
	i += 3;
	if (spaces(s, n, &i)) {
		parse_why(why, why_n, "not an access log line: no size after the status");
		return -1;
	}
	if (i < n && s[i] == '-') {
		i++;
	} else {
		size_t start = i;
		while (i < n && parse_digit(s[i]) && i - start < 18)
			o->bytes = o->bytes * 10 + (s[i++] - '0');
		if (i == start) {
			parse_why(why, why_n, "not an access log line: the size is not a number or -");
			return -1;
		}
	}
	if (i == n)
		return 0; /* common */
	if (s[i] != ' ') {
		parse_why(why, why_n, "not an access log line: the size is not a number or -");
		return -1;
	}
	while (i < n && s[i] == ' ')
		i++;
	if (i == n)
		return 0;
	if (quoted(s, n, &i, &scratch, &o->referer) || spaces(s, n, &i) ||
	    quoted(s, n, &i, &scratch, &o->agent)) {
		parse_why(why, why_n, "not a combined log line: no quoted referer and agent after the size");
		return -1;
	}
	o->referer = dash_absent(o->referer);
	o->agent = dash_absent(o->agent);
	o->combined = 1;
	/* Whatever a custom format adds after the agent is the caller's. */
	return 0;
}
