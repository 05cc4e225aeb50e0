/* framer.c - byte stream to lines. */
#include "framer.h"

#include <string.h>

#include "utf8.h"

void framer_init(struct framer *f, size_t max_line)
{
	memset(f, 0, sizeof *f);
	f->max_line = max_line ? max_line : 1;
}

void framer_free(struct framer *f)
{
	buf_free(&f->partial);
}

void framer_feed(struct framer *f, const char *data, size_t len)
{
	f->data = data;
	f->len = len;
	f->pos = 0;
}

void framer_finish(struct framer *f)
{
	f->eof = 1;
}

void framer_flush(struct framer *f)
{
	if (framer_holding(f))
		f->flush_now = 1;
}

void framer_restart(struct framer *f, uint64_t offset)
{
	buf_clear(&f->partial);
	f->partial_full = 0;
	f->discarding = f->partial_done = f->flush_now = f->same_line = 0;
	f->data = NULL;
	f->len = f->pos = 0;
	f->eof = 0;
	f->offset = offset;
}

/* Adds seg to the pending partial line, keeping at most max_line bytes. */
static void partial_add(struct framer *f, const char *seg, size_t n)
{
	f->partial_full += n;
	if (f->discarding)
		return;
	size_t room = f->max_line - f->partial.len;
	if (n > room) {
		/* Cut at a character boundary, which may lie in what the
		 * partial line holds already (a character split across reads). */
		buf_append(&f->partial, seg, room);
		f->partial.len = utf8_cut_before(f->partial.data, f->partial.len, (unsigned char)seg[room]);
		f->discarding = 1;
		return;
	}
	buf_append(&f->partial, seg, n);
}

static void strip_cr(struct frame *fr)
{
	if (!fr->truncated && fr->len && fr->line[fr->len - 1] == '\r') {
		fr->len--;
		fr->full_len--;
	}
}

/* The partial line was handed out: start the next one empty. */
static void partial_reset(struct framer *f)
{
	buf_clear(&f->partial);
	f->partial_full = 0;
	f->discarding = 0;
	f->partial_done = 0;
}

/* Starts the frame of the next physical line, which ends at f->offset. */
static void begin_frame(struct framer *f, struct frame *out)
{
	if (f->same_line)
		f->same_line = 0;
	else
		f->line_no++;
	memset(out, 0, sizeof *out);
	out->stream = -1;
	out->number = f->line_no;
	out->end_offset = f->offset;
}

/* Hands out the pending partial line; it is cleared on the next call. */
static void emit_partial(struct framer *f, struct frame *out)
{
	out->line = f->partial.data;
	out->len = f->partial.len;
	out->full_len = f->partial_full;
	out->truncated = f->discarding;
	f->partial_done = 1;
}

int framer_next(struct framer *f, struct frame *out)
{
	if (f->partial_done)
		partial_reset(f);
	while (f->pos < f->len) {
		const char *start = f->data + f->pos;
		size_t rest = f->len - f->pos;
		const char *nl = memchr(start, '\n', rest);
		if (!nl) {
			partial_add(f, start, rest);
			f->pos = f->len;
			f->offset += rest;
			break;
		}
		size_t seg = (size_t)(nl - start);
		f->pos += seg + 1;
		f->offset += seg + 1;
		begin_frame(f, out);
		if (f->partial.len == 0 && !f->discarding) {
			/* The whole line is in this chunk: hand it out in place. */
			out->line = start;
			out->full_len = seg;
			out->len = utf8_cut(start, seg, f->max_line);
			out->truncated = out->len < seg;
		} else {
			partial_add(f, start, seg);
			emit_partial(f, out);
		}
		strip_cr(out);
		if (out->len == 0 && !out->truncated) {
			if (f->partial_done)
				partial_reset(f);
			f->empty++;
			continue; /* empty line: counted, never sent */
		}
		return 1;
	}
	if ((f->eof || f->flush_now) && framer_holding(f)) {
		int flushed = !f->eof;
		f->flush_now = 0;
		begin_frame(f, out);
		emit_partial(f, out);
		f->same_line = flushed;
		if (!flushed)
			strip_cr(out); /* a CR before a newline still to come is data */
		return out->len > 0 || out->truncated;
	}
	return 0;
}
