/* script_template.h - logmash.template(message) for scripts: one miner for
 * the whole process, shared by every chain and kept across reloads, so that
 * an id names the same kind of line whichever script asks. */
#ifndef LOGMASH_SCRIPT_TEMPLATE_H
#define LOGMASH_SCRIPT_TEMPLATE_H

#include <lua.h>

#include "template.h"

/* Pushes the logmash.template function. */
void script_template_push(lua_State *L);

/* The process's miner (made on first use), and its end at exit. */
struct template_miner *script_template_miner(void);
void script_template_free(void);

#endif
