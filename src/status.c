/* status.c - one line of status. */
#include "status.h"

#include <inttypes.h>
#include <string.h>

#include "encoder.h"
#include "health.h"
#include "humanize.h"

static double per_second(uint64_t now, uint64_t then, double secs)
{
	return secs > 0 && now >= then ? (double)(now - then) / secs : 0;
}

/* Seconds since at (wall clock), or null when it never happened. */
static void put_age(struct buf *out, const struct snapshot *now, double at)
{
	if (at > 0)
		buf_printf(out, "%.0f", now->taken > at ? now->taken - at : 0);
	else
		buf_puts(out, "null");
}

void status_json_fields(struct buf *out, const struct snapshot *now, const struct snapshot *prev)
{
	const struct stats *s = &now->st;
	double secs = prev ? now->taken - prev->taken : now->taken - now->started;
	const struct latency *then = prev ? &prev->st.latency : NULL;
	buf_printf(out,
		   "\"time\":%.3f,\"state\":\"%s\",\"uptime\":%.0f,\"read\":%" PRIu64
		   ",\"empty\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"sent\":%" PRIu64 ",\"failed\":%" PRIu64
		   ",\"retried\":%" PRIu64 ",\"dead_lettered\":%" PRIu64
		   ",\"dead_letters_deleted\":%" PRIu64
		   ",\"in_flight\":%" PRIu64 ",\"queued\":%" PRIu64 ",\"waiting\":%" PRIu64
		   ",\"spooled_bytes\":%" PRIu64 ",\"script_errors\":%" PRIu64
		   ",\"read_per_s\":%.1f,\"sent_per_s\":%.1f"
		   ",\"latency_p50_ms\":%.3f,\"latency_p99_ms\":%.3f"
		   ",\"concurrency_limit\":%" PRIu32 ",\"rtt_ms\":%.3f,\"rtt_baseline_ms\":%.3f"
		   ",\"limit_reason\":\"%s\",\"connections_opened\":%" PRIu64,
		   now->taken, run_state_name[snapshot_state(now)], now->taken - now->started, s->read, s->empty, s->dropped,
		   s->sent, s->failed, s->retried, s->dead_lettered, s->dead_deleted, s->in_flight,
		   s->queued, s->waiting, now->spooled, s->script_errors,
		   per_second(s->read, prev ? prev->st.read : 0, secs),
		   per_second(s->sent, prev ? prev->st.sent : 0, secs),
		   (double)latency_quantile(&s->latency, then, 0.50) / 1000,
		   (double)latency_quantile(&s->latency, then, 0.99) / 1000, s->conc_limit,
		   (double)s->rtt_us / 1000, (double)s->rtt_baseline_us / 1000, s->conc_reason,
		   s->connects);
	buf_printf(out, ",\"undelivered\":%" PRIu64 ",\"limit_reason_age_s\":",
		   stats_undelivered(s));
	put_age(out, now, s->conc_reason_at);
	buf_printf(out, ",\"reloads\":%" PRIu64 ",\"reloads_refused\":%" PRIu64
		   ",\"last_reload_age_s\":", s->script_reloads, s->reload_failures);
	put_age(out, now, s->reload_at);
	buf_puts(out, ",\"last_reload\":");
	encode_string(out, s->reload_result, strlen(s->reload_result));
}

/* An age as the operator reads it: "12 s", "4 min", "3 h". */
static const char *age_text(char *out, size_t n, double secs)
{
	if (secs < 0)
		secs = 0;
	if (secs < 120)
		snprintf(out, n, "%.0f s", secs);
	else if (secs < 7200)
		snprintf(out, n, "%.0f min", secs / 60);
	else
		snprintf(out, n, "%.0f h", secs / 3600);
	return out;
}

/* Near enough to its baseline that the round trip no longer holds the limit
 * down (concurrency.h's CONC_RTT_HIGH is 2). */
#define RTT_NEAR_BASELINE 1.5

void status_limit_reason(struct buf *out, const struct snapshot *now)
{
	const struct stats *s = &now->st;
	buf_puts(out, s->conc_reason);
	if (s->conc_reason_at > 0) {
		char age[32];
		buf_printf(out, ", %s ago", age_text(age, sizeof age, now->taken - s->conc_reason_at));
	}
	if (!strncmp(s->conc_reason, "round trip", 10) && s->rtt_baseline_us > 0 && s->rtt_us > 0 &&
	    (double)s->rtt_us <= RTT_NEAR_BASELINE * (double)s->rtt_baseline_us)
		buf_puts(out, "; the round trip is back near its baseline");
}

void status_behind(struct buf *out, const struct snapshot *now)
{
	char b[24];
	buf_printf(out, "%" PRIu64 " logs undelivered, %s unread", stats_undelivered(&now->st),
		   human_bytes(b, sizeof b, health_bytes_behind(now)));
}

void status_reload(struct buf *out, const struct snapshot *now)
{
	if (now->st.reload_at <= 0)
		return;
	char age[32];
	buf_printf(out, "last reload %s ago: %s", age_text(age, sizeof age, now->taken - now->st.reload_at),
		   now->st.reload_result);
}

void status_json(struct buf *out, const struct snapshot *now, const struct snapshot *prev)
{
	buf_putc(out, '{');
	status_json_fields(out, now, prev);
	buf_puts(out, "}\n");
}

void status_line(struct buf *out, const struct snapshot *now, const struct snapshot *prev,
		 int json)
{
	if (json) {
		status_json(out, now, prev);
		return;
	}
	const struct stats *s = &now->st;
	double secs = prev ? now->taken - prev->taken : now->taken - now->started;
	double read_rate = per_second(s->read, prev ? prev->st.read : 0, secs);
	double sent_rate = per_second(s->sent, prev ? prev->st.sent : 0, secs);
	const struct latency *then = prev ? &prev->st.latency : NULL;
	uint64_t p50 = latency_quantile(&s->latency, then, 0.50);
	uint64_t p99 = latency_quantile(&s->latency, then, 0.99);
	char statebuf[80];
	const char *state = snapshot_state_text(now, statebuf, sizeof statebuf);
	char up[32], rr[16], sr[16];
	human_uptime(up, sizeof up, now->taken - now->started);
	buf_printf(out,
		   "logmash: status: %s, up %s: read %" PRIu64 " (%s/s), dropped %" PRIu64
		   ", sent %" PRIu64 " (%s/s), failed %" PRIu64 ", retried %" PRIu64
		   ", in flight %" PRIu64 ", queued %" PRIu64 ", waiting %" PRIu64,
		   state, up, s->read, human_count(rr, sizeof rr, read_rate), s->dropped, s->sent,
		   human_count(sr, sizeof sr, sent_rate), s->failed, s->retried, s->in_flight,
		   s->queued, s->waiting);
	if (now->spooled) {
		char sp[24];
		buf_printf(out, " (+%s spooled)", human_bytes(sp, sizeof sp, now->spooled));
	}
	if (p50) {
		char l50[16], l99[16];
		buf_printf(out, ", latency p50 %s p99 %s", human_latency(l50, sizeof l50, p50),
			   human_latency(l99, sizeof l99, p99));
	}
	if (s->conc_limit && !now->dry_run) {
		buf_printf(out, ", limit %" PRIu32 " (", s->conc_limit);
		status_limit_reason(out, now);
		buf_putc(out, ')');
		if (s->rtt_baseline_us) {
			char rn[16], rb[16];
			buf_printf(out, ", round trip %s (base %s)",
				   human_latency(rn, sizeof rn, (uint64_t)s->rtt_us),
				   human_latency(rb, sizeof rb, (uint64_t)s->rtt_baseline_us));
		}
	}
	if (s->script_errors)
		buf_printf(out, ", script errors %" PRIu64, s->script_errors);
	if (s->dead_lettered)
		buf_printf(out, ", dead-lettered %" PRIu64, s->dead_lettered);
	buf_putc(out, '\n');
}

void status_systemd(struct buf *out, const struct snapshot *now, const struct snapshot *prev)
{
	const struct stats *s = &now->st;
	double secs = prev ? now->taken - prev->taken : now->taken - now->started;
	char rate[16], state[80];
	uint64_t errors = s->failed + s->script_errors + s->input_errors;
	buf_printf(out, "%s %s/s, queued %" PRIu64 ", waiting %" PRIu64 ", behind ",
		   snapshot_state_text(now, state, sizeof state),
		   human_count(rate, sizeof rate, per_second(s->sent, prev ? prev->st.sent : 0, secs)),
		   s->queued, s->waiting);
	status_behind(out, now);
	buf_printf(out, ", %" PRIu64 " error%s", errors, errors == 1 ? "" : "s");
}

void status_json_scripts(struct buf *out, const struct snapshot *now)
{
	buf_puts(out, "\"scripts\":[");
	for (size_t i = 0; i < now->n_scripts; i++) {
		const struct script_view *v = &now->scripts[i];
		buf_puts(out, i ? ",{\"path\":" : "{\"path\":");
		encode_string(out, v->path, strlen(v->path));
		buf_puts(out, ",\"input\":");
		encode_string(out, v->input, strlen(v->input));
		buf_printf(out, ",\"kind\":\"%s\",\"calls\":%" PRIu64 ",\"dropped\":%" PRIu64
			   ",\"errors\":%" PRIu64 ",\"volume_kept\":%" PRIu64
			   ",\"volume_dropped\":%" PRIu64 "}", v->kind, v->calls, v->dropped, v->errors,
			   v->volume_kept, v->volume_dropped);
	}
	buf_putc(out, ']');
}

void status_json_templates(struct buf *out, const struct snapshot *now)
{
	const struct template_top *t = &now->templates;
	buf_printf(out, "\"templates\":{\"known\":%" PRIu64 ",\"evicted\":%" PRIu64
		   ",\"memory_bytes\":%zu,\"top\":[", t->totals.groups, t->totals.evicted,
		   t->totals.memory);
	for (size_t i = 0; i < t->n_rate; i++) {
		const struct template_view *v = &t->by_rate[i];
		buf_printf(out, "%s{\"id\":\"%s\",\"template\":", i ? "," : "", v->id);
		encode_string(out, v->text, strlen(v->text));
		buf_printf(out, ",\"per_s\":%.2f,\"total\":%" PRIu64 ",\"kept\":%" PRIu64
			   ",\"dropped\":%" PRIu64 ",\"example\":", v->rate, v->total, v->kept,
			   v->dropped);
		encode_string(out, v->example, strlen(v->example));
		buf_putc(out, '}');
	}
	buf_puts(out, "]}");
}

void status_templates_text(struct buf *out, const struct snapshot *now, size_t n)
{
	const struct template_top *t = &now->templates;
	if (!t->totals.groups)
		return;
	char mem[24];
	buf_printf(out, "templates: %" PRIu64 " known, %" PRIu64 " forgotten, %s; the busiest:\n",
		   t->totals.groups, t->totals.evicted,
		   human_bytes(mem, sizeof mem, t->totals.memory));
	for (size_t i = 0; i < t->n_rate && i < n; i++) {
		const struct template_view *v = &t->by_rate[i];
		buf_printf(out, "  %s %.1f/s, %" PRIu64 " logs (%" PRIu64 " kept, %" PRIu64
			   " dropped): %s\n", v->id, v->rate, v->total, v->kept, v->dropped, v->text);
	}
}
