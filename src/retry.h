/* retry.h - which failures are worth another try, and when.
 *
 * Backoff is exponential with full jitter (a random delay between 0 and
 * min(cap, base * 2^attempt)), so that many clients failing together do
 * not come back together; a server's Retry-After is a floor. */
#ifndef LOGMASH_RETRY_H
#define LOGMASH_RETRY_H

#include <stdint.h>

enum outcome {
	OUTCOME_OK,        /* acknowledged */
	OUTCOME_TRANSIENT, /* network error, timeout, 408, 429, 5xx: try again */
	OUTCOME_AUTH,      /* 401, 403: stop sending, keep every log */
	OUTCOME_ENDPOINT,  /* 404, 405, a redirect: the URL is wrong, not the log; as for 401 */
	OUTCOME_REJECTED,  /* any other answer: the API will never take it */
};

/* Classifies an HTTP status (0 for a transfer that got no answer). */
enum outcome retry_classify(long status);

/* Delay in ms before retry number attempt (1 = the first retry).
 * rnd is a uniformly random 32-bit value. */
int64_t retry_delay_ms(int attempt, int64_t base_ms, int64_t cap_ms, uint32_t rnd,
		       int64_t retry_after_ms);

/* A small, fast PRNG (xorshift32); *state must not be 0. */
uint32_t retry_random(uint32_t *state);

#endif
