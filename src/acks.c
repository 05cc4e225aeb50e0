/* acks.c - the settled prefix of a source's records. */
#include "acks.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

void acks_init(struct acks *a, uint64_t offset)
{
	memset(a, 0, sizeof *a);
	a->committed = offset;
}

void acks_free(struct acks *a)
{
	free(a->end);
	free(a->done);
	free(a->at);
	memset(a, 0, sizeof *a);
}

static void grow(struct acks *a)
{
	size_t cap = a->cap ? a->cap * 2 : 64;
	uint64_t *end = xmalloc(cap * sizeof *end);
	uint8_t *done = xmalloc(cap);
	double *at = xmalloc(cap * sizeof *at);
	for (size_t i = 0; i < a->n; i++) {
		end[i] = a->end[(a->head + i) % a->cap];
		done[i] = a->done[(a->head + i) % a->cap];
		at[i] = a->at[(a->head + i) % a->cap];
	}
	free(a->end);
	free(a->done);
	free(a->at);
	a->end = end;
	a->done = done;
	a->at = at;
	a->cap = cap;
	a->head = 0;
}

uint64_t acks_add(struct acks *a, uint64_t end_offset, double at)
{
	if (a->n == a->cap)
		grow(a);
	size_t i = (a->head + a->n) % a->cap;
	a->end[i] = end_offset;
	a->done[i] = 0;
	a->at[i] = at;
	a->n++;
	return a->next++;
}

void acks_settle(struct acks *a, uint64_t ticket)
{
	uint64_t first = a->next - a->n; /* ticket of the ring's head */
	if (ticket < first || ticket >= a->next)
		return;
	a->done[(a->head + (size_t)(ticket - first)) % a->cap] = 1;
	while (a->n && a->done[a->head]) {
		a->committed = a->end[a->head];
		a->head = (a->head + 1) % a->cap;
		a->n--;
	}
}

void acks_restart(struct acks *a, uint64_t offset)
{
	if (a->n == 0)
		a->committed = offset;
}
