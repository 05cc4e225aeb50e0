/* input.h - the inputs: standard input, files and globs, read to their end
 * or followed as they grow and rotate, cut into lines and records.
 *
 * Data model. Each input spec (a path, a glob, or "-") yields sources; a
 * source is one open file (one inode), or stdin. A followed path whose file
 * is renamed or replaced gets a new source for the new file, while the old
 * source is read to its end (ROTATED) and let go after --rotate-wait
 * seconds without growth. A source is freed only when every record read
 * from it has settled, so the checkpoint of each file - device, inode, head
 * fingerprint and the offset past the last settled record - never moves
 * past a log that could still be lost.
 *
 * Reading never blocks: regular files are read when an event or a timer
 * says they may have grown; pipes and terminals when poll says so. In
 * follow mode, sources take turns (64 records a turn), so one busy file does
 * not starve the others. */
#ifndef LOGMASH_INPUT_H
#define LOGMASH_INPUT_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "acks.h"
#include "checkpoint.h"
#include "fileid.h"
#include "framer.h"
#include "joiner.h"
#include "spool.h"
#include "stats.h"
#include "watch.h"

struct input_opts {
	char *const *paths; /* paths, globs, "-": kept, not copied */
	size_t n;
	size_t max_line;
	int follow;
	int from_start;     /* files first seen at start: from their start, not end */
	double rotate_wait;
	double close_inactive;
	double flush_partial;
	const char *multiline_start; /* POSIX extended regex, or NULL */
	double multiline_timeout;
	size_t multiline_max_lines;
	const char *state_dir; /* NULL: no spool, no rotation recovery */
	const char *checkpoints; /* the checkpoint table's file; NULL: STATE_DIR/checkpoints, or none */
	int save_state;        /* 0 in --dry-run: read checkpoints, never write */
	uint64_t spool_max_bytes; /* stdin through STATE_DIR/spool (with a state dir) */
};

enum source_state { SRC_ACTIVE, SRC_ROTATED, SRC_DONE };

struct input;

struct source {
	struct input *in;
	char *path;          /* where it was found; "-" is stdin */
	const char *name;    /* log.source: the path, or "-" for stdin and its spool */
	int to_spool;        /* stdin with a state dir: its bytes go to the spool */
	int segment;         /* a spool segment being read back */
	uint64_t seq;        /* its number */
	char *key;           /* folder/name as inotify reports it: the map's key */
	char *real;          /* the file a symlink path pointed to, or NULL */
	int fd;              /* -1: closed (inactive, or done) */
	int is_file;         /* a regular file: identity, checkpoints, rotation */
	enum source_state state;
	struct fileid id;
	uint64_t read_off;   /* the next byte to read */
	struct framer fr;
	struct joiner jn;
	struct acks acks;
	char *chunk;         /* the chunk the framer works through, or NULL */
	double read_time;
	int64_t last_growth_ms, last_check_ms, rotated_ms;
	struct timespec seen_mtime; /* at the last identity check that hashed */
	uint64_t seen_size;
	int readable;        /* worth a read() now */
	int check;           /* an event says: is the path still this file? */
	int at_eof;
	int flush_joiner;
	int finishing;       /* no more bytes will come: drain, then DONE */
	struct source *next_in_bucket;
	struct source *next_by_ino;
	int in_ino_map;
	uint64_t n_sent, n_dropped, n_failed; /* the operator's view, per source */
};

struct input {
	struct input_opts o;
	struct stats *st;
	struct source **src;
	size_t n, cap;
	size_t cur, quota;
	struct watch w;
	regex_t re;
	int has_re;
	int files;              /* some spec names files (not only stdin) */
	char *cp_file;          /* the checkpoint table, or NULL: no checkpoints */
	struct cp_table cp;     /* checkpoints of files not followed now */
	int cp_dirty;
	int save_failed;        /* the last checkpoint save failed */
	int ran_before;         /* the state directory has a table: not a first run */
	int rescan;
	size_t n_special;       /* sources read under another name: rotated, symlinked */
	int64_t next_tick_ms, next_scan_ms, next_save_ms;
	struct source **buckets; /* path -> active source */
	struct source **by_ino;  /* (dev, inode) -> file being read */
	size_t free_hint;        /* no free slot in src below this */
	char *spare;            /* one free read chunk */
	char **waiting;         /* plain paths reported missing once */
	size_t n_waiting;
	/* Files found while no descriptor was free, sorted by path: opened as
	 * descriptors come free (a file read to its end, an idle one closed). */
	struct deferred {
		char *path;
		int at_start, named;
	} *deferred;
	size_t n_deferred;
	int fds_freed;          /* a source let go of its descriptor */
	int told_fd_limit;
	struct spool sp;
	int spooling;           /* stdin goes through the spool */
	struct source *reader;  /* the spool segment being read back, or NULL */
	struct source *feeder;  /* stdin writing into the spool, or NULL */
	uint64_t next_seg;      /* the segment to read back after the old ones */
};

enum input_status { INPUT_LINE, INPUT_WAIT, INPUT_END };

/* Opens every input. Returns 0, or -1 (a bad regex, an unusable state
 * directory: a usage error, already reported). Unreadable inputs are
 * reported and counted, not fatal. */
int input_open(struct input *in, const struct input_opts *o, struct stats *st);

/* Whether every record read and not settled will be read again by the next
 * run: it came from a file whose checkpoint was just saved, or through the
 * spool. Saves the checkpoints. */
int input_unsent_kept(struct input *in);

/* Saves the checkpoints a last time and closes everything. */
void input_close(struct input *in);

/* The next record: INPUT_LINE with *fr, *time and *src set (valid until
 * the next call); INPUT_WAIT when nothing is ready; INPUT_END when every
 * input is done (never while following files). */
enum input_status input_next(struct input *in, struct frame *fr, double *time,
			     struct source **src);

/* Descriptors to poll for POLLIN (inotify, waiting pipes); returns how many. */
size_t input_poll_fds(const struct input *in, int *fds, size_t max);

/* How long the loop may sleep before input_tick is due, in ms; 0 when a
 * source can be read now. */
long input_timeout_ms(const struct input *in);

/* Takes in events and runs the timers: rotation, inactivity, partial
 * lines, multi-line records, rescans, checkpoint saves. */
void input_tick(struct input *in);

struct source_view;

/* Describes up to max sources into out (files being read, then paths
 * waiting to appear), setting *filled, and the bytes of stdin waiting in
 * the spool into *spooled. Returns how many sources there are in all. */
size_t input_view(const struct input *in, struct source_view *out, size_t max, size_t *filled,
		  uint64_t *spooled);

/* A record read from s at time (wall clock) ending at end_offset enters
 * the pipeline: its ticket. */
uint64_t input_register(struct source *s, uint64_t end_offset, double time);

enum settled { SETTLED_SENT, SETTLED_DROPPED, SETTLED_FAILED };

/* The record's fate is final: acknowledged, dropped by a script, or given
 * up on (dead-lettered, or not a record); counted per source. */
void input_settled(struct source *s, uint64_t ticket, enum settled how);

#endif
