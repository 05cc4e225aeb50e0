/* queue.c - bounded FIFO of request bodies. */
#include "queue.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

void queue_init(struct queue *q, size_t max_entries, size_t max_bytes)
{
	memset(q, 0, sizeof *q);
	q->cap = max_entries ? max_entries : 1;
	q->ring = xcalloc(q->cap, sizeof *q->ring);
	q->max_bytes = max_bytes;
}

void queue_free(struct queue *q)
{
	struct qentry e;
	while (queue_pop(q, &e))
		free(e.body);
	free(q->ring);
	memset(q, 0, sizeof *q);
}

void queue_push(struct queue *q, const struct qentry *e)
{
	if (q->n == q->cap)
		abort(); /* a caller that ignores queue_full is a bug */
	q->ring[(q->head + q->n) % q->cap] = *e;
	q->n++;
	q->bytes += e->len;
}

int queue_pop(struct queue *q, struct qentry *e)
{
	if (q->n == 0)
		return 0;
	*e = q->ring[q->head];
	q->head = (q->head + 1) % q->cap;
	q->n--;
	q->bytes -= e->len;
	return 1;
}
