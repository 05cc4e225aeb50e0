/* sandbox.c - the sandbox around scripts and the `logmash` library
 * (sandbox.h). */
#include "sandbox.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "budget.h"
#include "level.h"
#include "luajson.h"
#include "script_parsers.h"
#include "script_regex.h"
#include "script_template.h"
#include "script_volume.h"
#include "util.h"

/* Calls the function this closure wraps (its upvalue 1) with the closure's
 * arguments, leaving nres results. */
static void call_wrapped(lua_State *L, int nres)
{
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, nres);
}

/* load() and loadfile() that refuse binary chunks: the mode argument, at
 * the index in upvalue 2, is forced to "t". */
static int text_only(lua_State *L)
{
	int mode_at = (int)lua_tointeger(L, lua_upvalueindex(2));
	if (lua_gettop(L) < mode_at)
		lua_settop(L, mode_at);
	lua_pushliteral(L, "t");
	lua_replace(L, mode_at);
	call_wrapped(L, LUA_MULTRET);
	return lua_gettop(L);
}

static void wrap_text_only(lua_State *L, const char *name, int mode_at)
{
	lua_getglobal(L, name);
	lua_pushinteger(L, mode_at);
	lua_pushcclosure(L, text_only, 2);
	lua_setglobal(L, name);
}

static int safe_dofile(lua_State *L)
{
	const char *fname = luaL_checkstring(L, 1);
	lua_settop(L, 1);
	if (luaL_loadfilex(L, fname, "t") != LUA_OK)
		return lua_error(L);
	lua_call(L, 0, LUA_MULTRET);
	return lua_gettop(L) - 1;
}

/* package.searchers[2] without binary chunks. */
static int text_searcher(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	lua_getglobal(L, "package");
	lua_getfield(L, -1, "searchpath");
	lua_pushstring(L, name);
	lua_getfield(L, -3, "path");
	lua_call(L, 2, 2);
	if (lua_isnil(L, -2))
		return 1; /* the message from searchpath */
	const char *file = lua_tostring(L, -2);
	if (luaL_loadfilex(L, file, "t") != LUA_OK)
		return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", name,
				  file, lua_tostring(L, -1));
	lua_pushstring(L, file);
	return 2;
}

/* pcall, xpcall, coroutine.resume (upvalue 1), except that a false first
 * result from a call that has spent its budget is raised again. The
 * continuation keeps them yieldable, as the originals are. */
static int after_protected(lua_State *L, int status, lua_KContext ctx)
{
	(void)status;
	(void)ctx;
	if (budget_spent(L) && lua_isboolean(L, 1) && !lua_toboolean(L, 1)) {
		lua_settop(L, 2);
		return lua_error(L);
	}
	return lua_gettop(L);
}

static int spent_rethrow(lua_State *L)
{
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, after_protected);
	return after_protected(L, LUA_OK, 0);
}

/* coroutine.create and coroutine.wrap (upvalue 1) with the count hook. */
static int counted_create(lua_State *L)
{
	call_wrapped(L, 1);
	if (lua_isthread(L, -1))
		budget_hook_coroutine(lua_tothread(L, -1));
	return 1;
}

static int counted_wrap(lua_State *L)
{
	call_wrapped(L, 1);
	if (lua_getupvalue(L, -1, 1) && lua_isthread(L, -1)) /* the wrapped thread */
		budget_hook_coroutine(lua_tothread(L, -1));
	lua_settop(L, 1);
	return 1;
}

/* setmetatable without __gc: the collector runs finalizers with hooks off,
 * where no budget could stop an endless one. */
static int no_gc_setmetatable(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L, "a __gc metamethod is not allowed in logmash's sandbox "
					  "(the instruction budget cannot stop one)");
		lua_pop(L, 1);
	}
	call_wrapped(L, 1);
	return 1;
}

/* Replaces lib.name (lib NULL: the global) with fn over the original. */
static void wrap_with(lua_State *L, const char *lib, const char *name, lua_CFunction fn)
{
	if (lib)
		lua_getglobal(L, lib);
	else
		lua_pushglobaltable(L);
	lua_getfield(L, -1, name);
	lua_pushcclosure(L, fn, 1);
	lua_setfield(L, -2, name);
	lua_pop(L, 1);
}

/* ---- the libraries, from a list of what is offered ---- */

/* What a script gets in place of a function the sandbox does not offer:
 * an error that says so, rather than "attempt to call a nil value".
 * Upvalue 1: its name; 2: why, or nil. */
static int forbidden(lua_State *L)
{
	const char *why = lua_tostring(L, lua_upvalueindex(2));
	return luaL_error(L, "%s is not allowed in logmash's sandbox%s%s (--unsafe-scripts lifts it)",
			  lua_tostring(L, lua_upvalueindex(1)), why ? ": " : "", why ? why : "");
}

static void push_forbidden(lua_State *L, const char *what, const char *name, const char *why)
{
	lua_pushfstring(L, "%s%s", what, name);
	if (why)
		lua_pushstring(L, why);
	else
		lua_pushnil(L);
	lua_pushcclosure(L, forbidden, 2);
}

#define READ_ONLY_FILES "files can be read, not written, and no program run"

/* One library as the sandbox offers it: the names copied from the full
 * library; every other function of it raises the sandbox's error. */
struct offer {
	const char *name;          /* global and package.loaded name */
	lua_CFunction open;
	const char *const *names;  /* offered, NULL-terminated */
	const char *why;           /* what the refusals add, or NULL */
};

static const char *const base_names[] = {
	"assert", "collectgarbage", "dofile", "error", "getmetatable", "ipairs", "load",
	"loadfile", "next", "pairs", "pcall", "print", "rawequal", "rawget", "rawlen", "rawset",
	"require", "select", "setmetatable", "tonumber", "tostring", "type", "xpcall", "_VERSION",
	NULL};
static const char *const package_names[] = {"config", "cpath", "loaded", "path", "preload",
					     "searchers", "searchpath", NULL};
static const char *const coroutine_names[] = {"close", "create", "isyieldable", "resume",
					      "running", "status", "wrap", "yield", NULL};
static const char *const table_names[] = {"concat", "insert", "move", "pack", "remove",
					  "sort", "unpack", NULL};
static const char *const io_names[] = {"close", "lines", "open", "type", NULL};
static const char *const os_names[] = {"clock", "date", "difftime", "getenv", "time", NULL};
static const char *const string_names[] = {
	"byte", "char", "dump", "find", "format", "gmatch", "gsub", "len", "lower", "match",
	"pack", "packsize", "rep", "reverse", "sub", "unpack", "upper", NULL};
static const char *const math_names[] = {
	"abs", "acos", "asin", "atan", "ceil", "cos", "deg", "exp", "floor", "fmod", "huge",
	"log", "max", "maxinteger", "min", "mininteger", "modf", "pi", "rad", "random",
	"randomseed", "sin", "sqrt", "tan", "tointeger", "type", "ult", NULL};
static const char *const utf8_names[] = {"char", "charpattern", "codepoint", "codes", "len",
					 "offset", NULL};
/* A file's methods (a file opened for reading). */
static const char *const file_names[] = {"close", "lines", "read", "seek", NULL};

static const struct offer offers[] = {
	{"package", luaopen_package, package_names, NULL},
	{"coroutine", luaopen_coroutine, coroutine_names, NULL},
	{"table", luaopen_table, table_names, NULL},
	{"io", luaopen_io, io_names, READ_ONLY_FILES},
	{"os", luaopen_os, os_names, NULL},
	{"string", luaopen_string, string_names, NULL},
	{"math", luaopen_math, math_names, NULL},
	{"utf8", luaopen_utf8, utf8_names, NULL},
};

/* A new table on top of the stack holding what names offers of the table
 * at full; the rest of full's functions raise, named what..name. */
static void build_offered(lua_State *L, int full, const char *const *names, const char *what,
			  const char *why)
{
	full = lua_absindex(L, full);
	lua_newtable(L);
	for (const char *const *n = names; *n; n++) {
		lua_getfield(L, full, *n);
		lua_setfield(L, -2, *n);
	}
	int offered = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, full)) {
		if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TFUNCTION) {
			lua_pushvalue(L, -2);
			if (lua_rawget(L, offered) == LUA_TNIL) {
				push_forbidden(L, what, lua_tostring(L, -3), why);
				lua_pushvalue(L, -4);
				lua_insert(L, -2);
				lua_rawset(L, offered);
			}
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
}

/* package.cpath empty and package.searchers the preload one and Lua
 * source only, in the library require() reads (its upvalue: the full
 * table, not the offered copy). */
static void text_only_searchers(lua_State *L, int package)
{
	package = lua_absindex(L, package);
	lua_pushliteral(L, "");
	lua_setfield(L, package, "cpath");
	lua_createtable(L, 2, 0);
	lua_getfield(L, package, "searchers");
	lua_rawgeti(L, -1, 1);
	lua_rawseti(L, -3, 1);
	lua_pop(L, 1);
	lua_pushcfunction(L, text_searcher);
	lua_rawseti(L, -2, 2);
	lua_setfield(L, package, "searchers");
}

/* io.open with any mode but r or rb is refused. Upvalue 1: the original. */
static int read_only_open(lua_State *L)
{
	const char *mode = luaL_optstring(L, 2, "r");
	if (strcmp(mode, "r") != 0 && strcmp(mode, "rb") != 0)
		return luaL_error(L, "io.open(..., \"%s\") is not allowed in logmash's sandbox: "
				  READ_ONLY_FILES " (open with \"r\"; --unsafe-scripts lifts it)", mode);
	call_wrapped(L, LUA_MULTRET);
	return lua_gettop(L);
}

/* io.lines and io.close name their file: without one they would read
 * logmash's own standard input, or close its standard output. */
static int named_file_only(lua_State *L)
{
	if (lua_isnoneornil(L, 1))
		return luaL_error(L, "%s needs a file in logmash's sandbox (standard input and "
				  "output are logmash's)", lua_tostring(L, lua_upvalueindex(2)));
	call_wrapped(L, LUA_MULTRET);
	return lua_gettop(L);
}

static void wrap_io(lua_State *L, int io)
{
	lua_getfield(L, io, "open");
	lua_pushcclosure(L, read_only_open, 1);
	lua_setfield(L, io, "open");
	static const char *const named[] = {"lines", "close"};
	for (size_t i = 0; i < ARRAY_LEN(named); i++) {
		lua_getfield(L, io, named[i]);
		lua_pushfstring(L, "io.%s", named[i]);
		lua_pushcclosure(L, named_file_only, 2);
		lua_setfield(L, io, named[i]);
	}
	/* A file's methods, from the list too; the metatable is shared by
	 * every script, so it is not theirs to change. */
	luaL_getmetatable(L, LUA_FILEHANDLE);
	lua_getfield(L, -1, "__index");
	build_offered(L, -1, file_names, "file:", READ_ONLY_FILES);
	lua_setfield(L, -3, "__index");
	lua_pop(L, 1);
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 1);
}

/* The debug library: any use of it raises the sandbox's error. */
static int forbidden_debug(lua_State *L)
{
	return luaL_error(L, "the debug library is not allowed in logmash's sandbox "
			  "(--unsafe-scripts lifts it)");
}

/* Opens the offered libraries (as linit.c opens them all), each as a
 * table built from its list; then a global table built from the base
 * library's list. The full libraries are left to the collector. */
static void open_offered(lua_State *L)
{
	luaL_requiref(L, LUA_GNAME, luaopen_base, 0);
	int full_base = lua_gettop(L);
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	int loaded = lua_gettop(L);
	for (size_t i = 0; i < ARRAY_LEN(offers); i++) {
		const struct offer *o = &offers[i];
		luaL_requiref(L, o->name, o->open, 0);
		if (!strcmp(o->name, "package"))
			text_only_searchers(L, -1);
		char what[32];
		snprintf(what, sizeof what, "%s.", o->name);
		build_offered(L, -1, o->names, what, o->why);
		if (!strcmp(o->name, "io"))
			wrap_io(L, lua_gettop(L));
		lua_pushvalue(L, -1);
		lua_setfield(L, loaded, o->name);
		lua_setfield(L, full_base, o->name); /* copied into the globals below */
		lua_pop(L, 1);
	}
	build_offered(L, full_base, base_names, "", NULL);
	for (size_t i = 0; i < ARRAY_LEN(offers); i++) {
		lua_getfield(L, full_base, offers[i].name);
		lua_setfield(L, -2, offers[i].name);
	}
	lua_newtable(L); /* debug */
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, forbidden_debug);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);
	lua_setfield(L, -2, "debug");
	lua_pushvalue(L, -1);
	lua_setfield(L, -2, LUA_GNAME);
	lua_pushvalue(L, -1);
	lua_setfield(L, loaded, LUA_GNAME);
	lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
	lua_settop(L, full_base - 1);
}

static void sandbox(lua_State *L)
{
	open_offered(L);
	wrap_text_only(L, "load", 3);
	wrap_text_only(L, "loadfile", 2);
	wrap_with(L, NULL, "pcall", spent_rethrow);
	wrap_with(L, NULL, "xpcall", spent_rethrow);
	wrap_with(L, "coroutine", "resume", spent_rethrow);
	wrap_with(L, "coroutine", "create", counted_create);
	wrap_with(L, "coroutine", "wrap", counted_wrap);
	wrap_with(L, NULL, "setmetatable", no_gc_setmetatable);
	lua_pushcfunction(L, safe_dofile);
	lua_setglobal(L, "dofile");
}

/* ---- one script cannot change what another sees ---- */

/* The scripts of a chain share one Lua state. Each has globals of its own,
 * but the libraries (string, table, logmash...) and the global table behind
 * them are shared: a filter that replaced string.gsub, or the strings'
 * metatable, would change what the next script's redaction does. So the
 * sandbox shows each shared table through a read-only view. */
static int read_only(lua_State *L)
{
	return luaL_error(L, "%s is shared by every script and cannot be changed in logmash's "
			  "sandbox (keep your own values in local variables or the script's globals)",
			  lua_tostring(L, lua_upvalueindex(1)));
}

/* The views and the global table, as keys of a weak table in the registry:
 * rawset, which goes past __newindex, refuses them. */
#define LOCKED "logmash.locked"

static void lock_table(lua_State *L, int t)
{
	t = lua_absindex(L, t);
	lua_getfield(L, LUA_REGISTRYINDEX, LOCKED);
	lua_pushvalue(L, t);
	lua_pushboolean(L, 1);
	lua_rawset(L, -3);
	lua_pop(L, 1);
}

static int guarded_rawset(lua_State *L)
{
	lua_getfield(L, LUA_REGISTRYINDEX, LOCKED);
	lua_pushvalue(L, 1);
	int locked = lua_rawget(L, -2) != LUA_TNIL;
	lua_pop(L, 2);
	if (locked)
		return luaL_error(L, "rawset: a library or the shared global environment is shared "
				  "by every script and cannot be changed in logmash's sandbox");
	call_wrapped(L, 1);
	return 1;
}

/* __pairs of a view: the real table's pairs. Upvalues: next, the table. */
static int view_pairs(lua_State *L)
{
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, lua_upvalueindex(2));
	lua_pushnil(L);
	return 3;
}

/* Replaces the table on top of the stack with a read-only view of it. */
static void push_view(lua_State *L, const char *what)
{
	int t = lua_gettop(L);
	lua_newtable(L);
	lua_createtable(L, 0, 4);
	lua_pushvalue(L, t);
	lua_setfield(L, -2, "__index");
	lua_pushstring(L, what);
	lua_pushcclosure(L, read_only, 1);
	lua_setfield(L, -2, "__newindex");
	lua_getglobal(L, "next");
	lua_pushvalue(L, t);
	lua_pushcclosure(L, view_pairs, 2);
	lua_setfield(L, -2, "__pairs");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable"); /* getmetatable(view) is false */
	lua_setmetatable(L, -2);
	lock_table(L, -1);
	lua_replace(L, t);
}

static void isolate(lua_State *L)
{
	static const char *const libs[] = {"string", "table", "math", "utf8", "coroutine", "os",
					   "io", "package", "logmash", NULL};
	lua_newtable(L); /* LOCKED, weak-keyed */
	lua_createtable(L, 0, 1);
	lua_pushliteral(L, "k");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_setfield(L, LUA_REGISTRYINDEX, LOCKED);
	wrap_with(L, NULL, "rawset", guarded_rawset);

	/* The strings' metatable: getmetatable("") gives false, not string. */
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 2);

	/* The libraries, as globals and as require() returns them; require
	 * itself still writes to the real package.loaded. */
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_getglobal(L, "package");
	lua_pushvalue(L, -2);
	push_view(L, "package.loaded");
	lua_setfield(L, -2, "loaded");
	lua_pop(L, 1);
	for (const char *const *n = libs; *n; n++) {
		char what[64];
		snprintf(what, sizeof what, "the %s library", *n);
		lua_getglobal(L, *n);
		push_view(L, what);
		lua_pushvalue(L, -1);
		lua_setfield(L, -3, *n);
		lua_setglobal(L, *n);
	}

	/* The global table itself: chunks that load() or require() runs see it
	 * as theirs. Its names move to a base behind it, so that assigning to
	 * any of them, even an existing one, reaches __newindex. */
	lua_pushglobaltable(L);
	int g = lua_gettop(L);
	lua_newtable(L);
	int base = g + 1;
	lua_pushnil(L);
	while (lua_next(L, g)) {
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, base);
	}
	lua_pushnil(L);
	while (lua_next(L, base)) {
		lua_pop(L, 1);
		lua_pushvalue(L, -1);
		lua_pushnil(L);
		lua_rawset(L, g);
	}
	lua_createtable(L, 0, 3);
	lua_pushvalue(L, base);
	lua_setfield(L, -2, "__index");
	lua_pushliteral(L, "the shared global environment (a chunk from load() or require())");
	lua_pushcclosure(L, read_only, 1);
	lua_setfield(L, -2, "__newindex");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, g);
	lock_table(L, g);
	lua_pushvalue(L, g);
	lua_setfield(L, -4, "_G"); /* LOADED._G */
	lua_pop(L, 3);
}

/* print() goes to stderr: in --dry-run, stdout carries the request bodies. */
static int l_print(lua_State *L)
{
	int n = lua_gettop(L);
	for (int i = 1; i <= n; i++) {
		size_t len;
		const char *s = luaL_tolstring(L, i, &len);
		if (i > 1)
			fputc('\t', stderr);
		fwrite(s, 1, len, stderr);
		lua_pop(L, 1);
	}
	fputc('\n', stderr);
	return 0;
}

static int l_now(lua_State *L)
{
	lua_pushnumber(L, now_wall());
	return 1;
}

/* logmash.log(...): a message to the operator, its arguments joined with
 * spaces as print() would. Upvalue 1: the struct sandbox_host. */
static int l_log(lua_State *L)
{
	const struct sandbox_host *host = lua_touserdata(L, lua_upvalueindex(1));
	int n = lua_gettop(L);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, ' ');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	if (host->log)
		host->log(host->ctx, lua_tostring(L, -1));
	return 0;
}

/* logmash.level(word): the API's level for a level word or alias (any
 * case), or nil: lets a script test a word before log.level takes it. */
static int l_level(lua_State *L)
{
	size_t n;
	const char *w = luaL_checklstring(L, 1, &n);
	enum level lv = level_parse(w, n);
	if (lv == LEVEL_NONE || lv == LEVEL_INVALID)
		lua_pushnil(L);
	else
		lua_pushstring(L, level_name(lv));
	return 1;
}

static void open_logmash(lua_State *L, const struct sandbox_host *host)
{
	char name[256];
	if (gethostname(name, sizeof name) != 0)
		snprintf(name, sizeof name, "localhost");
	name[sizeof name - 1] = '\0';
	lua_createtable(L, 0, 4);
	lua_pushstring(L, name);
	lua_setfield(L, -2, "hostname");
	lua_pushliteral(L, LOGMASH_VERSION);
	lua_setfield(L, -2, "version");
	luajson_push_decode(L);
	lua_setfield(L, -2, "json_decode");
	luajson_push_encode(L);
	lua_setfield(L, -2, "json_encode");
	lua_pushlightuserdata(L, (void *)host);
	lua_pushcclosure(L, l_log, 1);
	lua_setfield(L, -2, "log");
	lua_pushcfunction(L, l_now);
	lua_setfield(L, -2, "now");
	lua_pushcfunction(L, l_level);
	lua_setfield(L, -2, "level");
	script_regex_push(L);
	lua_setfield(L, -2, "regex");
	script_template_push(L);
	lua_setfield(L, -2, "template");
	script_volume_open(L, -1, host);
	script_parsers_open(L, -1);
	lua_setglobal(L, "logmash");
}

void sandbox_open(lua_State *L, int unsafe, const struct sandbox_host *host)
{
	if (unsafe)
		luaL_openlibs(L);
	else
		sandbox(L);
	lua_pushcfunction(L, l_print);
	lua_setglobal(L, "print");
	open_logmash(L, host);
	if (!unsafe)
		isolate(L);
}

void sandbox_push_env(lua_State *L)
{
	lua_createtable(L, 0, 48);
	int env = lua_gettop(L);
	lua_createtable(L, 0, 1);
	lua_pushglobaltable(L);
	/* The sandbox's global table holds nothing itself: its names are in
	 * the base behind it (isolate). */
	if (lua_getmetatable(L, -1) && lua_getfield(L, -1, "__index") == LUA_TTABLE) {
		lua_pushnil(L);
		while (lua_next(L, -2)) {
			lua_pushvalue(L, -2);
			lua_insert(L, -2);
			lua_rawset(L, env);
		}
	}
	lua_settop(L, env + 2);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, env);
	lua_pushvalue(L, env);
	lua_setfield(L, env, "_G");
}
