/* joiner.c - multi-line records. */
#include "joiner.h"

#include <string.h>

#include "framer.h"
#include "utf8.h"

int joiner_compile(regex_t *re, const char *pattern, struct buf *err)
{
	int rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc == 0)
		return 0;
	char msg[256];
	regerror(rc, re, msg, sizeof msg);
	buf_printf(err, "--multiline-start: bad regular expression '%s': %s", pattern, msg);
	return -1;
}

void joiner_init(struct joiner *j, const regex_t *start, size_t max_lines, size_t max_bytes)
{
	memset(j, 0, sizeof *j);
	j->start = start;
	j->max_lines = max_lines ? max_lines : 1;
	j->max_bytes = max_bytes ? max_bytes : 1;
}

void joiner_free(struct joiner *j)
{
	buf_free(&j->rec);
	buf_free(&j->out);
	buf_free(&j->line);
}

int joiner_is_start(struct joiner *j, const char *line, size_t len)
{
	/* REG_STARTEND, as lines may hold NULs. glibc then reads no further
	 * than len, but the sanitizers' regexec wrappers still measure the
	 * string with strlen: a terminated copy keeps them within bounds. */
	buf_clear(&j->line);
	buf_append(&j->line, line, len);
	regmatch_t m = {.rm_so = 0, .rm_eo = (regoff_t)len};
	return regexec(j->start, buf_cstr(&j->line), 1, &m, REG_STARTEND) == 0;
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
	if (!j->lines || joiner_is_start(j, fr->line, fr->len)) {
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
