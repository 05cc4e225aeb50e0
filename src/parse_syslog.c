/* parse_syslog.c - a syslog line, RFC 5424 or RFC 3164 (parse_syslog.h).
 *
 * RFC 3164 is a description of practice more than a grammar, so this
 * follows what servers write: the tag runs to the first '[' or ':' and may
 * hold spaces ("syslogd 1.4.1: restart."), a pid is whatever the brackets
 * hold, the host may be missing when the tag follows the time at once. */
#include "parse_syslog.h"

#include <stdio.h>
#include <string.h>

#include "timeconv.h"

/* How far after the host a tag's '[' or ':' may be: past that the line has
 * no tag and all of it is the message. */
#define TAG_MAX 64

/* <PRI> at s[*i]: 1 to 3 digits, at most 191. Returns 1 if there, 0 if
 * not, -1 if malformed. */
static int pri(const char *s, size_t n, size_t *i, int *value)
{
	if (*i >= n || s[*i] != '<')
		return 0;
	size_t j = *i + 1;
	int v = 0, k = 0;
	while (j < n && parse_digit(s[j]) && k < 3) {
		v = v * 10 + (s[j++] - '0');
		k++;
	}
	if (!k || j >= n || s[j] != '>' || v > 191)
		return -1;
	*value = v;
	*i = j + 1;
	return 1;
}

/* A token up to the next space; "-" (RFC 5424's nil) leaves it absent. */
static struct slice token(const char *s, size_t n, size_t *i)
{
	size_t start = *i;
	while (*i < n && s[*i] != ' ')
		(*i)++;
	struct slice t = {s + start, *i - start};
	if (t.n == 1 && t.p[0] == '-')
		t.p = NULL, t.n = 0;
	return t;
}

static int space(const char *s, size_t n, size_t *i)
{
	if (*i >= n || s[*i] != ' ')
		return -1;
	(*i)++;
	return 0;
}

/* SD-NAME: printable US-ASCII but '=', ' ', ']' and '"'. */
static int sd_name_char(char c)
{
	return c > ' ' && c < 127 && c != '=' && c != ']' && c != '"';
}

/* Structured data at sd[*i..n): one or more [ID name="value"...]. */
static int sd_scan(const char *sd, size_t n, size_t *i, void (*element)(void *, struct slice),
		   void (*param)(void *, struct slice, struct slice), void *ctx, char *tmp,
		   size_t tmp_n, char *why, size_t why_n)
{
	if (*i >= n || sd[*i] != '[') {
		parse_why(why, why_n, "structured data must start with '[' (or be -)");
		return -1;
	}
	while (*i < n && sd[*i] == '[') {
		size_t j = *i + 1, start = j;
		while (j < n && sd_name_char(sd[j]))
			j++;
		if (j == start) {
			parse_why(why, why_n, "an SD-ELEMENT without an SD-ID");
			return -1;
		}
		if (element)
			element(ctx, (struct slice){sd + start, j - start});
		while (j < n && sd[j] == ' ') {
			size_t ns = ++j;
			while (j < n && sd_name_char(sd[j]))
				j++;
			struct slice name = {sd + ns, j - ns};
			if (!name.n || j + 1 >= n || sd[j] != '=' || sd[j + 1] != '"') {
				parse_why(why, why_n, "an SD-PARAM is not name=\"value\"");
				return -1;
			}
			j += 2;
			size_t len = 0;
			while (j < n && sd[j] != '"') {
				if (sd[j] == '\\' && j + 1 < n &&
				    (sd[j + 1] == '"' || sd[j + 1] == '\\' || sd[j + 1] == ']'))
					j++;
				if (len < tmp_n)
					tmp[len++] = sd[j];
				j++;
			}
			if (j >= n) {
				parse_why(why, why_n, "an SD-PARAM's value has no closing quote");
				return -1;
			}
			j++;
			if (param)
				param(ctx, name, (struct slice){tmp, len});
		}
		if (j >= n || sd[j] != ']') {
			parse_why(why, why_n, "an SD-ELEMENT has no closing ']'");
			return -1;
		}
		*i = j + 1;
	}
	return 0;
}

int parse_syslog_sd(const char *sd, size_t n, void (*element)(void *ctx, struct slice id),
		    void (*param)(void *ctx, struct slice name, struct slice value), void *ctx,
		    char *tmp, size_t tmp_n, char *why, size_t why_n)
{
	size_t i = 0;
	if (sd_scan(sd, n, &i, element, param, ctx, tmp, tmp_n, why, why_n) != 0)
		return -1;
	if (i != n) {
		parse_why(why, why_n, "text after the structured data");
		return -1;
	}
	return 0;
}

/* The message: the rest, without RFC 5424's byte order mark. */
static struct slice rest(const char *s, size_t n, size_t i)
{
	if (n - i >= 3 && !memcmp(s + i, "\xEF\xBB\xBF", 3))
		i += 3;
	return (struct slice){s + i, n - i};
}

static int rfc5424(const char *s, size_t n, size_t i, struct syslog_line *o, char *why,
		   size_t why_n)
{
	while (i < n && parse_digit(s[i]))
		i++; /* the version */
	o->rfc5424 = 1;
	if (space(s, n, &i)) {
		parse_why(why, why_n, "not RFC 5424: no space after the version");
		return -1;
	}
	if (i < n && s[i] == '-') {
		i++;
	} else {
		size_t used = timeconv_iso(s + i, n - i, &o->time, why, why_n);
		if (!used)
			return -1;
		o->has_time = 1;
		i += used;
	}
	struct slice *fields[] = {&o->host, &o->app, &o->pid, &o->msgid};
	for (size_t k = 0; k < sizeof fields / sizeof *fields; k++) {
		if (space(s, n, &i)) {
			parse_why(why, why_n, "not RFC 5424: a header field is missing");
			return -1;
		}
		*fields[k] = token(s, n, &i);
	}
	if (space(s, n, &i)) {
		parse_why(why, why_n, "not RFC 5424: no structured data (or -) after the header");
		return -1;
	}
	if (i < n && s[i] == '-') {
		i++;
	} else {
		size_t start = i;
		char tmp[1];
		if (sd_scan(s, n, &i, NULL, NULL, NULL, tmp, 0, why, why_n) != 0)
			return -1;
		o->sd = (struct slice){s + start, i - start};
	}
	if (i < n && space(s, n, &i)) {
		parse_why(why, why_n, "not RFC 5424: no space before the message");
		return -1;
	}
	o->message = rest(s, n, i);
	return 0;
}

/* "Mmm dd hh:mm:ss" (the day space-padded or not), or an RFC 3339 time. */
static int time3164(const char *s, size_t n, size_t *i, double now, struct syslog_line *o,
		    char *why, size_t why_n)
{
	if (n - *i >= 5 && parse_digit(s[*i]) && parse_digit(s[*i + 3]) && s[*i + 4] == '-') {
		size_t used = timeconv_iso(s + *i, n - *i, &o->time, why, why_n);
		if (!used)
			return -1;
		*i += used;
		o->has_time = 1;
		return 0;
	}
	size_t used, j = *i;
	int mon = timeconv_month(s + j, n - j, &used);
	if (!mon || used != 3) {
		parse_why(why, why_n, "not a syslog line: no time (Mmm dd hh:mm:ss or RFC 3339)");
		return -1;
	}
	j += 3;
	while (j < n && s[j] == ' ')
		j++;
	int v[4] = {0}, k = 0;
	for (; k < 4 && j < n && parse_digit(s[j]); k++) {
		v[k] = s[j++] - '0';
		if (j < n && parse_digit(s[j]))
			v[k] = v[k] * 10 + (s[j++] - '0');
		if (k < 3 && (j >= n || s[j] != (k == 0 ? ' ' : ':')))
			break;
		j += k < 3;
	}
	if (k < 3 || v[0] < 1 || v[0] > 31 || v[1] > 23 || v[2] > 59 || v[3] > 60) {
		parse_why(why, why_n, "not a syslog line: no time (Mmm dd hh:mm:ss or RFC 3339)");
		return -1;
	}
	o->time = timeconv_yearless(mon, v[0], v[1], v[2], v[3], now);
	o->has_time = 1;
	*i = j;
	return 0;
}

/* After the host: TAG[PID]: or TAG: then the message. */
static void tag(const char *s, size_t n, size_t i, struct syslog_line *o)
{
	size_t j = i;
	while (j < n && j - i < TAG_MAX && s[j] != '[' && s[j] != ':')
		j++;
	if (j >= n || j - i >= TAG_MAX || j == i) {
		o->message = (struct slice){s + i, n - i};
		return;
	}
	size_t after = j;
	if (s[j] == '[') {
		const char *close = memchr(s + j, ']', n - j);
		if (!close || close - (s + j) > 32) {
			o->message = (struct slice){s + i, n - i};
			return;
		}
		o->pid = (struct slice){s + j + 1, (size_t)(close - s) - j - 1};
		after = (size_t)(close - s) + 1;
		if (after < n && s[after] == ':')
			after++;
	} else {
		after++;
	}
	o->app = (struct slice){s + i, j - i};
	if (after < n && s[after] == ' ')
		after++;
	o->message = (struct slice){s + after, n - after};
}

static int rfc3164(const char *s, size_t n, size_t i, double now, struct syslog_line *o,
		   char *why, size_t why_n)
{
	if (time3164(s, n, &i, now, o, why, why_n) != 0)
		return -1;
	if (i < n && s[i] != ' ') {
		parse_why(why, why_n, "not a syslog line: no space after the time");
		return -1;
	}
	while (i < n && s[i] == ' ')
		i++;
	/* The host, unless what follows the time is already the tag. */
	size_t j = i;
	while (j < n && s[j] != ' ' && s[j] != '[' && s[j] != ':')
		j++;
	if (j > i && (j >= n || s[j] == ' ')) {
		o->host = (struct slice){s + i, j - i};
		i = j;
		while (i < n && s[i] == ' ')
			i++;
	}
	tag(s, n, i, o);
	return 0;
}

int parse_syslog(const char *s, size_t n, double now, struct syslog_line *out, char *why,
		 size_t why_n)
{
	memset(out, 0, sizeof *out);
	out->facility = out->severity = -1;
	size_t i = 0;
	int p;
	switch (pri(s, n, &i, &p)) {
	case -1:
		parse_why(why, why_n, "not a syslog line: <PRI> must be 0 to 191 in angle brackets");
		return -1;
	case 1:
		out->facility = p >> 3;
		out->severity = p & 7;
		if (i + 1 < n && parse_digit(s[i]) && (s[i + 1] == ' ' || (parse_digit(s[i + 1]) && i + 2 < n &&
								     s[i + 2] == ' ')))
			return rfc5424(s, n, i, out, why, why_n);
		break;
	default:
		break;
	}
	return rfc3164(s, n, i, now, out, why, why_n);
}
