/* Unit tests: the C parsers behind the script helpers - timeconv.c,
 * parse_syslog.c, parse_access.c, parse_kv.c and numfmt.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "numfmt.h"
#include "parse_access.h"
#include "parse_kv.h"
#include "parse_syslog.h"
#include "timeconv.h"

/* 2026-11-26T10:00:01Z, the "now" of year-less times. */
#define NOW 1795687201.0

static char why[256];

static int sl_eq(struct slice s, const char *want)
{
	if (!want)
		return s.p == NULL;
	return s.p && s.n == strlen(want) && !memcmp(s.p, want, s.n);
}

#define assert_slice(s, want)                                                            \
	do {                                                                             \
		if (!sl_eq((s), (want)))                                                 \
			fail_msg("%s: '%.*s' (%s), not '%s'", #s, (int)(s).n,           \
				 (s).p ? (s).p : "", (s).p ? "present" : "absent",      \
				 (want) ? (want) : "(absent)");                          \
	} while (0)

static double iso(const char *s)
{
	double t = -1e18;
	size_t used = timeconv_iso(s, strlen(s), &t, why, sizeof why);
	if (used != strlen(s))
		fail_msg("'%s': read %zu bytes: %s", s, used, why);
	return t;
}

static void iso_times(void **state)
{
	(void)state;
	assert_true(iso("2026-11-26T10:00:01Z") == 1795687201.0);
	assert_true(iso("2026-11-26T10:00:01.250Z") == 1795687201.25);
	assert_true(iso("2026-11-26t10:00:01z") == 1795687201.0);
	assert_true(iso("2026-11-26 10:00:01,250+01:00") == 1795683601.25);
	assert_true(iso("2026-11-26T10:00:01+0100") == 1795683601.0);
	assert_true(iso("2026-11-26T10:00:01-05") == 1795687201.0 + 5 * 3600);
	assert_true(iso("2026-11-26T10:00:01") == 1795687201.0); /* no offset: UTC */
	assert_true(iso("2026-11-26T10:00") == 1795687200.0);
	assert_true(iso("2026-11-26") == 1795651200.0);
	assert_true(fabs(iso("2026-11-26T10:00:01.123456789Z") - 1795687201.123456789) < 1e-6);
	assert_true(iso("2024-02-29T12:00:00Z") == 1709208000.0); /* a leap day */
	assert_true(iso("1969-12-31T23:59:59Z") == -1.0);
	double t;
	static const char *const bad[] = {"2025-02-29T00:00:00Z", "2026-13-01", "2026-11-26T24:00:00Z",
					  "2026-11-26T10:61", "26-11-26", "2026-11-26T10:00:01.Z",
					  "2026-11-26T10:00:01+25:00", "", "2026/11/26"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		size_t used = timeconv_iso(bad[i], strlen(bad[i]), &t, why, sizeof why);
		if (used == strlen(bad[i]) && *bad[i])
			fail_msg("'%s' was read whole", bad[i]);
	}
	/* A prefix: the rest is the caller's. */
	assert_int_equal(timeconv_iso("2026-11-26T10:00:01Z host", 25, &t, why, sizeof why), 20);
}

static double fmt(const char *s, const char *f)
{
	double t = -1e18;
	if (timeconv_parse(s, strlen(s), f, NOW, &t, why, sizeof why) != 0)
		fail_msg("'%s' as '%s': %s", s, f, why);
	return t;
}

static void strptime_formats(void **state)
{
	(void)state;
	assert_true(fmt("10/Oct/2000:13:55:36 -0700", "%d/%b/%Y:%H:%M:%S %z") == 971211336.0);
	assert_true(fmt("2026-11-26 10:00:01.25", "%Y-%m-%d %H:%M:%S.%f") == 1795687201.25);
	assert_true(fmt("2026-11-26T10:00:01", "%FT%T") == 1795687201.0);
	assert_true(fmt("26/11/26 10:00:01 pm", "%d/%m/%y %I:%M:%S %p") == 1795687201.0 + 12 * 3600);
	assert_true(fmt("12:00:01 AM 2026-11-26", "%I:%M:%S %p %F") == 1795651201.0);
	assert_true(fmt("Thursday, November 26 2026", "%A, %B %d %Y") == 1795651200.0);
	assert_true(fmt("1795687201", "%s") == 1795687201.0);
	assert_true(fmt("2026 330", "%Y %j") == 1795651200.0);
	assert_true(fmt("  2026-11-26 10:00:01 UTC ", "%Y-%m-%d %H:%M:%S %Z") == 1795687201.0);
	assert_true(fmt("2026-11-2610:00:01", "%Y-%m-%d %H:%M:%S") == 1795687201.0); /* space: any run, even none */
	assert_true(fmt("29 Feb 2024", "%d %b %Y") == 1709164800.0);
	/* Year-less: this year, unless more than a day ahead (then last year),
	 * and next year within the day after New Year's Eve. */
	assert_true(fmt("Dec 10 06:55:46", "%b %d %H:%M:%S") == 1765349746.0);
	assert_true(fmt("Nov 26 10:00:01", "%b %d %H:%M:%S") == 1795687201.0);
	double t;
	static const char *const bad[][2] = {
		{"2026-11-26", "%Y-%m-%d %H"}, {"2026-11-26 extra", "%Y-%m-%d"},
		{"2025-02-29", "%Y-%m-%d"},   {"13:00 pm", "%I:%M %p"},
		{"2026-11-26 CET", "%Y-%m-%d %Z"}, {"x", "%Q"}, {"x", "%"},
		{"Smarch 1 2026", "%b %d %Y"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (timeconv_parse(bad[i][0], strlen(bad[i][0]), bad[i][1], NOW, &t, why, sizeof why) == 0)
			fail_msg("'%s' as '%s' was read", bad[i][0], bad[i][1]);
	timeconv_parse("x", 1, "%Q", NOW, &t, why, sizeof why);
	assert_non_null(strstr(why, "%Q is not a conversion"));
}

static void yearless_new_year(void **state)
{
	(void)state;
	/* 1 January read on 1 January: this year. */
	double jan1 = 1767225605.0; /* 2026-01-01T00:00:05Z */
	assert_true(timeconv_yearless(1, 1, 0, 0, 5, jan1) == jan1);
	/* 31 December read just after midnight: last year. */
	assert_true(timeconv_yearless(12, 31, 23, 59, 59, jan1) == 1767225599.0);
	/* 1 January read on New Year's Eve, a clock a little behind: next year. */
	assert_true(timeconv_yearless(1, 1, 0, 0, 10, 1798761600.0 - 60) == 1798761610.0);
	/* 29 February outside a leap year: the latest leap year's. */
	assert_true(timeconv_yearless(2, 29, 0, 0, 0, NOW) == 1709164800.0);
}

static const char *fmt_out(double t, const char *f)
{
	static char out[256];
	if (timeconv_format(t, f, out, sizeof out, why, sizeof why) < 0)
		fail_msg("%f as '%s': %s", t, f ? f : "(default)", why);
	return out;
}

static void formatting(void **state)
{
	(void)state;
	assert_string_equal(fmt_out(1795687201.25, NULL), "2026-11-26T10:00:01.250Z");
	assert_string_equal(fmt_out(iso("2026-11-26T00:00:00.007Z"), NULL), "2026-11-26T00:00:00.007Z");
	assert_string_equal(fmt_out(1795687201.9996, NULL), "2026-11-26T10:00:02.000Z");
	assert_string_equal(fmt_out(-0.5, NULL), "1969-12-31T23:59:59.500Z");
	assert_string_equal(fmt_out(1795687201.123456, "%Y/%m/%d %H:%M:%S.%f %z"),
			    "2026/11/26 10:00:01.123456 +0000");
	assert_string_equal(fmt_out(1795687201.123456, "%3f|%6f|%s|%%|%b %e"), "123|123456|1795687201|%|Nov 26");
	assert_string_equal(fmt_out(1709208000, "%a %j"), "Thu 060");
	char out[8];
	assert_int_equal(timeconv_format(NAN, NULL, out, sizeof out, why, sizeof why), -1);
	assert_int_equal(timeconv_format(1e300, NULL, out, sizeof out, why, sizeof why), -1);
	assert_int_equal(timeconv_format(0, NULL, out, sizeof out, why, sizeof why), -1); /* too long */
	/* What format writes, parse reads back. */
	for (double t = -86400 * 365.25 * 3; t < 86400 * 365.25 * 80; t += 86400 * 13.37 + 0.125) {
		double back = iso(fmt_out(t, NULL));
		if (fabs(back - t) > 0.0005)
			fail_msg("%f came back as %f", t, back);
	}
}

static struct syslog_line sys(const char *s)
{
	struct syslog_line m;
	if (parse_syslog(s, strlen(s), NOW, &m, why, sizeof why) != 0)
		fail_msg("'%s': %s", s, why);
	return m;
}

static void syslog_3164(void **state)
{
	(void)state;
	struct syslog_line m = sys("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186");
	assert_int_equal(m.severity, -1);
	assert_int_equal(m.rfc5424, 0);
	assert_true(m.time == 1765349746.0); /* last December */
	assert_slice(m.host, "LabSZ");
	assert_slice(m.app, "sshd");
	assert_slice(m.pid, "24200");
	assert_slice(m.message, "Invalid user webmaster from 173.234.31.186");

	m = sys("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname=");
	assert_slice(m.app, "sshd(pam_unix)");
	assert_slice(m.pid, "19939");

	/* Without PRI or pid; a space-padded day; a tag with spaces. */
	m = sys("Jul  3 04:08:03 combo syslogd 1.4.1: restart.");
	assert_slice(m.host, "combo");
	assert_slice(m.app, "syslogd 1.4.1");
	assert_slice(m.pid, NULL);
	assert_slice(m.message, "restart.");

	m = sys("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8");
	assert_int_equal(m.facility, 4);
	assert_int_equal(m.severity, 2);
	assert_slice(m.host, "mymachine");
	assert_slice(m.app, "su");
	assert_slice(m.message, "'su root' failed for lonvick on /dev/pts/8");

	/* No host: the tag follows the time. */
	m = sys("<13>Nov 26 10:00:00 cron[99]: job done");
	assert_slice(m.host, NULL);
	assert_slice(m.app, "cron");
	assert_slice(m.pid, "99");

	/* No tag: all of it is the message. */
	m = sys("Nov 26 10:00:00 host just some words and no tag at all here");
	assert_slice(m.app, NULL);
	assert_slice(m.message, "just some words and no tag at all here");

	/* rsyslog's RFC 3339 time. */
	m = sys("2026-11-26T10:00:01.250+01:00 web1 nginx[77]: started");
	assert_true(m.time == 1795683601.25);
	assert_slice(m.host, "web1");
	assert_slice(m.app, "nginx");

	static const char *const bad[] = {"", "hello world", "<192>Nov 26 10:00:00 h a: m",
					  "<1x>Nov 26 10:00:00 h a: m", "Nov 32 10:00:00 h a: m",
					  "Nov 26 25:00:00 h a: m", "Nov 26 10:00"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct syslog_line x;
		if (parse_syslog(bad[i], strlen(bad[i]), NOW, &x, why, sizeof why) == 0)
			fail_msg("'%s' parsed", bad[i]);
	}
}

static int elements, params;
static char seen[512];

static void on_element(void *ctx, struct slice id)
{
	(void)ctx;
	elements++;
	snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "[%.*s]", (int)id.n, id.p);
}

static void on_param(void *ctx, struct slice name, struct slice value)
{
	(void)ctx;
	params++;
	snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "%.*s=%.*s;", (int)name.n, name.p,
		 (int)value.n, value.p);
}

static void syslog_5424(void **state)
{
	(void)state;
	const char *with = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
			   "[exampleSDID@32473 iut=\"3\" eventSource=\"Appl\\\"ic\\]ation\"][x@1] "
			   "\xEF\xBB\xBF" "An application event";
	struct syslog_line m = sys(with);
	assert_int_equal(m.rfc5424, 1);
	assert_int_equal(m.facility, 20);
	assert_int_equal(m.severity, 5);
	assert_true(fabs(m.time - 1065910455.003) < 1e-6);
	assert_slice(m.host, "mymachine.example.com");
	assert_slice(m.app, "evntslog");
	assert_slice(m.pid, NULL);
	assert_slice(m.msgid, "ID47");
	assert_slice(m.message, "An application event"); /* without the BOM */
	char tmp[128];
	seen[0] = '\0';
	assert_int_equal(parse_syslog_sd(m.sd.p, m.sd.n, on_element, on_param, NULL, tmp, sizeof tmp,
					 why, sizeof why), 0);
	assert_string_equal(seen, "[exampleSDID@32473]iut=3;eventSource=Appl\"ic]ation;[x@1]");

	m = sys("<34>1 2026-11-26T10:00:01Z host app 1234 - - no structured data");
	assert_slice(m.pid, "1234");
	assert_slice(m.msgid, NULL);
	assert_null(m.sd.p);
	assert_slice(m.message, "no structured data");

	m = sys("<34>1 - - - - - -");
	assert_int_equal(m.has_time, 0);
	assert_slice(m.host, NULL);
	assert_slice(m.message, "");

	static const char *const bad[] = {"<34>1 2026-11-26T10:00:01Z host app - -",
					  "<34>1 2026-11-26T10:00:01Z host app - - [id a=b] m",
					  "<34>1 2026-11-26T10:00:01Z host app - - [id a=\"b] m",
					  "<34>1 2026-11-26T10:00:01Z host app - - [] m",
					  "<34>1 yesterday host app - - - m"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct syslog_line x;
		if (parse_syslog(bad[i], strlen(bad[i]), NOW, &x, why, sizeof why) == 0)
			fail_msg("'%s' parsed", bad[i]);
	}
}

static struct access_line acc(const char *s)
{
	static char scratch[1024];
	struct access_line a;
	if (parse_access(s, strlen(s), scratch, &a, why, sizeof why) != 0)
		fail_msg("'%s': %s", s, why);
	return a;
}

static void access_lines(void **state)
{
	(void)state;
	struct access_line a = acc("127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326");
	assert_slice(a.client, "127.0.0.1");
	assert_slice(a.ident, NULL);
	assert_slice(a.user, "frank");
	assert_true(a.time == 971211336.0);
	assert_slice(a.method, "GET");
	assert_slice(a.path, "/apache_pb.gif");
	assert_slice(a.protocol, "HTTP/1.0");
	assert_int_equal(a.status, 200);
	assert_true(a.bytes == 2326);
	assert_int_equal(a.combined, 0);
	assert_slice(a.agent, NULL);

	/* IPv6, a size of -, quotes inside the agent (Apache's \" and a bare one). */
	a = acc("2001:db8::1 - - [26/Nov/2026:10:00:01 +0000] \"POST /api?q=a%20b HTTP/2.0\" 304 - "
		"\"https://example.com/\" \"Mozilla/5.0 \\\"quoted\\\" and \"bare\" too\"");
	assert_slice(a.client, "2001:db8::1");
	assert_slice(a.user, NULL);
	assert_true(a.time == 1795687201.0);
	assert_slice(a.method, "POST");
	assert_slice(a.path, "/api?q=a%20b");
	assert_slice(a.protocol, "HTTP/2.0");
	assert_int_equal(a.status, 304);
	assert_true(a.bytes == 0);
	assert_slice(a.referer, "https://example.com/");
	assert_slice(a.agent, "Mozilla/5.0 \"quoted\" and \"bare\" too");

	/* nginx: a "-" request (a probe that sent nothing), "-" referer and agent. */
	a = acc("10.0.0.9 - - [26/Nov/2026:10:00:01 +0000] \"-\" 400 0 \"-\" \"-\"");
	assert_slice(a.method, NULL);
	assert_slice(a.path, NULL);
	assert_int_equal(a.status, 400);
	assert_int_equal(a.combined, 1);
	assert_slice(a.referer, NULL);
	assert_slice(a.agent, NULL);

	/* A path with a space, and a custom field after the agent. */
	a = acc("h - - [26/Nov/2026:10:00:01 +0000] \"GET /a b HTTP/1.1\" 200 5 \"-\" \"curl/8\" \"1.2.3.4\"");
	assert_slice(a.path, "/a b");
	assert_slice(a.agent, "curl/8");

	static const char *const bad[] = {
		"", "just text", "h - - [26/Nov/2026:10:00:01 +0000] \"GET / HTTP/1.1\" 20 5",
		"h - - [26/Nov/2026:10:00:01] \"GET / HTTP/1.1\" 200 5",
		"h - - [26/Nov/2026:10:00:01 +0000] GET / HTTP/1.1 200 5",
		"h - - [26/Nov/2026:10:00:01 +0000] \"GET / HTTP/1.1\" 200 5x",
		"h - - [26/Nov/2026:10:00:01 +0000] \"GET / HTTP/1.1\" 200 5 \"-\"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char scratch[256];
		struct access_line x;
		if (parse_access(bad[i], strlen(bad[i]), scratch, &x, why, sizeof why) == 0)
			fail_msg("'%s' parsed", bad[i]);
	}
}

static char pairs[512];

static void on_pair(void *ctx, struct slice k, struct slice v)
{
	(void)ctx;
	snprintf(pairs + strlen(pairs), sizeof pairs - strlen(pairs), "%.*s=%.*s|", (int)k.n, k.p,
		 (int)v.n, v.p);
}

static const char *kv(const char *s, const struct kv_opts *o, int *found)
{
	static char scratch[512];
	static const struct kv_opts none;
	pairs[0] = '\0';
	*found = parse_kv(s, strlen(s), o ? o : &none, on_pair, NULL, scratch, why, sizeof why);
	return pairs;
}

static void kv_pairs(void **state)
{
	(void)state;
	int n;
	assert_string_equal(kv("time=2026 level=info msg=\"a \\\"quoted\\\" value\" debug path=/x", NULL, &n),
			    "time=2026|level=info|msg=a \"quoted\" value|debug=true|path=/x|");
	assert_int_equal(n, 4);
	assert_string_equal(kv("  empty=  next=1\ttab=\"\\t\"", NULL, &n), "empty=|next=1|tab=\t|");
	assert_string_equal(kv("unclosed=\"runs to the end", NULL, &n), "unclosed=runs to the end|");
	assert_string_equal(kv("just some words", NULL, &n), "just=true|some=true|words=true|");
	assert_int_equal(n, 0);
	assert_string_equal(kv("", NULL, &n), "");
	assert_int_equal(n, 0);
	struct kv_opts amp = {.pair = "&", .kv = "="};
	assert_string_equal(kv("a=1&b= two &c", &amp, &n), "a=1|b=two|c=true|");
	struct kv_opts colon = {.pair = ", ", .kv = ": ", .quotes = "'\""};
	assert_string_equal(kv("user: 'bob smith', id: 42, note: \"x, y\"", &colon, &n),
			    "user=bob smith|id=42|note=x, y|");
	struct kv_opts empty = {.pair = ""};
	assert_int_equal(parse_kv("a=1", 3, &empty, on_pair, NULL, pairs, why, sizeof why), -1);
}

static void number_text(void **state)
{
	(void)state;
	char out[NUMFMT_MAX];
	struct {
		double v;
		const char *want;
	} cases[] = {{0, "0"}, {-0.0, "0"}, {42, "42"}, {-7, "-7"}, {0.1, "0.1"}, {1.0 / 3, "0.3333333333333333"},
		     {9007199254740992.0, "9007199254740992"}, {9223372036854775808.0, "9223372036854775808"},
		     {1e21, "1000000000000000000000"}, {2.5e-8, "2.5e-08"}, {5e-324, "5e-324"},
		     {INFINITY, "inf"}, {-INFINITY, "-inf"}, {NAN, "nan"}};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		size_t n = numfmt_double(cases[i].v, out);
		assert_int_equal(n, strlen(out));
		if (strcmp(out, cases[i].want))
			fail_msg("%.17g: '%s', not '%s'", cases[i].v, out, cases[i].want);
	}
	assert_int_equal(numfmt_double(1.7976931348623157e308, out), 309);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(iso_times),      cmocka_unit_test(strptime_formats),
		cmocka_unit_test(yearless_new_year), cmocka_unit_test(formatting),
		cmocka_unit_test(syslog_3164),    cmocka_unit_test(syslog_5424),
		cmocka_unit_test(access_lines),   cmocka_unit_test(kv_pairs),
		cmocka_unit_test(number_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
