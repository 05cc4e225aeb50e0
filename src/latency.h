/* latency.h - a histogram of request latencies, and percentiles from it.
 *
 * Buckets are quarter octaves of microseconds (4 to a power of two, so a
 * percentile is within 19% of the truth), fixed in number: recording costs
 * a count, and the histogram is a flat array that a snapshot copies. The
 * counts only grow; a window's percentiles come from the difference of
 * two copies. */
#ifndef LOGMASH_LATENCY_H
#define LOGMASH_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#define LATENCY_BUCKETS 128

struct latency {
	uint64_t count[LATENCY_BUCKETS];
};

/* The bucket of a latency of us microseconds. */
size_t latency_bucket(uint64_t us);

/* The smallest latency in bucket b, in microseconds. */
uint64_t latency_bucket_floor(size_t b);

static inline void latency_record(struct latency *h, uint64_t us)
{
	h->count[latency_bucket(us)]++;
}

/* The q-th quantile (0 < q <= 1) of what now has and then had not (then
 * may be NULL: all of now), in microseconds: the middle of its bucket.
 * Returns 0 when there is nothing between them. */
uint64_t latency_quantile(const struct latency *now, const struct latency *then, double q);

#endif
