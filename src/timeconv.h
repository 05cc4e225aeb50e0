/* timeconv.h - times read from and written into log lines, in UTC.
 *
 * Pure functions: no locale, no time zone database, no global state (the
 * C library's strptime and mktime read both). A time is seconds since the
 * epoch as a double, fractions included; calendar arithmetic is the
 * proleptic Gregorian calendar on 64-bit days, so any year from -9999 to
 * 9999 works. The helpers behind logmash.parse_time, format_time and the
 * times of parse_syslog and parse_access. */
#ifndef LOGMASH_TIMECONV_H
#define LOGMASH_TIMECONV_H

#include <stddef.h>
#include <stdint.h>

/* Days from 1970-01-01 to the given date (month 1-12, day 1-31, not
 * checked: see timeconv_valid_date). */
int64_t timeconv_days(int64_t year, int month, int day);

/* Whether day exists in that month of that year (29 February in leap
 * years only). */
int timeconv_valid_date(int64_t year, int month, int day);

/* Month 1-12 from an English name or its three-letter abbreviation at s
 * (any case); 0 if none. *used gets the letters taken. */
int timeconv_month(const char *s, size_t n, size_t *used);

/* Reads an RFC 3339 / ISO 8601 time at the start of s[0..n):
 * YYYY-MM-DD, then T, t or a space, hh:mm[:ss[.fraction or ,fraction]],
 * then Z, +hh:mm, +hhmm or +hh (none: UTC). A date alone is midnight UTC.
 * Returns the bytes read (the rest is the caller's), or 0 with why. */
size_t timeconv_iso(const char *s, size_t n, double *t, char *why, size_t why_n);

/* Reads all of s (white space around it aside) as a time in the strptime
 * format fmt: %Y %y %m %d %e %j %H %k %I %l %p %M %S %f (a fraction of a
 * second, 1 to 9 digits) %z (Z, +hh:mm, +hhmm, +hh) %Z (UTC, GMT or Z
 * only) %s %b %h %B %a %A %T %R %D %F %n %t %%; white space in fmt takes
 * any run of white space, even none. Without a year, the year is now's,
 * unless that puts the time more than a day after now: then the year
 * before (what rsyslog does with a year-less syslog time); and next
 * year's when that is within the day after now (New Year's Eve). Returns 0, or
 * -1 with why. */
int timeconv_parse(const char *s, size_t n, const char *fmt, double now, double *t, char *why,
		   size_t why_n);

/* Year-less month, day and time of day (a syslog time) as seconds since
 * the epoch, with the year chosen as timeconv_parse chooses it. */
double timeconv_yearless(int month, int day, int hour, int min, double sec, double now);

/* Writes t into out[0..n) in UTC: fmt NULL gives RFC 3339 with
 * milliseconds (2026-11-26T10:00:01.250Z); else strftime's conversions,
 * plus %f (microseconds, 6 digits), %3f, %6f, %9f (that many digits of
 * the fraction) and %s (seconds since the epoch). Returns the length, or
 * -1 with why (t not finite or beyond year 9999, an output over n - 1
 * bytes). */
int timeconv_format(double t, const char *fmt, char *out, size_t n, char *why, size_t why_n);

#endif
