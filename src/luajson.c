/* luajson.c - logmash.json_decode and logmash.json_encode. */
#include "luajson.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoder.h"
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
	int r = json_parse(&dc->doc, s, len, MAX_TOKENS);
	if (r != 0) {
		lua_pushnil(L);
		lua_pushstring(L, r == JSON_TOO_DEEP ? "json_decode: nested too deeply"
						     : "json_decode: not a single valid JSON value");
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

/* Pushes fn as a closure over a zeroed state of size bytes, which gc
 * frees when the function is collected: its buffers are reused call after
 * call. */
static void push_with_state(lua_State *L, size_t size, lua_CFunction gc, lua_CFunction fn)
{
	memset(lua_newuserdatauv(L, size, 0), 0, size);
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, gc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	lua_pushcclosure(L, fn, 1);
}

void luajson_push_decode(lua_State *L)
{
	push_with_state(L, sizeof(struct decoder), decoder_gc, l_json_decode);
}

/* ---- json_encode ---- */

struct encoder {
	struct buf out;
	const char *err;
};

struct key {
	const char *s;
	size_t n;
};

static int cmp_keys(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);
	return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Whether the table at idx is a sequence 1..n with nothing else (n > 0). */
static int is_array(lua_State *L, int idx, lua_Integer *n)
{
	*n = (lua_Integer)lua_rawlen(L, idx);
	if (*n == 0)
		return 0;
	lua_Integer count = 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 ||
		    lua_tointeger(L, -1) > *n || ++count > *n) {
			lua_pop(L, 1);
			return 0;
		}
	}
	return count == *n;
}

static int encode_value(lua_State *L, struct encoder *en, int idx, int depth);

static int encode_object(lua_State *L, struct encoder *en, int idx, int depth)
{
	/* Keys sorted, so one table always encodes the same way. The array is
	 * a userdata: a Lua error (the memory limit) cannot leak it. */
	size_t n = 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING) {
			lua_pop(L, 1);
			en->err = "object keys must be strings (or the table a sequence 1..n)";
			return -1;
		}
		n++;
	}
	struct key *keys = lua_newuserdatauv(L, (n ? n : 1) * sizeof *keys, 0);
	int keys_at = lua_gettop(L);
	size_t k = 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		/* The key strings stay alive: they are keys of the table. */
		if (k < n) {
			keys[k].s = lua_tolstring(L, -1, &keys[k].n);
			k++;
		}
	}
	lua_settop(L, keys_at);
	qsort(keys, k, sizeof *keys, cmp_keys);
	buf_putc(&en->out, '{');
	for (size_t i = 0; i < k; i++) {
		if (i)
			buf_putc(&en->out, ',');
		encode_string(&en->out, keys[i].s, keys[i].n);
		buf_putc(&en->out, ':');
		lua_pushlstring(L, keys[i].s, keys[i].n);
		lua_rawget(L, idx);
		int rc = encode_value(L, en, lua_gettop(L), depth + 1);
		lua_pop(L, 1);
		if (rc != 0) {
			lua_settop(L, keys_at - 1);
			return -1;
		}
	}
	buf_putc(&en->out, '}');
	lua_settop(L, keys_at - 1);
	return 0;
}

static int encode_value(lua_State *L, struct encoder *en, int idx, int depth)
{
	if (depth > MAX_DEPTH || !lua_checkstack(L, 6)) {
		en->err = "nested too deeply (or a table that contains itself)";
		return -1;
	}
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		buf_puts(&en->out, "null");
		return 0;
	case LUA_TBOOLEAN:
		buf_puts(&en->out, lua_toboolean(L, idx) ? "true" : "false");
		return 0;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx)) {
			buf_printf(&en->out, LUA_INTEGER_FMT, lua_tointeger(L, idx));
		} else {
			lua_Number v = lua_tonumber(L, idx);
			if (!isfinite(v)) {
				en->err = "NaN and infinity have no JSON form";
				return -1;
			}
			/* The shortest form that reads back the same: 0.1, not
			 * 0.10000000000000001. */
			char num[32];
			for (int prec = 15; prec <= 17; prec++) {
				snprintf(num, sizeof num, "%.*g", prec, (double)v);
				if (strtod(num, NULL) == (double)v)
					break;
			}
			buf_puts(&en->out, num);
			/* A float stays one, as in Lua's tostring (3.0, -0.0): "-0"
			 * would read back as the integer 0. */
			if (!strpbrk(num, ".e"))
				buf_puts(&en->out, ".0");
		}
		return 0;
	case LUA_TSTRING: {
		size_t n;
		const char *s = lua_tolstring(L, idx, &n);
		encode_string(&en->out, s, n);
		return 0;
	}
	case LUA_TTABLE: {
		lua_Integer n;
		if (!is_array(L, idx, &n))
			return encode_object(L, en, idx, depth);
		buf_putc(&en->out, '[');
		for (lua_Integer i = 1; i <= n; i++) {
			if (i > 1)
				buf_putc(&en->out, ',');
			lua_rawgeti(L, idx, i);
			int rc = encode_value(L, en, lua_gettop(L), depth + 1);
			lua_pop(L, 1);
			if (rc != 0)
				return -1;
		}
		buf_putc(&en->out, ']');
		return 0;
	}
	default:
		en->err = "only nil, booleans, numbers, strings and tables have a JSON form";
		return -1;
	}
}

static int l_json_encode(lua_State *L)
{
	luaL_checkany(L, 1);
	lua_settop(L, 1);
	struct encoder *en = lua_touserdata(L, lua_upvalueindex(1));
	en->out.len = 0;
	en->err = NULL;
	if (encode_value(L, en, 1, 0) != 0) {
		lua_pushnil(L);
		lua_pushfstring(L, "json_encode: %s", en->err);
		return 2;
	}
	lua_pushlstring(L, en->out.data, en->out.len);
	return 1;
}

static int encoder_gc(lua_State *L)
{
	struct encoder *en = lua_touserdata(L, 1);
	buf_free(&en->out);
	return 0;
}

void luajson_push_encode(lua_State *L)
{
	push_with_state(L, sizeof(struct encoder), encoder_gc, l_json_encode);
}
