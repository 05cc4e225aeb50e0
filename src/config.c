/* config.c - the Lua config file: run in a bounded state of its own, its
 * assignments applied as settings. */
#include <lauxlib.h>
#include <limits.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luamem.h"
#include "options.h"
#include "settings.h"
#include "util.h"

/* The config's values are checked under lua_pcall (apply_config): a wrong
 * one raises a Lua error that options_load_config returns. */
static _Noreturn void config_error(lua_State *L, const char *file, const char *key,
				   const char *want)
{
	luaL_error(L, "%s: '%s' must be %s", file, key, want);
	abort(); /* luaL_error does not return */
}

static const char *cfg_string(lua_State *L, const char *file, const char *key)
{
	if (lua_type(L, -1) != LUA_TSTRING)
		config_error(L, file, key, "a string");
	return lua_tostring(L, -1);
}

static const char *cfg_scalar(lua_State *L, const char *file, const char *key)
{
	if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
		config_error(L, file, key, "a number or a string");
	return lua_tostring(L, -1);
}

static int cfg_bool(lua_State *L, const char *file, const char *key)
{
	if (!lua_isboolean(L, -1))
		config_error(L, file, key, "true or false");
	return lua_toboolean(L, -1);
}

#define SCRIPTS_WANT "a list like { {filter = \"a.lua\"}, {enrich = \"b.lua\"} }"

/* The chain in the config's scripts value (on top of L's stack), appended to
 * o; -1 if it has the wrong shape (o then holds part of it). */
static int scripts_from_table(lua_State *L, struct options *o, const char *file)
{
	if (!lua_istable(L, -1))
		return -1;
	lua_Integer n = luaL_len(L, -1);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_geti(L, -1, i);
		if (!lua_istable(L, -1))
			return -1;
		int found = 0;
		static const char *kinds[] = {"filter", "enrich"};
		for (int k = 0; k < 2; k++) {
			lua_getfield(L, -1, kinds[k]);
			if (lua_type(L, -1) == LUA_TSTRING) {
				char *p = settings_path(file, lua_tostring(L, -1));
				options_add_script(o, k == 0 ? SCRIPT_FILTER : SCRIPT_ENRICH, p);
				free(p);
				found++;
			} else if (!lua_isnil(L, -1)) {
				return -1;
			}
			lua_pop(L, 1);
		}
		if (found != 1)
			return -1;
		lua_pop(L, 1);
	}
	return 0;
}

static void cfg_scripts(lua_State *L, struct options *o, const char *file)
{
	if (scripts_from_table(L, o, file) != 0)
		config_error(L, file, "scripts", SCRIPTS_WANT);
}

static void cfg_inputs(lua_State *L, struct options *o, const char *file)
{
	if (lua_type(L, -1) == LUA_TSTRING) {
		char *p = settings_path(file, lua_tostring(L, -1));
		options_add_input(o, p);
		free(p);
		return;
	}
	if (!lua_istable(L, -1))
		config_error(L, file, "inputs", "a path or a list of paths");
	lua_Integer n = luaL_len(L, -1);
	for (lua_Integer i = 1; i <= n; i++) {
		if (lua_geti(L, -1, i) != LUA_TSTRING)
			config_error(L, file, "inputs", "a path or a list of paths");
		char *p = settings_path(file, lua_tostring(L, -1));
		options_add_input(o, p);
		free(p);
		lua_pop(L, 1);
	}
}

/* A config file is settings written in Lua. Its chunk sees only the table
 * its assignments land in, so no library is within its reach (string
 * methods work, through the strings' metatable); it runs within
 * CONFIG_MEMORY bytes and CONFIG_BUDGET instructions, so that a mistaken
 * one fails at start rather than hanging. */
#define CONFIG_MEMORY ((size_t)64 << 20)
#define CONFIG_BUDGET 10000000
#define CONFIG_HOOK_STEP 10000

struct config_run {
	struct luamem mem;
	long counted;
};

static void config_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	struct config_run *r = *(struct config_run **)lua_getextraspace(L);
	r->counted += CONFIG_HOOK_STEP;
	if (r->counted >= CONFIG_BUDGET)
		luaL_error(L, "it runs too long (over %d Lua instructions): a config file only "
			   "sets values", CONFIG_BUDGET);
}

/* Runs the config file in a fresh Lua state, within the bounds above; its
 * assignments land in the table at stack index 1. NULL with the reason in
 * why. */
static lua_State *run_config(const char *file, struct config_run *r, char *why, size_t n)
{
	r->mem.limit = CONFIG_MEMORY;
	lua_State *L = lua_newstate(luamem_alloc, &r->mem);
	if (!L) {
		snprintf(why, n, "out of memory reading %s", file);
		return NULL;
	}
	*(struct config_run **)lua_getextraspace(L) = r;
	lua_sethook(L, config_hook, LUA_MASKCOUNT, CONFIG_HOOK_STEP);
	luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 0);
	lua_pop(L, 1);
	lua_newtable(L);
	if (luaL_loadfilex(L, file, "t") != LUA_OK) {
		snprintf(why, n, "cannot load config: %s", lua_tostring(L, -1));
		lua_close(L);
		return NULL;
	}
	lua_pushvalue(L, 1);
	lua_setupvalue(L, -2, 1);
	if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
		snprintf(why, n, "config error: %s", luaL_tolstring(L, -1, NULL));
		lua_close(L);
		return NULL;
	}
	/* The file has run: what its callers do next is logmash's, and must
	 * not meet the file's bounds outside lua_pcall. */
	lua_sethook(L, NULL, 0, 0);
	r->mem.limit = SIZE_MAX;
	return L;
}

/* Under lua_pcall: applies the settings in the table at index 2 to the
 * options at index 1 (light userdata), the file's name at 3. */
static int apply_config(lua_State *L)
{
	struct options *o = lua_touserdata(L, 1);
	const char *file = lua_tostring(L, 3);
	const int env = 2;
	char why[512];
	lua_pushnil(L);
	while (lua_next(L, env)) {
		if (lua_type(L, -2) != LUA_TSTRING)
			return luaL_error(L, "%s: settings are names, not %s", file,
					  luaL_typename(L, -2));
		const char *k = lua_tostring(L, -2);
		if (lua_isfunction(L, -1)) {
			lua_pop(L, 1); /* helper functions the file defined for itself */
			continue;
		}
		const struct setting *st = setting_for_key(k);
		int bad = 0;
		if (st)
			o->cfg_given |= (uint64_t)1 << (st - settings);
		if (st && st->kind == K_FLAG)
			*(int *)(void *)((char *)o + st->off) = cfg_bool(L, file, k);
		else if (st && (st->kind == K_STRING || st->kind == K_PATH))
			bad = setting_apply(o, st, cfg_string(L, file, k), file, why, sizeof why);
		else if (st)
			bad = setting_apply(o, st, cfg_scalar(L, file, k), file, why, sizeof why);
		else if (!strcmp(k, "token_file")) {
			char *p = settings_path(file, cfg_string(L, file, k));
			free(o->token_file);
			o->token_file = p;
		} else if (!strcmp(k, "token"))
			return luaL_error(L, "%s: a token does not belong in the config file; put it "
					  "in a file of its own (mode 600) and set token_file, or set "
					  "CODEMASH_TOKEN", file);
		else if (!strcmp(k, "scripts"))
			cfg_scripts(L, o, file);
		else if (!strcmp(k, "inputs"))
			cfg_inputs(L, o, file);
		else
			return luaL_error(L, "%s: unknown setting '%s' (the keys: man logmash, "
					  "CONFIG FILE)", file, k);
		if (bad)
			return luaL_error(L, "%s: %s", file, why);
		lua_pop(L, 1);
	}
	return 0;
}

int options_load_config(struct options *o, const char *file, char *why, size_t n)
{
	struct config_run r = {0};
	lua_State *L = run_config(file, &r, why, n);
	if (!L)
		return -1;
	lua_pushcfunction(L, apply_config);
	lua_pushlightuserdata(L, o);
	lua_pushvalue(L, 1);
	lua_pushstring(L, file);
	int rc = lua_pcall(L, 3, 0, 0);
	if (rc != LUA_OK)
		snprintf(why, n, "%s", lua_tostring(L, -1));
	lua_close(L);
	return rc == LUA_OK ? 0 : -1;
}
