/* input_internal.h - what input.c, input_sources.c, input_discovery.c,
 * input_spool.c and input_journal.c share; nothing else includes it. Each
 * function here carries the stage's prefix, input_, and the part it is
 * about (input_source_*, input_spool_*, input_chunk_*), so that a call
 * says which file holds it. */
#ifndef LOGMASH_INPUT_INTERNAL_H
#define LOGMASH_INPUT_INTERNAL_H

#include "input.h"

#include <sys/types.h>
#include <time.h>

#include "acks.h"
#include "checkpoint.h"
#include "container.h"
#include "decoder.h"
#include "fileid.h"
#include "framer.h"
#include "spool.h"
#include "watch.h"

#define CHUNK ((size_t)128 * 1024)
#define QUOTA 64              /* records a source gives (and the rest of its chunk) before the next one's turn */
#define TICK_MS 250           /* timers; polling where inotify cannot serve */
#define CHECK_MS 1000         /* a followed path's identity, at the least this often */
#define SCAN_MS 10000         /* globs again, even when inotify is quiet */
/* Checkpoints, when acknowledgements moved them: at once, then at most this
 * often. A crash repeats what was in flight and what was acknowledged since
 * the last save began (this interval, plus the save's two fsyncs: the file,
 * its folder); at most 10 saves a second however fast logs go (make bench,
 * stage crash, measures both). */
#define SAVE_MS 100
#define BUCKETS 4096

/* An input's rules, resolved against the global settings (input_rules.c). */
struct input_rule {
	const struct input_spec *spec;
	const char *name;
	struct decoder_rule dr;
	const char *ml_pattern;  /* the multi-line preset or regex, to compare */
	int from_start;
	double rotate_wait, close_inactive;
};

enum source_state { SRC_ACTIVE, SRC_ROTATED, SRC_DONE };

/* KIND_FILE: a regular file found by path (identity, checkpoints, rotation).
 * KIND_STREAM: stdin or a FIFO, read as it comes. KIND_SPOOLING: stdin with
 * a state dir, its bytes written to the spool. KIND_SEGMENT: a spool
 * segment read back (a file, but not a followed path). KIND_JOURNAL: the
 * systemd journal (input_journal.c), its position a cursor. */
enum source_kind { KIND_FILE, KIND_STREAM, KIND_SPOOLING, KIND_SEGMENT, KIND_JOURNAL };

struct source {
	struct input *in;
	char *path;          /* where it was found; "-" is stdin */
	const char *name;    /* log.source: the path, or "-" for stdin and its spool */
	enum source_kind kind;
	uint64_t seq;        /* its number */
	char *key;           /* folder/name as inotify reports it: the map's key */
	char *real;          /* the file a symlink path pointed to, or NULL */
	char *moved_to;      /* rotated: the file's name now (its folder, by inode), or NULL */
	int fd;              /* -1: closed (inactive, or done) */
	enum source_state state;
	struct fileid id;
	uint64_t read_off;   /* the next byte to read */
	struct input_rule *rule; /* the input it belongs to */
	struct framer fr;
	struct decoder dec;      /* by rule->dr, or by a retired rule while rule_changed */
	int rule_changed;        /* a reload changed the rule: applied once dec is flushed */
	int orphan;              /* no input names it now (a reload): read to its end as it was */
	uint64_t told_format, told_invalid; /* what was reported of its lines */
	struct container_meta *meta; /* what its path names, for container formats; or NULL */
	struct input_journal *journal; /* KIND_JOURNAL: its reader and cursors; else NULL */
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
	struct input_rule *rules; /* one an input spec */
	/* Rules a reload replaced while a record of theirs was being joined. */
	struct retired_rules {
		struct input_rule *rules;
		size_t n;
	} *retired;
	size_t n_retired;
	int files;              /* some spec names files (not only stdin) */
	char *cp_file;          /* the checkpoint table, or NULL: no checkpoints */
	struct cp_table cp;     /* checkpoints of files not followed now */
	int cp_dirty;
	int save_failed;        /* the last checkpoint save failed */
	int ran_before;         /* the state directory has a table: not a first run */
	/* What a first -F run skipped: files joined at their end. */
	size_t skipped_files;
	uint64_t skipped_bytes, skipped_lines;
	int skipped_lines_known; /* every skipped file was small enough to count */
	char *skipped_first;     /* the first such file's path */
	char *skipped_journal;   /* the first journal input a first -F run joined at its end */
	size_t n_journals;       /* journal sources opened (input_journal_add counts them) */
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

/* Read from a file on disk (its identity known, read on events and timers). */
static inline int is_file(const struct source *s)
{
	return s->kind == KIND_FILE || s->kind == KIND_SEGMENT;
}


/* input.c */
int input_stream_ready(int fd);

/* input_discovery.c */
int input_has_glob(const char *p);
void input_open_deferred(struct input *in);
int input_open_file(struct input *in, const char *path);
void input_recover_rotated(struct input *in);
void input_scan_all(struct input *in);
void input_scan_spec(struct input *in, const char *p, int at_start);

/* input_sources.c */
struct source *input_source_add(struct input *in, const char *path, int fd, enum source_kind kind,
				uint64_t offset);
/* Reads up to want bytes (at most CHUNK) of s into a chunk it takes
 * (s->chunk; input_chunk_put gives it back), again after EINTR: read(2)'s
 * result. */
ssize_t input_chunk_read(struct input *in, struct source *s, size_t want);
void input_chunk_put(struct input *in, struct source *s);
void input_source_close_fd(struct source *s);
char *input_dir_of(const char *path);
void input_source_finish(struct source *s);
void input_source_free(struct input *in, struct source *s);
size_t input_ino_bucket(uint64_t dev, uint64_t ino);
void input_ino_put(struct input *in, struct source *s);
/* "cannot WHAT PATH: strerror(err)", reported and counted. */
void input_error(struct input *in, const char *what, const char *path, int err);
char *input_key_of(const char *path);
struct source *input_map_get(const struct input *in, const char *key);
int input_path_names(const char *path, const struct fileid *id);
void input_source_release(struct input *in, size_t i);
void input_source_rotated(struct input *in, struct source *s);
void input_source_done(struct input *in, struct source *s);

/* input_rules.c */
struct input_rule *input_rules_build(const struct input_opts *o, struct buf *err);
void input_rules_free(struct input_rule *r, size_t n);
/* The rule of the first input whose paths name path, or NULL. */
struct input_rule *input_rule_for(const struct input *in, const char *path);
/* Whether two rules read a file the same way. */
int input_rule_same(const struct input_rule *a, const struct input_rule *b);
/* Frees the retired rules no source's decoder reads by now. */
void input_rules_retire(struct input *in);

/* input_journal.c: a journal input's source (spec: its index in o.specs).
 * 0, or -1 with the reason in err. */
int input_journal_add(struct input *in, size_t spec, struct buf *err);
void input_journal_free(struct source *s);
/* The next record of s, as source_next's. */
int input_journal_next(struct input *in, struct source *s, struct frame *out, double *time);
/* Its input's name, which keys its checkpoint. */
const char *input_journal_name(const struct source *s);
/* After a reload: each journal source follows the input of its name, or
 * ends; a new journal input starts. */
void input_journal_reconfigure(struct input *in);
/* The checkpoint: the cursor of the newest entry taken at (one in
 * CURSOR_EVERY, the last read) acknowledged without a gap, or NULL. */
const char *input_journal_cursor(struct source *s);
/* s's committed count moved: the cursors before it go. */
void input_journal_settled(struct source *s);
/* The descriptor to poll while following, or -1. */
int input_journal_fd(const struct source *s);
/* Takes in the journal's changes; on the timer (timer 1), tries a read. */
void input_journal_tick(struct source *s, int timer);
uint64_t input_journal_read(const struct source *s);

/* input_spool.c */
void input_spool_feed(struct input *in, struct source *s);
void input_spool_next_reader(struct input *in);
int input_spool_sealed(const struct input *in, const struct source *s);

#endif
