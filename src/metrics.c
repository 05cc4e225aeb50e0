/* metrics.c - the Prometheus text format of a snapshot. */
#include "metrics.h"

#include <inttypes.h>
#include <string.h>

#include "latency.h"
#include "level.h"

/* Histogram bounds in seconds: a distant API's 20-150 ms sits in the middle. */
static const double bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};


static void head(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void counter(struct buf *out, const char *name, const char *help, uint64_t v)
{
	head(out, name, "counter", help);
	buf_printf(out, "%s %" PRIu64 "\n", name, v);
}

static void gauge(struct buf *out, const char *name, const char *help, double v)
{
	head(out, name, "gauge", help);
	buf_printf(out, "%s %.17g\n", name, v);
}

/* A label value: backslash, double quote and newline escaped. */
static void label(struct buf *out, const char *s)
{
	buf_putc(out, '"');
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_putc(out, '\\');
		if (*s == '\n') {
			buf_puts(out, "\\n");
			continue;
		}
		buf_putc(out, *s);
	}
	buf_putc(out, '"');
}

/* Requests no longer than le seconds: the buckets wholly below it (each
 * is a quarter octave, so a bound is off by at most 19%). */
static uint64_t at_most(const struct latency *h, double le)
{
	uint64_t n = 0;
	for (size_t b = 0; b + 1 < LATENCY_BUCKETS; b++)
		if ((double)latency_bucket_floor(b + 1) <= le * 1e6)
			n += h->count[b];
	return n;
}

void metrics_render(struct buf *out, const struct snapshot *s)
{
	const struct stats *st = &s->st;
	gauge(out, "logmash_up", "1 while logmash runs and answers.", 1);
	head(out, "logmash_state", "gauge", "The state logmash is in: 1 for the current one.");
	enum run_state now = snapshot_state(s);
	for (int i = 0; i < N_RUN_STATES; i++) {
		buf_puts(out, "logmash_state{state=");
		label(out, run_state_name[i]);
		buf_printf(out, "} %d\n", i == (int)now);
	}
	gauge(out, "logmash_start_time_seconds", "When logmash started, in seconds since the epoch.",
	      s->started);
	counter(out, "logmash_logs_read_total", "Logs read from the inputs.", st->read);
	counter(out, "logmash_empty_lines_total", "Empty lines in the inputs: skipped, not logs.",
		st->empty);
	counter(out, "logmash_lines_not_in_format_total",
		"Lines not in their input's format (cri, docker), sent as they are.", st->not_format);
	counter(out, "logmash_invalid_encoding_bytes_total",
		"Bytes not valid in their input's encoding, sent as U+FFFD.", st->invalid_encoding);
	head(out, "logmash_logs_sent_total", "counter", "Logs the API acknowledged, by level.");
	for (int l = LEVEL_NONE; l <= LEVEL_ERROR; l++) {
		const char *name = level_name((enum level)l);
		buf_puts(out, "logmash_logs_sent_total{level=");
		label(out, name ? name : "none");
		buf_printf(out, "} %" PRIu64 "\n", st->by_level[l]);
	}
	counter(out, "logmash_logs_dropped_total", "Logs a filter or enrich script dropped.",
		st->dropped);
	counter(out, "logmash_logs_failed_total",
		"Logs given up on: rejected for good or out of retries.", st->failed);
	counter(out, "logmash_dead_lettered_total", "Failed logs written to the dead-letter file.",
		st->dead_lettered);
	counter(out, "logmash_retries_total", "Requests retried after a transient failure.",
		st->retried);
	counter(out, "logmash_sent_bytes_total", "Request body bytes the API acknowledged.",
		st->bytes_sent);
	counter(out, "logmash_connections_opened_total", "Connections opened to the API.",
		st->connects);
	head(out, "logmash_script_errors_total", "counter", "Failed script calls (the log went on).");
	for (size_t i = 0; i < s->n_scripts; i++) {
		buf_puts(out, "logmash_script_errors_total{script=");
		label(out, s->scripts[i].path);
		buf_printf(out, "} %" PRIu64 "\n", s->scripts[i].errors);
	}
	head(out, "logmash_script_volume_answers_total", "counter",
	     "What a script's logmash.throttle, sample and dedupe answered: kept (true) or dropped.");
	for (size_t i = 0; i < s->n_scripts; i++)
		for (int k = 0; k < 2; k++) {
			buf_puts(out, "logmash_script_volume_answers_total{script=");
			label(out, s->scripts[i].path);
			buf_printf(out, ",answer=\"%s\"} %" PRIu64 "\n", k ? "dropped" : "kept",
				   k ? s->scripts[i].volume_dropped : s->scripts[i].volume_kept);
		}
	/* Totals only: a series a template would be an unbounded label set. */
	const struct template_totals *tt = &s->templates.totals;
	gauge(out, "logmash_templates", "Templates logmash.template knows now.", (double)tt->groups);
	counter(out, "logmash_templates_evicted_total",
		"Templates forgotten to stay within template_max.", tt->evicted);
	gauge(out, "logmash_templates_memory_bytes", "Memory the template miner holds.",
	      (double)tt->memory);
	gauge(out, "logmash_in_flight", "Requests under way now.", (double)st->in_flight);
	gauge(out, "logmash_queued_logs", "Logs queued, to be sent as soon as the limit lets them.",
	      (double)st->queued);
	gauge(out, "logmash_waiting_logs", "Logs waiting out a backoff, or held after a 401/403 or "
	      "a wrong URL.", (double)st->waiting);
	gauge(out, "logmash_undelivered_logs", "Logs read and not yet delivered (queued, in flight, "
	      "waiting).", (double)stats_undelivered(st));
	gauge(out, "logmash_concurrency_limit", "Requests that may be under way now.",
	      (double)st->conc_limit);
	gauge(out, "logmash_spool_bytes", "Bytes of standard input in the spool, not yet sent.",
	      (double)s->spooled);

	head(out, "logmash_request_duration_seconds", "histogram",
	     "Time from a request's start to the API's answer.");
	uint64_t total = 0;
	for (size_t b = 0; b < LATENCY_BUCKETS; b++)
		total += st->latency.count[b];
	for (size_t i = 0; i < sizeof bounds / sizeof *bounds; i++)
		buf_printf(out, "logmash_request_duration_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
			   bounds[i], at_most(&st->latency, bounds[i]));
	buf_printf(out, "logmash_request_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", total);
	buf_printf(out, "logmash_request_duration_seconds_sum %.6f\n", (double)st->latency_sum_us / 1e6);
	buf_printf(out, "logmash_request_duration_seconds_count %" PRIu64 "\n", total);

	head(out, "logmash_source_bytes_behind", "gauge",
	     "Bytes of a file not read yet (the first 100 sources; the rest under path=\"(other)\").");
	uint64_t other = 0;
	size_t shown = 0;
	for (size_t i = 0; i < s->n_sources; i++) {
		const struct source_view *v = &s->sources[i];
		uint64_t behind = source_behind(v);
		if (shown == METRICS_MAX_SOURCES) {
			other += behind;
			continue;
		}
		shown++;
		buf_puts(out, "logmash_source_bytes_behind{input=");
		label(out, v->input);
		buf_puts(out, ",path=");
		label(out, v->path);
		buf_printf(out, "} %" PRIu64 "\n", behind);
	}
	if (s->sources_total > shown)
		buf_printf(out, "logmash_source_bytes_behind{path=\"(other)\"} %" PRIu64 "\n", other);

	/* A journal's position is not in bytes: the lag says how far behind
	 * any source is, as the dashboard's Sources column does. */
	head(out, "logmash_source_lag_seconds", "gauge",
	     "Seconds since a source's oldest log not yet settled was read (0: none waits; the "
	     "first 100 sources).");
	for (size_t i = 0; i < s->n_sources && i < METRICS_MAX_SOURCES; i++) {
		const struct source_view *v = &s->sources[i];
		buf_puts(out, "logmash_source_lag_seconds{input=");
		label(out, v->input);
		buf_puts(out, ",path=");
		label(out, v->path);
		buf_printf(out, "} %.3f\n", source_lag(s, v));
	}
}
