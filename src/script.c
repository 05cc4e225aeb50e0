/* script.c - the Lua chain: loading, the sandbox, and running one log.
 *
 * Data model: one table log = {message, level, items, source, line, time}
 * is refilled for each log and handed to each script in turn; it and its
 * items table are reused, so a log allocates only its message string. Before
 * each script the fields that it may change (message, level, items) are
 * saved - the strings on the Lua stack, the items in a reused snapshot
 * table - so that a failed script can be undone without copying in the
 * common case. After each script, check_log() enforces what the API accepts
 * and normalises level aliases and item values, so the next script sees the
 * canonical form. */
#include "script.h"

#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "encoder.h"
#include "luajson.h"
#include "luamem.h"
#include "util.h"

struct script {
	struct script_stat st; /* path and kind too */
	int fn_ref;
};

struct script_chain {
	lua_State *L;
	struct script *s;
	size_t n;
	struct luamem mem;      /* the Lua state within --script-memory */
	void (*on_error)(void *ctx, const char *msg);
	void (*on_log)(void *ctx, const char *script, const char *msg);
	void *ctx;
	int unsafe;
	const struct script *running; /* the script being called, for logmash.log */
	const struct script *dropped_by; /* of the last log, if it was dropped */

	int snap_n;    /* entries in SLOT_SNAP */
	int n_keys;    /* keys in SLOT_ITEMS, saved at SLOT_KEYS; -1: unknown */
	const char *src_ptr; /* the source SLOT_SOURCE holds */
	enum level level;
	struct item *items;
	size_t items_cap;
	size_t n_items;   /* items the last check_log recorded */
	int checked;      /* ...and they are log.items now */
	struct buf err;

	/* The instruction budget (see "the instruction budget" below). */
	long budget;                   /* 0: none */
	long counted;                  /* instructions counted in this call */
	volatile sig_atomic_t in_call; /* a script call is under way */
};

/* ---- the instruction budget ----
 *
 * A count hook makes Lua check every instruction it runs, which would slow
 * every script down for the sake of the rare runaway one. So the hook is
 * only installed into a call that a timer catches running: the timer runs
 * on this thread's CPU clock (it never fires while the thread sleeps) and
 * ticks every millisecond of CPU, or at the kernel's tick if that is
 * coarser (4 ms at HZ=250). A tick that finds a script call under way
 * installs the hook (lua_sethook is safe in a signal handler); from then on
 * that call is counted, in steps of HOOK_STEP instructions, and fails when
 * it has run --script-budget of them. A runaway call therefore stops within
 * one tick and the budget; a call the tick never meets costs two stores. */
#define HOOK_STEP 1000
#define TICK_NS 1000000

static struct script_chain *volatile watched; /* the chain whose calls are timed */

static void budget_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	struct script_chain *c = *(struct script_chain **)lua_getextraspace(L);
	c->counted += HOOK_STEP;
	if (c->counted >= c->budget) {
		lua_sethook(L, NULL, 0, 0);
		/* Where the call is now: luaL_where(L, 1) would name its caller. */
		lua_Debug here;
		if (lua_getstack(L, 0, &here) && lua_getinfo(L, "Sl", &here) && here.currentline > 0)
			lua_pushfstring(L, "%s:%d: ", here.short_src, here.currentline);
		else
			lua_pushliteral(L, "");
		lua_pushfstring(L, "%sran over its instruction budget (--script-budget %I): an "
				"endless loop?", lua_tostring(L, -1), (lua_Integer)c->budget);
		lua_error(L);
	}
}

/* A call that ran over its budget must end, however the script catches
 * errors: pcall, xpcall and coroutine.resume pass the budget's error on
 * (spent_rethrow), and a coroutine is counted from its creation on (the
 * tick only hooks the main thread, and cannot tell which thread runs). */
static int spent(lua_State *L)
{
	const struct script_chain *c = *(struct script_chain **)lua_getextraspace(L);
	return c->in_call && c->budget && c->counted >= c->budget;
}

static void hook_coroutine(lua_State *co)
{
	const struct script_chain *c = *(struct script_chain **)lua_getextraspace(co);
	if (c->budget)
		lua_sethook(co, budget_hook, LUA_MASKCOUNT, HOOK_STEP);
}

static void on_tick(int sig)
{
	(void)sig;
	struct script_chain *c = watched;
	if (c && c->in_call && !lua_gethookmask(c->L))
		lua_sethook(c->L, budget_hook, LUA_MASKCOUNT, HOOK_STEP);
}

/* Starts the tick, once for the process; -1 if the system refuses. */
static int start_ticking(void)
{
	static int started;
	if (started)
		return 0;
	int sig = SIGRTMIN;
	struct sigaction sa = {.sa_handler = on_tick, .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0)
		return -1;
	struct sigevent sev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = sig};
	sev._sigev_un._tid = gettid(); /* this thread: the one that runs the scripts */
	timer_t t;
	if (timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &t) != 0)
		return -1;
	struct itimerspec every = {.it_interval = {0, TICK_NS}, .it_value = {0, TICK_NS}};
	if (timer_settime(t, 0, &every, NULL) != 0)
		return -1;
	started = 1;
	return 0;
}

static inline void call_begins(struct script_chain *c)
{
	c->counted = 0;
	c->in_call = 1;
}

static inline void call_ends(struct script_chain *c)
{
	c->in_call = 0;
	if (lua_gethookmask(c->L))
		lua_sethook(c->L, NULL, 0, 0);
}

/* Item keys remembered to empty the items table by: clearing by
 * traversal (lua_next) costs twice as much. */
#define MAX_KEYS 16

/* What lives at the bottom of the stack for the state's whole life. The
 * field names: lua_getfield with a C string would look each name up in
 * Lua's string cache (a strcmp) on every access, per log. The log and
 * items tables: reused from log to log, so a log allocates nothing but
 * its message string (and what the scripts make). */
enum {
	KEY_MESSAGE = 1, KEY_LEVEL, KEY_ITEMS, KEY_SOURCE, KEY_LINE, KEY_TIME,
	SLOT_MSGH,   /* the message handler of every call */
	SLOT_LOG,    /* the log table */
	SLOT_ITEMS,  /* our items table: log.items at the start of each log */
	SLOT_SNAP,   /* the items as they entered the running script */
	SLOT_SOURCE, /* the source path as a Lua string, cached */
	SLOT_KEYS,   /* the keys in SLOT_ITEMS, when known (c->n_keys) */
	N_SLOTS = SLOT_KEYS + MAX_KEYS - 1
};

/* Above them, during script_chain_run: message and level as they entered
 * the running script (the items are in SLOT_SNAP). */
enum { SAVED_MSG = N_SLOTS + 1, SAVED_LEVEL, RUN_TOP = SAVED_LEVEL };

/* log[key] onto the stack; returns its type. */
static inline int get(lua_State *L, int key)
{
	lua_pushvalue(L, key);
	return lua_rawget(L, SLOT_LOG);
}

/* log[key] = the value at index v. */
static inline void set(lua_State *L, int key, int v)
{
	v = lua_absindex(L, v);
	lua_pushvalue(L, key);
	lua_pushvalue(L, v);
	lua_rawset(L, SLOT_LOG);
}

/* Copies every field of table from into table to (absolute indices);
 * returns how many. */
static int copy_fields(lua_State *L, int from, int to)
{
	int n = 0;
	lua_pushnil(L);
	while (lua_next(L, from)) {
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, to);
		n++;
	}
	return n;
}

/* Empties table t (at an absolute index) in place, keeping its size. */
static void clear_table(lua_State *L, int t)
{
	lua_pushnil(L);
	while (lua_next(L, t)) {
		lua_pop(L, 1);
		lua_pushvalue(L, -1);
		lua_pushnil(L);
		lua_rawset(L, t); /* clearing a field mid-traversal is allowed */
	}
}

const char *script_kind_name(enum script_kind k)
{
	return k == SCRIPT_FILTER ? "filter" : k == SCRIPT_ENRICH ? "enrich" : "filter or enrich";
}

static int l_panic(lua_State *L)
{
	const char *msg = lua_tostring(L, -1);
	fprintf(stderr, "logmash: unprotected Lua error: %s\n", msg ? msg : "?");
	abort();
}

/* Message handler: turn any error value into a one-line string. */
static int msgh(lua_State *L)
{
	if (lua_type(L, 1) == LUA_TSTRING)
		return 1;
	if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
		return 1;
	lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	return 1;
}

/* ---- the sandbox ---- */

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
	if (spent(L) && lua_isboolean(L, 1) && !lua_toboolean(L, 1)) {
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
		hook_coroutine(lua_tothread(L, -1));
	return 1;
}

static int counted_wrap(lua_State *L)
{
	call_wrapped(L, 1);
	if (lua_getupvalue(L, -1, 1) && lua_isthread(L, -1)) /* the wrapped thread */
		hook_coroutine(lua_tothread(L, -1));
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

/* What a script gets in place of a function the sandbox takes away: an
 * error that says so, rather than "attempt to call a nil value". */
static int forbidden(lua_State *L)
{
	return luaL_error(L, "%s is not allowed in logmash's sandbox (--unsafe-scripts lifts it)",
			  lua_tostring(L, lua_upvalueindex(1)));
}

static void forbid(lua_State *L, const char *lib, const char *const *names)
{
	lua_getglobal(L, lib);
	for (; *names; names++) {
		lua_pushfstring(L, "%s.%s", lib, *names);
		lua_pushcclosure(L, forbidden, 1);
		lua_setfield(L, -2, *names);
	}
	lua_pop(L, 1);
}

/* The debug library: any use of it raises the sandbox's error. */
static int forbidden_debug(lua_State *L)
{
	return luaL_error(L, "the debug library is not allowed in logmash's sandbox "
			  "(--unsafe-scripts lifts it)");
}

static void sandbox(lua_State *L)
{
	static const char *const os_off[] = {"execute", "exit", "remove", "rename",
					     "tmpname", "setlocale", NULL};
	static const char *const io_off[] = {"popen", NULL};
	static const char *const pkg_off[] = {"loadlib", NULL};
	forbid(L, "os", os_off);
	forbid(L, "io", io_off);
	forbid(L, "package", pkg_off);

	lua_getglobal(L, "package");
	lua_pushliteral(L, "");
	lua_setfield(L, -2, "cpath");
	lua_createtable(L, 2, 0); /* searchers: preload, and Lua source only */
	lua_getfield(L, -2, "searchers");
	lua_rawgeti(L, -1, 1);
	lua_rawseti(L, -3, 1);
	lua_pop(L, 1);
	lua_pushcfunction(L, text_searcher);
	lua_rawseti(L, -2, 2);
	lua_setfield(L, -2, "searchers");
	lua_getfield(L, -1, "loaded");
	lua_pushnil(L);
	lua_setfield(L, -2, "debug");
	lua_pop(L, 2);

	lua_newtable(L);
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, forbidden_debug);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);
	lua_setglobal(L, "debug");
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
 * spaces as print() would, from the script that runs. */
static int l_log(lua_State *L)
{
	struct script_chain *c = *(struct script_chain **)lua_getextraspace(L);
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
	if (c->on_log)
		c->on_log(c->ctx, c->running ? c->running->st.path : "init", lua_tostring(L, -1));
	return 0;
}

static void open_logmash(lua_State *L)
{
	char host[256];
	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "localhost");
	host[sizeof host - 1] = '\0';
	lua_createtable(L, 0, 4);
	lua_pushstring(L, host);
	lua_setfield(L, -2, "hostname");
	lua_pushliteral(L, LOGMASH_VERSION);
	lua_setfield(L, -2, "version");
	luajson_push_decode(L);
	lua_setfield(L, -2, "json_decode");
	luajson_push_encode(L);
	lua_setfield(L, -2, "json_encode");
	lua_pushcfunction(L, l_log);
	lua_setfield(L, -2, "log");
	lua_pushcfunction(L, l_now);
	lua_setfield(L, -2, "now");
	lua_setglobal(L, "logmash");
}

/* ---- loading ---- */

static int setup(lua_State *L)
{
	struct script_chain *c = lua_touserdata(L, 1);
	luaL_openlibs(L);
	if (!c->unsafe)
		sandbox(L);
	lua_pushcfunction(L, l_print);
	lua_setglobal(L, "print");
	open_logmash(L);
	if (!c->unsafe)
		isolate(L);

	for (size_t i = 0; i < c->n; i++) {
		struct script *s = &c->s[i];
		lua_createtable(L, 0, 4); /* the script's own globals */
		lua_createtable(L, 0, 1);
		lua_pushglobaltable(L);
		lua_setfield(L, -2, "__index");
		lua_setmetatable(L, -2);
		int env = lua_gettop(L);
		lua_pushvalue(L, env);
		lua_setfield(L, env, "_G"); /* _G.x = 1 sets the script's own x */
		c->running = s;
		if (luaL_loadfilex(L, s->st.path, "t") != LUA_OK)
			return lua_error(L);
		lua_pushvalue(L, env);
		lua_setupvalue(L, -2, 1); /* a main chunk's only upvalue is _ENV */
		call_begins(c);
		lua_call(L, 0, 0);
		call_ends(c);
		if (s->st.kind == SCRIPT_AUTO) {
			int f = lua_getfield(L, env, "filter") == LUA_TFUNCTION;
			int e = lua_getfield(L, env, "enrich") == LUA_TFUNCTION;
			lua_pop(L, 2);
			if (f && e)
				return luaL_error(L, "%s: defines both filter(log) and enrich(log): give it "
						  "with -f or -e", s->st.path);
			if (!f && !e)
				return luaL_error(L, "%s: defines neither filter(log) nor enrich(log)",
						  s->st.path);
			s->st.kind = f ? SCRIPT_FILTER : SCRIPT_ENRICH;
		}
		lua_getfield(L, env, script_kind_name(s->st.kind));
		if (!lua_isfunction(L, -1))
			return luaL_error(L, "%s: defines no function %s(log) (it was given with --%s)",
					  s->st.path, script_kind_name(s->st.kind), script_kind_name(s->st.kind));
		s->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
		lua_getfield(L, env, "init");
		if (lua_isfunction(L, -1)) {
			call_begins(c);
			lua_call(L, 0, 0);
			call_ends(c);
		}
		lua_settop(L, env - 1);
	}
	return 0;
}

struct script_chain *script_chain_load(const struct script_opts *o, struct buf *err)
{
	struct script_chain *c = xcalloc(1, sizeof *c);
	c->mem.limit = o->memory_limit ? o->memory_limit : SCRIPT_MEMORY_DEFAULT;
	c->on_error = o->on_error;
	c->on_log = o->on_log;
	c->ctx = o->ctx;
	c->unsafe = o->unsafe;
	c->budget = o->budget;
	c->n = o->n;
	c->s = xcalloc(o->n, sizeof *c->s);
	for (size_t i = 0; i < o->n; i++) {
		c->s[i].st.kind = o->specs[i].kind;
		c->s[i].st.path = o->specs[i].path;
	}
	c->L = lua_newstate(luamem_alloc, &c->mem);
	if (!c->L) {
		buf_printf(err, "cannot create a Lua state (out of memory)");
		script_chain_free(c);
		return NULL;
	}
	lua_atpanic(c->L, l_panic);
	*(struct script_chain **)lua_getextraspace(c->L) = c;
	struct script_chain *running = watched; /* a reload's old chain, if it fails */
	if (c->budget > 0) {
		if (start_ticking() != 0) {
			buf_printf(err, "cannot start the timer behind --script-budget: %s",
				   strerror(errno));
			script_chain_free(c);
			return NULL;
		}
		watched = c;
	}
	lua_pushcfunction(c->L, msgh);
	lua_pushcfunction(c->L, setup);
	lua_pushlightuserdata(c->L, c);
	int status = lua_pcall(c->L, 1, 0, 1);
	call_ends(c); /* init() may have failed mid-call */
	if (status != LUA_OK) {
		const char *m = status == LUA_ERRMEM ? "out of memory (raise --script-memory)"
						     : lua_tostring(c->L, -1);
		buf_printf(err, "%s", m ? m : "unknown error");
		script_chain_free(c);
		watched = running;
		return NULL;
	}
	lua_settop(c->L, 0);
	/* The slots, and room above them for what the run pushes. */
	if (!lua_checkstack(c->L, RUN_TOP + LUA_MINSTACK)) {
		buf_printf(err, "cannot grow the Lua stack (out of memory)");
		script_chain_free(c);
		return NULL;
	}
	static const char *const keys[] = {"message", "level", "items", "source", "line", "time"};
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		lua_pushstring(c->L, keys[i]);
	lua_pushcfunction(c->L, msgh);      /* SLOT_MSGH */
	lua_createtable(c->L, 0, 8);        /* SLOT_LOG: 6 fields, room for 2 more */
	lua_createtable(c->L, 0, 4);        /* SLOT_ITEMS */
	lua_newtable(c->L);                 /* SLOT_SNAP */
	lua_pushboolean(c->L, 0);           /* SLOT_SOURCE */
	for (int i = 0; i < MAX_KEYS; i++)  /* SLOT_KEYS */
		lua_pushnil(c->L);
	set(c->L, KEY_ITEMS, SLOT_ITEMS);
	/* Most tables live for one log: the generational collector suits that. */
	lua_gc(c->L, LUA_GCGEN, 0, 0);
	return c;
}

void script_chain_free(struct script_chain *c)
{
	if (!c)
		return;
	if (watched == c)
		watched = NULL;
	if (c->L)
		lua_close(c->L);
	buf_free(&c->err);
	free(c->items);
	free(c->s);
	free(c);
}

size_t script_chain_len(const struct script_chain *c)
{
	return c->n;
}

const struct script_stat *script_chain_stat(const struct script_chain *c, size_t i)
{
	return &c->s[i].st;
}

const char *script_chain_dropped_by(const struct script_chain *c)
{
	return c->dropped_by ? c->dropped_by->st.path : NULL;
}

/* ---- running ---- */

/* A script failed for this log: counted and kept with the log's message
 * as it entered the script. */
static void report(struct script_chain *c, struct script *s, uint64_t line)
{
	s->st.errors++;
	snprintf(s->st.last_error, sizeof s->st.last_error, "%s", buf_cstr(&c->err));
	size_t n;
	const char *m = lua_tolstring(c->L, SAVED_MSG, &n);
	printable_excerpt(s->st.excerpt, sizeof s->st.excerpt, m ? m : "", m ? n : 0);
	s->st.excerpt_line = line;
	if (c->on_error)
		c->on_error(c->ctx, buf_cstr(&c->err));
}

/* Saves the items the next script may change into SLOT_SNAP (message and
 * level are already in SAVED_MSG and SAVED_LEVEL); none to save when
 * log.items is known to be empty. */
static void snapshot(struct script_chain *c, int known_empty)
{
	lua_State *L = c->L;
	if (c->snap_n) {
		clear_table(L, SLOT_SNAP);
		c->snap_n = 0;
	}
	if (known_empty)
		return;
	get(L, KEY_ITEMS);
	c->snap_n = copy_fields(L, lua_gettop(L), SLOT_SNAP);
	lua_pop(L, 1);
}

/* Puts the log back as it entered the failed script. */
static void restore(struct script_chain *c, enum level saved_level)
{
	lua_State *L = c->L;
	lua_settop(L, RUN_TOP);
	set(L, KEY_MESSAGE, SAVED_MSG);
	set(L, KEY_LEVEL, SAVED_LEVEL);
	/* Our own table, refilled: the script may have replaced it, or may
	 * still hold it (it sees the next log's items if it kept it). */
	clear_table(L, SLOT_ITEMS);
	copy_fields(L, SLOT_SNAP, SLOT_ITEMS);
	set(L, KEY_ITEMS, SLOT_ITEMS);
	c->n_keys = -1;
	c->level = saved_level;
}

/* The i-th slot of the items handed to the record, grown as needed. */
static struct item *item_at(struct script_chain *c, size_t i)
{
	if (i == c->items_cap) {
		c->items_cap = c->items_cap ? c->items_cap * 2 : 8;
		c->items = xrealloc(c->items, c->items_cap * sizeof *c->items);
	}
	return &c->items[i];
}

/* log.message after a script: a non-empty string (a number becomes one).
 * Leaves it on the stack. */
static int check_message(struct script_chain *c, const struct script *s)
{
	lua_State *L = c->L;
	/* Unchanged fields (the common case) need no check: a long string
	 * compares by pointer first, a short one (any level) only by pointer. */
	int t = get(L, KEY_MESSAGE);
	if (!lua_rawequal(L, -1, SAVED_MSG)) {
		if (t == LUA_TNUMBER) {
			lua_tolstring(L, -1, NULL);
			set(L, KEY_MESSAGE, -1);
		} else if (t != LUA_TSTRING) {
			buf_printf(&c->err, "%s: log.message must be a string, not %s", s->st.path,
				   lua_typename(L, t));
			return -1;
		}
		if (lua_rawlen(L, -1) == 0) {
			buf_printf(&c->err, "%s: log.message is empty; drop the log instead",
				   s->st.path);
			return -1;
		}
	}
	return 0;
}

/* log.level after a script: nil, a level or an alias (made the API's
 * spelling). Leaves it on the stack; its level in *lv. */
static int check_level(struct script_chain *c, const struct script *s, enum level *lv)
{
	lua_State *L = c->L;
	*lv = c->level;
	int t = get(L, KEY_LEVEL);
	if (lua_rawequal(L, -1, SAVED_LEVEL)) {
		/* as it was */
	} else if (t == LUA_TNIL) {
		*lv = LEVEL_NONE;
	} else if (t == LUA_TSTRING) {
		size_t n;
		const char *v = lua_tolstring(L, -1, &n);
		*lv = level_parse(v, n);
		if (*lv == LEVEL_INVALID) {
			char ex[64];
			snprintf(ex, sizeof ex, "%.*s", (int)(n < 40 ? n : 40), v);
			buf_printf(&c->err,
				   "%s: log.level \"%s\" is not a level (use Information, Warning, "
				   "Error, or an alias such as info, warn, err, fatal, debug)",
				   s->st.path, ex);
			return -1;
		}
		const char *canon = level_name(*lv);
		if (n != strlen(canon) || memcmp(v, canon, n) != 0) {
			lua_pop(L, 1);
			lua_pushstring(L, canon);
			set(L, KEY_LEVEL, -1);
		}
	} else {
		buf_printf(&c->err, "%s: log.level must be a string or nil, not %s", s->st.path,
			   lua_typename(L, t));
		return -1;
	}

	return 0;
}

/* log.items after a script: string keys, and values that are strings (a
 * number or boolean becomes one), recorded in c->items. Pops the table. */
static int check_items(struct script_chain *c, const struct script *s)
{
	lua_State *L = c->L;
	int t = get(L, KEY_ITEMS);
	if (t != LUA_TTABLE) {
		buf_printf(&c->err, "%s: log.items must be a table, not %s", s->st.path,
			   lua_typename(L, t));
		return -1;
	}
	int items = lua_gettop(L);
	int ours = lua_rawequal(L, items, SLOT_ITEMS);
	size_t n = 0;
	lua_pushnil(L);
	while (lua_next(L, items)) {
		if (lua_type(L, -2) != LUA_TSTRING) {
			buf_printf(&c->err, "%s: log.items keys must be strings, not %s", s->st.path,
				   luaL_typename(L, -2));
			return -1;
		}
		int vt = lua_type(L, -1);
		if (vt == LUA_TNUMBER || vt == LUA_TBOOLEAN) {
			/* Replacing an existing key's value is allowed mid-traversal. */
			lua_pushvalue(L, -2);
			if (vt == LUA_TNUMBER)
				lua_pushstring(L, lua_tostring(L, -2));
			else
				lua_pushstring(L, lua_toboolean(L, -2) ? "true" : "false");
			lua_rawset(L, items);
			lua_pushvalue(L, -2);
			lua_rawget(L, items); /* the string now in the table */
			lua_replace(L, -2);
		} else if (vt != LUA_TSTRING) {
			buf_printf(&c->err, "%s: log.items.%.40s must be a string, number or boolean, not %s",
				   s->st.path, lua_tostring(L, -2), lua_typename(L, vt));
			return -1;
		}
		if (ours && n < MAX_KEYS)
			lua_copy(L, -2, SLOT_KEYS + (int)n);
		/* Kept for pull(): the table anchors these strings. */
		struct item *it = item_at(c, n++);
		it->key = lua_tolstring(L, -2, &it->key_len);
		it->val = lua_tolstring(L, -1, &it->val_len);
		lua_pop(L, 1);
	}
	c->n_items = n;
	c->checked = 1;
	/* Not ours: a script may still have written to ours through a kept
	 * reference, so what is in it is unknown. */
	c->n_keys = ours && n <= MAX_KEYS ? (int)n : -1;
	lua_pop(L, 1);
	return 0;
}

/* Checks the log against the API's contract after a script, converting
 * what has an obvious string form; on success the result becomes what
 * the next script saves (SAVED_MSG, SAVED_LEVEL) and its items are
 * recorded in c->items. Returns 0, or -1 with the reason in c->err. */
static int check_log(struct script_chain *c, const struct script *s)
{
	lua_State *L = c->L;
	buf_clear(&c->err);
	enum level lv;
	if (check_message(c, s) != 0 || check_level(c, s, &lv) != 0 || check_items(c, s) != 0) {
		lua_settop(L, RUN_TOP);
		return -1;
	}
	c->level = lv;
	lua_replace(L, SAVED_LEVEL);
	lua_replace(L, SAVED_MSG);
	return 0;
}

/* Items in the order of their keys' bytes. */
static int item_order(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = memcmp(x->key, y->key, n);
	return c ? c : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

/* Hands the log's result to r: pointers into strings the log table
 * anchors. The items are those check_log() just recorded, unless a script
 * failed after it (or none succeeded): then they are read again. */
static void pull(struct script_chain *c, struct record *r)
{
	lua_State *L = c->L;
	r->message = lua_tolstring(L, SAVED_MSG, &r->message_len);
	r->level = c->level;
	size_t n = c->n_items;
	if (!c->checked) {
		get(L, KEY_ITEMS);
		n = 0;
		lua_pushnil(L);
		while (lua_next(L, -2)) {
			struct item *it = item_at(c, n++);
			it->key = lua_tolstring(L, -2, &it->key_len);
			it->val = lua_tolstring(L, -1, &it->val_len);
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
	/* Sorted: Lua's table order changes from run to run (its hash seed),
	 * and the same input must give the same bodies, byte for byte. */
	if (n > 1)
		qsort(c->items, n, sizeof *c->items, item_order);
	r->items = c->items;
	r->n_items = n;
}

/* Makes the log table the record's, as the first script sees it. The
 * last log's items go; its strings stay anchored until now. */
static void fill_log(struct script_chain *c, const struct record *r)
{
	lua_State *L = c->L;
	lua_pushlstring(L, r->message, r->message_len);
	lua_replace(L, SAVED_MSG);
	set(L, KEY_MESSAGE, SAVED_MSG);
	lua_pushnil(L);
	lua_replace(L, SAVED_LEVEL);
	set(L, KEY_LEVEL, SAVED_LEVEL);
	if (c->n_keys < 0) {
		clear_table(L, SLOT_ITEMS);
	} else {
		for (int i = 0; i < c->n_keys; i++) {
			lua_pushvalue(L, SLOT_KEYS + i);
			lua_pushnil(L);
			lua_rawset(L, SLOT_ITEMS);
		}
	}
	c->n_keys = 0;
	set(L, KEY_ITEMS, SLOT_ITEMS);
	if (r->source != c->src_ptr) {
		lua_pushstring(L, r->source);
		lua_replace(L, SLOT_SOURCE);
		c->src_ptr = r->source;
	}
	/* Read only: set again in case a script wrote them. */
	set(L, KEY_SOURCE, SLOT_SOURCE);
	lua_pushvalue(L, KEY_LINE);
	lua_pushinteger(L, (lua_Integer)r->line);
	lua_rawset(L, SLOT_LOG);
	lua_pushvalue(L, KEY_TIME);
	lua_pushnumber(L, r->time);
	lua_rawset(L, SLOT_LOG);
	c->level = LEVEL_NONE;
	c->n_items = 0;
	c->checked = 1;
}

enum script_verdict script_chain_run(struct script_chain *c, struct record *r)
{
	lua_State *L = c->L;
	lua_settop(L, RUN_TOP);
	fill_log(c, r);
	c->dropped_by = NULL;

	for (size_t i = 0; i < c->n; i++) {
		struct script *s = &c->s[i];
		s->st.calls++;
		enum level saved_level = c->level;
		snapshot(c, c->checked && c->n_items == 0);
		lua_rawgeti(L, LUA_REGISTRYINDEX, s->fn_ref);
		lua_pushvalue(L, SLOT_LOG);
		c->running = s;
		c->checked = 0; /* the script may change the items */
		call_begins(c);
		int status = lua_pcall(L, 1, 1, SLOT_MSGH);
		call_ends(c);
		if (status == LUA_OK) {
			int drop = s->st.kind == SCRIPT_FILTER
					   ? !lua_toboolean(L, -1)
					   : lua_isboolean(L, -1) && !lua_toboolean(L, -1);
			lua_pop(L, 1);
			if (drop) {
				c->n_keys = -1; /* the script may have changed them */
				s->st.dropped++;
				c->dropped_by = s;
				return SCRIPT_DROP;
			}
			if (check_log(c, s) != 0) {
				report(c, s, r->line);
				restore(c, saved_level);
			}
		} else {
			buf_clear(&c->err);
			if (status == LUA_ERRMEM)
				buf_printf(&c->err, "%s: out of memory (the Lua state is at its limit: "
					   "raise --script-memory)", s->st.path);
			else
				buf_printf(&c->err, "%s", lua_tostring(L, -1));
			report(c, s, r->line);
			restore(c, saved_level);
		}
		lua_settop(L, RUN_TOP);
	}
	pull(c, r);
	return SCRIPT_KEEP;
}
