/* luajson.c - logmash.json_decode. */
#include "luajson.h"

#include <lauxlib.h>
#include <string.h>

#include "json.h"

#define MAX_DEPTH 200      /* deeper nesting is refused, not a C stack overflow */
#define MAX_TOKENS (1 << 20)

struct decoder {
	struct json_doc doc;
	struct buf tmp;
	const char *err;
};

/* Pushes the value at token i; returns the index after it, or -1. */
static int push_value(lua_State *L, struct decoder *dc, int i, int depth)
{
	struct json_doc *d = &dc->doc;
	const jsmntok_t *t = &d->tok[i];
	if (depth > MAX_DEPTH || !lua_checkstack(L, 4)) {
		dc->err = "nested too deeply";
		return -1;
	}
	switch (t->type) {
	case JSMN_OBJECT: {
		int n = t->size, j = i + 1;
		lua_createtable(L, 0, n);
		for (int m = 0; m < n; m++) {
			if (json_string(d, j, &dc->tmp) != 0) {
				dc->err = "invalid object key";
				return -1;
			}
			lua_pushlstring(L, dc->tmp.data, dc->tmp.len);
			j = push_value(L, dc, j + 1, depth + 1);
			if (j < 0)
				return -1;
			lua_rawset(L, -3); /* a null value sets nothing: the key is absent */
		}
		return j;
	}
	case JSMN_ARRAY: {
		int n = t->size, j = i + 1;
		lua_createtable(L, n, 0);
		for (int k = 1; k <= n; k++) {
			j = push_value(L, dc, j, depth + 1);
			if (j < 0)
				return -1;
			lua_rawseti(L, -2, k);
		}
		return j;
	}
	case JSMN_STRING:
		if (json_string(d, i, &dc->tmp) != 0) {
			dc->err = "invalid escape in a string";
			return -1;
		}
		lua_pushlstring(L, dc->tmp.data, dc->tmp.len);
		return i + 1;
	case JSMN_PRIMITIVE: {
		const char *s = d->js + t->start;
		size_t n = (size_t)(t->end - t->start);
		if (n == 4 && memcmp(s, "true", 4) == 0)
			lua_pushboolean(L, 1);
		else if (n == 5 && memcmp(s, "false", 5) == 0)
			lua_pushboolean(L, 0);
		else if (n == 4 && memcmp(s, "null", 4) == 0)
			lua_pushnil(L);
		else {
			buf_clear(&dc->tmp);
			buf_append(&dc->tmp, s, n);
			if (!strchr("-0123456789", s[0]) ||
			    lua_stringtonumber(L, buf_cstr(&dc->tmp)) == 0) {
				dc->err = "invalid literal";
				return -1;
			}
		}
		return i + 1;
	}
	default:
		dc->err = "invalid JSON";
		return -1;
	}
}

static int l_json_decode(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	struct decoder *dc = lua_touserdata(L, lua_upvalueindex(1));
	int top = lua_gettop(L);
	dc->err = NULL;
	if (json_parse(&dc->doc, s, len, MAX_TOKENS) != 0) {
		lua_pushnil(L);
		lua_pushliteral(L, "json_decode: not a single valid JSON value");
		return 2;
	}
	if (push_value(L, dc, 0, 0) < 0) {
		lua_settop(L, top);
		lua_pushnil(L);
		lua_pushfstring(L, "json_decode: %s", dc->err);
		return 2;
	}
	return 1;
}

static int decoder_gc(lua_State *L)
{
	struct decoder *dc = lua_touserdata(L, 1);
	json_doc_free(&dc->doc);
	buf_free(&dc->tmp);
	return 0;
}

void luajson_push_decode(lua_State *L)
{
	struct decoder *dc = lua_newuserdatauv(L, sizeof *dc, 0);
	memset(dc, 0, sizeof *dc);
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, decoder_gc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	lua_pushcclosure(L, l_json_decode, 1);
}
