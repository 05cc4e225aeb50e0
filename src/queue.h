/* queue.h - the bounded FIFO of encoded logs between the pipeline and the
 * sender. Bounded in entries and bytes: when it is full, reading stops. */
#ifndef LOGMASH_QUEUE_H
#define LOGMASH_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "level.h"

struct qentry {
	char *body; /* the JSON request body, owned by the entry */
	size_t len;
	enum level level;
	const char *source; /* for error messages: the input's name */
	uint64_t line;
	struct source *src; /* where it was read: told when it settles */
	uint64_t ticket;
};

struct queue {
	struct qentry *ring;
	size_t cap, head, n;
	size_t bytes, max_bytes;
};

void queue_init(struct queue *q, size_t max_entries, size_t max_bytes);
/* Frees the queue and the bodies still in it. */
void queue_free(struct queue *q);

static inline int queue_full(const struct queue *q)
{
	return q->n == q->cap || q->bytes >= q->max_bytes;
}

/* Takes ownership of e->body. The caller checks queue_full first. */
void queue_push(struct queue *q, const struct qentry *e);
/* The oldest entry, or 0 when empty. Ownership passes to the caller. */
int queue_pop(struct queue *q, struct qentry *e);

#endif
