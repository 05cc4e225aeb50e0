/* config.c - the Lua config file: run in a bounded state of its own, its
 * assignments applied as settings. Every mistake in it is reported in one
 * go, each with the line that set the key and, for a typo, the key it was
 * meant to be. */
#include <lauxlib.h>
#include <limits.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decoder.h"
#include "journal.h"
#include "luamem.h"
#include "nearest.h"
#include "options.h"
#include "settings.h"
#include "util.h"

/* The config's values are checked under lua_pcall (apply_key): a wrong one
 * raises a Lua error, which becomes one line of the report. */
static _Noreturn void config_error(lua_State *L, const char *key, const char *want)
{
	luaL_error(L, "'%s' must be %s", key, want);
	abort(); /* luaL_error does not return */
}

static const char *cfg_string(lua_State *L, const char *key)
{
	if (lua_type(L, -1) != LUA_TSTRING)
		config_error(L, key, "a string");
	return lua_tostring(L, -1);
}

static const char *cfg_scalar(lua_State *L, const char *key)
{
	if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
		config_error(L, key, "a number or a string");
	return lua_tostring(L, -1);
}

static int cfg_bool(lua_State *L, const char *key)
{
	if (!lua_isboolean(L, -1))
		config_error(L, key, "true or false");
	return lua_toboolean(L, -1);
}

#define SCRIPTS_WANT "a list like { {filter = \"a.lua\"}, {enrich = \"b.lua\"} }"

static void add_script(struct script_spec **list, size_t *n, enum script_kind k, const char *path)
{
	*list = xrealloc(*list, (*n + 1) * sizeof **list);
	(*list)[*n].kind = k;
	(*list)[*n].path = xstrdup(path);
	++*n;
}

/* One entry of a scripts list (on top of L's stack; named at in messages,
 * "scripts[2]"), appended to list; its mistakes appended to err, a line
 * each ("scripts[2]: unknown key 'enrch' (did you mean enrich?)"). */
static void script_entry(lua_State *L, const char *at, struct script_spec **list, size_t *n,
			 const char *file, struct buf *err)
{

	static const char *const kinds[] = {"filter", "enrich"};
	if (!lua_istable(L, -1)) {
		buf_printf(err, "%s%s: is a %s, not a table like {filter = \"a.lua\"}",
			   err->len ? "\n" : "", at, luaL_typename(L, -1));
		return;
	}
	int found = 0, bad = 0;
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
		int kind = k && !strcmp(k, "filter") ? 0 : k && !strcmp(k, "enrich") ? 1 : -1;
		if (kind < 0) {
			const char *near = k ? nearest_word(k, strlen(k), kinds, 2) : NULL;
			buf_printf(err, "%s%s: unknown key '%s'%s%s%s", err->len ? "\n" : "", at,
				   k ? k : luaL_typename(L, -2), near ? " (did you mean " : "",
				   near ? near : " (an entry is {filter = FILE} or {enrich = FILE})",
				   near ? "?)" : "");
			bad = 1;
		} else if (lua_type(L, -1) != LUA_TSTRING) {
			buf_printf(err, "%s%s: %s must be a file name, not a %s", err->len ? "\n" : "",
				   at, k, luaL_typename(L, -1));
			bad = 1;
		} else if (found++ == 0) {
			char *p = settings_path(file, lua_tostring(L, -1));
			add_script(list, n, kind == 0 ? SCRIPT_FILTER : SCRIPT_ENRICH, p);
			free(p);
		}
		lua_pop(L, 1);
	}
	if (found > 1)
		buf_printf(err, "%s%s: has both filter and enrich: give each its own entry",
			   err->len ? "\n" : "", at);
	else if (!found && !bad)
		buf_printf(err, "%s%s: names no script: give {filter = FILE} or {enrich = FILE}",
			   err->len ? "\n" : "", at);
}

/* A scripts list (on top of L's stack) appended to list; its mistakes in
 * err, each named after prefix ("scripts", "inputs[2].scripts"). */
static void scripts_list(lua_State *L, const char *prefix, struct script_spec **list, size_t *n,
			 const char *file, struct buf *err)
{
	if (!lua_istable(L, -1)) {
		buf_printf(err, "%s'%s' must be %s", err->len ? "\n" : "", prefix, SCRIPTS_WANT);
		return;
	}
	lua_Integer len = luaL_len(L, -1);
	for (lua_Integer i = 1; i <= len; i++) {
		char at[96];
		snprintf(at, sizeof at, "%s[%lld]", prefix, (long long)i);
		lua_geti(L, -1, i);
		script_entry(L, at, list, n, file, err);
		lua_pop(L, 1);
	}
}

static void scripts_from_table(lua_State *L, struct options *o, const char *file, struct buf *err)
{
	scripts_list(L, "scripts", &o->scripts, &o->n_scripts, file, err);
}

#define ERR(...) do { buf_printf(err, "%s", err->len ? "\n" : ""); buf_printf(err, __VA_ARGS__); } while (0)

/* A string value (on top of L's stack) into *out, or a mistake. */
static void in_string(lua_State *L, const char *at, const char *k, char **out, struct buf *err)
{
	if (lua_type(L, -1) != LUA_TSTRING) {
		ERR("%s: %s must be a string, not a %s", at, k, luaL_typename(L, -1));
		return;
	}
	free(*out);
	*out = xstrdup(lua_tostring(L, -1));
}

/* Seconds from 0 to a day (a number, or a string that is one). */
static void in_seconds(lua_State *L, const char *at, const char *k, double *out, struct buf *err)
{
	int isnum;
	lua_Number v = lua_tonumberx(L, -1, &isnum);
	if (!isnum || v < 0 || v > 86400)
		ERR("%s: %s must be seconds from 0 to 86400, not %s", at, k, luaL_tolstring(L, -1, NULL));
	else
		*out = (double)v;
}

/* path, relative to the config's folder, as one of sp's. */
static void add_path(struct input_spec *sp, const char *file, const char *path)
{
	char *p = settings_path(file, path);
	input_spec_add_path(sp, p);
	free(p);
}

/* paths = "p" or { "p", "q" }, each relative to the config's folder. */
static void in_paths(lua_State *L, const char *at, struct input_spec *sp, const char *file,
		     struct buf *err)
{
	if (lua_type(L, -1) == LUA_TSTRING) {
		add_path(sp, file, lua_tostring(L, -1));
		return;
	}
	lua_Integer n = lua_istable(L, -1) ? luaL_len(L, -1) : 0;
	if (!n) {
		ERR("%s: paths must be a path or glob, or a list of them", at);
		return;
	}
	for (lua_Integer i = 1; i <= n; i++) {
		if (lua_geti(L, -1, i) != LUA_TSTRING)
			ERR("%s: paths[%lld] must be a path or glob, not a %s", at, (long long)i,
			    luaL_typename(L, -1));
		else
			add_path(sp, file, lua_tostring(L, -1));
		lua_pop(L, 1);
	}
}

/* multiline = "java" or { start = RE | continues = RE, max_lines = N, timeout = S }. */
static void in_multiline(lua_State *L, const char *at, struct input_spec *sp, struct buf *err)
{
	if (lua_type(L, -1) == LUA_TSTRING) {
		const char *v = lua_tostring(L, -1);
		if (multiline_preset(v) == MULTILINE_NONE)
			ERR("%s: multiline is a preset (%s) or a table like { start = REGEX }, not '%s'",
			    at, multiline_presets, v);
		else
			in_string(L, at, "multiline", &sp->multiline, err);
		return;
	}
	if (!lua_istable(L, -1)) {
		ERR("%s: multiline is a preset (%s) or a table like { start = REGEX }", at,
		    multiline_presets);
		return;
	}
	static const char *const keys[] = {"preset", "start", "continues", "max_lines", "timeout"};
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		int top = lua_gettop(L);
		const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
		if (!strcmp(k, "preset")) {
			if (lua_type(L, -1) != LUA_TSTRING || multiline_preset(lua_tostring(L, -1)) == MULTILINE_NONE)
				ERR("%s: multiline.preset is one of %s", at, multiline_presets);
			else
				in_string(L, at, "multiline.preset", &sp->multiline, err);
		} else if (!strcmp(k, "start"))
			in_string(L, at, "multiline.start", &sp->multiline_start, err);
		else if (!strcmp(k, "continues"))
			in_string(L, at, "multiline.continues", &sp->multiline_continues, err);
		else if (!strcmp(k, "timeout"))
			in_seconds(L, at, "multiline.timeout", &sp->multiline_timeout, err);
		else if (!strcmp(k, "max_lines")) {
			lua_Integer v = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 0;
			if (v < 1 || v > 100000)
				ERR("%s: multiline.max_lines must be a whole number from 1 to 100000", at);
			else
				sp->multiline_max_lines = (long)v;
		} else {
			const char *near = nearest_word(k, strlen(k), keys, 5);
			ERR("%s: multiline: unknown key '%s'%s%s%s", at, k,
			    near ? " (did you mean " : " (the keys: preset, start, continues, max_lines, timeout)",
			    near ? near : "", near ? "?)" : "");
		}
		lua_settop(L, top - 1);
	}
	int rules = !!sp->multiline + !!sp->multiline_start + !!sp->multiline_continues;
	if (rules > 1)
		ERR("%s: multiline has more than one of preset, start and continues: give one", at);
	else if (!rules)
		ERR("%s: multiline names no rule: give preset = NAME, start = REGEX or "
		    "continues = REGEX", at);
}

/* items = { service = "shop", ... }: strings, numbers, booleans. */
static void in_items(lua_State *L, const char *at, struct input_spec *sp, struct buf *err)
{
	if (!lua_istable(L, -1)) {
		ERR("%s: items must be a table like { service = \"shop\" }", at);
		return;
	}
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		int t = lua_type(L, -1);
		if (lua_type(L, -2) != LUA_TSTRING)
			ERR("%s: items' keys must be names, not a %s", at, luaL_typename(L, -2));
		else if (t != LUA_TSTRING && t != LUA_TNUMBER && t != LUA_TBOOLEAN)
			ERR("%s: items.%s must be a string, number or boolean, not a %s", at,
			    lua_tostring(L, -2), luaL_typename(L, -1));
		else {
			lua_pushvalue(L, -1);
			const char *v = t == LUA_TBOOLEAN ? (lua_toboolean(L, -1) ? "true" : "false")
							  : lua_tostring(L, -1);
			input_spec_add_item(sp, lua_tostring(L, -3), v);
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
}

static const char *const input_keys[] = {"name", "paths", "journal", "format", "multiline",
					 "encoding", "scripts", "items", "from_start",
					 "close_inactive", "rotate_wait"};

/* journal = true, or { directory = "DIR", matches = { "FIELD=VALUE", ... } }. */
static void in_journal(lua_State *L, const char *at, struct input_spec *sp, const char *file,
		       struct buf *err)
{
	if (lua_isboolean(L, -1)) {
		sp->journal = lua_toboolean(L, -1);
		return;
	}
	if (!lua_istable(L, -1)) {
		ERR("%s: journal is true or a table like { matches = { \"_SYSTEMD_UNIT=shop.service\" } }",
		    at);
		return;
	}
	sp->journal = 1;
	static const char *const keys[] = {"directory", "matches"};
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		int top = lua_gettop(L);
		const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
		if (!strcmp(k, "directory")) {
			if (lua_type(L, -1) != LUA_TSTRING) {
				ERR("%s: journal.directory must be a folder's path", at);
			} else {
				free(sp->journal_directory);
				sp->journal_directory = settings_path(file, lua_tostring(L, -1));
			}
		} else if (!strcmp(k, "matches")) {
			lua_Integer n = lua_istable(L, -1) ? luaL_len(L, -1) : -1;
			if (n < 0)
				ERR("%s: journal.matches must be a list like { \"_SYSTEMD_UNIT=shop.service\" }", at);
			for (lua_Integer i = 1; i <= n; i++) {
				struct buf why = {0};
				if (lua_geti(L, -1, i) != LUA_TSTRING)
					ERR("%s: journal.matches[%lld] must be FIELD=VALUE, not a %s", at,
					    (long long)i, luaL_typename(L, -1));
				else if (journal_match_check(lua_tostring(L, -1), &why) != 0)
					ERR("%s: journal.matches[%lld]: %s", at, (long long)i, buf_cstr(&why));
				else
					input_spec_add_journal_match(sp, lua_tostring(L, -1));
				buf_free(&why);
				lua_pop(L, 1);
			}
		} else {
			const char *near = nearest_word(k, strlen(k), keys, 2);
			ERR("%s: journal: unknown key '%s'%s%s%s", at, *k ? k : luaL_typename(L, -2),
			    near ? " (did you mean " : " (the keys: directory, matches)",
			    near ? near : "", near ? "?)" : "");
		}
		lua_settop(L, top - 1);
	}
}

/* The path on top of L's stack, relative to the config's folder, as an
 * input with every rule left to the globals. */
static void path_input(lua_State *L, struct options *o, const char *file)
{
	add_path(options_add_spec(o), file, lua_tostring(L, -1));
}

/* One entry of inputs (on top of L's stack): a path, or a table. */
static void input_entry(lua_State *L, lua_Integer i, struct options *o, const char *file,
			struct buf *err)
{
	char at[48];
	snprintf(at, sizeof at, "inputs[%lld]", (long long)i);
	if (lua_type(L, -1) == LUA_TSTRING) {
		path_input(L, o, file);
		return;
	}
	if (!lua_istable(L, -1)) {
		ERR("%s: is a %s, not a path or a table like { paths = \"/var/log/app/*.log\" }", at,
		    luaL_typename(L, -1));
		return;
	}
	struct input_spec *sp = options_add_spec(o);
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		int top = lua_gettop(L);
		const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
		if (!strcmp(k, "name"))
			in_string(L, at, k, &sp->name, err);
		else if (!strcmp(k, "paths"))
			in_paths(L, at, sp, file, err);
		else if (!strcmp(k, "journal"))
			in_journal(L, at, sp, file, err);
		else if (!strcmp(k, "format")) {
			enum input_format f;
			if (lua_type(L, -1) != LUA_TSTRING || decoder_format_parse(lua_tostring(L, -1), &f))
				ERR("%s: format is \"lines\", \"cri\" or \"docker\", not %s", at,
				    luaL_tolstring(L, -1, NULL));
			else
				in_string(L, at, k, &sp->format, err);
		} else if (!strcmp(k, "multiline"))
			in_multiline(L, at, sp, err);
		else if (!strcmp(k, "encoding")) {
			char why[512];
			if (lua_type(L, -1) == LUA_TSTRING &&
			    transcode_check(lua_tostring(L, -1), why, sizeof why) != 0)
				ERR("%s: %s", at, why);
			else
				in_string(L, at, k, &sp->encoding, err);
		} else if (!strcmp(k, "scripts")) {
			char prefix[64];
			snprintf(prefix, sizeof prefix, "%s.scripts", at);
			scripts_list(L, prefix, &sp->scripts, &sp->n_scripts, file, err);
		} else if (!strcmp(k, "items"))
			in_items(L, at, sp, err);
		else if (!strcmp(k, "from_start")) {
			if (!lua_isboolean(L, -1))
				ERR("%s: from_start must be true or false", at);
			else
				sp->from_start = lua_toboolean(L, -1);
		} else if (!strcmp(k, "close_inactive"))
			in_seconds(L, at, k, &sp->close_inactive, err);
		else if (!strcmp(k, "rotate_wait"))
			in_seconds(L, at, k, &sp->rotate_wait, err);
		else {
			const char *near = nearest_word(k, strlen(k), input_keys,
							sizeof input_keys / sizeof *input_keys);
			ERR("%s: unknown key '%s'%s%s%s", at, *k ? k : luaL_typename(L, -2),
			    near ? " (did you mean " : " (an input's keys: name, paths, journal, format, "
			    "multiline, encoding, scripts, items, from_start, close_inactive, rotate_wait)",
			    near ? near : "", near ? "?)" : "");
		}
		lua_settop(L, top - 1); /* the value, and luaL_tolstring's strings */
	}
	if (sp->journal && sp->n_paths)
		ERR("%s: reads the journal and paths: give each its own input", at);
	else if (sp->journal && (sp->format || sp->multiline || sp->multiline_start ||
				 sp->multiline_continues || sp->encoding))
		ERR("%s: a journal input's entries are whole logs in UTF-8: format, multiline and "
		    "encoding are for files", at);
	else if (!sp->n_paths && !sp->journal)
		ERR("%s: names no paths: give paths = \"/var/log/app/*.log\" (or a list), or "
		    "journal = true", at);
}

/* inputs = "path" or a list of paths and tables; mistakes in err. */
static void cfg_inputs(lua_State *L, struct options *o, const char *file, struct buf *err)
{
	if (lua_type(L, -1) == LUA_TSTRING) {
		path_input(L, o, file);
		return;
	}
	if (!lua_istable(L, -1)) {
		ERR("'inputs' must be a path or a list of paths and tables like "
		    "{ paths = \"/var/log/app/*.log\", format = \"cri\" }");
		return;
	}
	lua_Integer n = luaL_len(L, -1);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_geti(L, -1, i);
		input_entry(L, i, o, file, err);
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

/* The file's global assignments land here (__newindex of its environment):
 * each key's first line is kept in the table that is upvalue 1. */
static int record_line(lua_State *L)
{
	lua_Debug ar;
	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar) && ar.currentline > 0) {
		lua_pushvalue(L, 2);
		if (lua_rawget(L, lua_upvalueindex(1)) == LUA_TNIL) {
			lua_pushvalue(L, 2);
			lua_pushinteger(L, ar.currentline);
			lua_rawset(L, lua_upvalueindex(1));
		}
		lua_pop(L, 1);
	}
	lua_rawset(L, 1);
	return 0;
}

/* Runs the config file in a fresh Lua state, within the bounds above; its
 * assignments land in the table at stack index 1, the line of each in the
 * table at 2. NULL with the reason in why. */
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
	lua_newtable(L); /* 1: the settings */
	lua_newtable(L); /* 2: their lines */
	lua_newtable(L); /* the settings' metatable */
	lua_pushvalue(L, 2);
	lua_pushcclosure(L, record_line, 1);
	lua_setfield(L, -2, "__newindex");
	/* What the file may read: the environment (a DaemonSet's node name). */
	lua_createtable(L, 0, 1);
	lua_createtable(L, 0, 1);
	luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
	lua_getfield(L, -1, "getenv");
	lua_remove(L, -2);
	lua_setfield(L, -2, "getenv");
	lua_setfield(L, -2, "os");
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, 1);
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

/* The keys a config file takes, for "did you mean". */
static const char *const *config_keys(size_t *n)
{
	static char names[64][48];
	static const char *keys[64 + 4];
	static size_t count;
	if (!count) {
		for (size_t i = 0; i < n_settings && count < 64; i++)
			if (settings[i].kind != K_CLI) {
				setting_key(&settings[i], names[count], sizeof names[count]);
				keys[count] = names[count];
				count++;
			}
		keys[count++] = "token_file";
		keys[count++] = "inputs";
		keys[count++] = "scripts";
		keys[count++] = "template_masks";
	}
	*n = count;
	return keys;
}

/* template_masks = { "REGEX", ... }: the command line's replace them. */
static void cfg_template_masks(lua_State *L, struct options *o)
{
	if (!lua_istable(L, 3))
		luaL_error(L, "'template_masks' must be a list of regexes like { \"req-[0-9a-f]+\" }, "
			   "not a %s", luaL_typename(L, 3));
	if (o->template_masks_from_cli)
		return;
	options_clear_template_masks(o);
	lua_Integer n = luaL_len(L, 3);
	for (lua_Integer i = 1; i <= n; i++) {
		if (lua_geti(L, 3, i) != LUA_TSTRING)
			luaL_error(L, "template_masks[%d]: must be a regex (a string), not a %s", (int)i,
				   luaL_typename(L, -1));
		options_add_template_mask(o, lua_tostring(L, -1));
		lua_pop(L, 1);
	}
}

/* Under lua_pcall: applies the setting key (index 2) = value (3) to the
 * options at index 1 (light userdata), the file's name at 4. A mistake
 * raises an error; a list of them (scripts) is returned as a string. */
static int apply_key(lua_State *L)
{
	struct options *o = lua_touserdata(L, 1);
	const char *k = lua_tostring(L, 2);
	const char *file = lua_tostring(L, 4);
	lua_settop(L, 3);
	char why[512];
	const struct setting *st = setting_for_key(k);
	int bad = 0;
	if (st)
		o->cfg_given |= (uint64_t)1 << (st - settings);
	if (st && st->kind == K_FLAG)
		*(int *)(void *)((char *)o + st->off) = cfg_bool(L, k);
	else if (st && (st->kind == K_STRING || st->kind == K_PATH))
		bad = setting_apply(o, st, cfg_string(L, k), file, why, sizeof why);
	else if (st)
		bad = setting_apply(o, st, cfg_scalar(L, k), file, why, sizeof why);
	else if (!strcmp(k, "token_file")) {
		char *p = settings_path(file, cfg_string(L, k));
		free(o->token_file);
		o->token_file = p;
	} else if (!strcmp(k, "token"))
		return luaL_error(L, "a token does not belong in the config file; put it in a file "
				  "of its own (mode 600) and set token_file, or set CODEMASH_TOKEN");
	else if (!strcmp(k, "scripts")) {
		struct buf err = {0};
		scripts_from_table(L, o, file, &err);
		int wrong = err.len > 0;
		if (wrong)
			lua_pushstring(L, buf_cstr(&err));
		buf_free(&err);
		return wrong;
	} else if (!strcmp(k, "template_masks")) {
		cfg_template_masks(L, o);
	} else if (!strcmp(k, "inputs")) {
		struct buf err = {0};
		cfg_inputs(L, o, file, &err);
		int wrong = err.len > 0;
		if (wrong)
			lua_pushstring(L, buf_cstr(&err));
		buf_free(&err);
		return wrong;
	} else {
		size_t nk;
		const char *const *keys = config_keys(&nk);
		const char *near = nearest_word(k, strlen(k), keys, nk);
		if (near)
			return luaL_error(L, "unknown setting '%s' (did you mean %s?)", k, near);
		return luaL_error(L, "unknown setting '%s' (the keys: man logmash, CONFIG FILE; "
				  "logmash example-config lists them)", k);
	}
	if (bad)
		return luaL_error(L, "%s", why);
	return 0;
}

struct key_line {
	char *key;
	lua_Integer line;
};

static int by_line(const void *a, const void *b)
{
	const struct key_line *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* "FILE:LINE: " before each of the lines of msg, into out; *count counts
 * them. A line about a list's entry ("scripts[2]: ...") gets the entry's
 * line, from entries (n of them). */
static void report(struct buf *out, size_t *count, const char *file, lua_Integer line,
		   const char *msg, const lua_Integer *entries, size_t n)
{
	while (*msg) {
		size_t len = strcspn(msg, "\n");
		long long idx;
		lua_Integer at = line;
		if ((sscanf(msg, "scripts[%lld]", &idx) == 1 || sscanf(msg, "inputs[%lld]", &idx) == 1) &&
		    idx >= 1 && (size_t)idx <= n)
			at = entries[idx - 1];
		buf_puts(out, "\n  ");
		++*count;
		if (at > 0)
			buf_printf(out, "%s:%lld: %.*s", file, (long long)at, (int)len, msg);
		else
			buf_printf(out, "%s: %.*s", file, (int)len, msg);
		msg += len + (msg[len] == '\n');
	}
}

/* ---- where in the file: Lua gives the line an assignment ends on; the
 * operator wants the one it starts on, and a list entry's own. ---- */

#define TEXT_MAX ((size_t)1 << 20) /* a config file longer than this is not scanned */

static char *read_text(const char *file)
{
	FILE *f = fopen(file, "r");
	if (!f)
		return NULL;
	char *text = xmalloc(TEXT_MAX + 1);
	size_t len = fread(text, 1, TEXT_MAX, f);
	text[len] = '\0';
	fclose(f);
	return text;
}

/* Past a string or a comment at p (both end at the line's end at the
 * latest), else p. */
static const char *skip_literal(const char *p)
{
	if (p[0] == '-' && p[1] == '-')
		return p + strcspn(p, "\n");
	if (*p != '"' && *p != '\'')
		return p;
	char q = *p++;
	while (*p && *p != q && *p != '\n')
		p += p[0] == '\\' && p[1] ? 2 : 1;
	return *p == q ? p + 1 : p;
}

/* The line the top-level assignment to key starts on, or 0. */
static lua_Integer line_of_key(const char *text, const char *key)
{
	size_t kl = strlen(key);
	lua_Integer line = 1;
	for (const char *p = text; *p; line++) {
		const char *s = p + strspn(p, " \t");
		if (!strncmp(s, key, kl)) {
			const char *e = s + kl + strspn(s + kl, " \t");
			if (*e == '=' && e[1] != '=')
				return line;
		}
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return 0;
}

/* The lines where the entries of the table assigned at line start:
 * lines[i] for entry i + 1, up to max; returns how many were found. */
static size_t entry_lines(const char *text, lua_Integer line, lua_Integer *lines, size_t max)
{
	const char *p = text;
	for (lua_Integer l = 1; l < line && p; l++)
		if ((p = strchr(p, '\n')))
			p++;
	if (!p)
		return 0;
	lua_Integer at = line;
	while (*p && *p != '{')
		at += *p++ == '\n';
	if (!*p)
		return 0;
	size_t n = 0;
	int depth = 1, expecting = 1;
	for (p++; *p && depth > 0;) {
		const char *q = skip_literal(p);
		int starts = 0;
		if (q != p) { /* a string starts an entry; a comment does not */
			starts = *p != '-' && depth == 1;
		} else {
			char ch = *q++;
			if (ch == '\n')
				at++;
			else if (ch == '}' || ch == ')' || ch == ']')
				depth--;
			else if (depth == 1 && (ch == ',' || ch == ';'))
				expecting = 1;
			else if (ch != ' ' && ch != '\t' && ch != '\r')
				starts = 1;
			if (ch == '{' || ch == '(' || ch == '[')
				depth++;
			if (depth != 1 + (ch == '{' || ch == '(' || ch == '['))
				starts = 0;
		}
		if (starts && expecting) {
			if (n < max)
				lines[n] = at;
			n++;
			expecting = 0;
		}
		p = q;
	}
	return n < max ? n : max;
}

int options_load_config(struct options *o, const char *file, char *why, size_t n)
{
	struct config_run r = {0};
	lua_State *L = run_config(file, &r, why, n);
	if (!L)
		return -1;
	/* The keys in the order the file sets them, so that the report reads
	 * as the file does. */
	struct key_line *keys = NULL;
	size_t nkeys = 0, bad_keys = 0;
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING) {
			bad_keys++;
			continue;
		}
		keys = xrealloc(keys, (nkeys + 1) * sizeof *keys);
		lua_pushvalue(L, -1);
		lua_rawget(L, 2);
		keys[nkeys].line = lua_tointeger(L, -1);
		lua_pop(L, 1);
		keys[nkeys++].key = xstrdup(lua_tostring(L, -1));
	}
	char *text = read_text(file);
	for (size_t i = 0; text && i < nkeys; i++) {
		lua_Integer start = line_of_key(text, keys[i].key);
		if (start > 0 && start <= keys[i].line)
			keys[i].line = start;
	}
	if (nkeys)
		qsort(keys, nkeys, sizeof *keys, by_line);
	struct buf errs = {0};
	size_t count = 0;
	if (bad_keys)
		report(&errs, &count, file, 0, "settings are names, not numbers or tables", NULL, 0);
	for (size_t i = 0; i < nkeys; i++) {
		lua_getfield(L, 1, keys[i].key);
		int is_function = lua_isfunction(L, -1); /* a helper the file defined for itself */
		if (!is_function) {
			lua_pushcfunction(L, apply_key);
			lua_pushlightuserdata(L, o);
			lua_pushstring(L, keys[i].key);
			lua_pushvalue(L, -4);
			lua_pushstring(L, file);
			int rc = lua_pcall(L, 4, 1, 0);
			if (rc != LUA_OK || lua_type(L, -1) == LUA_TSTRING) {
				const char *msg = lua_tostring(L, -1);
				lua_Integer entries[64] = {0};
				size_t ne = text && (!strcmp(keys[i].key, "scripts") ||
						     !strcmp(keys[i].key, "inputs"))
						    ? entry_lines(text, keys[i].line, entries, 64) : 0;
				report(&errs, &count, file, keys[i].line,
				       msg ? msg : "(error object is not a string)", entries, ne);
			}
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
		free(keys[i].key);
	}
	free(keys);
	free(text);
	lua_close(L);
	int failed = count > 0;
	if (count == 1) /* the line alone, without its indent */
		snprintf(why, n, "%s", buf_cstr(&errs) + 3);
	else if (count)
		snprintf(why, n, "%zu mistakes in %s:%s", count, file, buf_cstr(&errs));
	buf_free(&errs);
	return failed ? -1 : 0;
}
