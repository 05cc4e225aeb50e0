/* timeconv.c - times read from and written into log lines (timeconv.h). */
#include "timeconv.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "parse.h"

#define DAY 86400.0

/* Howard Hinnant's days_from_civil: exact for any year, no tables. */
int64_t timeconv_days(int64_t year, int month, int day)
{
	year -= month <= 2;
	int64_t era = (year >= 0 ? year : year - 399) / 400;
	int64_t yoe = year - era * 400;
	int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int timeconv_valid_date(int64_t year, int month, int day)
{
	static const int len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (month < 1 || month > 12 || day < 1)
		return 0;
	return day <= len[month - 1] + (month == 2 && leap(year));
}

static const char *const month_names[] = {"january", "february", "march", "april",
					  "may", "june", "july", "august", "september",
					  "october", "november", "december"};
static const char *const day_names[] = {"sunday", "monday", "tuesday", "wednesday",
					"thursday", "friday", "saturday"};

/* The index of the name (full, or its first three letters) at s in
 * names[0..k), or -1; *used gets its length. */
static int name_at(const char *s, size_t n, const char *const *names, int k, size_t *used)
{
	for (int i = 0; i < k; i++) {
		size_t full = strlen(names[i]);
		if (n >= full && strncasecmp(s, names[i], full) == 0) {
			*used = full;
			return i;
		}
		if (n >= 3 && strncasecmp(s, names[i], 3) == 0) {
			*used = 3;
			return i;
		}
	}
	return -1;
}

int timeconv_month(const char *s, size_t n, size_t *used)
{
	return name_at(s, n, month_names, 12, used) + 1;
}

/* Reads between min and max digits at s[*i..n) into *v; -1 if fewer. */
static int digits(const char *s, size_t n, size_t *i, int min, int max, int64_t *v)
{
	int k = 0;
	int64_t x = 0;
	while (k < max && *i < n && s[*i] >= '0' && s[*i] <= '9') {
		x = x * 10 + (s[*i] - '0');
		(*i)++;
		k++;
	}
	*v = x;
	return k >= min ? 0 : -1;
}

/* A fraction of a second after its separator: 1 or more digits (beyond
 * the ninth, read and ignored). */
static int fraction(const char *s, size_t n, size_t *i, double *f)
{
	size_t start = *i;
	double scale = 0.1, x = 0;
	while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
		if (*i - start < 9) {
			x += (s[*i] - '0') * scale;
			scale /= 10;
		}
		(*i)++;
	}
	*f = x;
	return *i > start ? 0 : -1;
}

/* An offset from UTC: Z, z, +hh:mm, +hhmm or +hh; *secs east of UTC. */
static int offset(const char *s, size_t n, size_t *i, double *secs)
{
	if (*i < n && (s[*i] == 'Z' || s[*i] == 'z')) {
		(*i)++;
		*secs = 0;
		return 0;
	}
	if (*i >= n || (s[*i] != '+' && s[*i] != '-'))
		return -1;
	int sign = s[*i] == '-' ? -1 : 1;
	(*i)++;
	int64_t h, m = 0;
	if (digits(s, n, i, 2, 2, &h) != 0)
		return -1;
	if (*i < n && s[*i] == ':')
		(*i)++;
	size_t before = *i;
	if (digits(s, n, i, 2, 2, &m) != 0)
		*i = before, m = 0;
	if (h > 23 || m > 59)
		return -1;
	*secs = sign * (double)(h * 3600 + m * 60);
	return 0;
}

size_t timeconv_iso(const char *s, size_t n, double *t, char *why, size_t why_n)
{
	size_t i = 0;
	int64_t y, mo, d, h = 0, mi = 0, sec = 0;
	double frac = 0, off = 0;
	if (digits(s, n, &i, 4, 4, &y) || i >= n || s[i++] != '-' || digits(s, n, &i, 2, 2, &mo) ||
	    i >= n || s[i++] != '-' || digits(s, n, &i, 2, 2, &d)) {
		parse_why(why, why_n, "not an RFC 3339 time (YYYY-MM-DDThh:mm:ss)");
		return 0;
	}
	if (!timeconv_valid_date(y, (int)mo, (int)d)) {
		parse_why(why, why_n, "no such date");
		return 0;
	}
	if (i + 2 < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ') && s[i + 1] >= '0' &&
	    s[i + 1] <= '9') {
		i++;
		if (digits(s, n, &i, 2, 2, &h) || i >= n || s[i++] != ':' ||
		    digits(s, n, &i, 2, 2, &mi)) {
			parse_why(why, why_n, "not an RFC 3339 time of day (hh:mm:ss)");
			return 0;
		}
		if (i < n && s[i] == ':') {
			i++;
			if (digits(s, n, &i, 2, 2, &sec)) {
				parse_why(why, why_n, "not an RFC 3339 time of day (hh:mm:ss)");
				return 0;
			}
			if (i < n && (s[i] == '.' || s[i] == ',')) {
				i++;
				if (fraction(s, n, &i, &frac)) {
					parse_why(why, why_n, "no digits after the decimal point");
					return 0;
				}
			}
		}
		if (h > 23 || mi > 59 || sec > 60) {
			parse_why(why, why_n, "hour, minute or second out of range");
			return 0;
		}
		size_t before = i;
		if (offset(s, n, &i, &off) != 0) {
			i = before;
			off = 0;
			if (i < n && (s[i] == '+' || s[i] == '-')) {
				parse_why(why, why_n, "not a UTC offset (Z, +hh:mm or -hhmm)");
				return 0;
			}
		}
	}
	*t = (double)timeconv_days(y, (int)mo, (int)d) * DAY + (double)(h * 3600 + mi * 60 + sec) +
	     frac - off;
	return i;
}

double timeconv_yearless(int month, int day, int hour, int min, double sec, double now)
{
	time_t secs = (time_t)floor(now);
	struct tm tm;
	/* From next year back: a log written just after midnight on New Year's
	 * Eve, read by a clock a little behind, is next year's. */
	int64_t year = (gmtime_r(&secs, &tm) ? tm.tm_year + 1900 : 1970) + 1;
	for (int back = 0; back < 9; back++, year--) {
		/* 29 February is taken from the latest leap year. */
		if (!timeconv_valid_date(year, month, day))
			continue;
		double t = (double)timeconv_days(year, month, day) * DAY + hour * 3600 + min * 60 + sec;
		if (t <= now + DAY)
			return t;
	}
	return (double)timeconv_days(year, month, day) * DAY + hour * 3600 + min * 60 + sec;
}

/* What timeconv_parse has read so far. */
struct parsed {
	int64_t year;
	int has_year, month, day, yday, hour, min, sec, pm, has_pm, has_epoch;
	double frac, off, epoch;
};

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* One conversion c of the format at s[*i..n). Returns 0, or -1 with why. */
static int convert(char c, const char *s, size_t n, size_t *i, struct parsed *p, char *why,
		   size_t why_n)
{
	int64_t v;
	size_t used;
	switch (c) {
	case 'Y': {
		int neg = *i < n && s[*i] == '-';
		*i += (size_t)neg;
		if (digits(s, n, i, 1, 4, &v))
			break;
		p->year = neg ? -v : v;
		p->has_year = 1;
		return 0;
	}
	case 'y':
		if (digits(s, n, i, 2, 2, &v))
			break;
		p->year = v < 69 ? 2000 + v : 1900 + v; /* POSIX's pivot */
		p->has_year = 1;
		return 0;
	case 'm':
		if (digits(s, n, i, 1, 2, &v) || v < 1 || v > 12)
			break;
		p->month = (int)v;
		return 0;
	case 'e':
		if (*i < n && s[*i] == ' ')
			(*i)++;
		/* fall through */
	case 'd':
		if (digits(s, n, i, 1, 2, &v) || v < 1 || v > 31)
			break;
		p->day = (int)v;
		return 0;
	case 'j':
		if (digits(s, n, i, 1, 3, &v) || v < 1 || v > 366)
			break;
		p->yday = (int)v;
		return 0;
	case 'k':
	case 'l':
		if (*i < n && s[*i] == ' ')
			(*i)++;
		/* fall through */
	case 'H':
	case 'I':
		if (digits(s, n, i, 1, 2, &v) || v > ((c == 'I' || c == 'l') ? 12 : 23))
			break;
		p->hour = (int)v;
		return 0;
	case 'M':
		if (digits(s, n, i, 1, 2, &v) || v > 59)
			break;
		p->min = (int)v;
		return 0;
	case 'S':
		if (digits(s, n, i, 1, 2, &v) || v > 60)
			break;
		p->sec = (int)v;
		return 0;
	case 'f':
		if (fraction(s, n, i, &p->frac))
			break;
		return 0;
	case 'p':
		if (n - *i >= 2 && (!strncasecmp(s + *i, "am", 2) || !strncasecmp(s + *i, "pm", 2))) {
			p->pm = s[*i] == 'p' || s[*i] == 'P';
			p->has_pm = 1;
			*i += 2;
			return 0;
		}
		break;
	case 'z':
		if (offset(s, n, i, &p->off))
			break;
		return 0;
	case 'Z':
		if (n - *i >= 3 && (!strncasecmp(s + *i, "UTC", 3) || !strncasecmp(s + *i, "GMT", 3))) {
			*i += 3;
			return 0;
		}
		if (*i < n && (s[*i] == 'Z' || s[*i] == 'z')) {
			(*i)++;
			return 0;
		}
		parse_why(why, why_n, "%Z reads only UTC, GMT or Z (use %z for an offset such as +01:00)");
		return -1;
	case 's': {
		int neg = *i < n && s[*i] == '-';
		*i += (size_t)neg;
		if (digits(s, n, i, 1, 12, &v))
			break;
		p->epoch = neg ? -(double)v : (double)v;
		p->has_epoch = 1;
		return 0;
	}
	case 'b':
	case 'h':
	case 'B': {
		int m = timeconv_month(s + *i, n - *i, &used);
		if (!m)
			break;
		p->month = m;
		*i += used;
		return 0;
	}
	case 'a':
	case 'A':
		if (name_at(s + *i, n - *i, day_names, 7, &used) < 0)
			break;
		*i += used; /* the date says which day it is */
		return 0;
	case 'n':
	case 't':
		while (*i < n && is_space(s[*i]))
			(*i)++;
		return 0;
	case '%':
		if (*i < n && s[*i] == '%') {
			(*i)++;
			return 0;
		}
		break;
	default:
		snprintf(why, why_n, "%%%c is not a conversion parse_time knows", c);
		return -1;
	}
	snprintf(why, why_n, "the text at byte %zu does not match %%%c", *i + 1, c);
	return -1;
}

/* The shorthands, as the conversions they stand for. */
static const char *expand(char c)
{
	switch (c) {
	case 'T': return "%H:%M:%S";
	case 'R': return "%H:%M";
	case 'D': return "%m/%d/%y";
	case 'F': return "%Y-%m-%d";
	default: return NULL;
	}
}

static int walk(const char *s, size_t n, size_t *i, const char *fmt, struct parsed *p, char *why,
		size_t why_n)
{
	for (const char *f = fmt; *f; f++) {
		if (is_space(*f)) {
			while (*i < n && is_space(s[*i]))
				(*i)++;
		} else if (*f == '%') {
			f++;
			if (!*f) {
				parse_why(why, why_n, "the format ends in a lone %");
				return -1;
			}
			const char *sub = expand(*f);
			if (sub ? walk(s, n, i, sub, p, why, why_n) : convert(*f, s, n, i, p, why, why_n))
				return -1;
		} else if (*i < n && s[*i] == *f) {
			(*i)++;
		} else {
			snprintf(why, why_n, "the text at byte %zu does not match the format's '%c'",
				 *i + 1, *f);
			return -1;
		}
	}
	return 0;
}

int timeconv_parse(const char *s, size_t n, const char *fmt, double now, double *t, char *why,
		   size_t why_n)
{
	struct parsed p = {.month = 1, .day = 1};
	size_t i = 0;
	while (i < n && is_space(s[i]))
		i++;
	if (walk(s, n, &i, fmt, &p, why, why_n) != 0)
		return -1;
	while (i < n && is_space(s[i]))
		i++;
	if (i < n) {
		snprintf(why, why_n, "text left after the time, at byte %zu", i + 1);
		return -1;
	}
	if (p.has_epoch) {
		*t = p.epoch + p.frac;
		return 0;
	}
	if (p.has_pm) {
		if (p.hour < 1 || p.hour > 12) {
			parse_why(why, why_n, "%p needs an hour from 1 to 12 (%I)");
			return -1;
		}
		p.hour = p.hour % 12 + (p.pm ? 12 : 0);
	}
	double tod = p.hour * 3600.0 + p.min * 60.0 + p.sec + p.frac - p.off;
	if (p.yday) {
		int64_t y = p.has_year ? p.year : 1970;
		if (p.yday > 365 + leap(y)) {
			parse_why(why, why_n, "no such day of the year");
			return -1;
		}
		*t = (double)(timeconv_days(y, 1, 1) + p.yday - 1) * DAY + tod;
		return 0;
	}
	if (!p.has_year) {
		*t = timeconv_yearless(p.month, p.day, 0, 0, tod, now);
		return 0;
	}
	if (!timeconv_valid_date(p.year, p.month, p.day)) {
		parse_why(why, why_n, "no such date");
		return -1;
	}
	*t = (double)timeconv_days(p.year, p.month, p.day) * DAY + tod;
	return 0;
}

/* Appends the first k of the fraction's p digits; returns the new
 * length or -1. */
static int put_digits(char *out, size_t n, size_t len, int64_t units, int p, int k)
{
	char d[96];
	snprintf(d, sizeof d, "%0*lld", p, (long long)units);
	if (len + (size_t)k >= n)
		return -1;
	memcpy(out + len, d, (size_t)k);
	return (int)len + k;
}

/* Howard Hinnant's civil_from_days, the inverse of timeconv_days. */
static void civil(int64_t days, int64_t *y, int *m, int *d)
{
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	int64_t doe = days - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static char *put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/* The default form, 2026-11-26T10:00:01.250Z, written by hand: it is the
 * one scripts use on every log, and snprintf is a third of its cost. */
static int rfc3339_ms(int64_t secs, int ms, char *out, size_t n, char *why, size_t why_n)
{
	if (n < 25) {
		parse_why(why, why_n, "the formatted time is too long");
		return -1;
	}
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	int tod = (int)(secs - days * 86400);
	int64_t y;
	int m, d;
	civil(days, &y, &m, &d);
	char *p = out;
	p = put2(p, (int)(y / 100));
	p = put2(p, (int)(y % 100));
	*p++ = '-';
	p = put2(p, m);
	*p++ = '-';
	p = put2(p, d);
	*p++ = 'T';
	p = put2(p, tod / 3600);
	*p++ = ':';
	p = put2(p, tod / 60 % 60);
	*p++ = ':';
	p = put2(p, tod % 60);
	*p++ = '.';
	*p++ = (char)('0' + ms / 100);
	p = put2(p, ms % 100);
	*p++ = 'Z';
	*p = '\0';
	return (int)(p - out);
}

/* The most digits of a fraction that fmt writes (the default: 3). */
static int precision(const char *fmt)
{
	if (!fmt)
		return 3;
	int p = 0;
	for (const char *f = fmt; *f; f++) {
		if (*f != '%')
			continue;
		if (!*++f)
			break;
		int k = *f == 'f' ? 6 : (*f == '3' || *f == '6' || *f == '9') && f[1] == 'f' ? *f - '0' : 0;
		p = k > p ? k : p;
	}
	return p;
}

int timeconv_format(double t, const char *fmt, char *out, size_t n, char *why, size_t why_n)
{
	/* 9999-12-31T23:59:59Z and back to year 1: what strftime's %Y and
	 * RFC 3339 can write. */
	if (!isfinite(t) || t < -62135596800.0 || t >= 253402300800.0) {
		parse_why(why, why_n, "the time is not finite or beyond the years 1 to 9999");
		return -1;
	}
	/* Rounded to the digits written: 0.007 is held as 0.00699999..., and
	 * must still write as 007. */
	int p = precision(fmt);
	int64_t scale = 1;
	for (int k = 0; k < p; k++)
		scale *= 10;
	double whole = floor(t);
	int64_t units = (int64_t)llround((t - whole) * (double)scale);
	if (units >= scale) {
		units -= scale;
		whole += 1;
	}
	time_t secs = (time_t)whole;
	if (!fmt)
		return rfc3339_ms((int64_t)secs, (int)units, out, n, why, why_n);
	struct tm tm;
	if (!gmtime_r(&secs, &tm)) {
		parse_why(why, why_n, "the time cannot be written as a date");
		return -1;
	}
	/* strftime one conversion at a time, with %f, %Nf and %s done here. */
	size_t len = 0;
	for (const char *f = fmt; *f; f++) {
		int r;
		if (*f != '%') {
			if (len + 1 >= n)
				goto too_long;
			out[len++] = *f;
			continue;
		}
		f++;
		if (*f == 'f' || ((f[0] == '3' || f[0] == '6' || f[0] == '9') && f[1] == 'f')) {
			int k = *f == 'f' ? 6 : *f - '0';
			f += *f != 'f';
			r = put_digits(out, n, len, units, p, k);
		} else if (*f == 's') {
			r = snprintf(out + len, n - len, "%lld", (long long)secs);
			r = r < 0 || (size_t)r >= n - len ? -1 : (int)len + r;
		} else if (*f == '\0') {
			parse_why(why, why_n, "the format ends in a lone %");
			return -1;
		} else {
			char one[4] = {'%', *f, '\0', '\0'};
			if ((*f == 'E' || *f == 'O') && f[1])
				one[2] = *++f;
			/* One conversion the operator's format names, chosen at
			 * run time: the only format logmash does not write. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			size_t w = n - len > 1 ? strftime(out + len, n - len, one, &tm) : 0;
#pragma GCC diagnostic pop
			/* 0 is also what an empty conversion (%p in some
			 * locales) writes; none of the C locale's is empty. */
			r = w ? (int)(len + w) : -1;
		}
		if (r < 0)
			goto too_long;
		len = (size_t)r;
	}
	out[len] = '\0';
	return (int)len;
too_long:
	parse_why(why, why_n, "the formatted time is too long (256 bytes at most)");
	return -1;
}
