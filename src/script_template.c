/* script_template.c - logmash.template (see script_template.h). */
#include "script_template.h"

#include <lauxlib.h>

#include "util.h"

/* Scripts run on the pipeline's thread only: no lock. */
static struct template_miner *miner;

struct template_miner *script_template_miner(void)
{
	if (!miner)
		miner = template_miner_new(TEMPLATE_MAX_DEFAULT);
	return miner;
}

void script_template_free(void)
{
	template_miner_free(miner);
	miner = NULL;
}

/* logmash.template(message) -> id, template */
static int l_template(lua_State *L)
{
	size_t n;
	const char *msg = luaL_checklstring(L, 1, &n);
	const struct template_info *in = template_mine(script_template_miner(), msg, n, now_wall());
	lua_pushstring(L, in->id);
	lua_pushstring(L, in->text);
	return 2;
}

void script_template_push(lua_State *L)
{
	lua_pushcfunction(L, l_template);
}
