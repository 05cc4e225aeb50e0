/* framer.h - cuts a byte stream into lines.
 *
 * Pull-based, so that the caller can stop taking lines when the pipeline
 * downstream is full and resume later without losing its place:
 *
 *     framer_feed(f, chunk, n);             // chunk must stay valid...
 *     while (framer_next(f, &fr)) use(fr);  // ...until framer_next returns 0
 *
 * Lines end at LF; a CR before the LF (or ending the input) is removed.
 * Empty lines are skipped (they still count as line numbers). A line
 * longer than max_line bytes (counting a CR before its LF) is cut there, at
 * a UTF-8 character boundary, and the rest of it up to the next LF is
 * dropped; the frame says so. At end of input framer_finish() turns a last
 * line without a newline into a line. */
#ifndef LOGMASH_FRAMER_H
#define LOGMASH_FRAMER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct frame {
	const char *line;    /* valid until the next framer call */
	size_t len;
	uint64_t number;     /* 1-based physical line number */
	uint64_t end_offset; /* stream offset just past this line's newline */
	size_t full_len;     /* length before the cut; == len unless truncated */
	int truncated;
	int stream;          /* a container's stream (enum container_stream), or -1 */
};

struct framer {
	size_t max_line;
	const char *data; /* the chunk being framed (caller's memory) */
	size_t len, pos;
	struct buf partial; /* a line split across chunks */
	size_t partial_full; /* its length before any cut */
	int discarding;      /* partial is full: drop bytes up to the next LF */
	int partial_done;    /* partial was handed out; clear it on the next call */
	int flush_now;       /* hand the partial out without its newline */
	int same_line;       /* the next line continues a flushed partial */
	int eof;
	uint64_t line_no;
	uint64_t empty;  /* empty lines skipped (not records); the caller may reset it */
	uint64_t offset; /* stream offset of data[pos] */
};

void framer_init(struct framer *f, size_t max_line);
void framer_free(struct framer *f);

/* Gives the framer the next chunk. Only call when framer_next returned 0. */
void framer_feed(struct framer *f, const char *data, size_t len);

/* Marks the end of input: a pending partial line becomes the last line. */
void framer_finish(struct framer *f);

/* Hands a pending partial line out now, without its newline (a writer that
 * went quiet mid-line). Its rest, when it comes, keeps the same line number. */
void framer_flush(struct framer *f);

/* Whether bytes of an unfinished line are held. */
static inline int framer_holding(const struct framer *f)
{
	return (f->partial.len || f->discarding) && !f->partial_done;
}

/* Starts over at stream offset offset (a truncated file, a reopened one):
 * forgets the chunk and any held partial line, keeps the line count. */
void framer_restart(struct framer *f, uint64_t offset);

/* Stores the next line in *out and returns 1, or returns 0 when the chunk
 * is used up (feed more) or, after framer_finish, when input is done. */
int framer_next(struct framer *f, struct frame *out);

#endif
