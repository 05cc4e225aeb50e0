/* fuzz_syslog.c - logmash.parse_syslog's parser (parse_syslog.c). Promises:
 * - any line is a syslog line or refused with a reason;
 * - every field of a parsed line lies within the line, the message last;
 * - a PRI gives facility 0-23 and severity 0-7, a time is finite;
 * - RFC 5424 structured data, as parse_syslog kept it, walks again
 *   without error, its values no longer than the data. */
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "parse_syslog.h"

static const char *base, *end;

static int within(struct slice s)
{
	return !s.p || (s.p >= base && s.p + s.n <= end);
}

static void element(void *ctx, struct slice id)
{
	(void)ctx;
	PROMISE(id.n > 0 && within(id), "an SD-ID lies within the line");
}

static void param(void *ctx, struct slice name, struct slice value)
{
	size_t sd_n = *(size_t *)ctx;
	PROMISE(name.n > 0 && within(name), "an SD-PARAM's name lies within the line");
	PROMISE(value.n <= sd_n, "an unescaped value is no longer than the data");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	base = s;
	end = s + size;
	struct syslog_line m;
	char why[128] = "";
	if (parse_syslog(s, size, 1795687201.0, &m, why, sizeof why) != 0) {
		PROMISE(why[0], "a refusal says why");
		return 0;
	}
	PROMISE(within(m.host) && within(m.app) && within(m.pid) && within(m.msgid),
		"the header's fields lie within the line");
	PROMISE(m.message.p && within(m.message) && m.message.p + m.message.n == end,
		"the message is the rest of the line");
	PROMISE(m.severity < 0 || (m.facility <= 23 && m.severity <= 7), "PRI is in range");
	PROMISE(!m.has_time || isfinite(m.time), "a time is finite");
	if (m.sd.p) {
		PROMISE(within(m.sd), "the structured data lies within the line");
		char *tmp = malloc(m.sd.n + 1);
		if (!tmp)
			abort();
		size_t n = m.sd.n;
		PROMISE(parse_syslog_sd(m.sd.p, m.sd.n, element, param, &n, tmp, m.sd.n, why,
					sizeof why) == 0,
			"the structured data kept walks again");
		free(tmp);
	}
	return 0;
}
