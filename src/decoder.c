/* decoder.c - encoding, container format and multi-line rule, in that
 * order, for one file. */
#include "decoder.h"

#include <string.h>

#include "container.h"
#include "utf8.h"

static const char *const format_names[] = {"lines", "cri", "docker"};

const char *decoder_format_name(enum input_format f)
{
	return format_names[f];
}

int decoder_format_parse(const char *name, enum input_format *f)
{
	for (size_t i = 0; i < sizeof format_names / sizeof *format_names; i++)
		if (!strcmp(name, format_names[i])) {
			*f = (enum input_format)i;
			return 0;
		}
	return -1;
}

int decoder_init(struct decoder *d, const struct decoder_rule *r, uint64_t offset, char *why,
		 size_t n)
{
	memset(d, 0, sizeof *d);
	if (transcode_open(&d->tc, r->encoding, why, n) != 0)
		return -1;
	d->rule = r;
	d->prev_end = offset;
	for (int i = 0; i < 2; i++)
		joiner_init(&d->jn[i], &r->ml, r->max_bytes);
	return 0;
}

void decoder_free(struct decoder *d)
{
	transcode_close(&d->tc);
	json_doc_free(&d->doc);
	buf_free(&d->scratch);
	for (int i = 0; i < 2; i++) {
		buf_free(&d->part[i].b);
		joiner_free(&d->jn[i]);
	}
}

int decoder_set_rule(struct decoder *d, const struct decoder_rule *r, char *why, size_t n)
{
	struct transcode tc;
	int rc = transcode_open(&tc, r->encoding, why, n);
	if (rc != 0)
		transcode_open(&tc, NULL, why, 0); /* UTF-8: cannot fail */
	transcode_close(&d->tc);
	d->tc = tc;
	d->rule = r;
	for (int i = 0; i < 2; i++)
		joiner_set_rule(&d->jn[i], &r->ml);
	return rc;
}

void decoder_restart(struct decoder *d, uint64_t offset)
{
	d->prev_end = offset;
}

int decoder_pending(const struct decoder *d)
{
	return d->part[0].on || d->part[1].on || joiner_pending(&d->jn[0]) ||
	       joiner_pending(&d->jn[1]);
}

int64_t decoder_last_ms(const struct decoder *d)
{
	int64_t last = INT64_MIN;
	for (int i = 0; i < 2; i++) {
		if (d->part[i].on && d->part[i].last_ms > last)
			last = d->part[i].last_ms;
		if (joiner_pending(&d->jn[i]) && d->jn[i].last_ms > last)
			last = d->jn[i].last_ms;
	}
	return last;
}

/* A record may be checkpointed past only when nothing before its end is
 * still held. */
static void clamp(const struct decoder *d, struct frame *out)
{
	for (int i = 0; i < 2; i++) {
		if (d->part[i].on && d->part[i].start < out->end_offset)
			out->end_offset = d->part[i].start;
		if (joiner_pending(&d->jn[i]) && d->jn_start[i] < out->end_offset)
			out->end_offset = d->jn_start[i];
	}
}

/* A whole line (or a cut line's joined parts) of stream si, begun at
 * start: through the joiner, or a record of its own. */
static int logical(struct decoder *d, int si, const struct frame *fr, uint64_t start, double time,
		   int64_t now_ms, struct frame *out, double *out_time)
{
	int got;
	if (d->rule->ml.kind == MULTILINE_NONE) {
		*out = *fr;
		*out_time = time;
		got = 1;
	} else {
		got = joiner_push(&d->jn[si], fr, time, now_ms, out, out_time);
		if (d->jn[si].lines == 1)
			d->jn_start[si] = start;
	}
	if (got) /* its stream is its first line's: the joiner keeps that frame */
		clamp(d, out);
	return got;
}

/* Appends a part to the stream's cut line, within max_bytes. */
static void add_part(struct decoder *d, struct decoder_part *p, const struct frame *fr,
		     const char *s, size_t n, uint64_t start, double time, int64_t now_ms)
{
	if (!p->on) {
		buf_clear(&p->b);
		p->fr = *fr;
		p->fr.full_len = 0;
		p->fr.truncated = 0;
		p->start = start;
		p->time = time;
		p->on = 1;
	}
	size_t room = d->rule->max_bytes - p->b.len;
	p->fr.full_len += n;
	if (n > room) { /* counted as any cut line is, by the pipeline */
		n = utf8_cut(s, n, room);
		p->fr.truncated = 1;
	}
	p->fr.truncated |= fr->truncated;
	buf_append(&p->b, s, n);
	p->fr.end_offset = fr->end_offset;
	p->last_ms = now_ms;
}

/* The part's joined line as a frame. */
static struct frame part_frame(struct decoder_part *p, int si)
{
	struct frame f = p->fr;
	f.line = p->b.data ? p->b.data : "";
	f.len = p->b.len;
	f.stream = si;
	p->on = 0;
	return f;
}

int decoder_push(struct decoder *d, const struct frame *in, double time, int64_t now_ms,
		 struct frame *out, double *out_time)
{
	const struct decoder_rule *r = d->rule;
	uint64_t start = d->prev_end;
	d->prev_end = in->end_offset;
	if (r->format == FORMAT_LINES && !transcode_active(&d->tc) && r->ml.kind == MULTILINE_NONE) {
		*out = *in;
		*out_time = time;
		return 1;
	}
	struct frame fr = *in;
	if (transcode_active(&d->tc)) {
		int cut;
		fr.line = transcode_line(&d->tc, in->line, in->len, r->max_bytes, &fr.len, &cut);
		fr.truncated |= cut;
		if (fr.full_len < fr.len)
			fr.full_len = fr.len; /* it grew in UTF-8 */
	}
	if (r->format == FORMAT_LINES)
		return logical(d, 0, &fr, start, time, now_ms, out, out_time);
	struct container_line cl;
	int bad = r->format == FORMAT_CRI
			  ? container_parse_cri(fr.line, fr.len, &cl)
			  : container_parse_docker(fr.line, fr.len, &cl, &d->doc, &d->scratch);
	if (bad) { /* sent as it is, a record of its own */
		d->not_format++;
		*out = fr;
		*out_time = time;
		clamp(d, out);
		return 1;
	}
	int si = (int)cl.stream;
	struct decoder_part *p = &d->part[si];
	fr.stream = si;
	if (cl.partial || p->on) {
		add_part(d, p, &fr, cl.content, cl.len, start, time, now_ms);
		if (cl.partial)
			return 0;
		struct frame whole = part_frame(p, si);
		return logical(d, si, &whole, p->start, p->time, now_ms, out, out_time);
	}
	fr.line = cl.content;
	fr.len = cl.len;
	fr.full_len = cl.len;
	return logical(d, si, &fr, start, time, now_ms, out, out_time);
}

int decoder_flush(struct decoder *d, int64_t now_ms, struct frame *out, double *out_time)
{
	for (int si = 0; si < 2; si++) {
		struct decoder_part *p = &d->part[si];
		if (p->on) { /* the runtime never wrote its F line: what came of it */
			struct frame whole = part_frame(p, si);
			if (logical(d, si, &whole, p->start, p->time, now_ms, out, out_time))
				return 1;
		}
	}
	for (int si = 0; si < 2; si++)
		if (joiner_flush(&d->jn[si], out, out_time)) {
			clamp(d, out);
			return 1;
		}
	return 0;
}
