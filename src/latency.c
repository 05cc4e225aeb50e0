/* latency.c - quarter-octave latency buckets. */
#include "latency.h"

size_t latency_bucket(uint64_t us)
{
	if (us < 4)
		return (size_t)us; /* 0..3: one bucket each */
	int msb = 63 - __builtin_clzll(us);
	size_t b = (size_t)msb * 4 + (size_t)((us >> (msb - 2)) & 3);
	/* msb 2 gives 8..11: 4..7 stay unused, which keeps the mapping plain */
	return b < LATENCY_BUCKETS ? b : LATENCY_BUCKETS - 1;
}

uint64_t latency_bucket_floor(size_t b)
{
	if (b < 4)
		return b;
	size_t msb = b / 4, sub = b % 4;
	if (msb < 2)
		return 4; /* the unused buckets 4..7 */
	return (uint64_t)(4 + sub) << (msb - 2);
}

uint64_t latency_quantile(const struct latency *now, const struct latency *then, double q)
{
	uint64_t total = 0;
	for (size_t b = 0; b < LATENCY_BUCKETS; b++)
		total += now->count[b] - (then ? then->count[b] : 0);
	if (total == 0)
		return 0;
	/* The rank of the quantile, 1-based, rounded up: p50 of 1..10 is 5. */
	uint64_t rank = (uint64_t)(q * (double)total + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > total)
		rank = total;
	uint64_t seen = 0;
	for (size_t b = 0; b < LATENCY_BUCKETS; b++) {
		seen += now->count[b] - (then ? then->count[b] : 0);
		if (seen >= rank) {
			uint64_t lo = latency_bucket_floor(b);
			uint64_t hi = b + 1 < LATENCY_BUCKETS ? latency_bucket_floor(b + 1) : lo * 2;
			return lo + (hi - lo) / 2;
		}
	}
	return 0;
}
