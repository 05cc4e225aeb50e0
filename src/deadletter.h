/* deadletter.h - logs the API will never take, kept for a human.
 *
 * One JSON object a line, appended and synced before the log counts as
 * settled (its checkpoint then moves past it, so the file is the only copy):
 *
 *   {"time":"2026-11-26T10:00:00Z","status":400,"error":"ValidationError: ...",
 *    "answer":"<the API's answer>","source":"/var/log/app.log","line":12,
 *    "body":{"message":...}}
 *
 * `logmash --replay FILE` sends the bodies again.
 *
 * Bounded: a record that would take the file past max_bytes first rotates
 * it (FILE -> FILE.1 -> ... -> FILE.KEEP). The file that falls off the end
 * holds dead letters nobody replayed: its records are counted and the
 * deletion reported, never silent. A rotation that fails is reported and
 * the file grows on (a dead letter is never dropped to keep a bound). */
#ifndef LOGMASH_DEADLETTER_H
#define LOGMASH_DEADLETTER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct deadletter {
	int fd; /* -1: no file, dead letters are counted and reported only */
	char *path;
	uint64_t size;       /* of the file being written */
	uint64_t max_bytes;  /* 0: unbounded */
	int keep;            /* rotated files kept */
	uint64_t deleted;    /* records in rotated files deleted */
};

/* Opens path for appending (created mode 600), rotating past max_bytes
 * (0: never) and keeping `keep` rotated files. Returns 0, or -1 with a
 * message printed. A NULL path opens nothing. */
int deadletter_open(struct deadletter *d, const char *path, uint64_t max_bytes, int keep,
		    struct buf *err);
void deadletter_close(struct deadletter *d);

/* Whether d (or NULL) keeps dead letters in a file; otherwise they are
 * counted and reported only. */
static inline int deadletter_enabled(const struct deadletter *d)
{
	return d && d->fd >= 0;
}

/* A reload's limits: from the next write on. */
void deadletter_set_limits(struct deadletter *d, uint64_t max_bytes, int keep);

/* Appends one record and syncs it. Returns 0, or -1 (errno set). */
int deadletter_write(struct deadletter *d, const char *body, size_t body_len, long status,
		     const char *error, const char *answer, size_t answer_len,
		     const char *source, uint64_t line);

#endif
