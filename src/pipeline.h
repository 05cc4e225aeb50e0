/* pipeline.h - one line's way from the framer to the send queue:
 * record -> script chain -> encoder -> queue (or stdout with --dry-run). */
#ifndef LOGMASH_PIPELINE_H
#define LOGMASH_PIPELINE_H

#include "buf.h"
#include "json.h"
#include "framer.h"
#include "input.h"
#include "queue.h"
#include "script.h"
#include "stats.h"

struct pipeline {
	struct script_chain *chain; /* NULL: no scripts */
	struct stats *st;
	struct queue *q;            /* NULL: --dry-run, bodies go to stdout */
	struct buf body;
	struct buf out;             /* --dry-run output not yet written */
	int out_failed;             /* stdout could not be written */
	int replay;                 /* records are dead-letter lines: send their bodies */
	struct json_doc doc;
};

void pipeline_init(struct pipeline *p, struct script_chain *chain, struct stats *st,
		   struct queue *q);
void pipeline_free(struct pipeline *p);

/* Runs one record read from src at time. With a queue, the caller checks
 * queue_full first. */
void pipeline_process(struct pipeline *p, const struct frame *fr, double time, struct source *src);

/* Writes --dry-run output still buffered. Returns 0, or -1 on a write error. */
int pipeline_flush(struct pipeline *p);

#endif
