/* joiner.h - multi-line records: a line that the rule (multiline.h) says
 * joins the record before it is appended with "\n" (Java stack traces,
 * Python tracebacks); any other line begins a record. A record ends when
 * the next one starts, when it reaches max_lines, or when the caller
 * flushes it after a silence. Records are at most max_bytes long; past
 * that, lines are cut and the record is marked truncated. */
#ifndef LOGMASH_JOINER_H
#define LOGMASH_JOINER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "framer.h"
#include "multiline.h"

struct joiner {
	const struct multiline_rule *rule;
	struct multiline_state ml;
	size_t max_lines, max_bytes;
	struct buf rec, out;  /* the record being built; the one handed out */
	struct frame cur;     /* rec's frame: first line's number, last line's end */
	double cur_time, out_time;
	size_t lines;
	int64_t last_ms;      /* when rec's last line came */
};

void joiner_init(struct joiner *j, const struct multiline_rule *rule, size_t max_bytes);
void joiner_free(struct joiner *j);

/* Offers one line read at read_time. Returns 1 when that completes a record:
 * *out (and *out_time) then describe it, valid until the next call. */
int joiner_push(struct joiner *j, const struct frame *fr, double read_time, int64_t now_ms,
		struct frame *out, double *out_time);

/* Hands out the record being built, if any: 1 with *out set, else 0. */
int joiner_flush(struct joiner *j, struct frame *out, double *out_time);

static inline int joiner_pending(const struct joiner *j)
{
	return j->lines > 0;
}

/* Takes a new rule (a reload): the record being built is the caller's to
 * flush first. */
void joiner_set_rule(struct joiner *j, const struct multiline_rule *rule);

#endif
