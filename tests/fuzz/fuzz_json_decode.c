/* fuzz_json_decode.c - logmash.json_decode and json_encode (luajson.c,
 * json.c over jsmn), as a script calls them on a log line. Promises:
 * - any input gives a value or (nil, a message), never a crash, and deep
 *   nesting is refused rather than overflowing the C stack;
 * - what decodes encodes again as valid UTF-8;
 * - for valid UTF-8 input, that is stable: decoding the encoding and
 *   encoding it once more gives the same text. (Not for invalid input:
 *   two keys that differ only in invalid bytes both become U+FFFD, and
 *   the second decode keeps one of them.) */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <string.h>

#include "fuzz.h"
#include "luajson.h"

static lua_State *L;

/* json_encode(json_decode(s)), or nil; leaves the stack as it found it
 * apart from the one result. */
static void reencode(const char *s, size_t n)
{
	lua_pushvalue(L, 2); /* encode */
	lua_pushvalue(L, 1); /* decode */
	lua_pushlstring(L, s, n);
	lua_call(L, 1, 2);
	if (lua_isnil(L, -2) && !lua_isnil(L, -1)) {
		PROMISE(lua_type(L, -1) == LUA_TSTRING, "a refusal says why in a string");
		lua_pop(L, 3);
		lua_pushnil(L);
		return;
	}
	lua_pop(L, 1);
	lua_call(L, 1, 2);
	lua_pop(L, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!L) {
		L = luaL_newstate();
		if (!L)
			abort();
		luajson_push_decode(L);
		luajson_push_encode(L);
	}
	reencode((const char *)data, size);
	if (lua_type(L, -1) == LUA_TSTRING) {
		size_t n1;
		const char *e1 = lua_tolstring(L, -1, &n1);
		PROMISE(valid_utf8((const unsigned char *)e1, n1), "the encoding is valid UTF-8");
		if (!valid_utf8(data, size)) {
			lua_pop(L, 1);
			return 0;
		}
		reencode(e1, n1);
		size_t n2;
		const char *e2 = lua_tolstring(L, -1, &n2);
		PROMISE(e2 && n1 == n2 && !memcmp(e1, e2, n1), "decode and encode are stable");
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	PROMISE(lua_gettop(L) == 2, "the stack is balanced");
	lua_gc(L, LUA_GCSTEP, 0);
	return 0;
}
