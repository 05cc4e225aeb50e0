/* script_template.h - logmash.template(message) for scripts: one miner for
 * the whole process, shared by every chain and kept across reloads, so that
 * an id names the same kind of line whichever script asks. With a state
 * directory its groups are kept in STATE_DIR/templates, so that ids also
 * survive a restart. */
#ifndef LOGMASH_SCRIPT_TEMPLATE_H
#define LOGMASH_SCRIPT_TEMPLATE_H

#include <lua.h>
#include <stddef.h>

#include "buf.h"
#include "template.h"

struct script_template_opts {
	size_t max;                 /* groups; 0: TEMPLATE_MAX_DEFAULT */
	char *const *masks;         /* extra PCRE2 masks */
	size_t n_masks;
	const char *state_dir;      /* NULL: nothing kept */
	int save;                   /* 0: read the file, never write it (--dry-run) */
};

/* Makes the process's miner and loads what the state directory kept.
 * -1 with the reason in err for a mask that does not compile (named by its
 * place in template_masks); a file that cannot be read is reported
 * (errlog) and the miner starts with what it could read. */
int script_template_setup(const struct script_template_opts *o, struct buf *err);

/* Pushes the logmash.template function. */
void script_template_push(lua_State *L);

/* The process's miner (made with the defaults on first use, when
 * script_template_setup was not called), and its end at exit. */
struct template_miner *script_template_miner(void);
void script_template_free(void);

/* Around each log's run through the chains: its template's kept and
 * dropped counts are what the chains did with it. */
void script_template_log_start(void);
void script_template_verdict(int kept);

/* Writes the groups to the state directory if they changed since the last
 * save: call it before the checkpoints are saved, so that a log whose
 * checkpoint moved past it has its template kept. */
void script_template_save(void);

#endif
