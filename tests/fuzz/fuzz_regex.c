/* fuzz_regex.c - logmash.regex (script_regex.c over PCRE2). The input is a
 * pattern, a NUL, then the subject. Promises:
 * - a pattern compiles or raises a message that names it;
 * - a match's [0] is a piece of the subject, and its named captures are
 *   pieces too;
 * - gsub with "$0" and gsub with a function returning nil give the
 *   subject back, counting every match; gmatch meets as many matches;
 * - a match that backtracks past the limits raises, never hangs (the
 *   fuzzer's timeout would catch one). */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <string.h>

#include "fuzz.h"
#include "luamem.h"
#include "script_regex.h"

static lua_State *L;
static struct luamem mem = {.limit = 64 << 20};

static const char *const check =
	"local regex, pat, s = ...\n"
	"local ok, re = pcall(regex, pat)\n"
	"if not ok then assert(type(re) == 'string' and re:find('logmash.regex', 1, true), re) return end\n"
	"local ok2, m = pcall(re.match, re, s)\n"
	"if not ok2 then assert(m:find('regex'), m) return end\n"
	"if m then\n"
	"  assert(s:find(m[0], 1, true), 'the match is a piece of the subject')\n"
	"  for k, v in pairs(m) do if type(k) == 'string' then assert(s:find(v, 1, true)) end end\n"
	"end\n"
	"local ok3, out, n = pcall(re.gsub, re, s, '$0')\n"
	"if not ok3 then return end\n"
	"assert(out == s, 'gsub $0 gives the subject back')\n"
	"local out2, n2 = re:gsub(s, function() return nil end)\n"
	"assert(out2 == s and n2 == n, 'gsub keeping each match gives it back')\n"
	"local k = 0 for _ in re:gmatch(s) do k = k + 1 end\n"
	"assert(k == n, 'gmatch meets each match gsub met')\n"
	"assert(re:test(s) == (n > 0))\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nul = memchr(data, '\0', size);
	if (!nul || size > 4096)
		return 0;
	if (!L) {
		L = lua_newstate(luamem_alloc, &mem);
		if (!L)
			abort();
		luaL_openlibs(L);
		if (luaL_loadstring(L, check) != LUA_OK)
			abort();
		lua_setglobal(L, "check");
		script_regex_push(L);
		lua_setglobal(L, "regex");
	}
	lua_getglobal(L, "check");
	lua_getglobal(L, "regex");
	lua_pushlstring(L, (const char *)data, (size_t)(nul - (const char *)data));
	lua_pushlstring(L, nul + 1, size - (size_t)(nul + 1 - (const char *)data));
	if (lua_pcall(L, 3, 0, 0) != LUA_OK) {
		const char *e = lua_tostring(L, -1);
		/* out of memory is within the limits, not a broken promise */
		if (!e || !strstr(e, "not enough memory")) {
			fprintf(stderr, "broken promise: %s\n", e ? e : "?");
			abort();
		}
		lua_pop(L, 1);
	}
	lua_gc(L, LUA_GCCOLLECT);
	return 0;
}
