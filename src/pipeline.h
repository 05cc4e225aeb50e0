/* pipeline.h - one record's way from the input to the send queue:
 * record with its input's items -> its input's own chain -> the global
 * chain -> encoder -> queue (or stdout with --dry-run). */
#ifndef LOGMASH_PIPELINE_H
#define LOGMASH_PIPELINE_H

#include "buf.h"
#include "json.h"
#include "framer.h"
#include "input.h"
#include "queue.h"
#include "script.h"
#include "stats.h"

/* The items a record starts with: its container's stream and names (from
 * the path, kubelet's way) or its journal entry's unit, identifier, pid
 * and host, then its input's static items, which win where
 * they name the same key. The strings are the callers'. */
struct pipeline_items {
	struct item *v;
	size_t n, cap;
};

struct container_meta;
struct journal_entry;
/* Fills it for a record of stream (a container's, or -1) read by the
 * input sp (NULL: none) from a file whose path says m (NULL: nothing), or
 * from the journal entry je (NULL: none). */
void pipeline_start_items(struct pipeline_items *it, const struct input_spec *sp,
			  const struct container_meta *m, int stream,
			  const struct journal_entry *je);

/* The chains a log may run through; a reload replaces them together. */
struct pipeline_chains {
	struct script_chain *all;    /* every input's logs, after their own; NULL: none */
	struct script_chain **input; /* input i's own chain, or NULL (n of them) */
	size_t n;
};

void pipeline_chains_free(struct pipeline_chains *c);

struct pipeline {
	const struct pipeline_chains *ch;
	const struct input_spec *specs; /* the inputs (their items), n_specs of them */
	size_t n_specs;
	struct pipeline_items items; /* what a record starts with */
	struct stats *st;
	struct queue *q;            /* NULL: --dry-run, bodies go to stdout */
	struct buf body;
	struct buf out;             /* --dry-run output not yet written */
	int out_failed;             /* stdout could not be written */
	int replay;                 /* records are dead-letter lines: send their bodies */
	struct json_doc doc;
};

void pipeline_init(struct pipeline *p, const struct pipeline_chains *ch, struct stats *st,
		   struct queue *q);
void pipeline_free(struct pipeline *p);

/* Runs one record read from src at time. With a queue, the caller checks
 * queue_full first. */
void pipeline_process(struct pipeline *p, const struct frame *fr, double time, struct source *src);

/* Writes --dry-run output still buffered. Returns 0, or -1 on a write error. */
int pipeline_flush(struct pipeline *p);

#endif
