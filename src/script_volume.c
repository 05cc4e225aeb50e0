/* script_volume.c - the volume helpers as scripts call them (see
 * script_volume.h). Time is the monotonic clock: a throttle's rate holds
 * when the wall clock steps. */
#include "script_volume.h"

#include <lauxlib.h>
#include <math.h>

#include "util.h"
#include "volume.h"

static struct volume *volume_of(lua_State *L)
{
	const struct sandbox_host *host = lua_touserdata(L, lua_upvalueindex(1));
	struct volume *v = host->volume ? host->volume(host->ctx) : NULL;
	if (!v)
		luaL_error(L, "the volume helpers are not available here");
	return v;
}

static double now_seconds(void)
{
	return (double)now_mono_us() / 1e6;
}

static double positive(lua_State *L, int arg, const char *what, int zero_ok)
{
	double x = luaL_checknumber(L, arg);
	if (!isfinite(x) || x < 0 || (!zero_ok && x == 0))
		luaL_argerror(L, arg, lua_pushfstring(L, "%s must be a number above 0%s", what,
						      zero_ok ? " or 0" : ""));
	return x;
}

/* logmash.throttle(key, per_second [, burst]) -> allowed, refused before */
static int l_throttle(lua_State *L)
{
	size_t n;
	const char *key = luaL_checklstring(L, 1, &n);
	double rate = positive(L, 2, "per_second", 1);
	double burst = lua_isnoneornil(L, 3) ? (rate < 1 ? 1 : rate) : positive(L, 3, "burst", 0);
	uint64_t refused;
	int ok = volume_throttle(volume_of(L), key, n, rate, burst, now_seconds(), &refused);
	lua_pushboolean(L, ok);
	lua_pushinteger(L, (lua_Integer)refused);
	return 2;
}

/* logmash.sample(key, n) -> whether this is the 1st, n+1st, ... */
static int l_sample(lua_State *L)
{
	size_t len;
	const char *key = luaL_checklstring(L, 1, &len);
	lua_Integer n = luaL_checkinteger(L, 2);
	luaL_argcheck(L, n >= 1, 2, "n must be 1 or more");
	lua_pushboolean(L, volume_sample(volume_of(L), key, len, (uint64_t)n));
	return 1;
}

/* logmash.dedupe(key, seconds) -> first in its window, repeats the last
 * window refused */
static int l_dedupe(lua_State *L)
{
	size_t n;
	const char *key = luaL_checklstring(L, 1, &n);
	double seconds = positive(L, 2, "seconds", 0);
	uint64_t repeats;
	int first = volume_dedupe(volume_of(L), key, n, seconds, now_seconds(), &repeats);
	lua_pushboolean(L, first);
	lua_pushinteger(L, (lua_Integer)repeats);
	return 2;
}

void script_volume_open(lua_State *L, int t, const struct sandbox_host *host)
{
	static const luaL_Reg fns[] = {
		{"throttle", l_throttle}, {"sample", l_sample}, {"dedupe", l_dedupe},
	};
	t = lua_absindex(L, t);
	for (size_t i = 0; i < sizeof fns / sizeof *fns; i++) {
		lua_pushlightuserdata(L, (void *)host);
		lua_pushcclosure(L, fns[i].func, 1);
		lua_setfield(L, t, fns[i].name);
	}
}
