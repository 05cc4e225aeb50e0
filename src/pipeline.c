/* pipeline.c - line to request body. */
#include "pipeline.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "encoder.h"
#include "errlog.h"
#include "util.h"

#define OUT_FLUSH (64 * 1024)

void pipeline_init(struct pipeline *p, struct script_chain *chain, struct stats *st,
		   struct queue *q)
{
	memset(p, 0, sizeof *p);
	p->chain = chain;
	p->st = st;
	p->q = q;
}

void pipeline_free(struct pipeline *p)
{
	buf_free(&p->body);
	buf_free(&p->out);
}

int pipeline_flush(struct pipeline *p)
{
	size_t off = 0;
	while (off < p->out.len && !p->out_failed) {
		ssize_t w = write(STDOUT_FILENO, p->out.data + off, p->out.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			errlog_add(ERR_INPUT, "cannot write to standard output: %s", strerror(errno));
			p->out_failed = 1;
			break;
		}
		off += (size_t)w;
	}
	buf_clear(&p->out);
	return p->out_failed ? -1 : 0;
}

void pipeline_process(struct pipeline *p, const struct frame *fr, double time, struct source *src)
{
	struct record r = {
		.message = fr->line,
		.message_len = fr->len,
		.level = LEVEL_NONE,
		.source = src->path,
		.line = fr->number,
		.time = time,
	};
	uint64_t ticket = input_register(src, fr->end_offset);
	p->st->read++;
	if (fr->truncated) {
		p->st->truncated++;
		errlog_add(ERR_INPUT, "%s: a line longer than --max-line-bytes was cut to %zu bytes",
			   src->path, fr->len);
	}
	if (p->chain && script_chain_run(p->chain, &r) == SCRIPT_DROP) {
		p->st->dropped++;
		input_settled(src, ticket);
		return;
	}
	p->st->kept++;
	if (!p->q) {
		encode_body(&p->out, &r);
		buf_putc(&p->out, '\n');
		if (p->out.len >= OUT_FLUSH)
			pipeline_flush(p);
		input_settled(src, ticket);
		return;
	}
	buf_clear(&p->body);
	encode_body(&p->body, &r);
	struct qentry e = {
		.body = xstrndup(p->body.data, p->body.len),
		.len = p->body.len,
		.level = r.level,
		.source = src->path,
		.line = fr->number,
		.src = src,
		.ticket = ticket,
	};
	queue_push(p->q, &e);
	p->st->queued = p->q->n;
}
