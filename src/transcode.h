/* transcode.h - a line in another encoding to UTF-8, before anything reads
 * it (the format, the multi-line rule, the scripts).
 *
 * Latin-1 and Windows-1252 are converted here (a table: the common cases
 * cost a byte loop); every other ASCII-compatible encoding glibc's iconv
 * knows goes through iconv. Bytes invalid in the encoding become U+FFFD
 * and are counted. Encodings in which ASCII is not ASCII (UTF-16, UTF-32,
 * UCS-2/4) are refused: a line could not be found by its newline byte. */
#ifndef LOGMASH_TRANSCODE_H
#define LOGMASH_TRANSCODE_H

#include <iconv.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum transcode_kind { TRANSCODE_UTF8, TRANSCODE_LATIN1, TRANSCODE_CP1252, TRANSCODE_ICONV };

struct transcode {
	enum transcode_kind kind;
	iconv_t cd;          /* TRANSCODE_ICONV only */
	struct buf out;      /* the last line converted */
	uint64_t invalid;    /* bytes that became U+FFFD */
};

/* Whether name is an encoding logmash reads: 0, or -1 with the reason in
 * why ("unknown encoding 'x'", "UTF-16 is not supported: ..."). */
int transcode_check(const char *name, char *why, size_t n);

/* Opens t for name (NULL or "utf-8": nothing to convert). 0, or -1 with
 * the reason in why. */
int transcode_open(struct transcode *t, const char *name, char *why, size_t n);
void transcode_close(struct transcode *t);

static inline int transcode_active(const struct transcode *t)
{
	return t->kind != TRANSCODE_UTF8;
}

/* Converts line[0..len) to UTF-8, cut at a character boundary past max
 * bytes (*cut set then). Returns the converted bytes: in t->out, or line
 * itself when it needs no change; valid until the next call. */
const char *transcode_line(struct transcode *t, const char *line, size_t len, size_t max,
			   size_t *out_len, int *cut);

#endif
