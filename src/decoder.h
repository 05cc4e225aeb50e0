/* decoder.h - the lines of one file as its input reads them: converted to
 * UTF-8 (transcode.h), taken out of a container runtime's format with a
 * cut line's parts joined (container.h), then joined into multi-line
 * records (joiner.h), each stream of a container on its own.
 *
 * Pull-based as the framer is: each line offered gives at most one record.
 * A record's end offset is never past the first byte of anything still
 * being joined (a CRI line's P parts, another stream's record), so that a
 * checkpoint at it re-reads a held record whole after a restart. */
#ifndef LOGMASH_DECODER_H
#define LOGMASH_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "framer.h"
#include "joiner.h"
#include "json.h"
#include "multiline.h"
#include "transcode.h"

enum input_format { FORMAT_LINES, FORMAT_CRI, FORMAT_DOCKER };

/* An input's rules for its files; the decoders point at it. */
struct decoder_rule {
	enum input_format format;
	struct multiline_rule ml;  /* kind MULTILINE_NONE: lines are records */
	const char *encoding;      /* NULL: UTF-8 */
	size_t max_bytes;          /* a record's bound (--max-line-bytes) */
};

const char *decoder_format_name(enum input_format f);
/* "lines", "cri", "docker": 0 with *f set, or -1. */
int decoder_format_parse(const char *name, enum input_format *f);

struct decoder_part {      /* a cut line's parts so far */
	struct buf b;
	struct frame fr;
	double time;
	uint64_t start;
	int64_t last_ms;
	int on;
};

struct decoder {
	const struct decoder_rule *rule;
	struct transcode tc;
	struct json_doc doc;
	struct buf scratch;
	struct decoder_part part[2];  /* by stream */
	struct joiner jn[2];
	uint64_t jn_start[2];         /* where each joiner's record began */
	uint64_t prev_end;            /* where the next line begins */
	uint64_t not_format;          /* lines not in the format, sent as they are */
};

/* 0, or -1 with the reason in why (an encoding iconv does not know). */
int decoder_init(struct decoder *d, const struct decoder_rule *r, uint64_t offset, char *why,
		 size_t n);
void decoder_free(struct decoder *d);

/* The stream starts over at offset (a truncated file); what is held stays
 * to be flushed. */
void decoder_restart(struct decoder *d, uint64_t offset);

/* Offers one line read at time. Returns 1 with *out set (valid until the
 * next call) when that completes a record. */
int decoder_push(struct decoder *d, const struct frame *fr, double time, int64_t now_ms,
		 struct frame *out, double *out_time);

/* Hands out one held record (parts first), if any: 1 with *out set. Call
 * until it returns 0 to flush all. */
int decoder_flush(struct decoder *d, int64_t now_ms, struct frame *out, double *out_time);

/* Whether anything is held, and when the most recent held part came. */
int decoder_pending(const struct decoder *d);
int64_t decoder_last_ms(const struct decoder *d);

/* Takes a new rule (a reload): call when decoder_flush has emptied d, or
 * when r reads as d's rule did. 0, or -1 with the reason in why when r's
 * encoding cannot be opened (d then reads UTF-8). */
int decoder_set_rule(struct decoder *d, const struct decoder_rule *r, char *why, size_t n);

#endif
