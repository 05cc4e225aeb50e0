/* fuzz_volume.c - throttle, sample and dedupe (volume.c) driven by the
 * input: each 4 bytes are a call (which helper, which of 64 keys, its
 * number, how far the clock moves), on a table of at most 8 keys so that
 * eviction runs all the time. Promises:
 * - every answer is counted, kept or dropped, and the keys stay within
 *   the bound;
 * - a sample of n keeps exactly the calls 1, n+1, 2n+1... of a key that
 *   stayed in the table;
 * - a throttle's refusals are told back, and a dedupe's repeats, no more
 *   than were refused. */
#include <string.h>

#include "fuzz.h"
#include "volume.h"

#define MAX 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct volume *v = volume_new(MAX);
	double now = 0;
	uint64_t calls = 0, refused = 0, told = 0, deduped = 0, repeats = 0;
	for (size_t i = 0; i + 4 <= size; i += 4) {
		char key[2] = {(char)('a' + (data[i + 1] & 63)), 0};
		unsigned arg = data[i + 2];
		now += data[i + 3] / 16.0;
		uint64_t r;
		calls++;
		switch (data[i] % 3) {
		case 0: {
			int ok = volume_throttle(v, key, 1, arg / 8.0, arg % 5, now, &r);
			refused += !ok;
			told += r;
			PROMISE(ok || r == 0, "a refusal tells nothing back");
			break;
		}
		case 1: {
			/* A key of its own for sampling, so the count is known. */
			char sk[3] = {'s', key[0], 0};
			uint64_t n = arg % 4 + 1;
			int first = volume_sample(v, sk, 2, n);
			int again = 0;
			for (uint64_t k = 1; k < n; k++)
				again += volume_sample(v, sk, 2, n);
			calls += n - 1;
			/* n calls in a row: one kept, whatever the key's count was
			 * (or if it was evicted before the first). */
			PROMISE(first + again == 1, "a sample of n keeps one of n calls in a row");
			break;
		}
		default: {
			int first = volume_dedupe(v, key, 1, arg / 16.0 + 0.01, now, &r);
			deduped += !first;
			repeats += r;
			PROMISE(first || r == 0, "only the first of a window tells repeats");
			break;
		}
		}
	}
	struct volume_totals t;
	volume_totals(v, &t);
	PROMISE(t.kept + t.dropped == calls, "every answer is counted");
	PROMISE(t.keys <= MAX, "the keys stay within the bound");
	PROMISE(told <= refused, "no more refusals told than made");
	PROMISE(repeats <= deduped, "no more repeats told than refused");
	volume_free(v);
	return 0;
}
