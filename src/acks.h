/* acks.h - how far a source's checkpoint may move.
 *
 * Every record read from a source is registered with the offset just past
 * its last line and gets a ticket. Records settle out of order (64 requests
 * are in flight at once); the committed offset moves only over an unbroken
 * run of settled records, so a restart from it repeats what was in flight
 * and loses nothing. Settled means acknowledged by the API, given up on and
 * reported, or dropped by a script. */
#ifndef LOGMASH_ACKS_H
#define LOGMASH_ACKS_H

#include <stddef.h>
#include <stdint.h>

struct acks {
	uint64_t *end;   /* ring: end offset of each outstanding record */
	uint8_t *done;
	double *at;      /* when each was read (wall clock): the lag */
	size_t cap, head, n;
	uint64_t next;   /* the ticket of the next record added */
	uint64_t committed;
};

/* Starts empty, committed at offset (where reading starts). */
void acks_init(struct acks *a, uint64_t offset);
void acks_free(struct acks *a);

/* Registers a record ending at end_offset, read at time at; returns its
 * ticket. */
uint64_t acks_add(struct acks *a, uint64_t end_offset, double at);

/* Settles ticket (once). Unknown or repeated tickets are ignored. */
void acks_settle(struct acks *a, uint64_t ticket);

/* Records registered and not yet covered by the committed offset. */
static inline size_t acks_pending(const struct acks *a)
{
	return a->n;
}

/* When the oldest record not yet settled was read, or 0 when none is. */
static inline double acks_oldest(const struct acks *a)
{
	return a->n ? a->at[a->head] : 0;
}

/* Moves the committed offset when nothing is outstanding (a truncated
 * file starts again at 0). */
void acks_restart(struct acks *a, uint64_t offset);

#endif
