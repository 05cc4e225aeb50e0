/* script.h - the operator's chain of Lua filter and enrich scripts.
 *
 * One Lua state runs the whole chain; each script gets its own global
 * environment (reading through to the standard library), so two scripts may
 * both define filter() and keep their own state across logs.
 *
 * Per log, each script in order gets the `log` table (the same table,
 * refilled for every log), which refuses any field a log does not have and
 * writes to its read-only ones. A script that raises an error (that one
 * included), answers what no filter or enrich script answers (a filter must
 * return true or false), or leaves the log in a shape the API would reject
 * (a level that is not one, an item that is a table), fails for that log
 * only: the log goes on exactly as it entered that script, and on_error is
 * told. */
#ifndef LOGMASH_SCRIPT_H
#define LOGMASH_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "record.h"
#include "volume.h"

/* SCRIPT_AUTO: whichever of filter() and enrich() the script defines. */
enum script_kind { SCRIPT_FILTER, SCRIPT_ENRICH, SCRIPT_AUTO };

struct script_spec {
	enum script_kind kind;
	const char *path;
};

struct script_opts {
	const struct script_spec *specs;
	size_t n;
	size_t memory_limit; /* bytes the Lua state may hold (more than 0) */
	int unsafe;          /* lift the sandbox */
	long budget;         /* instructions a call may run once past ~1 ms; 0: no limit */
	size_t volume_keys_max; /* keys each script's volume helpers keep; 0: the default */
	/* Called for each failed script call; msg names the script, failed_on
	 * the log ("SOURCE line N: EXCERPT", the message as it entered). */
	void (*on_error)(void *ctx, const char *msg, const char *failed_on);
	/* Called for each logmash.log(...) a script makes. */
	void (*on_log)(void *ctx, const char *script, const char *msg);
	void *ctx;
};

enum script_verdict { SCRIPT_KEEP, SCRIPT_DROP };

/* What one script of the chain did, for the summary, the dashboard and
 * `logmash check`. */
struct script_stat {
	const char *path;
	enum script_kind kind;  /* as loaded: never SCRIPT_AUTO */
	uint64_t calls, dropped, errors;
	char last_error[256];   /* the latest failure: file, line, message */
	char excerpt[96];       /* the message it failed on, as it entered */
	uint64_t excerpt_line;  /* and that log's line number */
};

struct script_chain;

/* Loads and initialises every script (calling init() where defined).
 * Returns NULL with a message naming file and line in err on failure. */
struct script_chain *script_chain_load(const struct script_opts *o, struct buf *err);

/* Runs r through the chain. On SCRIPT_KEEP, r's message, level and items
 * are replaced by the chain's result; those strings belong to the Lua state
 * and stay valid until the next call. r's source, line and time are read. */
enum script_verdict script_chain_run(struct script_chain *c, struct record *r);

void script_chain_free(struct script_chain *c);

/* How many scripts the chain has, and what the i-th (in order) did. */
size_t script_chain_len(const struct script_chain *c);
const struct script_stat *script_chain_stat(const struct script_chain *c, size_t i);

/* What the i-th script's logmash.throttle, .sample and .dedupe answered
 * and hold (all 0 when it calls none). */
void script_chain_volume(const struct script_chain *c, size_t i, struct volume_totals *t);

/* After script_chain_run returned SCRIPT_DROP: the script that dropped it. */
const char *script_chain_dropped_by(const struct script_chain *c);

const char *script_kind_name(enum script_kind k);

/* Whether two chains' lists name the same scripts, in the same order. */
int script_specs_same(const struct script_spec *a, size_t na, const struct script_spec *b,
		      size_t nb);


#endif
