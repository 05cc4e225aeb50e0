/* errlog.h - the operator's view of what went wrong.
 *
 * Every error the pipeline meets (an HTTP answer, a network failure, a
 * script error, an unreadable input) is reported here once. Identical
 * reports are merged and counted, so a million repeats of one script error
 * cost a counter, not a million lines: stderr gets the first occurrence,
 * then a reminder with the count at most every ERRLOG_REPEAT_SECONDS, and
 * stderr hears of at most 20 reports a second whatever happens.
 * The latest distinct errors, and apart from them the scripts' logmash.log
 * messages, are kept in rings for the dashboard. */
#ifndef LOGMASH_ERRLOG_H
#define LOGMASH_ERRLOG_H

#include <stddef.h>
#include <stdint.h>

#define ERRLOG_KEEP 64
#define ERRLOG_TEXT 512
#define ERRLOG_REPEAT_SECONDS 10
#define ERRLOG_DETAIL 200

/* ERR_WARNING: what logmash warns of (a failed reload...); ERR_EVENT: what
 * went right that the operator should know (kept with the scripts'
 * logmash.log messages, not with the errors). */
/* What failed: the API (http, network, auth), a script, reading the inputs,
 * writing standard output (--dry-run), the dead-letter file, checkpoints,
 * the spool, the system (poll); warnings; events are not failures. */
enum errkind { ERR_HTTP, ERR_NETWORK, ERR_SCRIPT, ERR_INPUT, ERR_AUTH, ERR_SCRIPT_LOG, ERR_WARNING,
	       ERR_EVENT, ERR_OUTPUT, ERR_DEADLETTER, ERR_CHECKPOINT, ERR_SPOOL, ERR_SYSTEM };

struct errlog_entry {
	enum errkind kind;
	char text[ERRLOG_TEXT];
	char detail[ERRLOG_DETAIL]; /* what it failed on, the latest time (a script's log) */
	uint64_t count;
	double first, last; /* wall clock */
	double printed;     /* when stderr last heard of it */
	uint64_t printed_count;
	int unheard;        /* came while stderr was off (the dashboard had it) */
};

/* to_stderr: print reports as they come (headless). */
void errlog_init(int to_stderr);

void errlog_add(enum errkind kind, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The same, with what it failed on (a script error's log: "SOURCE line N:
 * EXCERPT"): kept with the entry, the latest one, for the dashboard. */
void errlog_add_detail(enum errkind kind, const char *detail, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reports go to stderr from now on (on), or only to the rings (off: the
 * dashboard shows them). */
void errlog_set_stderr(int on);

/* At exit: prints the repeat counts stderr has not heard yet, and the
 * latest reports it never heard of (the dashboard had them). */
void errlog_flush(void);

/* Copies the latest errors, or events and logmash.log messages, newest first;
 * returns how many (at most ERRLOG_KEEP). */
size_t errlog_copy_errors(struct errlog_entry *out, size_t max);
size_t errlog_copy_notes(struct errlog_entry *out, size_t max);

const char *errkind_name(enum errkind k);

#endif
