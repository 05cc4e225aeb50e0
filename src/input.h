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

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "framer.h"
#include "script.h"
#include "stats.h"

/* One input of the config: its paths and the rules for what they hold
 * (the config's `inputs` entries; a plain path is one with every rule
 * left to the global settings). The input stage reads the paths and the
 * reading rules; the pipeline its items and its own script chain. */
struct input_spec {
	char *name;                 /* NULL: its first path */
	char **paths;               /* paths, globs, "-" */
	size_t n_paths;
	/* Or the systemd journal (journal.h), its paths none. */
	int journal;
	char *journal_directory;    /* NULL: this host's system journal */
	char **journal_matches;     /* FIELD=VALUE, as journalctl's */
	size_t n_journal_matches;
	char *format;               /* "lines", "cri", "docker"; NULL: the global */
	char *multiline;            /* a preset (multiline.h); NULL: the global */
	char *multiline_start;      /* POSIX extended regexes; NULL: none */
	char *multiline_continues;
	long multiline_max_lines;   /* 0: the global */
	double multiline_timeout;   /* < 0: the global */
	char *encoding;             /* NULL: the global */
	int from_start;             /* -1: the global */
	double close_inactive;      /* < 0: the global */
	double rotate_wait;         /* < 0: the global */
	char **item_keys, **item_vals; /* static items every log of it starts with */
	size_t n_items;
	struct script_spec *scripts; /* its own chain, run before the global one */
	size_t n_scripts;
};

/* The name the operator sees for spec: its name, or its first path. */
const char *input_spec_name(const struct input_spec *spec);

/* (input_spec.c) A spec with every rule left to the global settings. */
void input_spec_init(struct input_spec *spec);
void input_spec_add_path(struct input_spec *spec, const char *path);
void input_spec_add_item(struct input_spec *spec, const char *key, const char *val);
void input_spec_add_journal_match(struct input_spec *spec, const char *match);
void input_spec_free(struct input_spec *spec);
/* A deep copy of src into dst. */
void input_spec_copy(struct input_spec *dst, const struct input_spec *src);
/* Whether two lists of specs say the same. */
int input_specs_same(const struct input_spec *a, size_t na, const struct input_spec *b, size_t nb);

struct input_opts {
	const struct input_spec *specs; /* kept, not copied */
	size_t n;
	size_t max_line;
	int follow;
	int from_start;     /* files first seen at start: from their start, not end */
	double rotate_wait;
	double close_inactive;
	double flush_partial;
	/* The reading rules of every input that sets none of its own. */
	const char *format;          /* NULL: lines */
	const char *multiline;       /* a preset, or NULL */
	const char *multiline_start; /* POSIX extended regex, or NULL */
	const char *encoding;        /* NULL: UTF-8 */
	double multiline_timeout;
	size_t multiline_max_lines;
	const char *state_dir; /* NULL: no spool, no rotation recovery */
	const char *checkpoints; /* the checkpoint table's file; NULL: STATE_DIR/checkpoints, or none */
	int save_state;        /* 0 in --dry-run: read checkpoints, never write */
	uint64_t spool_max_bytes; /* stdin through STATE_DIR/spool (with a state dir) */
	/* Called before each save of the checkpoints: what must be on disk
	 * before a checkpoint moves past a log (the templates). */
	void (*before_save)(void);
};

/* Opaque: input_internal.h has them, for input*.c only. */
struct input;
struct source;

/* A journal source's entry being read (its level, fields and the items
 * it gives), valid until the next input_next; NULL for other sources. */
struct journal_entry;
const struct journal_entry *input_source_journal(const struct source *s);

enum input_status { INPUT_LINE, INPUT_WAIT, INPUT_END };

/* Whether o's inputs' rules can be built (a format, a preset, a regex, an
 * encoding): 0, or -1 with the reason in err, naming the input. */
int input_check_rules(const struct input_opts *o, struct buf *err);

/* The reading rules of o's input i into r (multiline_free(&r->ml) frees
 * it): for `logmash check`. 0, or -1 with the reason in err. */
struct decoder_rule;
int input_decoder_rule(const struct input_opts *o, size_t i, struct decoder_rule *r,
		       struct buf *err);

/* Opens every input. Returns NULL with the reason in err on a usage error
 * (a bad regex, an unusable state directory). Unreadable inputs are
 * reported and counted, not fatal. */
struct input *input_open(const struct input_opts *o, struct stats *st, struct buf *err);

/* Whether every record read and not settled will be read again by the next
 * run: it came from a file whose checkpoint was just saved, or through the
 * spool. Saves the checkpoints. */
int input_unsent_kept(struct input *in);

/* What a first -F run skipped, joining files at their end ("following
 * app.log from its end: 500 lines (35 KiB) already there are not sent;
 * --from-start sends them"); nothing when it skipped nothing. */
void input_describe_skipped(const struct input *in, struct buf *out);

/* A reload: the inputs, the multi-line rule and the timers of o (the rest
 * of o is as at the start). A new path or glob is scanned as at the start;
 * a file no path or glob names now is let go once what was read of it is
 * sent (its checkpoint keeps the rest). A record being joined ends under
 * the old rule. Standard input stays as it was. 0, or -1 with the reason
 * in err and nothing changed (a bad regex). */
int input_reconfigure(struct input *in, const struct input_opts *o, struct buf *err);

/* Saves the checkpoints a last time, closes everything and frees in. */
void input_close(struct input *in);

/* A source's name in logs (log.source: its path, or "-" for stdin and its
 * spool) and the path it was found by, for messages. */
const char *source_name(const struct source *s);
const char *source_path(const struct source *s);

/* Which of the input_opts' specs s was found by (its index), or SIZE_MAX
 * when none names it now (a file a reload took out, read to its end). */
size_t input_source_spec(const struct source *s);

/* The name of the input s belongs to, or "" when none names it now. */
const char *input_source_input(const struct source *s);

/* What a container log's path names (its input reads cri or docker),
 * or NULL. */
struct container_meta;
const struct container_meta *input_source_meta(const struct source *s);

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
