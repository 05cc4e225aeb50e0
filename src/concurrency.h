/* concurrency.h - how many requests may be under way at once: a limit that
 * follows the API.
 *
 * Delivery rate is requests in flight divided by the round trip, so a fixed
 * limit is either too low for a distant API or too high for a busy one. The
 * limit here moves once a window (about one round trip, at least
 * CONC_WINDOW_MIN_US), from what the window's answers said:
 *
 *   - an overload signal (429, 503, a timeout, a failed connection): the
 *     limit is multiplied by CONC_BACKOFF (0.9), once a window however many
 *     requests failed in it, so one burst of refusals is one step down;
 *   - the window's mean round trip over CONC_RTT_HIGH (2x) the baseline and
 *     at least CONC_RTT_SLACK_US above it (a queue is forming at the API):
 *     the same step down;
 *   - answers 2xx, the round trip within CONC_RTT_GROW (1.5x) of the
 *     baseline or CONC_RTT_SLACK_US of it, and the limit was what held the
 *     requests back (in flight reached it): one step up. From a cold start,
 *     and again after an outage, the step doubles the limit (slow start,
 *     as TCP's) until the first step down, which takes it to the answers
 *     2xx in that window (between a quarter and a half of it). After that,
 *     the step closes a quarter of the way back to the limit where the last
 *     step down happened, at least 1, and past that point it starts at 1
 *     and doubles each window, at most a quarter of the limit (BIC's max
 *     probing): careful near where the API pushed back, quick to find new
 *     room.
 *   - otherwise (an idle pipeline, a round trip between the two marks) the
 *     limit holds.
 *
 * A refused request's place stays empty until the window ends (conc_room:
 * the limit less the window's refusals). Without that, an API behind a
 * gateway that caps concurrency and answers the rest at once was asked
 * again at once for every place over its cap, hundreds of times a window
 * before the window's one step down: 41% of all requests were refused at
 * a capacity of 32 and 50 ms, against 2.5% where the refusals came after
 * the round trip. Held empty, each place over the cap is refused once a
 * window, whatever the refusal's latency (about 1% either way).
 *
 * The baseline is the lowest window mean seen in the last two periods of
 * CONC_BASELINE_US (10 s), so a route that really became slower is adopted
 * within 20 s; a period that ended above the baseline halves the limit for
 * two windows first, which drains a queue that this limit built at the API, so
 * that such a queue cannot become the baseline. The round trip is the server's answer time as
 * libcurl sees it from the request's first byte (no connection set-up, no
 * wait for a connection).
 *
 * Why this and not another: Vector's adaptive request concurrency is AIMD
 * on the round trip with +1 a window, which takes a thousand round trips to
 * reach 1,024 requests in flight across a 150 ms path; TCP Vegas' "expected
 * versus actual rate" is the round-trip test above; Netflix's gradient
 * limit scales the limit by baseline/current every sample, which reacts to
 * every jitter of a path through the internet. Slow start and BIC's probing
 * give the growth a distant API needs, the multiplicative step down on
 * explicit overload and on a rising round trip is what the API needs.
 *
 * Pure: no clock, no I/O. The caller passes the time in microseconds. */
#ifndef LOGMASH_CONCURRENCY_H
#define LOGMASH_CONCURRENCY_H

#include <stdint.h>

#define CONC_INITIAL 16          /* the limit at start and after an outage */
#define CONC_BACKOFF 0.9         /* a step down multiplies the limit by this */
#define CONC_RTT_GROW 1.5        /* grow only with the round trip within this of the baseline */
#define CONC_RTT_HIGH 2.0        /* step down with the round trip above this times the baseline */
#define CONC_RTT_SLACK_US 5000   /* ... and this far above it (jitter, loopback) */
#define CONC_RTT_DRAIN 1.1       /* a period this far above the baseline: drain once */
#define CONC_WINDOW_MIN_US 5000  /* a window lasts at least this */
#define CONC_BASELINE_US 10000000 /* one period of the baseline's memory */

enum conc_signal {
	CONC_OK,         /* a 2xx (or an answer that says the API is fine) */
	CONC_REJECTED,   /* an answer about the log, not about load: no signal */
	CONC_OVERLOAD_503,
	CONC_OVERLOAD_429,
	CONC_TIMEOUT,
	CONC_CONNECT,    /* the connection failed or broke */
};

struct conc {
	int adaptive;      /* 0: the limit is the ceiling, always */
	double limit;
	double ceiling;
	double w_max;      /* the limit when it last stepped down */
	double probe_step; /* the next step past w_max */
	int slow_start;
	int outage;        /* between conc_outage and the next answer 2xx */
	int draining;      /* windows left with the limit held low to drain a queue */
	int64_t baseline_us;
	int64_t last_rtt_us;   /* the last window's mean */
	int64_t period_min_us[2]; /* the lowest window mean of this period and the one before */
	int64_t period_start_us;
	/* The window being measured. */
	int64_t window_start_us;
	int64_t rtt_sum_us;
	uint32_t n_ok, n_overload;
	enum conc_signal overload_kind;
	uint32_t peak_in_flight;
	/* What the operator sees: why the limit last moved. */
	char reason[64];
	uint64_t changes;  /* times the limit moved */
};

/* An adaptive limit (fixed: the limit is ceiling and never moves). */
void conc_init(struct conc *c, int adaptive, uint32_t ceiling, int64_t now_us);

/* The limit now: at least 1, at most the ceiling. */
uint32_t conc_limit(const struct conc *c);

/* How many may be under way now: the limit less the requests refused in
 * this window, at least 1. What the sender starts requests against. */
uint32_t conc_room(const struct conc *c);

/* A lower ceiling (HTTP/1.1 needs a connection a request). */
void conc_set_ceiling(struct conc *c, uint32_t ceiling);

/* A request started with in_flight under way (itself included). */
void conc_started(struct conc *c, uint32_t in_flight);

/* A request ended: what it says, and its round trip (0 when it got no
 * answer). Closes the window and moves the limit when the window is over. */
void conc_finished(struct conc *c, enum conc_signal sig, int64_t rtt_us, int64_t now_us);

/* The API is down (the sender's breaker opened): start again low, with
 * slow start, once it answers. */
void conc_outage(struct conc *c);

#endif
