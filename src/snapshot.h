/* snapshot.h - a copy of everything the operator watches, taken on the
 * loop's thread and handed to the dashboard's thread.
 *
 * The pipeline never waits for the dashboard: the loop fills a snapshot a
 * few times a second and publishes it (a copy under a mutex held for that
 * copy only); the dashboard takes the latest whenever it draws. Nothing in
 * a snapshot points back into the pipeline. */
#ifndef LOGMASH_SNAPSHOT_H
#define LOGMASH_SNAPSHOT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "errlog.h"
#include "sender_state.h"
#include "stats.h"
#include "template.h"

#define SNAP_SOURCES 512 /* sources listed; more are counted */
#define SNAP_SCRIPTS 16
#define SNAP_PATH 160
#define SNAP_TEMPLATES 20 /* the templates listed, each way */
#define SNAP_TEMPLATE_TEXT 240
#define SNAP_SENDING_SECONDS 2.0 /* acknowledged this lately: still "sending" */

/* A source as the operator sees it (source_state_name). */
enum source_view_state { SOURCE_READING, SOURCE_FOLLOWING, SOURCE_ROTATED, SOURCE_WAITING, SOURCE_CLOSED,
		    SOURCE_NO_FD, SOURCE_NO_MATCH, N_SOURCE_STATES };
extern const char *const source_state_name[N_SOURCE_STATES];

#define SNAP_INPUT SNAP_PATH /* a name, or by default the first path */

struct source_view {
	char path[SNAP_PATH];
	char input[SNAP_INPUT]; /* the input it belongs to (its name) */
	uint64_t pos;    /* bytes read */
	uint64_t size;   /* the file's size now (0 when not a file) */
	uint64_t lines;  /* lines read */
	uint64_t sent, dropped, errors; /* its logs acknowledged, dropped, given up on */
	double oldest_unsent; /* when its oldest log not yet settled was read; 0: none */
	enum source_view_state state;
};

struct script_view {
	char path[SNAP_PATH];
	char input[SNAP_INPUT];  /* the input whose own chain it is; "": the global chain */
	const char *kind; /* "filter" or "enrich" */
	uint64_t calls, dropped, errors;
	uint64_t volume_kept, volume_dropped; /* its throttle, sample and dedupe answers */
};

/* A kind of line (template.h) as the operator sees it. */
struct template_view {
	char id[TEMPLATE_ID_LEN + 1];
	char text[SNAP_TEMPLATE_TEXT];
	char example[TEMPLATE_EXAMPLE + 1];
	uint64_t total, kept, dropped;
	double rate, last_seen;
};

/* The most frequent templates now (by_rate) and ever (by_total), most
 * first, and the miner's totals. */
struct template_top {
	struct template_totals totals;
	size_t n_rate, n_total;
	struct template_view by_rate[SNAP_TEMPLATES];
	struct template_view by_total[SNAP_TEMPLATES];
};

struct snapshot {
	double taken, started;  /* wall clock */
	struct stats st;
	struct sender_state send; /* all 0 in a dry run */
	int stopping;           /* draining after q or SIGTERM */
	int finished;           /* a one-shot run is over: its last screen, until q */
	int dry_run;
	int insecure;           /* TLS is not verified: said in the header */
	char endpoint[256];
	char project[96];
	size_t n_scripts;
	struct script_view scripts[SNAP_SCRIPTS];
	size_t n_sources, sources_total;
	struct source_view sources[SNAP_SOURCES];
	struct template_top templates;
	uint64_t spooled;       /* bytes of stdin in the spool, not yet sent */
	size_t n_errors;        /* newest first */
	struct errlog_entry errors[ERRLOG_KEEP];
	size_t n_notes;         /* logmash.log messages, newest first */
	struct errlog_entry notes[ERRLOG_KEEP];
	char attached[256];     /* `logmash top`: to what, or why not now; "" locally */
};

/* Bytes of v's file not read yet. */
static inline uint64_t source_behind(const struct source_view *v)
{
	return v->size > v->pos ? v->size - v->pos : 0;
}

/* Seconds v's oldest log not yet settled has waited at s's time (0: none). */
static inline double source_lag(const struct snapshot *s, const struct source_view *v)
{
	return v->oldest_unsent > 0 && s->taken > v->oldest_unsent ? s->taken - v->oldest_unsent : 0;
}

/* The one place a snapshot passes between threads. */
struct snapshot_box {
	pthread_mutex_t mu;
	struct snapshot s;
	uint64_t version;       /* bumped by each publish */
};

int snapshot_box_init(struct snapshot_box *b);
void snapshot_box_free(struct snapshot_box *b);
void snapshot_publish(struct snapshot_box *b, const struct snapshot *s);
/* Copies the latest into out; returns its version (0: none yet). */
uint64_t snapshot_read(struct snapshot_box *b, struct snapshot *out);

/* The machine's state, for the header, the status line, health and
 * metrics; run_state_name has it in a word ("backing off"). */
enum run_state { RUN_SENDING, RUN_IDLE, RUN_BACKING_OFF, RUN_PAUSED, RUN_AUTH_FAILED,
		 RUN_WRONG_URL, RUN_UNRESOLVED, RUN_DRAINING, RUN_DRY_RUN, RUN_FINISHED, N_RUN_STATES };
extern const char *const run_state_name[N_RUN_STATES];

enum run_state snapshot_state(const struct snapshot *s);

/* The state as the operator reads it: its name, with the host for
 * RUN_UNRESOLVED ("cannot resolve api.example.com"). */
const char *snapshot_state_text(const struct snapshot *s, char *out, size_t n);

#endif
