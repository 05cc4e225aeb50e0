/* errlog.c - merged, rate-limited error reports. */
#include "errlog.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* At most this many new reports a second reach stderr; the rest are counted
 * (they stay in the ring and in the summary's counts). */
#define PRINT_PER_SECOND 20

struct ring {
	struct errlog_entry e[ERRLOG_KEEP];
	size_t head; /* next slot to fill */
	size_t n;
};

static struct {
	/* Script messages have their own ring: a chatty script must not push
	 * the errors out of the dashboard's view. */
	struct ring errors, notes;
	int to_stderr;
	double window;     /* the second being rate limited */
	int printed;       /* reports printed in it */
	uint64_t held;     /* reports not printed because of the limit */
} g;

void errlog_init(int to_stderr)
{
	memset(&g, 0, sizeof g);
	g.to_stderr = to_stderr;
}

void errlog_set_stderr(int on)
{
	g.to_stderr = on;
}

const char *errkind_name(enum errkind k)
{
	switch (k) {
	case ERR_HTTP: return "http";
	case ERR_NETWORK: return "network";
	case ERR_SCRIPT: return "script";
	case ERR_INPUT: return "input";
	case ERR_AUTH: return "auth";
	case ERR_SCRIPT_LOG: return "script log";
	case ERR_WARNING: return "warning";
	case ERR_EVENT: return "event";
	case ERR_OUTPUT: return "output";
	case ERR_DEADLETTER: return "dead-letter";
	case ERR_CHECKPOINT: return "checkpoint";
	case ERR_SPOOL: return "spool";
	case ERR_SYSTEM: return "system";
	}
	return "error";
}

static void print_entry(struct errlog_entry *e, double now)
{
	uint64_t more = e->count - e->printed_count;
	if (e->printed_count == 0 || e->kind == ERR_EVENT) /* an event is news each time */
		fprintf(stderr, "logmash: %s: %s\n", errkind_name(e->kind), e->text);
	else
		fprintf(stderr, "logmash: %s: %s (repeated %" PRIu64 " more times)\n",
			errkind_name(e->kind), e->text, more);
	e->printed = now;
	e->printed_count = e->count;
}

/* Whether a and b report the same thing. Network errors carry timings and
 * ports that vary from one failure to the next ("after 3 ms"): for them,
 * runs of digits are not compared. */
static int same(enum errkind kind, const char *a, const char *b)
{
	if (kind != ERR_NETWORK)
		return strcmp(a, b) == 0;
	for (;;) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			while (isdigit((unsigned char)*a))
				a++;
			while (isdigit((unsigned char)*b))
				b++;
			continue;
		}
		if (*a != *b)
			return 0;
		if (!*a)
			return 1;
		a++, b++;
	}
}

/* The stderr rate limit: 1 when one more report may be printed now. */
static int may_print(double now)
{
	if (now - g.window >= 1.0) {
		if (g.held)
			fprintf(stderr, "logmash: %" PRIu64 " more error reports were not printed "
				"(over %d a second); the summary counts them\n", g.held, PRINT_PER_SECOND);
		g.window = now;
		g.printed = 0;
		g.held = 0;
	}
	if (g.printed >= PRINT_PER_SECOND) {
		g.held++;
		return 0;
	}
	g.printed++;
	return 1;
}

static void add(enum errkind kind, const char *detail, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

void errlog_add(enum errkind kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add(kind, NULL, fmt, ap);
	va_end(ap);
}

void errlog_add_detail(enum errkind kind, const char *detail, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add(kind, detail, fmt, ap);
	va_end(ap);
}

static void add(enum errkind kind, const char *detail, const char *fmt, va_list ap)
{
	char text[ERRLOG_TEXT];
	vsnprintf(text, sizeof text, fmt, ap);
	double now = now_wall();
	struct ring *r = kind == ERR_SCRIPT_LOG || kind == ERR_EVENT ? &g.notes : &g.errors;

	for (size_t i = 0; i < r->n; i++) {
		struct errlog_entry *e = &r->e[(r->head + ERRLOG_KEEP - 1 - i) % ERRLOG_KEEP];
		if (e->kind == kind && same(kind, e->text, text)) {
			e->count++;
			e->last = now;
			memcpy(e->text, text, sizeof text); /* show the latest wording */
			if (detail)
				snprintf(e->detail, sizeof e->detail, "%s", detail);
			if (g.to_stderr && (kind == ERR_EVENT || now - e->printed >= ERRLOG_REPEAT_SECONDS) &&
			    may_print(now))
				print_entry(e, now);
			return;
		}
	}
	struct errlog_entry *e = &r->e[r->head];
	if (g.to_stderr && r->n == ERRLOG_KEEP && e->printed_count &&
	    e->count > e->printed_count && may_print(now))
		print_entry(e, now); /* about to forget it: say its count first */
	memset(e, 0, sizeof *e);
	e->kind = kind;
	memcpy(e->text, text, sizeof text);
	if (detail)
		snprintf(e->detail, sizeof e->detail, "%s", detail);
	e->count = 1;
	e->first = e->last = now;
	e->unheard = !g.to_stderr;
	r->head = (r->head + 1) % ERRLOG_KEEP;
	if (r->n < ERRLOG_KEEP)
		r->n++;
	if (g.to_stderr && may_print(now))
		print_entry(e, now);
}

/* At most this many errors that stderr never heard of (the dashboard was
 * showing them) are printed at exit, newest last. */
#define UNSEEN_AT_EXIT 10

static void flush_ring(struct ring *r, double now)
{
	size_t unseen = 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->e[i].printed_count == 0 && r->e[i].unheard)
			unseen++;
	for (size_t i = 0; i < r->n; i++) {
		struct errlog_entry *e = &r->e[(r->head + ERRLOG_KEEP - r->n + i) % ERRLOG_KEEP];
		if (e->printed_count == 0 && e->unheard) {
			if (unseen-- > UNSEEN_AT_EXIT)
				continue;
			fprintf(stderr, "logmash: %s: %s", errkind_name(e->kind), e->text);
			if (e->count > 1)
				fprintf(stderr, " (%" PRIu64 " times)", e->count);
			fputc('\n', stderr);
			e->printed = now;
			e->printed_count = e->count;
		} else if (e->printed_count && e->count > e->printed_count) {
			print_entry(e, now); /* repeats of what was printed */
		}
	}
}

void errlog_flush(void)
{
	if (!g.to_stderr)
		return;
	double now = now_wall();
	if (g.held)
		fprintf(stderr, "logmash: %" PRIu64 " more error reports were not printed "
			"(over %d a second); the summary counts them\n", g.held, PRINT_PER_SECOND);
	g.held = 0;
	flush_ring(&g.errors, now);
	flush_ring(&g.notes, now);
}

/* The entries by their latest occurrence, newest first: an error that
 * keeps coming stays on top. */
static size_t newest_first(const struct ring *r, struct errlog_entry *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct errlog_entry *e = &r->e[(r->head + ERRLOG_KEEP - 1 - i) % ERRLOG_KEEP];
		size_t at = n < max ? n : max - 1; /* insertion sort: 64 at most */
		if (n == max && e->last <= out[max - 1].last)
			continue;
		while (at > 0 && out[at - 1].last < e->last) {
			out[at] = out[at - 1];
			at--;
		}
		out[at] = *e;
		if (n < max)
			n++;
	}
	return n;
}

size_t errlog_copy_errors(struct errlog_entry *out, size_t max)
{
	return newest_first(&g.errors, out, max);
}

size_t errlog_copy_notes(struct errlog_entry *out, size_t max)
{
	return newest_first(&g.notes, out, max);
}
