/* joiner.c - multi-line records. */
#include "joiner.h"

#include <string.h>

#include "framer.h"
#include "utf8.h"

void joiner_init(struct joiner *j, const struct multiline_rule *rule, size_t max_bytes)
{
	memset(j, 0, sizeof *j);
	j->max_bytes = max_bytes ? max_bytes : 1;
	joiner_set_rule(j, rule);
}

void joiner_set_rule(struct joiner *j, const struct multiline_rule *rule)
{
	if (!j->rule || j->rule->kind != rule->kind)
		j->ml.phase = 0;
	j->rule = rule;
	j->max_lines = rule->max_lines ? rule->max_lines : 1;
}

void joiner_free(struct joiner *j)
{
	buf_free(&j->rec);
	buf_free(&j->out);
	buf_free(&j->ml.line);
}

/* Appends s[0..n) to the record, keeping it within max_bytes. */
static void add(struct joiner *j, const char *s, size_t n, size_t full)
{
	size_t room = j->max_bytes - j->rec.len;
	j->cur.full_len += full;
	if (n > room) {
		n = utf8_cut(s, n, room);
		j->cur.truncated = 1;
	}
	buf_append(&j->rec, s, n);
}

static void begin(struct joiner *j, const struct frame *fr, double read_time)
{
	buf_clear(&j->rec);
	j->cur = *fr;
	j->cur.full_len = 0;
	j->cur_time = read_time;
	j->lines = 1;
	add(j, fr->line, fr->len, fr->full_len);
	j->cur.truncated |= fr->truncated;
}

int joiner_flush(struct joiner *j, struct frame *out, double *out_time)
{
	if (!j->lines)
		return 0;
	struct buf t = j->out;
	j->out = j->rec;
	j->rec = t;
	*out = j->cur;
	out->line = j->out.data;
	out->len = j->out.len;
	*out_time = j->cur_time;
	j->lines = 0;
	return 1;
}

int joiner_push(struct joiner *j, const struct frame *fr, double read_time, int64_t now_ms,
		struct frame *out, double *out_time)
{
	j->last_ms = now_ms;
	if (!multiline_joins(j->rule, &j->ml, fr->line, fr->len, j->lines > 0)) {
		int done = joiner_flush(j, out, out_time);
		begin(j, fr, read_time);
		return done;
	}
	add(j, "\n", 1, 1);
	add(j, fr->line, fr->len, fr->full_len);
	j->cur.truncated |= fr->truncated;
	j->cur.end_offset = fr->end_offset;
	if (++j->lines >= j->max_lines)
		return joiner_flush(j, out, out_time);
	return 0;
}
