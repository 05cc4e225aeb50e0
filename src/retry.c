/* retry.c - retry policy. */
#include "retry.h"

enum outcome retry_classify(long status)
{
	if (status >= 200 && status < 300)
		return OUTCOME_OK;
	if (status == 0 || status == 408 || status == 429 || status >= 500)
		return OUTCOME_TRANSIENT;
	if (status == 401 || status == 403)
		return OUTCOME_AUTH;
	if (status == 404 || status == 405 || (status >= 300 && status < 400))
		return OUTCOME_ENDPOINT;
	return OUTCOME_REJECTED;
}

int64_t retry_delay_ms(int attempt, int64_t base_ms, int64_t cap_ms, uint32_t rnd,
		       int64_t retry_after_ms)
{
	int64_t ceiling = base_ms;
	for (int i = 1; i < attempt && ceiling < cap_ms; i++)
		ceiling *= 2;
	if (ceiling > cap_ms)
		ceiling = cap_ms;
	int64_t d = (int64_t)((uint64_t)rnd % (uint64_t)(ceiling + 1));
	return d < retry_after_ms ? retry_after_ms : d;
}

uint32_t retry_random(uint32_t *state)
{
	uint32_t x = *state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}
