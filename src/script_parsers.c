/* script_parsers.c - logmash.parse_* and the time helpers for scripts
 * (script_parsers.h): the C parsers (parse_syslog.c, parse_access.c,
 * parse_kv.c, timeconv.c) turned into Lua tables. */
#include "script_parsers.h"

#include <lauxlib.h>
#include <string.h>

#include "level.h"
#include "parse_access.h"
#include "parse_kv.h"
#include "parse_syslog.h"
#include "timeconv.h"
#include "util.h"

/* A scratch buffer of n bytes: on the C stack when small, else a userdata
 * left on the Lua stack for the collector. */
#define SCRATCH_SMALL 4096

static char *scratch(lua_State *L, char *small, size_t n)
{
	return n <= SCRATCH_SMALL ? small : lua_newuserdatauv(L, n, 0);
}

static int fail(lua_State *L, const char *why)
{
	lua_pushnil(L);
	lua_pushstring(L, why);
	return 2;
}

/* t[k] = v, where the table is on top of the stack; absent slices are
 * left out. */
static void put(lua_State *L, const char *k, struct slice v)
{
	if (!v.p)
		return;
	lua_pushlstring(L, v.p, v.n);
	lua_setfield(L, -2, k);
}

static void put_number(lua_State *L, const char *k, double v)
{
	lua_pushnumber(L, v);
	lua_setfield(L, -2, k);
}

static void put_integer(lua_State *L, const char *k, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, k);
}

/* ---- parse_syslog ---- */

/* The structured data's table is under the element's table on the stack. */
static void sd_element(void *ctx, struct slice id)
{
	lua_State *L = ctx;
	lua_pop(L, 1); /* the last element's table */
	lua_pushlstring(L, id.p, id.n);
	lua_newtable(L);
	lua_pushvalue(L, -1);
	lua_insert(L, -3);
	lua_rawset(L, -4);
}

static void sd_param(void *ctx, struct slice name, struct slice value)
{
	lua_State *L = ctx;
	lua_pushlstring(L, name.p, name.n);
	lua_pushlstring(L, value.p, value.n);
	lua_rawset(L, -3);
}

static int l_parse_syslog(lua_State *L)
{
	size_t n;
	const char *s = luaL_checklstring(L, 1, &n);
	struct syslog_line m;
	char why[128];
	if (parse_syslog(s, n, now_wall(), &m, why, sizeof why) != 0)
		return fail(L, why);
	char small[SCRATCH_SMALL];
	char *tmp = scratch(L, small, m.sd.n); /* for the structured data's values */
	lua_createtable(L, 0, 12);
	if (m.severity >= 0) {
		put_integer(L, "facility", m.facility);
		put_integer(L, "severity", m.severity);
		lua_pushstring(L, level_name(m.severity <= 3   ? LEVEL_ERROR
					     : m.severity == 4 ? LEVEL_WARNING
							       : LEVEL_INFORMATION));
		lua_setfield(L, -2, "level");
	}
	if (m.has_time)
		put_number(L, "time", m.time);
	put(L, "host", m.host);
	put(L, "app", m.app);
	put(L, "pid", m.pid);
	put(L, "msgid", m.msgid);
	put(L, "message", m.message);
	if (m.sd.p) {
		lua_newtable(L);
		lua_pushboolean(L, 0); /* stands for the element table sd_element pops */
		if (parse_syslog_sd(m.sd.p, m.sd.n, sd_element, sd_param, L, tmp, m.sd.n, why,
				    sizeof why) != 0)
			return luaL_error(L, "parse_syslog: %s", why); /* checked by parse_syslog */
		lua_pop(L, 1);
		lua_setfield(L, -2, "sd");
	}
	return 1;
}

/* ---- parse_access ---- */

static int l_parse_access(lua_State *L)
{
	size_t n;
	const char *s = luaL_checklstring(L, 1, &n);
	char small[SCRATCH_SMALL];
	char *tmp = scratch(L, small, n);
	struct access_line a;
	char why[128];
	if (parse_access(s, n, tmp, &a, why, sizeof why) != 0)
		return fail(L, why);
	lua_createtable(L, 0, 11);
	put(L, "client", a.client);
	put(L, "ident", a.ident);
	put(L, "user", a.user);
	put_number(L, "time", a.time);
	put(L, "method", a.method);
	put(L, "path", a.path);
	put(L, "protocol", a.protocol);
	put_integer(L, "status", a.status);
	if (a.bytes == (double)(lua_Integer)a.bytes)
		put_integer(L, "bytes", (lua_Integer)a.bytes);
	else
		put_number(L, "bytes", a.bytes);
	put(L, "referer", a.referer);
	put(L, "agent", a.agent);
	return 1;
}

/* ---- parse_kv ---- */

static void kv_pair(void *ctx, struct slice key, struct slice value)
{
	lua_State *L = ctx;
	lua_pushlstring(L, key.p, key.n);
	lua_pushlstring(L, value.p, value.n);
	lua_rawset(L, -3);
}

/* opts.name as a string, or NULL; raises for another type. */
static const char *opt_string(lua_State *L, int t, const char *name)
{
	int type = lua_getfield(L, t, name);
	const char *v = NULL;
	if (type == LUA_TSTRING)
		v = lua_tostring(L, -1);
	else if (type != LUA_TNIL)
		luaL_error(L, "parse_kv: option %s must be a string, not %s", name,
			   lua_typename(L, type));
	lua_pop(L, 1); /* the string stays in opts, which is on the stack */
	return v;
}

static int l_parse_kv(lua_State *L)
{
	size_t n;
	const char *s = luaL_checklstring(L, 1, &n);
	struct kv_opts o = {0};
	if (!lua_isnoneornil(L, 2)) {
		luaL_checktype(L, 2, LUA_TTABLE);
		lua_pushnil(L);
		while (lua_next(L, 2)) {
			const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
			if (strcmp(k, "pair") != 0 && strcmp(k, "kv") != 0 && strcmp(k, "quotes") != 0)
				return luaL_error(L, "parse_kv: %s is not an option (the options are "
						  "pair, kv and quotes)", luaL_tolstring(L, -2, NULL));
			lua_pop(L, 1);
		}
		o.pair = opt_string(L, 2, "pair");
		o.kv = opt_string(L, 2, "kv");
		o.quotes = opt_string(L, 2, "quotes");
	}
	char small[SCRATCH_SMALL];
	char *tmp = scratch(L, small, n);
	char why[128];
	/* Sized for the pairs the line can hold (at most one a separator, and
	 * no more than 64 ahead of time): a table grown pair by pair rehashes
	 * at 1, 2, 4 and 8. */
	int room = 1;
	for (size_t i = 0; i < n && room < 64; i++)
		room += s[i] == ' ';
	lua_createtable(L, 0, room);
	int found = parse_kv(s, n, &o, kv_pair, L, tmp, why, sizeof why);
	if (found < 0)
		return luaL_error(L, "%s", why);
	if (found == 0)
		return fail(L, "parse_kv: no key=value pair in the line");
	return 1;
}

/* ---- times ---- */

static int l_parse_time(lua_State *L)
{
	size_t n;
	const char *s = luaL_checklstring(L, 1, &n);
	const char *fmt = luaL_optstring(L, 2, NULL);
	char why[128];
	double t;
	if (fmt) {
		if (timeconv_parse(s, n, fmt, now_wall(), &t, why, sizeof why) != 0)
			return fail(L, why);
	} else {
		size_t i = 0;
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		size_t used = timeconv_iso(s + i, n - i, &t, why, sizeof why);
		if (!used)
			return fail(L, why);
		i += used;
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i < n)
			return fail(L, "text left after the RFC 3339 time");
	}
	lua_pushnumber(L, t);
	return 1;
}

static int l_format_time(lua_State *L)
{
	double t = luaL_checknumber(L, 1);
	const char *fmt = luaL_optstring(L, 2, NULL);
	char out[256], why[128];
	int len = timeconv_format(t, fmt, out, sizeof out, why, sizeof why);
	if (len < 0)
		return fail(L, why);
	lua_pushlstring(L, out, (size_t)len);
	return 1;
}

void script_parsers_open(lua_State *L, int t)
{
	static const luaL_Reg fns[] = {
		{"parse_syslog", l_parse_syslog}, {"parse_access", l_parse_access},
		{"parse_kv", l_parse_kv},         {"parse_time", l_parse_time},
		{"format_time", l_format_time},   {NULL, NULL}};
	t = lua_absindex(L, t);
	for (const luaL_Reg *f = fns; f->name; f++) {
		lua_pushcfunction(L, f->func);
		lua_setfield(L, t, f->name);
	}
}
