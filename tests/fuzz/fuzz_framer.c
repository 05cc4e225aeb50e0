/* fuzz_framer.c - line framing and multi-line joining (framer.c, joiner.c).
 *
 * The input's first two bytes choose the line limit and the chunk size;
 * the rest is the stream, fed in chunks as reads would give it. Promises:
 * - the lines are the stream split at LF, a CR ending a line removed, empty
 *   lines skipped, whatever the chunks;
 * - a line over the limit (its CR counted) is cut to at most the limit, at
 *   most 3 bytes short of it, says it was cut, and is still valid UTF-8 if
 *   the whole line was;
 * - line numbers and end offsets only grow, and end within the stream;
 * - the joiner's records hold every line, in order, joined with "\n". */
#include <string.h>

#include "framer.h"
#include "fuzz.h"
#include "joiner.h"

static struct multiline_rule start_rule = {.max_lines = 1000000};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct buf err = {0};
	if (multiline_compile(&start_rule, MULTILINE_START, "^[0-9]", "fuzz", &err) != 0)
		abort();
	return 0;
}

/* A line of the stream as the reference splits it. */
struct ref_line {
	size_t at, len; /* its bytes, without LF or a CR ending it */
	size_t raw;     /* its length with that CR: what the limit counts */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t max_line = data[0] < 128 ? (size_t)data[0] + 1 : (size_t)1 << 20;
	size_t chunk = (size_t)data[1] % 64 + 1;
	const char *s = (const char *)data + 2;
	size_t n = size - 2;

	/* The reference: the stream split at LF, a CR ending a line dropped,
	 * empty lines skipped. */
	size_t nref = 0;
	struct ref_line *ref = malloc((n / 2 + 1) * sizeof *ref);
	if (!ref)
		abort();
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - s) : n, len = end - i;
		if (len && s[end - 1] == '\r')
			len--;
		if (len)
			ref[nref++] = (struct ref_line){i, len, end - i};
		i = end + 1;
	}

	struct framer f;
	framer_init(&f, max_line);
	struct joiner j;
	joiner_init(&j, &start_rule, (size_t)1 << 24);
	struct buf lines = {0}, joined = {0};
	uint64_t last_no = 0, last_end = 0;
	size_t fed = 0, k = 0;
	for (;;) {
		struct frame fr;
		while (framer_next(&f, &fr)) {
			PROMISE(k < nref, "no more lines than the stream has");
			const char *r = s + ref[k].at;
			size_t rlen = ref[k].len, raw = ref[k++].raw;
			PROMISE(fr.number > last_no, "line numbers grow");
			PROMISE(fr.end_offset >= last_end && fr.end_offset <= n,
				"end offsets grow, within the stream");
			PROMISE(fr.len <= rlen && (!fr.len || !memcmp(fr.line, r, fr.len)),
				"a line is the stream's line, or the start of it");
			if (raw <= max_line) {
				PROMISE(fr.len == rlen && !fr.truncated, "a line within the limit is whole");
			} else {
				PROMISE(fr.truncated && fr.len <= max_line && fr.len + 3 >= max_line,
					"a long line is cut at the limit, and says so");
				PROMISE(!valid_utf8((const unsigned char *)r, raw) ||
						valid_utf8((const unsigned char *)fr.line, fr.len),
					"a cut splits no character");
			}
			last_no = fr.number;
			last_end = fr.end_offset;
			buf_append(&lines, fr.line, fr.len);
			buf_putc(&lines, '\n');
			struct frame rec;
			double t;
			if (joiner_push(&j, &fr, 0, 0, &rec, &t)) {
				buf_append(&joined, rec.line, rec.len);
				buf_putc(&joined, '\n');
			}
		}
		if (fed == n) {
			if (f.eof)
				break;
			framer_finish(&f);
			continue;
		}
		size_t c = n - fed < chunk ? n - fed : chunk;
		framer_feed(&f, s + fed, c);
		fed += c;
	}
	PROMISE(k == nref, "every line of the stream comes out");
	struct frame rec;
	double t;
	if (joiner_flush(&j, &rec, &t)) {
		buf_append(&joined, rec.line, rec.len);
		buf_putc(&joined, '\n');
	}
	PROMISE(joined.len == lines.len && (!lines.len || !memcmp(joined.data, lines.data, lines.len)),
		"the joiner's records hold every line in order");
	free(ref);
	buf_free(&lines);
	buf_free(&joined);
	joiner_free(&j);
	framer_free(&f);
	return 0;
}
