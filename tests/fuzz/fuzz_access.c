/* fuzz_access.c - logmash.parse_access's parser (parse_access.c). Promises:
 * - any line is an access line or refused with a reason;
 * - every field lies within the line or the scratch the caller gave, and
 *   none is longer than the line;
 * - the status is three digits, the size and the time finite. */
#include <math.h>

#include "fuzz.h"
#include "parse_access.h"

static const char *base, *end, *sbase, *send;

static int within(struct slice s)
{
	return !s.p || (s.p >= base && s.p + s.n <= end) || (s.p >= sbase && s.p + s.n <= send);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char *scratch = malloc(size + 1);
	if (!scratch)
		abort();
	base = s, end = s + size, sbase = scratch, send = scratch + size;
	struct access_line a;
	char why[128] = "";
	if (parse_access(s, size, scratch, &a, why, sizeof why) != 0) {
		PROMISE(why[0], "a refusal says why");
	} else {
		struct slice all[] = {a.client, a.ident, a.user, a.method, a.path, a.protocol,
				      a.referer, a.agent};
		for (size_t i = 0; i < sizeof all / sizeof *all; i++)
			PROMISE(within(all[i]), "a field lies within the line or the scratch");
		PROMISE(a.client.p && a.client.n > 0, "a parsed line has a client");
		PROMISE(a.status >= 0 && a.status <= 999, "the status is three digits");
		PROMISE(isfinite(a.bytes) && a.bytes >= 0 && isfinite(a.time), "size and time are finite");
	}
	free(scratch);
	return 0;
}
