/* fuzz_time.c - logmash.parse_time and format_time (timeconv.c). The input
 * is a format, a NUL, then the text. Promises:
 * - RFC 3339 text reads as a finite time, or is refused with a reason;
 * - what format_time writes by default (RFC 3339, milliseconds) parses
 *   back to within half a millisecond;
 * - any strptime format over any text gives a finite time or a reason,
 *   and any strftime format writes within the buffer, NUL-terminated. */
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "timeconv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nul = memchr(data, '\0', size);
	if (!nul)
		return 0;
	const char *fmt = (const char *)data;
	const char *s = nul + 1;
	size_t n = size - (size_t)(s - fmt);
	char why[128] = "", out[256];
	double t;

	size_t used = timeconv_iso(s, n, &t, why, sizeof why);
	if (used) {
		PROMISE(used <= n && isfinite(t), "an RFC 3339 time is finite and within the text");
		int len = timeconv_format(t, NULL, out, sizeof out, why, sizeof why);
		if (len >= 0) {
			double back;
			PROMISE((size_t)len < sizeof out && out[len] == '\0', "the time is NUL-terminated");
			PROMISE(timeconv_iso(out, (size_t)len, &back, why, sizeof why) == (size_t)len,
				"format_time's own text parses");
			PROMISE(fabs(back - t) <= 0.0005 + fabs(t) * 1e-15, "and gives the time back");
		}
	} else {
		PROMISE(why[0], "a refusal says why");
	}
	if (timeconv_parse(s, n, fmt, 1795687201.0, &t, why, sizeof why) == 0)
		PROMISE(isfinite(t), "a parsed time is finite");
	else
		PROMISE(why[0], "a refusal says why");
	double any;
	memcpy(&any, data, size >= sizeof any ? sizeof any : 0);
	if (size < sizeof any)
		any = (double)size * 1e7;
	int len = timeconv_format(any, fmt, out, sizeof out, why, sizeof why);
	PROMISE(len < 0 || ((size_t)len < sizeof out && out[len] == '\0'),
		"a formatted time stays within the buffer");
	return 0;
}
