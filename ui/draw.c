/* draw.c - the dashboard's screen, from a view.
 *
 * Everything is drawn again into stdscr on each frame; ncurses sends the
 * terminal only what changed, so nothing flickers. The layout needs 80x24
 * and uses more when there is more: below 60x12 a few plain lines say
 * what matters. */
#include <inttypes.h>
#include <panel.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "humanize.h"
#include "keys.h"
#include "status.h"
#include "view.h"

enum { PAIR_TITLE = 1, PAIR_GOOD, PAIR_WARN, PAIR_BAD, PAIR_HEAD, PAIR_DIM };

#define TOP_ROWS 12 /* the throughput and levels boxes */

static attr_t color(const struct view *v, int pair)
{
	return v->colors ? COLOR_PAIR(pair) : A_NORMAL;
}

/* At most width columns of s at (y, x) of win, control bytes shown as '?'
 * (error texts carry what the network and the logs gave). Returns columns
 * used. A row off the window is not drawn (ncurses refuses the move). */
static int wput(WINDOW *win, int y, int x, const char *s, int width)
{
	char line[512];
	int n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && n < width && n < 511; p++) {
		line[n++] = (char)(*p < 0x20 || *p == 0x7f ? '?' : *p);
	}
	line[n] = '\0';
	if (n > 0)
		mvwaddstr(win, y, x, line);
	return n;
}

static int put(int y, int x, const char *s, int width)
{
	return wput(stdscr, y, x, s, width);
}

static int putf(int y, int x, int width, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int putf(int y, int x, int width, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	return put(y, x, line, width);
}

/* A box with a title; the focused pane's title stands out. */
static void frame(const struct view *v, int y, int x, int h, int w, const char *title, int focused)
{
	if (h < 2 || w < 4)
		return;
	mvaddch(y, x, ACS_ULCORNER);
	mvhline(y, x + 1, ACS_HLINE, w - 2);
	mvaddch(y, x + w - 1, ACS_URCORNER);
	mvvline(y + 1, x, ACS_VLINE, h - 2);
	mvvline(y + 1, x + w - 1, ACS_VLINE, h - 2);
	mvaddch(y + h - 1, x, ACS_LLCORNER);
	mvhline(y + h - 1, x + 1, ACS_HLINE, w - 2);
	mvaddch(y + h - 1, x + w - 1, ACS_LRCORNER);
	attr_t a = focused ? (A_REVERSE | A_BOLD) : (color(v, PAIR_TITLE) | A_BOLD);
	attron(a);
	putf(y, x + 2, w - 4, " %s ", title);
	attroff(a);
}

static int state_pair(enum run_state state)
{
	switch (state) {
	case RUN_SENDING: case RUN_IDLE: case RUN_DRY_RUN: case RUN_FINISHED:
		return PAIR_GOOD;
	case RUN_AUTH_FAILED: case RUN_WRONG_URL: case RUN_UNRESOLVED:
		return PAIR_BAD;
	case RUN_BACKING_OFF: case RUN_PAUSED: case RUN_DRAINING: case N_RUN_STATES:
		break;
	}
	return PAIR_WARN;
}

static void header(const struct view *v, int w)
{
	const struct snapshot *s = v->snap;
	enum run_state state = snapshot_state(s);
	char up[32], line[512];
	human_uptime(up, sizeof up, s->taken - s->started);
	attron(A_REVERSE);
	mvhline(0, 0, ' ', w);
	int x = put(0, 0, " logmash ", w);
	attroff(A_REVERSE);
	attron(color(v, state_pair(state)) | A_BOLD | A_REVERSE);
	char st[96];
	if (state == RUN_BACKING_OFF && s->send.backoff_until > s->taken)
		snprintf(st, sizeof st, " BACKING OFF %.0fs ", s->send.backoff_until - s->taken + 0.5);
	else {
		char text[80];
		snprintf(st, sizeof st, " %s ", snapshot_state_text(s, text, sizeof text));
		for (char *p = st; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	}
	x += put(0, x, st, w - x);
	attroff(color(v, state_pair(state)) | A_BOLD | A_REVERSE);
	if (s->insecure && x < w) {
		attron(color(v, PAIR_BAD) | A_BOLD | A_REVERSE);
		x += put(0, x, " TLS NOT VERIFIED (--insecure) ", w - x);
		attroff(color(v, PAIR_BAD) | A_BOLD | A_REVERSE);
	}
	attron(A_REVERSE);
	if (s->attached[0])
		snprintf(line, sizeof line, " up %s  %s", up, s->attached);
	else if (s->dry_run)
		snprintf(line, sizeof line, " up %s  dry run: bodies to stdout", up);
	else if (s->finished)
		snprintf(line, sizeof line, " took %s  every input read to its end: q quits, "
			 "and the summary follows", up);
	else
		snprintf(line, sizeof line, " up %s  %s  project %s", up, s->endpoint,
			 s->project[0] ? s->project : "(none)");
	if (x < w)
		put(0, x, line, w - x);
	attroff(A_REVERSE);

	/* Line 2: the chain, and a moment's answer to a key. */
	char chain[400];
	size_t k = 0;
	chain[0] = '\0';
	for (size_t i = 0; i < s->n_scripts && k < sizeof chain - 1; i++) {
		const struct script_view *sv = &s->scripts[i];
		const char *base = strrchr(sv->path, '/');
		/* What its throttle, sample and dedupe kept and dropped. */
		char vol[64] = "";
		if (sv->volume_kept || sv->volume_dropped) {
			char kept[16], dropped[16];
			snprintf(vol, sizeof vol, "; kept %s, dropped %s",
				 human_count(kept, sizeof kept, (double)sv->volume_kept),
				 human_count(dropped, sizeof dropped, (double)sv->volume_dropped));
		}
		int n = snprintf(chain + k, sizeof chain - k, "%s%s (%s%s)", i ? ", " : "",
				 base ? base + 1 : sv->path, sv->kind, vol);
		if (n < 0 || (size_t)n >= sizeof chain - k)
			break;
		k += (size_t)n;
	}
	x = putf(1, 1, w - 2, "scripts: %s", s->n_scripts ? chain : "none");
	if (s->st.reload_at > 0) {
		struct buf r = {0};
		status_reload(&r, s);
		x += putf(1, 1 + x, w - 2 - x, "  reloaded %" PRIu64 "x, %s", s->st.script_reloads,
			  buf_cstr(&r));
		buf_free(&r);
	}
	if (v->flash[0] && s->taken < v->flash_until) {
		int len = (int)strlen(v->flash);
		int fx = w - len - 1 > 2 + x ? w - len - 1 : 2 + x;
		attron(color(v, PAIR_WARN) | A_BOLD);
		put(1, fx, v->flash, w - fx);
		attroff(color(v, PAIR_WARN) | A_BOLD);
	}
}

static void counter_row(int y, int x, int w, const char *name, uint64_t total, double rate, attr_t a)
{
	char r[16];
	attron(a);
	putf(y, x, w, "%-13s %12" PRIu64 " %8s", name, total, human_count(r, sizeof r, rate));
	attroff(a);
}

/* Sends a second over the last minutes, scaled to the busiest second shown. */
static void sparkline(const struct view *v, int y, int x, int w)
{
	static const char *const blocks[] = {" ", "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
					     "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
					     "\xe2\x96\x87", "\xe2\x96\x88"};
	static const char ascii[] = " ._-=+*#@";
	char peak[16];
	uint32_t vals[HISTORY_SECONDS];
	int label = 16;
	if (w <= label + 8)
		return;
	size_t n = history_sends(&v->hist, vals, (size_t)(w - label));
	uint32_t max = 0;
	for (size_t i = 0; i < n; i++)
		if (vals[i] > max)
			max = vals[i];
	putf(y, x, label, "sent/s  max %s", human_count(peak, sizeof peak, max));
	attron(color(v, PAIR_GOOD));
	int cx = x + label + (int)((size_t)(w - label) - n); /* the newest at the right */
	for (size_t i = 0; i < n; i++, cx++) {
		int lvl = max ? (int)((vals[i] * 8 + max - 1) / max) : 0;
		if (v->utf8) {
			mvaddstr(y, cx, blocks[lvl]);
		} else {
			mvaddch(y, cx, (chtype)(unsigned char)ascii[lvl]);
		}
	}
	attroff(color(v, PAIR_GOOD));
}

static void throughput(const struct view *v, int y, int x, int w)
{
	const struct snapshot *s = v->snap;
	const struct history *h = &v->hist;
	frame(v, y, x, TOP_ROWS, w, "Throughput", 0);
	int iw = w - 4, ix = x + 2;
	attron(color(v, PAIR_DIM));
	putf(y + 1, ix, iw, "%-13s %12s %8s", "", "total", "/s");
	attroff(color(v, PAIR_DIM));
	counter_row(y + 2, ix, iw, "read", s->st.read, history_rate(h, C_READ), A_NORMAL);
	counter_row(y + 3, ix, iw, "dropped", s->st.dropped, history_rate(h, C_DROPPED), A_NORMAL);
	counter_row(y + 4, ix, iw, s->dry_run ? "written" : "sent",
		    s->dry_run ? s->st.kept : s->st.sent,
		    s->dry_run ? history_rate(h, C_READ) : history_rate(h, C_SENT),
		    color(v, PAIR_GOOD) | A_BOLD);
	counter_row(y + 5, ix, iw, "failed", s->st.failed, history_rate(h, C_FAILED),
		    s->st.failed ? color(v, PAIR_BAD) | A_BOLD : A_NORMAL);
	counter_row(y + 6, ix, iw, "retried", s->st.retried, history_rate(h, C_RETRIED),
		    s->st.retried ? color(v, PAIR_WARN) : A_NORMAL);
	counter_row(y + 7, ix, iw, "dead-lettered", s->st.dead_lettered, history_rate(h, C_DEAD),
		    s->st.dead_lettered ? color(v, PAIR_BAD) : A_NORMAL);
	int used = putf(y + 8, ix, iw, "in flight %" PRIu64 "/%" PRIu32 "  queued %" PRIu64
			"  waiting %" PRIu64, s->st.in_flight, s->st.conc_limit, s->st.queued,
			s->st.waiting);
	if (s->spooled) {
		char sp[24];
		putf(y + 8, ix + used, iw - used, "  spooled %s", human_bytes(sp, sizeof sp, s->spooled));
	}
	if (!s->dry_run) {
		attron(color(v, PAIR_DIM));
		struct buf why = {0};
		status_limit_reason(&why, s);
		putf(y + 9, ix, iw, "limit %" PRIu32 ": %s", s->st.conc_limit, buf_cstr(&why));
		buf_free(&why);
		attroff(color(v, PAIR_DIM));
	}
	sparkline(v, y + 10, ix, iw);
}

static void levels(const struct view *v, int y, int x, int w)
{
	const struct snapshot *s = v->snap;
	frame(v, y, x, TOP_ROWS, w, "Levels sent / latency", 0);
	int iw = w - 4, ix = x + 2;
	putf(y + 1, ix, iw, "%-12s %12" PRIu64, "Information", s->st.by_level[LEVEL_INFORMATION]);
	attron(color(v, PAIR_WARN));
	putf(y + 2, ix, iw, "%-12s %12" PRIu64, "Warning", s->st.by_level[LEVEL_WARNING]);
	attroff(color(v, PAIR_WARN));
	attron(color(v, PAIR_BAD));
	putf(y + 3, ix, iw, "%-12s %12" PRIu64, "Error", s->st.by_level[LEVEL_ERROR]);
	attroff(color(v, PAIR_BAD));
	putf(y + 4, ix, iw, "%-12s %12" PRIu64, "no level", s->st.by_level[LEVEL_NONE]);
	attron(color(v, PAIR_DIM));
	putf(y + 5, ix, iw, "latency, last %ds", RATE_WINDOW);
	attroff(color(v, PAIR_DIM));
	static const double q[] = {0.50, 0.95, 0.99};
	static const char *const qn[] = {"p50", "p95", "p99"};
	for (int i = 0; i < 3; i++) {
		char l[24];
		uint64_t us = history_latency(&v->hist, q[i]);
		putf(y + 6 + i, ix, iw, "  %s %12s", qn[i], us ? human_latency(l, sizeof l, us) : "-");
	}
	if (s->st.rtt_baseline_us) {
		char now[24], base[24];
		putf(y + 9, ix, iw, "round trip %s, base %s",
		     human_latency(now, sizeof now, (uint64_t)s->st.rtt_us),
		     human_latency(base, sizeof base, (uint64_t)s->st.rtt_baseline_us));
	}
	attron(s->st.script_errors ? color(v, PAIR_BAD) : A_NORMAL);
	putf(y + 10, ix, iw, "%-13s %11" PRIu64, "script errors", s->st.script_errors);
	attroff(s->st.script_errors ? color(v, PAIR_BAD) : A_NORMAL);
}

const struct template_view *view_templates(const struct view *v, size_t *n)
{
	const struct template_top *t = &v->snap->templates;
	*n = v->templates_by_total ? t->n_total : t->n_rate;
	return v->templates_by_total ? t->by_total : t->by_rate;
}

size_t view_rows(const struct view *v, enum pane p)
{
	size_t n;
	switch (p) {
	case PANE_SOURCES: return v->snap->n_sources;
	case PANE_TEMPLATES: view_templates(v, &n); return n;
	case PANE_ERRORS: return v->snap->n_errors;
	case PANE_NOTES: return v->snap->n_notes;
	case N_PANES: break;
	}
	return 0;
}

/* The width of the sources pane's path column, in a pane w wide inside
 * its box: the other columns take 56. */
static int path_width(int w)
{
	return w - 56 > 10 ? w - 56 : 10;
}

/* How long the oldest log of a source not yet settled has waited. */
static char *lag_of(char *out, size_t n, const struct snapshot *s, const struct source_view *sv)
{
	double lag = source_lag(s, sv);
	if (lag <= 0)
		snprintf(out, n, "-");
	else
		snprintf(out, n, "%.1fs", lag);
	return out;
}

static void clock_of(char *out, size_t n, double t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (localtime_r(&tt, &tm))
		strftime(out, n, "%H:%M:%S", &tm);
	else
		snprintf(out, n, "--:--:--");
}

#define TEMPLATE_COLUMNS "%8s %8s %8s %8s  %-10s "

static void template_row(const struct view *v, size_t i, int y, int x, int w)
{
	size_t n;
	const struct template_view *t = &view_templates(v, &n)[i];
	char rate[16], total[16], kept[16], dropped[16];
	snprintf(rate, sizeof rate, "%.1f", t->rate);
	int used = putf(y, x, w, TEMPLATE_COLUMNS, rate, human_count(total, sizeof total, (double)t->total),
			human_count(kept, sizeof kept, (double)t->kept),
			human_count(dropped, sizeof dropped, (double)t->dropped), t->id);
	put(y, x + used, t->text, w - used);
}

static void pane_row(const struct view *v, enum pane p, size_t i, int y, int x, int w)
{
	const struct snapshot *s = v->snap;
	char when[16];
	if (p == PANE_TEMPLATES) {
		template_row(v, i, y, x, w);
		return;
	}
	if (p == PANE_SOURCES) {
		const struct source_view *sv = &s->sources[i];
		int pathw = path_width(w);
		char behind[24] = "-";
		if (sv->size >= sv->pos && sv->size)
			human_bytes(behind, sizeof behind, sv->size - sv->pos);
		/* A long path loses its start: the file's name is what tells.
		 * A named input's files go after its name. */
		const char *path = sv->path;
		size_t len = strlen(path);
		size_t named = *sv->input && strcmp(sv->input, sv->path) != 0 ? strlen(sv->input) + 2 : 0;
		char cut[SNAP_PATH + SNAP_INPUT + 8];
		if (len + named > (size_t)pathw && pathw > (int)named + 3)
			snprintf(cut, sizeof cut, "%s%s...%s", named ? sv->input : "", named ? ": " : "",
				 path + len - (size_t)(pathw - 3 - (int)named));
		else
			snprintf(cut, sizeof cut, "%s%s%s", named ? sv->input : "", named ? ": " : "", path);
		path = cut;
		char sent[16], dropped[16], failed[16], lag[16];
		putf(y, x, w, "%-*.*s %8s %8s %8s %8s %7s %-10s", pathw, pathw, path, behind,
		     human_count(sent, sizeof sent, (double)sv->sent),
		     human_count(dropped, sizeof dropped, (double)sv->dropped),
		     human_count(failed, sizeof failed, (double)sv->errors), lag_of(lag, sizeof lag, s, sv),
		     source_state_name[sv->state]);
		return;
	}
	const struct errlog_entry *e = p == PANE_ERRORS ? &s->errors[i] : &s->notes[i];
	clock_of(when, sizeof when, e->last);
	attr_t at = A_NORMAL;
	if (p == PANE_ERRORS)
		/* The API's failures in red, warnings dim, the rest (scripts,
		 * files, the spool...) in yellow. */
		at = e->kind == ERR_WARNING ? color(v, PAIR_DIM)
		   : e->kind == ERR_HTTP || e->kind == ERR_NETWORK || e->kind == ERR_AUTH
			   ? color(v, PAIR_BAD)
			   : color(v, PAIR_WARN);
	int used = putf(y, x, w, "%s ", when);
	attron(at);
	if (p == PANE_ERRORS)
		used += putf(y, x + used, w - used, "%-8s", errkind_name(e->kind));
	attroff(at);
	if (e->count > 1)
		used += putf(y, x + used, w - used, " x%-5" PRIu64, e->count);
	else
		used += putf(y, x + used, w - used, "%7s", "");
	put(y, x + used + 1, e->text, w - used - 1);
}

/* One pane's rows in a box, scrolled to keep the selection in view. */
static void pane(struct view *v, enum pane p, int y, int x, int h, int w, const char *title)
{
	if ((unsigned)p >= N_PANES)
		return;
	size_t k = (unsigned)p; /* an index gcc can see is in range */
	int focused = v->focus == p;
	frame(v, y, x, h, w, title, focused);
	int rows = h - 2 - (p == PANE_SOURCES || p == PANE_TEMPLATES);
	/* cppcheck-suppress knownConditionTrueFalse ; today's callers give room, a new
	 * layout might not */
	if (rows < 1)
		return;
	size_t n = view_rows(v, p);
	if (v->sel[k] >= n)
		v->sel[k] = n ? n - 1 : 0;
	if (v->sel[k] < v->top[k])
		v->top[k] = v->sel[k];
	if (v->sel[k] >= v->top[k] + (size_t)rows)
		v->top[k] = v->sel[k] - (size_t)rows + 1;
	if (focused)
		v->page = rows;
	int ry = y + 1;
	if (p == PANE_SOURCES) {
		int pathw = path_width(w - 4);
		attron(color(v, PAIR_DIM));
		putf(ry++, x + 2, w - 4, "%-*s %8s %8s %8s %8s %7s %-10s", pathw, "path", "behind",
		     "sent", "dropped", "failed", "lag", "state");
		attroff(color(v, PAIR_DIM));
	} else if (p == PANE_TEMPLATES) {
		attron(color(v, PAIR_DIM));
		int used = putf(ry, x + 2, w - 4, TEMPLATE_COLUMNS, v->templates_by_total ? "per s" : "per s*",
				v->templates_by_total ? "total*" : "total", "kept", "dropped", "id");
		put(ry++, x + 2 + used, "template (s sorts by the column marked *)", w - 4 - used);
		attroff(color(v, PAIR_DIM));
	}
	if (n == 0) {
		attron(color(v, PAIR_DIM));
		put(ry, x + 2, p == PANE_ERRORS ? "no errors" : p == PANE_NOTES
			? "no events (scripts write here too, with logmash.log)"
			: p == PANE_TEMPLATES ? "no templates (a script calls logmash.template: "
						"scripts/templates.lua)" : "no inputs", w - 4);
		attroff(color(v, PAIR_DIM));
		return;
	}
	for (int r = 0; r < rows && v->top[k] + (size_t)r < n; r++) {
		size_t i = v->top[k] + (size_t)r;
		if (focused && i == v->sel[k]) {
			attron(A_REVERSE);
			mvhline(ry + r, x + 1, ' ', w - 2);
		}
		pane_row(v, p, i, ry + r, x + 2, w - 4);
		if (focused && i == v->sel[k])
			attroff(A_REVERSE);
	}
	if (v->top[k] + (size_t)rows < n)
		putf(y + h - 1, x + w - 14, 12, " %zu more ", n - v->top[k] - (size_t)rows);
}

static void panes(struct view *v, int y, int h, int w)
{
	const struct snapshot *s = v->snap;
	char title[N_PANES][64];
	snprintf(title[PANE_SOURCES], sizeof title[0], "Sources %zu%s", s->sources_total,
		 s->sources_total > s->n_sources ? " (first listed)" : "");
	snprintf(title[PANE_TEMPLATES], sizeof title[0], "Templates %" PRIu64 "%s",
		 s->templates.totals.groups, s->templates.totals.evicted ? " (the oldest forgotten)" : "");
	snprintf(title[PANE_ERRORS], sizeof title[0], "Errors %zu", s->n_errors);
	snprintf(title[PANE_NOTES], sizeof title[0], "Events and script messages %zu", s->n_notes);
	if (h >= N_PANES * 6) {
		/* Room for all of them, stacked. */
		int each = h / N_PANES;
		for (int p = 0; p < N_PANES; p++)
			pane(v, (enum pane)p, y + p * each, 0, p + 1 < N_PANES ? each : h - p * each, w,
			     title[p]);
		return;
	}
	/* One at a time: the others' names and counts on its top line. */
	pane(v, v->focus, y, 0, h, w, title[v->focus]);
	int x = 2 + (int)strlen(title[v->focus]) + 4;
	for (int p = 0; p < N_PANES; p++) {
		if (p == (int)v->focus)
			continue;
		int alarm = p == PANE_ERRORS && s->n_errors;
		attron(alarm ? color(v, PAIR_BAD) | A_BOLD : color(v, PAIR_DIM));
		x += putf(y, x, w - x - 2, " %s (Tab) ", title[p]) + 1;
		attroff(alarm ? color(v, PAIR_BAD) | A_BOLD : color(v, PAIR_DIM));
	}
}

/* Whether the key's reminder should shout now. */
static int key_now(const struct view *v, const struct key *k)
{
	return (k->now == NOW_PAUSED && v->snap->send.paused) ||
	       (k->now == NOW_BACKING_OFF && v->snap->send.backing_off);
}

/* The keys' reminders in the table's order (most needed first): as many
 * whole ones as the width takes, and the last, "? help", always. */
static void footer(const struct view *v, int y, int w)
{
	const struct key *last = &keys[n_keys - 1];
	char line[256];
	size_t k = 0;
	line[0] = '\0';
	for (size_t i = 0; i + 1 < n_keys; i++) {
		const struct key *key = &keys[i];
		if (!key->footer || !key_shown(key, v->attached))
			continue;
		const char *t = key_now(v, key) && key->footer_now ? key->footer_now : key->footer;
		size_t n = strlen(t);
		if (k + 2 + n + 2 + strlen(last->footer) > (size_t)w - 1 || k + n + 3 >= sizeof line)
			break;
		k += (size_t)snprintf(line + k, sizeof line - k, " %s ", t);
	}
	snprintf(line + k, sizeof line - k, " %s", last->footer);
	attron(A_REVERSE);
	mvhline(y, 0, ' ', w);
	put(y, 0, line, w);
	attroff(A_REVERSE);
}

/* Below 60x12: the essentials as plain lines. */
static void compact(const struct view *v, int w)
{
	const struct snapshot *s = v->snap;
	char up[32], state[80];
	human_uptime(up, sizeof up, s->taken - s->started);
	putf(0, 0, w, "logmash %s, up %s", snapshot_state_text(s, state, sizeof state), up);
	putf(1, 0, w, "read %" PRIu64 " dropped %" PRIu64, s->st.read, s->st.dropped);
	putf(2, 0, w, "sent %" PRIu64 " failed %" PRIu64, s->st.sent, s->st.failed);
	putf(3, 0, w, "in flight %" PRIu64 "/%" PRIu32 " queued %" PRIu64, s->st.in_flight,
	     s->st.conc_limit, s->st.queued);
	putf(4, 0, w, "errors %zu", s->n_errors);
	putf(5, 0, w, "(60x12 or more for the dashboard)");
}

void draw_close_popup(struct view *v)
{
	if (v->pop_panel)
		del_panel(v->pop_panel);
	if (v->pop)
		delwin(v->pop);
	v->pop_panel = NULL;
	v->pop = NULL;
}

/* The popup's window, h x w in the middle of the screen, kept from frame
 * to frame while its size stays: a panel above stdscr. */
static WINDOW *popup_window(struct view *v, int h, int w, int sh, int sw)
{
	if (v->pop) {
		int oh, ow;
		getmaxyx(v->pop, oh, ow);
		if (oh != h || ow != w)
			draw_close_popup(v);
	}
	if (!v->pop) {
		v->pop = newwin(h, w, (sh - h) / 2, (sw - w) / 2);
		if (!v->pop)
			return NULL;
		v->pop_panel = new_panel(v->pop);
		if (!v->pop_panel) {
			draw_close_popup(v);
			return NULL;
		}
	} else {
		move_panel(v->pop_panel, (sh - h) / 2, (sw - w) / 2);
	}
	werase(v->pop);
	box(v->pop, 0, 0);
	return v->pop;
}

#define HELP_LABEL 10 /* the keys' column */

/* The help window: each key of the table with its label, its text wrapped
 * beside it. */
static void help_popup(struct view *v, int h, int w)
{
	char lines[48][128];
	int n = 0, pw = 60 < w ? 60 : w, room = pw - 4 - HELP_LABEL;
	for (size_t i = 0; i < n_keys && n < 44; i++) {
		const struct key *k = &keys[i];
		if (!k->label || !key_shown(k, v->attached))
			continue;
		const char *t = k->help, *label = k->label;
		/* cppcheck-suppress knownConditionTrueFalse ; w is the terminal's width, which
		 * cppcheck 2.10 takes to be 0 */
		while (*t && n < 44 && room > 10) {
			size_t take = strlen(t);
			if (take > (size_t)room) { /* break at a space */
				take = (size_t)room;
				while (take > 1 && t[take] != ' ')
					take--;
			}
			snprintf(lines[n++], sizeof lines[0], "%-*s%.*s", HELP_LABEL, label, (int)take, t);
			label = "";
			t += take;
			while (*t == ' ')
				t++;
		}
	}
	snprintf(lines[n++], sizeof lines[0], "%s", "");
	snprintf(lines[n++], sizeof lines[0], "%s", "Rates and latency cover the last 5 seconds.");
	int ph = n + 4 < h ? n + 4 : h;
	WINDOW *win = popup_window(v, ph, pw, h, w);
	if (!win)
		return;
	wattron(win, A_BOLD | color(v, PAIR_TITLE));
	mvwaddstr(win, 0, 2, " Keys ");
	wattroff(win, A_BOLD | color(v, PAIR_TITLE));
	for (int i = 0; i < n && i + 2 < ph - 1; i++)
		mvwaddnstr(win, i + 2, 2, lines[i], pw - 4);
}

/* `logmash top`'s S: stopping the service is asked twice. */
static void confirm_popup(struct view *v, int h, int w)
{
	int pw = 52 < w ? 52 : w;
	WINDOW *win = popup_window(v, 5, pw, h, w);
	if (!win)
		return;
	wattron(win, A_BOLD | color(v, PAIR_BAD));
	mvwaddnstr(win, 0, 2, " Stop logmash? ", pw - 4);
	wattroff(win, A_BOLD | color(v, PAIR_BAD));
	mvwaddnstr(win, 2, 2, "y: stop it (it sends what it read, then exits)", pw - 4);
	mvwaddnstr(win, 3, 2, "any other key: no", pw - 4);
}

/* Breaks text into lines of at most pw columns, at a space where there is
 * one, from lines[n]; returns the new count (at most max). */
static int wrap(char lines[][256], int n, int max, int pw, const char *t)
{
	/* cppcheck-suppress knownConditionTrueFalse ; pw follows the terminal's width,
	 * which cppcheck 2.10 takes to be 0 */
	while (*t && n < max && pw > 10) {
		size_t len = strlen(t);
		size_t take = len < (size_t)pw ? len : (size_t)pw;
		/* cppcheck-suppress knownConditionTrueFalse ; as above */
		if (take < len) { /* break at a space when there is one */
			size_t sp = take;
			while (sp > (size_t)pw / 2 && t[sp] != ' ')
				sp--;
			if (t[sp] == ' ')
				take = sp + 1;
		}
		snprintf(lines[n++], 256, "%.*s", (int)take, t);
		t += take;
	}
	return n;
}

/* The selected entry whole, its text wrapped. */
static void entry_popup(struct view *v, int h, int w)
{
	const struct snapshot *s = v->snap;
	enum pane p = v->focus;
	size_t i = v->sel[p];
	if (i >= view_rows(v, p))
		return;
	char lines[40][256];
	int n = 0;
	char a[32], b[32];
	if (p == PANE_TEMPLATES) {
		size_t nt;
		const struct template_view *t = &view_templates(v, &nt)[i];
		int pw = (w - 4 < 100 ? w - 4 : 100) - 4;
		clock_of(a, sizeof a, t->last_seen);
		snprintf(lines[n++], 256, "id:       %s", t->id);
		snprintf(lines[n++], 256, "rate:     %.1f logs a second", t->rate);
		snprintf(lines[n++], 256, "logs:     %" PRIu64 ", %" PRIu64 " kept and %" PRIu64
			 " dropped by the scripts", t->total, t->kept, t->dropped);
		snprintf(lines[n++], 256, "last:     %s", a);
		lines[n++][0] = '\0';
		char text[SNAP_TEMPLATE_TEXT + 16];
		snprintf(text, sizeof text, "template: %s", t->text);
		n = wrap(lines, n, 40, pw, text);
		if (n < 38) {
			lines[n++][0] = '\0';
			snprintf(text, sizeof text, "example:  %s", t->example);
			n = wrap(lines, n, 40, pw, text);
		}
	} else if (p == PANE_SOURCES) {
		const struct source_view *sv = &s->sources[i];
		snprintf(lines[n++], 256, "path:   %s", sv->path);
		if (*sv->input)
			snprintf(lines[n++], 256, "input:  %s", sv->input);
		snprintf(lines[n++], 256, "state:  %s", source_state_name[sv->state]);
		snprintf(lines[n++], 256, "read:   %s of %s", human_bytes(a, sizeof a, sv->pos),
			 sv->size ? human_bytes(b, sizeof b, sv->size) : "-");
		snprintf(lines[n++], 256, "lines:  %" PRIu64, sv->lines);
		snprintf(lines[n++], 256, "logs:   %" PRIu64 " sent, %" PRIu64 " dropped by scripts, %"
			 PRIu64 " failed", sv->sent, sv->dropped, sv->errors);
		snprintf(lines[n++], 256, "lag:    %s (the oldest log not yet settled)",
			 lag_of(a, sizeof a, s, sv));
	} else {
		const struct errlog_entry *e = p == PANE_ERRORS ? &s->errors[i] : &s->notes[i];
		clock_of(a, sizeof a, e->first);
		clock_of(b, sizeof b, e->last);
		snprintf(lines[n++], 256, "kind:   %s", errkind_name(e->kind));
		snprintf(lines[n++], 256, "count:  %" PRIu64 " (first %s, last %s)", e->count, a, b);
		lines[n++][0] = '\0';
		int pw = (w - 4 < 100 ? w - 4 : 100) - 4;
		n = wrap(lines, n, 40, pw, e->text);
		if (e->detail[0] && n < 38) {
			lines[n++][0] = '\0';
			char on[ERRLOG_DETAIL + 32];
			snprintf(on, sizeof on, "failed on (the latest): %s", e->detail);
			n = wrap(lines, n, 40, pw, on);
		}
	}
	int pw = w - 4 < 104 ? w - 4 : 104;
	int ph = n + 4 < h - 2 ? n + 4 : h - 2;
	/* cppcheck-suppress knownConditionTrueFalse ; as above: w is the terminal's */
	if (pw < 20 || ph < 5)
		return;
	WINDOW *win = popup_window(v, ph, pw, h, w);
	if (!win)
		return;
	wattron(win, A_BOLD | color(v, PAIR_TITLE));
	mvwprintw(win, 0, 2, " %s (Esc closes) ", p == PANE_SOURCES ? "Source"
						  : p == PANE_TEMPLATES ? "Template"
						  : p == PANE_ERRORS ? "Error" : "Script message");
	wattroff(win, A_BOLD | color(v, PAIR_TITLE));
	for (int k = 0; k < n && k + 2 < ph - 1; k++)
		wput(win, k + 2, 2, lines[k], pw - 4);
}

void draw_screen(struct view *v)
{
	int h = LINES, w = COLS;
	erase();
	if (w < 60 || h < 12) {
		draw_close_popup(v);
		compact(v, w);
		wnoutrefresh(stdscr);
		return;
	}
	header(v, w);
	int rw = w / 3 > 34 ? w / 3 : 34;
	throughput(v, 2, 0, w - rw);
	levels(v, 2, w - rw, rw);
	int py = 2 + TOP_ROWS;
	panes(v, py, h - py - 1, w);
	footer(v, h - 1, w);
	wnoutrefresh(stdscr);
	if (v->popup == POPUP_HELP)
		help_popup(v, h, w);
	else if (v->popup == POPUP_CONFIRM_STOP)
		confirm_popup(v, h, w);
	else if (v->popup == POPUP_ENTRY)
		entry_popup(v, h, w);
	else if (v->pop)
		draw_close_popup(v);
	if (v->pop)
		update_panels();
}
