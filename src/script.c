/* script.c - the Lua chain: loading the scripts, and running one log through
 *
 * Data model: one table log = {message, level, items} (its metatable
 * serves source, line, time and fields, read only, and refuses any other field)
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
#include <inttypes.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "encoder.h"
#include "luamem.h"
#include "nearest.h"
#include "numfmt.h"
#include "sandbox.h"
#include "utf8.h"
#include "util.h"
#include "volume.h"

struct script {
	struct script_stat st; /* path and kind too */
	int fn_ref;
	struct volume *vol;    /* its throttle, sample and dedupe keys; NULL: none used */
};

struct script_chain {
	lua_State *L;
	struct script *s;
	size_t n;
	struct luamem mem;      /* the Lua state within --script-memory */
	void (*on_error)(void *ctx, const char *msg, const char *failed_on);
	void (*on_log)(void *ctx, const char *script, const char *msg);
	void *ctx;
	int unsafe;
	const struct script *running; /* the script being called, for logmash.log */
	const struct script *dropped_by; /* of the last log, if it was dropped */

	int snap_n;    /* entries in SLOT_SNAP */
	int n_keys;    /* keys in SLOT_ITEMS, saved at SLOT_KEYS; -1: unknown */
	/* The read-only fields of the running log, which the log table's
	 * __index serves: the source as a Lua string in the registry. */
	const char *src_ptr;
	int src_ref;
	const struct item *jfields; /* log.fields: a journal entry's, built when read */
	size_t n_jfields;
	int jfields_ref;            /* the table built for this log, or LUA_NOREF */
	uint64_t line;
	double time;
	enum level level;
	struct item *items;
	size_t items_cap;
	size_t n_items;   /* items the last check_log recorded */
	int checked;      /* ...and they are log.items now */
	struct buf err;

	struct budget budget;    /* --script-budget (budget.h) */
	struct sandbox_host host; /* chain_log, chain_volume */
	size_t volume_keys_max;
};

/* Item keys remembered to empty the items table by: clearing by
 * traversal (lua_next) costs twice as much. */
#define MAX_KEYS 16

/* What lives at the bottom of the stack for the state's whole life. The
 * field names: lua_getfield with a C string would look each name up in
 * Lua's string cache (a strcmp) on every access, per log. The log and
 * items tables: reused from log to log, so a log allocates nothing but
 * its message string (and what the scripts make). */
enum {
	KEY_MESSAGE = 1, KEY_LEVEL, KEY_ITEMS,
	SLOT_MSGH,   /* the message handler of every call */
	SLOT_LOG,    /* the log table */
	SLOT_ITEMS,  /* our items table: log.items at the start of each log */
	SLOT_SNAP,   /* the items as they entered the running script */
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

/* ---- the log table catches mistakes ---- */

/* The fields of a log: what a script may set, then what it may only read
 * (log_index knows their places). */
static const char *const log_fields[] = {"message", "level", "items", "source", "line", "time",
					 "fields"};
enum { LOG_WRITABLE = 3 };

/* Raises "log.KEY is not a field of a log", with the nearest field. */
static int not_a_field(lua_State *L)
{
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	if (lua_type(L, 2) == LUA_TSTRING) {
		size_t n;
		const char *k = lua_tolstring(L, 2, &n);
		const char *near = nearest_word(k, n, log_fields, ARRAY_LEN(log_fields));
		char shown[48];
		printable_excerpt(shown, sizeof shown, k, n);
		lua_pushfstring(L, "log.%s is not a field of a log", shown);
		luaL_addvalue(&b);
		if (near)
			lua_pushfstring(L, " (did you mean %s?)", near);
		else
			lua_pushliteral(L, " (a log has message, level, items, source, line, time "
					   "and fields; keep your own values in log.items or in local "
					   "variables)");
		luaL_addvalue(&b);
	} else {
		lua_pushfstring(L, "log[%s] is not a field of a log (a log has message, level, "
				   "items, source, line, time and fields)", luaL_tolstring(L, 2, NULL));
		lua_remove(L, -2);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	luaL_where(L, 1);
	lua_insert(L, -2);
	lua_concat(L, 2);
	return lua_error(L);
}

/* Which field k (at index 2) is: its index in log_fields, or -1. */
static int field_of(lua_State *L)
{
	if (lua_type(L, 2) != LUA_TSTRING)
		return -1;
	const char *k = lua_tostring(L, 2);
	for (size_t i = 0; i < ARRAY_LEN(log_fields); i++)
		if (!strcmp(k, log_fields[i]))
			return (int)i;
	return -1;
}

/* The log table's __index: for a key it does not hold. The read-only
 * fields live here rather than in the table, so that writing one reaches
 * __newindex and fails at once, and filling a log costs nothing for them;
 * a writable field not held (a level not set) is nil. Upvalue 1: the
 * chain. */
static int fields_refuse(lua_State *L)
{
	return luaL_error(L, "log.fields is read only (the journal entry's fields); set "
			     "log.items to send a value");
}

static int fields_next(lua_State *L)
{
	lua_settop(L, 2);
	if (lua_next(L, 1))
		return 2;
	lua_pushnil(L);
	return 1;
}

/* __pairs of log.fields: the fields it stands for. Upvalue 1: them. */
static int fields_pairs(lua_State *L)
{
	lua_pushcfunction(L, fields_next);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushnil(L);
	return 3;
}

/* log.fields: built the first time a log's script reads it (most never
 * do), a table that refuses writes in front of one that holds them. */
static void push_fields(lua_State *L, struct script_chain *c)
{
	if (c->jfields_ref != LUA_NOREF) {
		lua_rawgeti(L, LUA_REGISTRYINDEX, c->jfields_ref);
		return;
	}
	lua_createtable(L, 0, 0);                 /* what the script sees */
	lua_createtable(L, 0, (int)c->n_jfields); /* the fields */
	for (size_t i = 0; i < c->n_jfields; i++) {
		lua_pushlstring(L, c->jfields[i].key, c->jfields[i].key_len);
		lua_pushlstring(L, c->jfields[i].val, c->jfields[i].val_len);
		lua_rawset(L, -3);
	}
	lua_createtable(L, 0, 3);                 /* its metatable */
	lua_pushvalue(L, -2);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, fields_refuse);
	lua_setfield(L, -2, "__newindex");
	lua_rotate(L, -2, 1);
	lua_pushcclosure(L, fields_pairs, 1);
	lua_setfield(L, -2, "__pairs");
	lua_setmetatable(L, -2);
	lua_pushvalue(L, -1);
	c->jfields_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* Pushes the read-only field f (or nil for a writable one not held).
 * Upvalue 1 of the running C function: the chain. */
static void push_read_only(lua_State *L, int f)
{
	struct script_chain *c = lua_touserdata(L, lua_upvalueindex(1));
	if (f == 6)
		push_fields(L, c);
	else if (f == 3)
		lua_rawgeti(L, LUA_REGISTRYINDEX, c->src_ref);
	else if (f == 4)
		lua_pushinteger(L, (lua_Integer)c->line);
	else if (f == 5)
		lua_pushnumber(L, (lua_Number)c->time);
	else
		lua_pushnil(L);
}

static int log_index(lua_State *L)
{
	int f = field_of(L);
	if (f < 0)
		return not_a_field(L);
	push_read_only(L, f);
	return 1;
}

/* __pairs: the six fields, those that are not nil. Upvalue 1: the chain. */
static int log_next(lua_State *L)
{
	int i = 0;
	if (!lua_isnil(L, 2) && (i = field_of(L) + 1) == 0)
		return 0;
	for (lua_settop(L, 1); i < (int)ARRAY_LEN(log_fields); i++) {
		lua_pushstring(L, log_fields[i]);
		lua_pushvalue(L, -1);
		if (i < LOG_WRITABLE)
			lua_rawget(L, 1);
		else
			push_read_only(L, i);
		if (!lua_isnil(L, -1))
			return 2;
		lua_pop(L, 2);
	}
	return 0;
}

static int log_pairs(lua_State *L)
{
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushcclosure(L, log_next, 1);
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return 3;
}

/* __newindex: a key it does not hold yet, such as the level. */
static int log_newindex(lua_State *L)
{
	int f = field_of(L);
	if (f < 0)
		return not_a_field(L);
	if (f >= LOG_WRITABLE)
		return luaL_error(L, "log.%s is read only", log_fields[f]);
	lua_settop(L, 3);
	lua_rawset(L, 1);
	return 0;
}

static void push_log_metatable(lua_State *L, struct script_chain *c)
{
	lua_createtable(L, 0, 4);
	lua_pushlightuserdata(L, c);
	lua_pushcclosure(L, log_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pushlightuserdata(L, c);
	lua_pushcclosure(L, log_pairs, 1);
	lua_setfield(L, -2, "__pairs");
	lua_pushcfunction(L, log_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable"); /* setmetatable(log, nil) cannot lift it */
}

/* ---- loading ---- */

/* logmash.log from the script that runs (or "init" while loading). */
static void chain_log(void *ctx, const char *msg)
{
	struct script_chain *c = ctx;
	if (c->on_log)
		c->on_log(c->ctx, c->running ? c->running->st.path : "init", msg);
}

static struct volume *chain_volume(void *ctx)
{
	struct script_chain *c = ctx;
	struct script *s = (struct script *)c->running;
	if (!s)
		return NULL;
	if (!s->vol)
		s->vol = volume_new(c->volume_keys_max);
	return s->vol;
}

static int setup(lua_State *L)
{
	struct script_chain *c = lua_touserdata(L, 1);
	sandbox_open(L, c->unsafe, &c->host);

	for (size_t i = 0; i < c->n; i++) {
		struct script *s = &c->s[i];
		sandbox_push_env(L); /* the script's own globals */
		int env = lua_gettop(L);
		c->running = s;
		if (luaL_loadfilex(L, s->st.path, "t") != LUA_OK)
			return lua_error(L);
		lua_pushvalue(L, env);
		lua_setupvalue(L, -2, 1); /* a main chunk's only upvalue is _ENV */
		budget_call_begins(&c->budget);
		lua_call(L, 0, 0);
		budget_call_ends(&c->budget);
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
			budget_call_begins(&c->budget);
			lua_call(L, 0, 0);
			budget_call_ends(&c->budget);
		}
		lua_settop(L, env - 1);
	}
	return 0;
}

struct script_chain *script_chain_load(const struct script_opts *o, struct buf *err)
{
	struct script_chain *c = xcalloc(1, sizeof *c);
	c->mem.limit = o->memory_limit;
	c->on_error = o->on_error;
	c->on_log = o->on_log;
	c->ctx = o->ctx;
	c->unsafe = o->unsafe;
	c->budget.limit = o->budget;
	c->host = (struct sandbox_host){chain_log, chain_volume, c};
	c->volume_keys_max = o->volume_keys_max;
	c->src_ref = LUA_NOREF;
	c->jfields_ref = LUA_NOREF;
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
	struct budget *running = budget_watched(); /* a reload's old chain's, if it fails */
	if (budget_watch(&c->budget, c->L) != 0) {
		buf_printf(err, "cannot start the timer behind --script-budget: %s", strerror(errno));
		script_chain_free(c);
		return NULL;
	}
	lua_pushcfunction(c->L, msgh);
	lua_pushcfunction(c->L, setup);
	lua_pushlightuserdata(c->L, c);
	int status = lua_pcall(c->L, 1, 0, 1);
	budget_call_ends(&c->budget); /* init() may have failed mid-call */
	if (status != LUA_OK) {
		const char *m = status == LUA_ERRMEM ? "out of memory (raise --script-memory)"
						     : lua_tostring(c->L, -1);
		buf_printf(err, "%s", m ? m : "unknown error");
		script_chain_free(c);
		budget_rewatch(running);
		return NULL;
	}
	lua_settop(c->L, 0);
	/* The slots, and room above them for what the run pushes. */
	if (!lua_checkstack(c->L, RUN_TOP + LUA_MINSTACK)) {
		buf_printf(err, "cannot grow the Lua stack (out of memory)");
		script_chain_free(c);
		return NULL;
	}
	static const char *const keys[] = {"message", "level", "items"};
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		lua_pushstring(c->L, keys[i]);
	lua_pushcfunction(c->L, msgh);      /* SLOT_MSGH */
	lua_createtable(c->L, 0, 4);        /* SLOT_LOG: message, level, items */
	push_log_metatable(c->L, c);
	lua_setmetatable(c->L, -2);
	lua_createtable(c->L, 0, 4);        /* SLOT_ITEMS */
	lua_newtable(c->L);                 /* SLOT_SNAP */
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
	budget_forget(&c->budget);
	if (c->L)
		lua_close(c->L);
	buf_free(&c->err);
	free(c->items);
	for (size_t i = 0; i < c->n; i++)
		volume_free(c->s[i].vol);
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

void script_chain_volume(const struct script_chain *c, size_t i, struct volume_totals *t)
{
	if (c->s[i].vol)
		volume_totals(c->s[i].vol, t);
	else
		*t = (struct volume_totals){0};
}

const char *script_chain_dropped_by(const struct script_chain *c)
{
	return c->dropped_by ? c->dropped_by->st.path : NULL;
}

/* ---- running ---- */

/* A script failed for this log: counted and kept with the log's message
 * as it entered the script. */
static void report(struct script_chain *c, struct script *s, const struct record *r)
{
	s->st.errors++;
	snprintf(s->st.last_error, sizeof s->st.last_error, "%s", buf_cstr(&c->err));
	size_t n;
	const char *m = lua_tolstring(c->L, SAVED_MSG, &n);
	printable_excerpt(s->st.excerpt, sizeof s->st.excerpt, m ? m : "", m ? n : 0);
	s->st.excerpt_line = r->line;
	if (c->on_error) {
		char on[256];
		snprintf(on, sizeof on, "%s line %" PRIu64 ": %s", r->source ? r->source : "-",
			 r->line, s->st.excerpt);
		c->on_error(c->ctx, buf_cstr(&c->err), on);
	}
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

/* Replaces the number at idx with its text as an item value: integers
 * exact, other floats in their shortest round-trip form (numfmt.h);
 * Lua's own tostring keeps 14 digits (2^63 -> 9.2233720368548e+18). */
static void number_to_text(lua_State *L, int idx)
{
	idx = lua_absindex(L, idx);
	if (lua_isinteger(L, idx)) {
		lua_tolstring(L, idx, NULL); /* exact already; converts in place */
		return;
	}
	char text[NUMFMT_MAX];
	size_t n = numfmt_double((double)lua_tonumber(L, idx), text);
	lua_pushlstring(L, text, n);
	lua_replace(L, idx);
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
			number_to_text(L, -1);
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
			lua_pushvalue(L, -2);
			if (vt == LUA_TNUMBER)
				number_to_text(L, -1);
			else
				lua_pushstring(L, lua_toboolean(L, -1) ? "true" : "false");
			if (vt == LUA_TBOOLEAN)
				lua_remove(L, -2);
			lua_rawset(L, items);
			lua_pushvalue(L, -2);
			lua_rawget(L, items); /* the string now in the table */
			lua_replace(L, -2);
		} else if (vt != LUA_TSTRING) {
			char key[48];
			size_t kn;
			const char *k = lua_tolstring(L, -2, &kn);
			printable_excerpt(key, sizeof key, k, kn);
			buf_printf(&c->err, "%s: log.items.%s must be a string, number or boolean, not %s",
				   s->st.path, key, lua_typename(L, vt));
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
	const char *lv = r->level != LEVEL_NONE ? level_name(r->level) : NULL;
	if (lv)
		lua_pushstring(L, lv);
	else
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
		luaL_unref(L, LUA_REGISTRYINDEX, c->src_ref);
		lua_pushstring(L, r->source);
		c->src_ref = luaL_ref(L, LUA_REGISTRYINDEX);
		c->src_ptr = r->source;
	}
	c->line = r->line;
	c->time = r->time;
	if (c->jfields_ref != LUA_NOREF) {
		luaL_unref(L, LUA_REGISTRYINDEX, c->jfields_ref);
		c->jfields_ref = LUA_NOREF;
	}
	c->jfields = r->fields;
	c->n_jfields = r->n_fields;
	c->level = lv ? r->level : LEVEL_NONE;
	c->n_items = 0;
	c->checked = 1;
	/* Items it starts with (its input's, or an earlier chain's): the
	 * table holds them, and what is in it must be read back. */
	for (size_t i = 0; i < r->n_items; i++) {
		lua_pushlstring(L, r->items[i].key, r->items[i].key_len);
		lua_pushlstring(L, r->items[i].val, r->items[i].val_len);
		lua_rawset(L, SLOT_ITEMS);
	}
	if (r->n_items) {
		c->n_keys = -1;
		c->checked = 0;
	}
}

/* What the script's result (on top of the stack) says: a filter must
 * answer true or false; an enrich script drops the log by returning
 * false and keeps it by returning nothing, true or the log. Anything
 * else is a mistake (a filter that forgets to answer would otherwise
 * drop everything): -1 with the reason in c->err, and the log is kept. */
static int answer(struct script_chain *c, const struct script *s, int *drop)
{
	lua_State *L = c->L;
	int t = lua_type(L, -1);
	*drop = t == LUA_TBOOLEAN && !lua_toboolean(L, -1);
	if (t == LUA_TBOOLEAN || (s->st.kind == SCRIPT_ENRICH &&
				  (t == LUA_TNIL || lua_rawequal(L, -1, SLOT_LOG))))
		return 0;
	buf_clear(&c->err);
	if (s->st.kind == SCRIPT_FILTER)
		buf_printf(&c->err, "%s: filter returned %s: return true to keep the log, false to "
			   "drop it", s->st.path, lua_typename(L, t));
	else
		buf_printf(&c->err, "%s: enrich returned %s: return nothing (or true) to keep the "
			   "log, false to drop it", s->st.path, lua_typename(L, t));
	return -1;
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
		budget_call_begins(&c->budget);
		int status = lua_pcall(L, 1, 1, SLOT_MSGH);
		budget_call_ends(&c->budget);
		if (status == LUA_OK) {
			int drop;
			if (answer(c, s, &drop) != 0) {
				report(c, s, r);
				restore(c, saved_level);
				lua_settop(L, RUN_TOP);
				continue;
			}
			lua_pop(L, 1);
			if (drop) {
				c->n_keys = -1; /* the script may have changed them */
				s->st.dropped++;
				c->dropped_by = s;
				return SCRIPT_DROP;
			}
			if (check_log(c, s) != 0) {
				report(c, s, r);
				restore(c, saved_level);
			}
		} else {
			buf_clear(&c->err);
			if (status == LUA_ERRMEM)
				buf_printf(&c->err, "%s: out of memory (the Lua state is at its limit: "
					   "raise --script-memory)", s->st.path);
			else
				buf_printf(&c->err, "%s", lua_tostring(L, -1));
			report(c, s, r);
			restore(c, saved_level);
		}
		lua_settop(L, RUN_TOP);
	}
	pull(c, r);
	return SCRIPT_KEEP;
}

int script_specs_same(const struct script_spec *a, size_t na, const struct script_spec *b,
		      size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (a[i].kind != b[i].kind || strcmp(a[i].path, b[i].path) != 0)
			return 0;
	return 1;
}
