/* pipeline.c - line to request body. */
#include "pipeline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container.h"
#include "encoder.h"
#include "errlog.h"
#include "journal.h"
#include "script_template.h"
#include "util.h"

#define OUT_FLUSH ((size_t)64 * 1024)

void pipeline_chains_free(struct pipeline_chains *c)
{
	script_chain_free(c->all);
	for (size_t i = 0; i < c->n; i++)
		script_chain_free(c->input[i]);
	free(c->input);
	memset(c, 0, sizeof *c);
}

void pipeline_init(struct pipeline *p, const struct pipeline_chains *ch, struct stats *st,
		   struct queue *q)
{
	memset(p, 0, sizeof *p);
	p->ch = ch;
	p->st = st;
	p->q = q;
}

void pipeline_free(struct pipeline *p)
{
	buf_free(&p->body);
	buf_free(&p->out);
	json_doc_free(&p->doc);
	free(p->items.v);
}

/* Sets key to val in it (once a key). */
static void put_item(struct pipeline_items *it, const char *key, const char *val)
{
	size_t kl = strlen(key), i = 0;
	while (i < it->n && !(it->v[i].key_len == kl && !memcmp(it->v[i].key, key, kl)))
		i++;
	if (i == it->n) {
		if (i == it->cap) {
			it->cap = it->cap ? it->cap * 2 : 8;
			it->v = xrealloc(it->v, it->cap * sizeof *it->v);
		}
		it->n++;
	}
	it->v[i] = (struct item){key, kl, val, strlen(val)};
}

void pipeline_start_items(struct pipeline_items *it, const struct input_spec *sp,
			  const struct container_meta *m, int stream,
			  const struct journal_entry *je)
{
	/* The journal's names for what logmash calls them. */
	static const char *const journal_items[][2] = {
		{"unit", "_SYSTEMD_UNIT"}, {"identifier", "SYSLOG_IDENTIFIER"},
		{"pid", "_PID"}, {"host", "_HOSTNAME"},
	};
	it->n = 0;
	for (size_t i = 0; je && i < ARRAY_LEN(journal_items); i++) {
		const char *v = journal_entry_get(je, journal_items[i][1]);
		if (v)
			put_item(it, journal_items[i][0], v);
	}
	if (stream >= 0)
		put_item(it, "stream", container_stream_name((enum container_stream)stream));
	if (m) {
		put_item(it, "namespace", m->namespace_);
		put_item(it, "pod", m->pod);
		put_item(it, "container", m->container);
	}
	for (size_t i = 0; sp && i < sp->n_items; i++)
		put_item(it, sp->item_keys[i], sp->item_vals[i]);
}

/* A dead-letter record's "body": the request as it was sent (--replay).
 * Returns 0 with *body set, or -1. */
static int replay_body(struct pipeline *p, const struct frame *fr, struct record *r)
{
	if (json_parse(&p->doc, fr->line, fr->len, 1 << 20) != 0)
		return -1;
	int b = json_get(&p->doc, 0, "body");
	if (b < 0 || p->doc.tok[b].type != JSMN_OBJECT)
		return -1;
	int m = json_get(&p->doc, b, "message");
	if (m < 0 || p->doc.tok[m].type != JSMN_STRING)
		return -1;
	buf_clear(&p->body);
	buf_append(&p->body, fr->line + p->doc.tok[b].start,
		   (size_t)(p->doc.tok[b].end - p->doc.tok[b].start));
	int l = json_get(&p->doc, b, "level");
	r->level = l < 0 ? LEVEL_NONE
			 : level_parse(fr->line + p->doc.tok[l].start,
				       (size_t)(p->doc.tok[l].end - p->doc.tok[l].start));
	if (r->level == LEVEL_INVALID)
		r->level = LEVEL_NONE;
	return 0;
}

int pipeline_flush(struct pipeline *p)
{
	size_t off = 0;
	while (off < p->out.len && !p->out_failed) {
		ssize_t w = write(STDOUT_FILENO, p->out.data + off, p->out.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			errlog_add(ERR_OUTPUT, "cannot write to standard output: %s", strerror(errno));
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
		.source = source_name(src),
		.line = fr->number,
		.time = time,
	};
	uint64_t ticket = input_register(src, fr->end_offset, time);
	p->st->read++;
	if (p->replay) {
		if (replay_body(p, fr, &r) != 0) {
			errlog_add(ERR_INPUT, "%s:%llu: not a dead-letter record (no \"body\" object "
				   "with a message); skipped", source_path(src), (unsigned long long)fr->number);
			p->st->input_errors++;
			input_settled(src, ticket, SETTLED_FAILED);
			return;
		}
		p->st->kept++;
		if (!p->q) {
			buf_append(&p->out, p->body.data, p->body.len);
			buf_putc(&p->out, '\n');
			input_settled(src, ticket, SETTLED_SENT);
			return;
		}
		goto queue;
	}
	if (fr->truncated) {
		p->st->truncated++;
		errlog_add(ERR_INPUT, "%s: a line longer than --max-line-bytes was cut to %zu bytes",
			   source_path(src), fr->len);
	}
	size_t si = input_source_spec(src);
	const struct journal_entry *je = input_source_journal(src);
	pipeline_start_items(&p->items, si < p->n_specs ? &p->specs[si] : NULL,
			     input_source_meta(src), fr->stream, je);
	r.items = p->items.v;
	r.n_items = p->items.n;
	if (je) {
		r.level = je->level;
		r.fields = je->fields;
		r.n_fields = je->n_fields;
	}
	struct script_chain *own = si < p->ch->n ? p->ch->input[si] : NULL;
	script_template_log_start();
	int drop = (own && script_chain_run(own, &r) == SCRIPT_DROP) ||
		   (p->ch->all && script_chain_run(p->ch->all, &r) == SCRIPT_DROP);
	script_template_verdict(!drop);
	if (drop) {
		p->st->dropped++;
		input_settled(src, ticket, SETTLED_DROPPED);
		return;
	}
	p->st->kept++;
	if (!p->q) {
		encode_body(&p->out, &r);
		buf_putc(&p->out, '\n');
		if (p->out.len >= OUT_FLUSH)
			pipeline_flush(p);
		input_settled(src, ticket, SETTLED_SENT);
		return;
	}
	buf_clear(&p->body);
	encode_body(&p->body, &r);
queue:;
	struct qentry e = {
		.body = xstrndup(p->body.data, p->body.len),
		.len = p->body.len,
		.level = r.level,
		.source = source_name(src),
		.line = fr->number,
		.src = src,
		.ticket = ticket,
	};
	queue_push(p->q, &e);
	p->st->queued = p->q->n;
}
