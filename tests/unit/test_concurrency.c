/* Unit tests: concurrency.c - the in-flight limit against simulated APIs.
 *
 * The simulated API is the stand-in's model (tests/remote_api): every answer
 * comes one round trip after its request; at most `capacity` requests are
 * served at once, and the rest are refused (503 or 429), or queue behind
 * them when `queue` is set, each served for a round trip. A refusal comes a
 * round trip later, as from the API itself, or at once (`refuse_at_once`:
 * REFUSAL_AT_ONCE_US, as from a gateway or load balancer in front of it
 * that caps concurrency). The client keeps
 * as many requests in flight as the limit allows, from an endless backlog,
 * as the sender does. Time is simulated, so the figures are exact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "concurrency.h"

#define MS 1000LL
#define S 1000000LL
#define MAX_REQ 4096
#define UNLIMITED 1000000
#define REFUSAL_AT_ONCE_US 500 /* a gateway's 503 across the loopback */

struct req {
	int64_t done_at;
	int64_t rtt;
	enum conc_signal sig;
};

struct api {
	int64_t rtt_us;
	int capacity;
	int queue;             /* over capacity: wait (1) or refuse (0) */
	enum conc_signal refusal;
	int refuse_at_once;
	int down;              /* every request fails to connect */
	int64_t queue_free_at[MAX_REQ]; /* queue mode: when each server place frees */
};

struct sim {
	struct conc c;
	struct api api;
	struct req r[MAX_REQ];
	int n;
	int64_t now;
	/* Counted since the last sim_reset_counts. */
	uint64_t ok, refused, limit_sum, samples;
	uint64_t rtt_sum_ms, base_near; /* answered round trips; samples with the true baseline */
	int breaker_streak;
};

static void sim_init(struct sim *s, int adaptive, uint32_t ceiling)
{
	memset(s, 0, sizeof *s);
	conc_init(&s->c, adaptive, ceiling, 0);
	s->api.rtt_us = 50 * MS;
	s->api.capacity = UNLIMITED;
	s->api.refusal = CONC_OVERLOAD_503;
}

static int serving(const struct sim *s)
{
	int k = 0;
	for (int i = 0; i < s->n; i++)
		k += s->r[i].sig == CONC_OK;
	return k;
}

static void start(struct sim *s)
{
	struct req *q = &s->r[s->n++];
	const struct api *a = &s->api;
	if (a->down) {
		*q = (struct req){s->now + 1 * MS, 0, CONC_CONNECT};
	} else if (a->queue) {
		/* The earliest free place of `capacity` serves it. */
		int best = 0;
		for (int i = 1; i < a->capacity && i < MAX_REQ; i++)
			if (a->queue_free_at[i] < a->queue_free_at[best])
				best = i;
		int64_t begin = a->queue_free_at[best] > s->now ? a->queue_free_at[best] : s->now;
		s->api.queue_free_at[best] = begin + a->rtt_us;
		*q = (struct req){begin + a->rtt_us, begin + a->rtt_us - s->now, CONC_OK};
	} else if (serving(s) >= a->capacity) {
		int64_t after = a->refuse_at_once ? REFUSAL_AT_ONCE_US : a->rtt_us;
		*q = (struct req){s->now + after, after, a->refusal};
	} else {
		*q = (struct req){s->now + a->rtt_us, a->rtt_us, CONC_OK};
	}
	conc_started(&s->c, (uint32_t)s->n);
}

/* Runs the client and the API until `until` (simulated µs). */
static void sim_run(struct sim *s, int64_t until)
{
	for (;;) {
		while ((uint32_t)s->n < conc_room(&s->c) && s->n < MAX_REQ)
			start(s);
		int first = 0;
		for (int i = 1; i < s->n; i++)
			if (s->r[i].done_at < s->r[first].done_at)
				first = i;
		if (s->r[first].done_at > until) {
			s->now = until;
			return;
		}
		struct req q = s->r[first];
		s->r[first] = s->r[--s->n];
		s->now = q.done_at;
		if (q.sig == CONC_OK) {
			s->ok++;
			s->rtt_sum_ms += (uint64_t)(q.rtt / MS);
			s->breaker_streak = 0;
		} else {
			s->refused++;
			/* The sender's breaker: a whole limit of failures in a row. */
			if (++s->breaker_streak >= (int)conc_limit(&s->c) && s->api.down) {
				conc_outage(&s->c);
				s->breaker_streak = 0;
			}
		}
		conc_finished(&s->c, q.sig, q.sig == CONC_OK ? q.rtt : 0, s->now);
		s->limit_sum += conc_limit(&s->c);
		s->base_near += s->c.baseline_us <= s->api.rtt_us * 102 / 100;
		s->samples++;
	}
}

static void sim_reset_counts(struct sim *s)
{
	s->ok = s->refused = s->limit_sum = s->samples = 0;
	s->rtt_sum_ms = s->base_near = 0;
}

/* Simulated seconds until the limit reaches at least `want` (-1: never
 * within `most`). */
static double seconds_to_reach(struct sim *s, uint32_t want, int64_t most, int below)
{
	int64_t start_at = s->now;
	while (s->now - start_at < most) {
		if (below ? conc_limit(&s->c) <= want : conc_limit(&s->c) >= want)
			return (double)(s->now - start_at) / S;
		sim_run(s, s->now + 10 * MS);
	}
	return -1;
}

static void ramps_up_from_cold_to_the_ceiling(void **state)
{
	(void)state;
	static struct sim s;
	int64_t rtts[] = {20 * MS, 50 * MS, 150 * MS};
	for (size_t i = 0; i < 3; i++) {
		sim_init(&s, 1, 1024);
		s.api.rtt_us = rtts[i];
		assert_int_equal(conc_limit(&s.c), CONC_INITIAL);
		double t = seconds_to_reach(&s, 1024, 10 * S, 0);
		/* Slow start: 16 -> 1024 in six doublings, a round trip each. */
		assert_true(t >= 0);
		assert_true(t <= 8.0 * (double)rtts[i] / S + 0.01);
		sim_run(&s, s.now + 5 * S);
		assert_int_equal(conc_limit(&s.c), 1024); /* and stays there */
	}
}

static void holds_without_demand(void **state)
{
	(void)state;
	static struct sim s;
	sim_init(&s, 1, 1024);
	/* The client has only 10 requests to give at a time: the limit must
	 * not grow on answers it did not need it for. */
	for (int i = 0; i < 200; i++) {
		conc_started(&s.c, 10);
		conc_finished(&s.c, CONC_OK, 50 * MS, (int64_t)i * 10 * MS);
	}
	assert_int_equal(conc_limit(&s.c), CONC_INITIAL);
}

/* Capacity C with the rest refused, at 50 ms: the rate over C/RTT and the
 * share refused, once converged. */
static void converge_under_refusals(enum conc_signal refusal, int at_once)
{
	static struct sim s;
	sim_init(&s, 1, 1024);
	s.api.capacity = 32;
	s.api.refusal = refusal;
	s.api.refuse_at_once = at_once;
	sim_run(&s, 5 * S);
	sim_reset_counts(&s);
	sim_run(&s, 65 * S);
	double rate = (double)s.ok / 60.0;
	double ideal = 32 / 0.050;
	double refused = (double)s.refused / (double)(s.ok + s.refused);
	print_message("capacity 32, %s %s: rate %.0f/s = %.2f of C/RTT, refused %.1f%%, mean limit "
		      "%.1f\n", refusal == CONC_OVERLOAD_503 ? "503" : "429",
		      at_once ? "at once" : "after the round trip", rate, rate / ideal, refused * 100,
		      (double)s.limit_sum / (double)s.samples);
	assert_true(rate / ideal >= 0.85);
	assert_true(refused <= 0.05);
	assert_string_equal(s.c.reason, refusal == CONC_OVERLOAD_503 ? "503 from the API"
								    : "429 from the API");
}

static void converges_under_503(void **state)
{
	(void)state;
	converge_under_refusals(CONC_OVERLOAD_503, 0);
}

static void converges_under_429(void **state)
{
	(void)state;
	converge_under_refusals(CONC_OVERLOAD_429, 0);
}

/* A gateway that caps concurrency answers the rest at once: hundreds of
 * refusals a window if each refused request's place were filled again at
 * once. */
static void converges_under_503_at_once(void **state)
{
	(void)state;
	converge_under_refusals(CONC_OVERLOAD_503, 1);
}

static void converges_under_429_at_once(void **state)
{
	(void)state;
	converge_under_refusals(CONC_OVERLOAD_429, 1);
}

static void converges_on_a_queue_by_round_trip(void **state)
{
	(void)state;
	static struct sim s;
	sim_init(&s, 1, 1024);
	s.api.capacity = 64;
	s.api.queue = 1;
	sim_run(&s, 10 * S);
	sim_reset_counts(&s);
	sim_run(&s, 40 * S);
	double rate = (double)s.ok / 30.0;
	double mean_limit = (double)s.limit_sum / (double)s.samples;
	double mean_rtt = (double)s.rtt_sum_ms / (double)s.ok;
	double base_true = (double)s.base_near / (double)s.samples;
	print_message("capacity 64 with a queue: rate %.2f of C/RTT, mean limit %.1f, round trip "
		      "%.1f ms, baseline true %.0f%% of the time\n",
		      rate / (64 / 0.050), mean_limit, mean_rtt, base_true * 100);
	/* Full use of the API, a queue there of less than one round trip, and
	 * that queue never taken for the path's round trip for long. */
	assert_true(rate / (64 / 0.050) >= 0.9);
	assert_true(mean_limit <= 2 * 64);
	assert_true(mean_rtt < 2 * 50);
	assert_true(base_true >= 0.95);
}

static void follow_a_capacity_drop_and_recovery(int at_once)
{
	static struct sim s;
	sim_init(&s, 1, 1024);
	s.api.capacity = 200;
	s.api.refuse_at_once = at_once;
	sim_run(&s, 10 * S);
	assert_true(conc_limit(&s.c) >= 180);
	s.api.capacity = 20;
	double down = seconds_to_reach(&s, 22, 10 * S, 1);
	sim_run(&s, s.now + 10 * S);
	s.api.capacity = 200;
	double up = seconds_to_reach(&s, 180, 10 * S, 0);
	print_message("capacity 200 -> 20 -> 200, refused %s: %.2f s down, %.2f s up\n",
		      at_once ? "at once" : "after the round trip", down, up);
	assert_true(down >= 0 && down <= 5);
	assert_true(up >= 0 && up <= 5);
}

static void follows_a_capacity_drop_and_recovery(void **state)
{
	(void)state;
	follow_a_capacity_drop_and_recovery(0);
}

static void follows_a_capacity_drop_and_recovery_refused_at_once(void **state)
{
	(void)state;
	follow_a_capacity_drop_and_recovery(1);
}

static void steps_down_on_a_round_trip_spike_and_comes_back(void **state)
{
	(void)state;
	static struct sim s;
	sim_init(&s, 1, 1024);
	sim_run(&s, 5 * S);
	assert_int_equal(conc_limit(&s.c), 1024);
	s.api.rtt_us = 400 * MS; /* a queue somewhere on the way */
	sim_run(&s, s.now + 3 * S);
	uint32_t during = conc_limit(&s.c);
	assert_true(during < 512);
	assert_non_null(strstr(s.c.reason, "x baseline"));
	s.api.rtt_us = 50 * MS;
	double back = seconds_to_reach(&s, 900, 10 * S, 0);
	print_message("round trip 8x for 3 s: limit %u, back to 900 in %.2f s\n", during, back);
	assert_true(back >= 0 && back <= 5);
}

static void restarts_low_after_an_outage(void **state)
{
	(void)state;
	static struct sim s;
	sim_init(&s, 1, 1024);
	sim_run(&s, 5 * S);
	assert_int_equal(conc_limit(&s.c), 1024);
	s.api.down = 1;
	sim_run(&s, s.now + 2 * S);
	assert_true(conc_limit(&s.c) <= CONC_INITIAL);
	s.api.down = 0;
	double back = seconds_to_reach(&s, 1024, 10 * S, 0);
	assert_true(back >= 0 && back <= 1);
}

static void a_new_slower_route_becomes_the_baseline(void **state)
{
	(void)state;
	static struct sim s;
	sim_init(&s, 1, 1024);
	sim_run(&s, 5 * S);
	s.api.rtt_us = 150 * MS; /* for good */
	sim_run(&s, s.now + 30 * S);
	assert_true(s.c.baseline_us >= 149 * MS);
	double back = seconds_to_reach(&s, 1024, 20 * S, 0);
	assert_true(back >= 0);
}

static void fixed_never_moves(void **state)
{
	(void)state;
	static struct sim s;
	sim_init(&s, 0, 64);
	s.api.capacity = 8;
	sim_run(&s, 10 * S);
	assert_int_equal(conc_limit(&s.c), 64);
	assert_int_equal(s.c.changes, 0);
}

static void ceiling_bounds_the_limit(void **state)
{
	(void)state;
	static struct sim s;
	sim_init(&s, 1, 1024);
	sim_run(&s, 5 * S);
	conc_set_ceiling(&s.c, 128); /* found HTTP/1.1: a connection a request */
	assert_int_equal(conc_limit(&s.c), 128);
	sim_run(&s, s.now + 5 * S);
	assert_int_equal(conc_limit(&s.c), 128);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ramps_up_from_cold_to_the_ceiling),
		cmocka_unit_test(holds_without_demand),
		cmocka_unit_test(converges_under_503),
		cmocka_unit_test(converges_under_429),
		cmocka_unit_test(converges_under_503_at_once),
		cmocka_unit_test(converges_under_429_at_once),
		cmocka_unit_test(converges_on_a_queue_by_round_trip),
		cmocka_unit_test(follows_a_capacity_drop_and_recovery),
		cmocka_unit_test(follows_a_capacity_drop_and_recovery_refused_at_once),
		cmocka_unit_test(steps_down_on_a_round_trip_spike_and_comes_back),
		cmocka_unit_test(restarts_low_after_an_outage),
		cmocka_unit_test(a_new_slower_route_becomes_the_baseline),
		cmocka_unit_test(fixed_never_moves),
		cmocka_unit_test(ceiling_bounds_the_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
