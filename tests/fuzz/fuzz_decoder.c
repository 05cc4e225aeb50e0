/* fuzz_decoder.c - an input's rules over its lines (decoder.c: transcode.c,
 * container.c, multiline.c, joiner.c).
 *
 * The input's first byte chooses the format (lines, cri, docker), the
 * multi-line rule (none, a start regex, java, python, go) and the encoding
 * (UTF-8, Latin-1, Windows-1252, KOI8-R through iconv); the second the
 * record bound; the rest is the file, framed as a source frames it.
 * Promises:
 * - every record is within the bound, and says it was cut when it was;
 * - a record read through an encoding is valid UTF-8;
 * - a record's end offset only grows and lies within the file: a
 *   checkpoint at it never passes what is still held;
 * - with no format, rule or encoding, the records are the lines;
 * - after a flush nothing is held. */
#include <string.h>

#include "decoder.h"
#include "framer.h"
#include "fuzz.h"

static const char *const encodings[] = {NULL, "latin1", "windows-1252", "KOI8-R"};
static const enum multiline_kind kinds[] = {MULTILINE_NONE, MULTILINE_START, MULTILINE_JAVA,
					    MULTILINE_PYTHON, MULTILINE_GO};

struct seen {
	uint64_t last_end, n;
	size_t max;
	int encoded;
	size_t file;
};

static void check(struct seen *z, const struct frame *r)
{
	PROMISE(r->len <= z->max, "a record is within its bound");
	PROMISE(r->full_len >= r->len || r->truncated, "a record cut says so");
	PROMISE(!z->encoded || valid_utf8((const unsigned char *)r->line, r->len),
		"a record read through an encoding is UTF-8");
	PROMISE(r->end_offset >= z->last_end && r->end_offset <= z->file,
		"end offsets grow, within the file");
	PROMISE(r->stream >= -1 && r->stream <= 1, "a stream is stdout, stderr or none");
	z->last_end = r->end_offset;
	z->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	struct decoder_rule r = {.format = (enum input_format)(data[0] % 3),
				 .encoding = encodings[(data[0] / 3) % 4],
				 .max_bytes = (size_t)data[1] % 200 + 1};
	struct buf err = {0};
	enum multiline_kind kind = kinds[(data[0] / 12) % 5];
	r.ml.max_lines = 50;
	if (multiline_compile(&r.ml, kind, "^[0-9]", "fuzz", &err) != 0)
		abort();
	buf_free(&err);
	struct decoder d;
	char why[256];
	PROMISE(decoder_init(&d, &r, 0, why, sizeof why) == 0, "a known encoding opens");
	const char *s = (const char *)data + 2;
	size_t n = size - 2;
	struct framer f;
	framer_init(&f, r.max_bytes);
	framer_feed(&f, s, n);
	framer_finish(&f);
	struct seen z = {.max = r.max_bytes, .encoded = r.encoding != NULL, .file = n};
	uint64_t lines = 0;
	struct frame fr, out;
	double t;
	while (framer_next(&f, &fr)) {
		lines++;
		if (decoder_push(&d, &fr, 0, (int64_t)lines, &out, &t))
			check(&z, &out);
	}
	while (decoder_flush(&d, 0, &out, &t))
		check(&z, &out);
	PROMISE(!decoder_pending(&d), "a flush leaves nothing held");
	if (r.format == FORMAT_LINES && kind == MULTILINE_NONE)
		PROMISE(z.n == lines, "without a format or rule, each line is a record");
	decoder_free(&d);
	framer_free(&f);
	multiline_free(&r.ml);
	return 0;
}
