/* spool.h - standard input, kept on disk until the API has it.
 *
 * With a state directory, what arrives on stdin is appended to segment
 * files in STATE_DIR/spool (whole lines, synced), and read back from there
 * like a followed file, but only up to what is synced: a line counts as read
 * only once it is on disk, so a crash or SIGKILL loses nothing that left
 * the pipe. Checkpoints track each segment like any file; a segment read to
 * its end, sealed, and settled is deleted. When the segments hold
 * --spool-max-bytes, stdin is not read: the writer waits. */
#ifndef LOGMASH_SPOOL_H
#define LOGMASH_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SPOOL_SEGMENT_BYTES (8u << 20)

struct spool {
	char *dir;
	int wfd;          /* the segment being written, or -1 */
	uint64_t wseq;    /* its number */
	uint64_t wsize;   /* bytes written to it */
	uint64_t synced;  /* of those, synced */
	int mid_line;     /* the last byte written ended no line: do not switch segments */
	struct buf tail;  /* bytes after the last newline read, not written yet */
	size_t max_line;
	uint64_t max_bytes;
	uint64_t bytes;   /* in segments not deleted yet */
	int64_t last_sync_ms;
	uint64_t *old;    /* segments found at start, oldest first */
	size_t n_old;
	int eof;          /* stdin ended: everything written and sealed */
	/* Read from stdin but not written (a full disk): written again each
	 * tick by spool_retry, and until then stdin is not read. */
	struct buf unwritten;
	int ending;       /* stdin ended: eof once unwritten is written */
};

/* Opens STATE_DIR/spool, finding segments an earlier run left. Returns 0,
 * or -1 with a message printed. */
int spool_open(struct spool *sp, const char *state_dir, uint64_t max_bytes, size_t max_line,
	       struct buf *err);
void spool_close(struct spool *sp);

/* Whether stdin must wait: the segments hold max_bytes, or bytes read
 * before could not be written yet. */
int spool_full(const struct spool *sp);

/* Appends what stdin gave (complete lines; the rest waits for its newline).
 * Returns 0, or -1 (reported). */
int spool_write(struct spool *sp, const char *data, size_t n);

/* stdin ended: the last line is written even without its newline. */
int spool_end(struct spool *sp);

/* Writes what could not be written before. Returns 0 when nothing is left
 * unwritten, -1 (reported) when the write failed again. */
int spool_retry(struct spool *sp);

/* Syncs what was written, at most every few ms unless force. */
void spool_sync(struct spool *sp, int force);

/* The number of the segment file called name (as spool_path names them):
 * 0, or -1 when name is not one. */
int spool_segment_seq(const char *name, uint64_t *seq);

/* The path of segment seq (into out). */
void spool_path(const struct spool *sp, uint64_t seq, struct buf *out);

/* A segment was read to its end and settled: delete it. */
void spool_drop(struct spool *sp, const char *path, uint64_t size);

#endif
