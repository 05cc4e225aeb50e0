/* concurrency.c - the in-flight limit that follows the API (see the header
 * for the algorithm and why). */
#include "concurrency.h"

#include <stdio.h>
#include <string.h>

void conc_init(struct conc *c, int adaptive, uint32_t ceiling, int64_t now_us)
{
	memset(c, 0, sizeof *c);
	c->adaptive = adaptive;
	c->ceiling = ceiling < 1 ? 1 : ceiling;
	c->limit = adaptive && CONC_INITIAL < c->ceiling ? CONC_INITIAL : c->ceiling;
	c->slow_start = 1;
	c->probe_step = 1;
	c->period_start_us = now_us;
	c->window_start_us = now_us;
	snprintf(c->reason, sizeof c->reason, "%s", adaptive ? "starting" : "fixed (--concurrency fixed)");
}

uint32_t conc_limit(const struct conc *c)
{
	return c->limit < 1 ? 1 : (uint32_t)c->limit;
}

uint32_t conc_room(const struct conc *c)
{
	uint32_t limit = conc_limit(c);
	if (!c->adaptive)
		return limit;
	return c->n_overload < limit ? limit - c->n_overload : 1;
}

void conc_set_ceiling(struct conc *c, uint32_t ceiling)
{
	c->ceiling = ceiling < 1 ? 1 : ceiling;
	if (c->limit > c->ceiling || !c->adaptive)
		c->limit = c->ceiling;
}

void conc_started(struct conc *c, uint32_t in_flight)
{
	if (in_flight > c->peak_in_flight)
		c->peak_in_flight = in_flight;
}

static void set_limit(struct conc *c, double limit, const char *reason)
{
	if (limit > c->ceiling)
		limit = c->ceiling;
	if (limit < 1)
		limit = 1;
	if ((uint32_t)limit != (uint32_t)c->limit) {
		c->changes++;
		snprintf(c->reason, sizeof c->reason, "%s", reason);
	}
	c->limit = limit;
}

static void step_down(struct conc *c, const char *reason)
{
	double limit = c->limit * CONC_BACKOFF;
	if (c->slow_start) {
		/* The refusals answer requests of the window before, and the
		 * limit has doubled since: what the API took in this window is
		 * the best guess of its room, between a quarter and a half. */
		limit = c->n_ok ? (double)c->n_ok : c->limit / 2;
		if (limit > c->limit / 2)
			limit = c->limit / 2;
		if (limit < c->limit / 4)
			limit = c->limit / 4;
	}
	c->w_max = c->limit;
	c->slow_start = 0;
	c->probe_step = 1;
	set_limit(c, limit, reason);
}

static void step_up(struct conc *c)
{
	if (c->slow_start) {
		set_limit(c, c->limit * 2, "slow start: answers quick and 2xx");
		return;
	}
	double step;
	if (c->limit < c->w_max) {
		step = (c->w_max - c->limit) / 4;
		if (step < 1)
			step = 1;
	} else {
		step = c->probe_step;
		double most = c->limit / 4 > 1 ? c->limit / 4 : 1;
		if (step > most)
			step = most;
		c->probe_step *= 2;
	}
	set_limit(c, c->limit + step, "answers quick and 2xx");
}

static const char *overload_reason(enum conc_signal s)
{
	switch (s) {
	case CONC_OVERLOAD_429:
		return "429 from the API";
	case CONC_TIMEOUT:
		return "requests timed out";
	case CONC_CONNECT:
		return "connections failed";
	default:
		return "503 from the API";
	}
}

/* The lowest window mean of the last two periods. A queue that this limit
 * keeps at the API (a round trip between the two marks) would become the
 * baseline once two periods passed without a lower mean: so when a period
 * ends higher than the baseline, the limit halves for two windows, which
 * drains such a queue; a route that really became slower stays slower and
 * is adopted. */
static void note_baseline(struct conc *c, int64_t mean_us, int64_t now_us)
{
	if (now_us - c->period_start_us >= CONC_BASELINE_US) {
		if (c->baseline_us &&
		    (double)c->period_min_us[0] > CONC_RTT_DRAIN * (double)c->baseline_us &&
		    c->period_min_us[0] - c->baseline_us > CONC_RTT_SLACK_US / 5) {
			c->w_max = c->limit;
			c->probe_step = 1;
			set_limit(c, c->limit / 2, "checking the round trip: draining the API's queue");
			c->draining = 2; /* the queue empties in one, the next measures */
		}
		c->period_min_us[1] = c->period_min_us[0];
		c->period_min_us[0] = 0;
		c->period_start_us = now_us;
	}
	if (!c->period_min_us[0] || mean_us < c->period_min_us[0])
		c->period_min_us[0] = mean_us;
	c->baseline_us = c->period_min_us[0];
	if (c->period_min_us[1] && c->period_min_us[1] < c->baseline_us)
		c->baseline_us = c->period_min_us[1];
}

static void close_window(struct conc *c, int64_t now_us)
{
	int64_t mean = c->n_ok ? c->rtt_sum_us / c->n_ok : 0;
	if (mean) {
		c->last_rtt_us = mean;
		note_baseline(c, mean, now_us);
	}
	if (c->n_overload) {
		step_down(c, overload_reason(c->overload_kind));
	} else if (mean && (double)mean > CONC_RTT_HIGH * (double)c->baseline_us &&
		   mean - c->baseline_us > CONC_RTT_SLACK_US) {
		char why[64];
		snprintf(why, sizeof why, "round trip %.1fx baseline",
			 (double)mean / (double)c->baseline_us);
		step_down(c, why);
	} else if (c->draining) {
		c->draining--;
	} else if (mean && c->peak_in_flight >= conc_limit(c) &&
		   ((double)mean <= CONC_RTT_GROW * (double)c->baseline_us ||
		    mean - c->baseline_us <= CONC_RTT_SLACK_US)) {
		step_up(c);
	}
	c->window_start_us = now_us;
	c->rtt_sum_us = 0;
	c->n_ok = c->n_overload = 0;
	c->peak_in_flight = 0;
}

void conc_finished(struct conc *c, enum conc_signal sig, int64_t rtt_us, int64_t now_us)
{
	if (!c->adaptive)
		return;
	if (c->outage && sig != CONC_OK)
		return; /* the breaker's probes: the limit is already low */
	switch (sig) {
	case CONC_OK:
		c->outage = 0;
		c->n_ok++;
		c->rtt_sum_us += rtt_us > 0 ? rtt_us : 1;
		break;
	case CONC_REJECTED:
		break;
	default:
		/* The most telling kind names the step: a timeout or a refused
		 * connection says more than a 503 among them. */
		if (!c->n_overload || sig > c->overload_kind)
			c->overload_kind = sig;
		c->n_overload++;
		break;
	}
	int64_t len = c->last_rtt_us > CONC_WINDOW_MIN_US ? c->last_rtt_us : CONC_WINDOW_MIN_US;
	if (now_us - c->window_start_us >= len)
		close_window(c, now_us);
}

void conc_outage(struct conc *c)
{
	if (!c->adaptive)
		return;
	c->outage = 1;
	c->draining = 0;
	c->slow_start = 1;
	c->w_max = 0;
	c->probe_step = 1;
	c->limit = CONC_INITIAL < c->ceiling ? CONC_INITIAL : c->ceiling;
	c->changes++;
	snprintf(c->reason, sizeof c->reason, "the API was down: starting again low");
	c->n_ok = c->n_overload = 0;
	c->rtt_sum_us = 0;
	c->peak_in_flight = 0;
}
