/* script_regex.c - logmash.regex over PCRE2 (script_regex.h).
 *
 * Data model: one struct regex_ctx a Lua state (PCRE2's general, compile
 * and match contexts, and the JIT stack, all allocated through the state's
 * own allocator), a full userdata in the registry that the constructor and
 * every method reach through their upvalue. Each compiled pattern is a
 * full userdata holding its code and a match block sized for its groups;
 * its first user value is the array of its group names (Lua strings,
 * pushed without hashing on every match), its second the pattern itself
 * (for messages). The cache is registry[CACHE][flags][pattern]. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "script_regex.h"

#include <lauxlib.h>
#include <pcre2.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define REGEX_MT "logmash.regex"
#define CACHE "logmash.regex.cache"
/* How much of a pattern a message shows. */
#define PATTERN_SHOWN 120
/* Compiled patterns the cache keeps; past that it starts again empty. */
#define CACHE_MAX 256

struct regex_ctx {
	lua_State *L; /* the main thread: its allocator serves PCRE2 */
	pcre2_general_context *gen;
	pcre2_compile_context *comp;
	pcre2_match_context *match;
	pcre2_jit_stack *jit_stack;
	int cached;
};

struct regex {
	pcre2_code *code;
	pcre2_match_data *md;
	struct regex_ctx *ctx;
	uint32_t groups;
	uint32_t names;
	PCRE2_SPTR name_table; /* in code: 2 bytes of group number, then the name */
	uint32_t name_entry;
};

/* ---- PCRE2's memory, within the state's limit ---- */

/* Each block starts with its size: PCRE2's free does not pass it, and
 * Lua's allocator needs it to keep count. */
#define HDR (sizeof(max_align_t))

static void *re_alloc(PCRE2_SIZE size, void *ud)
{
	struct regex_ctx *c = ud;
	void *aud;
	lua_Alloc f = lua_getallocf(c->L, &aud);
	char *p = f(aud, NULL, 0, size + HDR);
	if (!p)
		return NULL;
	memcpy(p, &size, sizeof size);
	return p + HDR;
}

static void re_free(void *block, void *ud)
{
	if (!block)
		return;
	struct regex_ctx *c = ud;
	void *aud;
	lua_Alloc f = lua_getallocf(c->L, &aud);
	char *p = (char *)block - HDR;
	PCRE2_SIZE size;
	memcpy(&size, p, sizeof size);
	f(aud, p, size + HDR, 0);
}

static int ctx_gc(lua_State *L)
{
	struct regex_ctx *c = lua_touserdata(L, 1);
	pcre2_jit_stack_free(c->jit_stack);
	pcre2_match_context_free(c->match);
	pcre2_compile_context_free(c->comp);
	pcre2_general_context_free(c->gen);
	c->jit_stack = NULL;
	c->match = NULL;
	c->comp = NULL;
	c->gen = NULL;
	return 0;
}

static struct regex_ctx *ctx_new(lua_State *L)
{
	struct regex_ctx *c = lua_newuserdatauv(L, sizeof *c, 0);
	memset(c, 0, sizeof *c);
	lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
	c->L = lua_tothread(L, -1);
	lua_pop(L, 1);
	lua_createtable(L, 0, 2);
	lua_pushcfunction(L, ctx_gc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	c->gen = pcre2_general_context_create(re_alloc, re_free, c);
	if (c->gen)
		c->comp = pcre2_compile_context_create(c->gen);
	if (c->comp)
		c->match = pcre2_match_context_create(c->gen);
	if (!c->match)
		luaL_error(L, "logmash.regex: out of memory");
	pcre2_set_match_limit(c->match, SCRIPT_REGEX_MATCH_LIMIT);
	pcre2_set_heap_limit(c->match, SCRIPT_REGEX_HEAP_KIB);
	/* JIT's own stack, 32 KiB growing to 1 MiB; without it (or without
	 * JIT: MemoryDenyWriteExecute= refuses it) the interpreter runs. */
	c->jit_stack = pcre2_jit_stack_create((size_t)32 << 10, (size_t)1 << 20, c->gen);
	if (c->jit_stack)
		pcre2_jit_stack_assign(c->match, NULL, c->jit_stack);
	return c;
}

/* ---- compiling ---- */

static struct regex *check_re(lua_State *L)
{
	return luaL_checkudata(L, 1, REGEX_MT);
}

static int re_gc(lua_State *L)
{
	struct regex *re = lua_touserdata(L, 1);
	pcre2_match_data_free(re->md);
	pcre2_code_free(re->code);
	re->md = NULL;
	re->code = NULL;
	return 0;
}

static int re_tostring(lua_State *L)
{
	check_re(L);
	lua_getiuservalue(L, 1, 2);
	lua_pushfstring(L, "logmash.regex(%s)", lua_tostring(L, -1));
	return 1;
}

static uint32_t flag_options(lua_State *L, const char *flags)
{
	uint32_t opt = 0;
	for (const char *f = flags; *f; f++) {
		switch (*f) {
		case 'i': opt |= PCRE2_CASELESS; break;
		case 'x': opt |= PCRE2_EXTENDED; break;
		case 's': opt |= PCRE2_DOTALL; break;
		case 'm': opt |= PCRE2_MULTILINE; break;
		default:
			luaL_error(L, "logmash.regex: unknown flag '%c' in \"%s\" (the flags are i "
				   "caseless, x extended, s dotall, m multiline)", *f, flags);
		}
	}
	return opt;
}

/* The pattern at index 1 and its flags, compiled into a new userdata on
 * top of the stack. */
static void compile(lua_State *L, struct regex_ctx *c, const char *flags)
{
	size_t plen;
	const char *pat = lua_tolstring(L, 1, &plen);
	uint32_t opt = flag_options(L, flags) | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	struct regex *re = lua_newuserdatauv(L, sizeof *re, 2);
	memset(re, 0, sizeof *re);
	re->ctx = c;
	luaL_setmetatable(L, REGEX_MT);
	int code;
	PCRE2_SIZE at;
	re->code = pcre2_compile((PCRE2_SPTR)pat, plen, opt, &code, &at, c->comp);
	if (!re->code) {
		PCRE2_UCHAR msg[256];
		char shown[PATTERN_SHOWN];
		pcre2_get_error_message(code, msg, sizeof msg);
		printable_excerpt(shown, sizeof shown, pat, plen);
		luaL_error(L, "logmash.regex: the pattern \"%s\" does not compile: %s (at offset %d)",
			   shown, (const char *)msg, (int)at);
	}
	/* Without JIT (none here, or W^X memory refused) the interpreter
	 * matches alike, only slower. */
	(void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
	re->md = pcre2_match_data_create_from_pattern(re->code, c->gen);
	if (!re->md)
		luaL_error(L, "logmash.regex: out of memory");
	pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &re->groups);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &re->names);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &re->name_table);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &re->name_entry);
	lua_createtable(L, (int)re->names, 0);
	for (uint32_t i = 0; i < re->names; i++) {
		lua_pushstring(L, (const char *)re->name_table + (size_t)i * re->name_entry + 2);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setiuservalue(L, -2, 1);
	lua_pushvalue(L, 1);
	lua_setiuservalue(L, -2, 2);
}

/* logmash.regex(pattern [, flags]): the compiled pattern, from the cache
 * when it was compiled before. Upvalue 1: the context. */
static int l_regex(lua_State *L)
{
	struct regex_ctx *c = lua_touserdata(L, lua_upvalueindex(1));
	luaL_checkstring(L, 1);
	const char *flags = luaL_optstring(L, 2, "");
	lua_settop(L, 2);
	if (lua_getfield(L, LUA_REGISTRYINDEX, CACHE) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, LUA_REGISTRYINDEX, CACHE);
		c->cached = 0;
	}
	int cache = lua_gettop(L);
	lua_pushstring(L, flags);
	if (lua_rawget(L, cache) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushstring(L, flags);
		lua_pushvalue(L, -2);
		lua_rawset(L, cache);
	}
	int by_flags = lua_gettop(L);
	lua_pushvalue(L, 1);
	if (lua_rawget(L, by_flags) == LUA_TUSERDATA)
		return 1;
	lua_pop(L, 1);
	compile(L, c, flags);
	if (++c->cached > CACHE_MAX) { /* start again: what scripts hold stays theirs */
		lua_pushnil(L);
		lua_setfield(L, LUA_REGISTRYINDEX, CACHE);
		c->cached = 0;
	} else {
		lua_pushvalue(L, 1);
		lua_pushvalue(L, -2);
		lua_rawset(L, by_flags);
	}
	return 1;
}

/* ---- matching ---- */

static const char *limit_hint(int rc)
{
	switch (rc) {
	case PCRE2_ERROR_MATCHLIMIT:
	case PCRE2_ERROR_DEPTHLIMIT:
	case PCRE2_ERROR_HEAPLIMIT:
	case PCRE2_ERROR_JIT_STACKLIMIT:
		return " (the pattern backtracks too much on this line: anchor it, or make its "
		       "repeats more specific)";
	default:
		return "";
	}
}

/* Matches s[0..n) from offset at; returns PCRE2's count (> 0), 0 for no
 * match, or raises. */
static int run(lua_State *L, struct regex *re, const char *s, size_t n, size_t at,
	       uint32_t options)
{
	int rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, at, options, re->md, re->ctx->match);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0) {
		PCRE2_UCHAR msg[256];
		char shown[PATTERN_SHOWN];
		size_t plen;
		pcre2_get_error_message(rc, msg, sizeof msg);
		lua_getiuservalue(L, 1, 2);
		const char *pat = lua_tolstring(L, -1, &plen);
		printable_excerpt(shown, sizeof shown, pat, plen);
		return luaL_error(L, "regex \"%s\": %s%s", shown, (const char *)msg, limit_hint(rc));
	}
	/* rc 0 would mean too small a match block: it is made for the pattern */
	return rc;
}

/* The captures of the last match of s as a new table. */
static void push_captures(lua_State *L, struct regex *re, const char *s)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);
	lua_createtable(L, (int)re->groups, (int)re->names + 1);
	for (size_t g = 0; g <= re->groups; g++) {
		if (ov[2 * g] == PCRE2_UNSET)
			continue;
		lua_pushlstring(L, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
		lua_rawseti(L, -2, (lua_Integer)g);
	}
	if (!re->names)
		return;
	lua_getiuservalue(L, 1, 1);
	for (uint32_t i = 0; i < re->names; i++) {
		PCRE2_SPTR e = re->name_table + (size_t)i * re->name_entry;
		size_t g = (size_t)e[0] << 8 | e[1];
		if (ov[2 * g] == PCRE2_UNSET)
			continue; /* a group that took no part is absent */
		lua_rawgeti(L, -1, (lua_Integer)i + 1);
		lua_rawgeti(L, -3, (lua_Integer)g);
		lua_rawset(L, -4);
	}
	lua_pop(L, 1);
}

/* A 1-based start as string.find takes it, as a 0-based offset; n + 1
 * past the end means no match. */
static size_t start_offset(lua_State *L, int arg, size_t n)
{
	lua_Integer init = luaL_optinteger(L, arg, 1);
	if (init < 0)
		init = (lua_Integer)n + init + 1 < 1 ? 1 : (lua_Integer)n + init + 1;
	else if (init == 0)
		init = 1;
	return (size_t)init - 1;
}

static int l_match(lua_State *L)
{
	struct regex *re = check_re(L);
	size_t n;
	const char *s = luaL_checklstring(L, 2, &n);
	size_t at = start_offset(L, 3, n);
	if (at > n || !run(L, re, s, n, at, 0)) {
		lua_pushnil(L);
		return 1;
	}
	push_captures(L, re, s);
	return 1;
}

static int l_test(lua_State *L)
{
	struct regex *re = check_re(L);
	size_t n;
	const char *s = luaL_checklstring(L, 2, &n);
	lua_pushboolean(L, run(L, re, s, n, 0, 0) > 0);
	return 1;
}

/* The offset past one character at s[at] (UTF-8: its continuation bytes
 * too), for stepping over an empty match. */
static size_t next_char(const char *s, size_t n, size_t at)
{
	at++;
	while (at < n && ((unsigned char)s[at] & 0xC0) == 0x80)
		at++;
	return at;
}

/* The next match of s at or after *at, never the same empty match twice:
 * after an empty match at p, a non-empty one at p, else from the next
 * character (Perl's rule). *empty says the last match was empty. Leaves
 * the match in re->md; returns whether there was one. */
static int next_match(lua_State *L, struct regex *re, const char *s, size_t n, size_t *at,
		      int *empty)
{
	while (*at <= n) {
		uint32_t opt = *empty ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0;
		if (run(L, re, s, n, *at, opt)) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);
			*empty = ov[0] == ov[1];
			*at = ov[1];
			return 1;
		}
		if (!*empty)
			return 0;
		*empty = 0;
		if (*at >= n)
			return 0;
		*at = next_char(s, n, *at);
	}
	return 0;
}

/* The iterator of gmatch. Upvalues: the regex, the subject, the offset,
 * whether the last match was empty. */
static int gmatch_next(lua_State *L)
{
	lua_settop(L, 0);
	lua_pushvalue(L, lua_upvalueindex(1)); /* index 1, as the methods expect */
	struct regex *re = lua_touserdata(L, 1);
	size_t n;
	const char *s = lua_tolstring(L, lua_upvalueindex(2), &n);
	size_t at = (size_t)lua_tointeger(L, lua_upvalueindex(3));
	int empty = lua_toboolean(L, lua_upvalueindex(4));
	if (!next_match(L, re, s, n, &at, &empty)) {
		lua_pushinteger(L, (lua_Integer)n + 1);
		lua_replace(L, lua_upvalueindex(3));
		return 0;
	}
	lua_pushinteger(L, (lua_Integer)at);
	lua_replace(L, lua_upvalueindex(3));
	lua_pushboolean(L, empty);
	lua_replace(L, lua_upvalueindex(4));
	push_captures(L, re, s);
	return 1;
}

static int l_gmatch(lua_State *L)
{
	check_re(L);
	luaL_checkstring(L, 2);
	lua_settop(L, 2);
	lua_pushinteger(L, 0);
	lua_pushboolean(L, 0);
	lua_pushcclosure(L, gmatch_next, 4);
	return 1;
}

/* ---- substitution ---- */

/* The group a replacement names at t[*i] (after its '$'): $1, $name,
 * ${1} or ${name}; raises if the pattern has no such group. */
static uint32_t template_group(lua_State *L, struct regex *re, const char *t, size_t tn,
			       size_t *i)
{
	int braced = *i < tn && t[*i] == '{';
	size_t start = *i + (size_t)braced, j = start;
	while (j < tn && (t[j] == '_' || (t[j] >= '0' && t[j] <= '9') ||
			  ((t[j] | 0x20) >= 'a' && (t[j] | 0x20) <= 'z')))
		j++;
	if (j == start || (braced && (j >= tn || t[j] != '}')))
		luaL_error(L, "gsub: a '$' in the replacement must be followed by a group's number "
			   "or name, as $1, $name or ${name} ($$ for a '$')");
	*i = j + (size_t)braced;
	char name[64];
	size_t len = j - start;
	if (len >= sizeof name)
		luaL_error(L, "gsub: the replacement names a group with too long a name");
	memcpy(name, t + start, len);
	name[len] = '\0';
	if (name[0] >= '0' && name[0] <= '9') {
		char *end;
		unsigned long g = strtoul(name, &end, 10);
		if (*end || g > re->groups)
			luaL_error(L, "gsub: the replacement names $%s, and the pattern has %d groups",
				   name, (int)re->groups);
		return (uint32_t)g;
	}
	int g = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)name);
	if (g < 0)
		luaL_error(L, "gsub: the replacement names $%s, which is not a group of the pattern",
			   name);
	return (uint32_t)g;
}

/* Appends the template t with the last match's groups put in. With b
 * NULL, only checks it (before any match, so a mistake shows at once). */
static void expand(lua_State *L, struct regex *re, const char *s, const char *t, size_t tn,
		   luaL_Buffer *b)
{
	PCRE2_SIZE *ov = b ? pcre2_get_ovector_pointer(re->md) : NULL;
	for (size_t i = 0; i < tn;) {
		const char *d = memchr(t + i, '$', tn - i);
		size_t lit = d ? (size_t)(d - t) - i : tn - i;
		if (b)
			luaL_addlstring(b, t + i, lit);
		i += lit;
		if (!d)
			break;
		i++;
		if (i < tn && t[i] == '$') {
			if (b)
				luaL_addchar(b, '$');
			i++;
			continue;
		}
		size_t g = template_group(L, re, t, tn, &i);
		if (b && ov[2 * g] != PCRE2_UNSET)
			luaL_addlstring(b, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
	}
}

/* A function's replacement for the last match: its result, or the match
 * itself for nil or false. */
static void call_replacement(lua_State *L, struct regex *re, const char *s, luaL_Buffer *b)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);
	size_t from = ov[0], to = ov[1]; /* the function may match again */
	lua_pushvalue(L, 3);
	push_captures(L, re, s);
	lua_call(L, 1, 1);
	if (!lua_toboolean(L, -1)) {
		lua_pop(L, 1);
		luaL_addlstring(b, s + from, to - from);
	} else if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER) {
		luaL_addvalue(b);
	} else {
		luaL_error(L, "gsub: the replacement function returned a %s (a string, or nil to "
			   "keep the match)", luaL_typename(L, -1));
	}
}

static int l_gsub(lua_State *L)
{
	struct regex *re = check_re(L);
	size_t n, tn = 0;
	const char *s = luaL_checklstring(L, 2, &n);
	const char *t = NULL;
	int fn = lua_type(L, 3) == LUA_TFUNCTION;
	if (!fn)
		t = luaL_checklstring(L, 3, &tn);
	lua_Integer most = luaL_optinteger(L, 4, LUA_MAXINTEGER);
	lua_settop(L, 3);
	if (!fn)
		expand(L, re, s, t, tn, NULL);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	size_t at = 0, copied = 0;
	int empty = 0;
	lua_Integer count = 0;
	while (count < most && next_match(L, re, s, n, &at, &empty)) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);
		luaL_addlstring(&b, s + copied, ov[0] - copied);
		copied = ov[1];
		if (fn)
			call_replacement(L, re, s, &b);
		else
			expand(L, re, s, t, tn, &b);
		count++;
	}
	luaL_addlstring(&b, s + copied, n - copied);
	luaL_pushresult(&b);
	lua_pushinteger(L, count);
	return 2;
}

void script_regex_push(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{"match", l_match}, {"test", l_test}, {"gmatch", l_gmatch}, {"gsub", l_gsub},
		{NULL, NULL}};
	if (luaL_newmetatable(L, REGEX_MT)) {
		lua_newtable(L);
		luaL_setfuncs(L, methods, 0);
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, re_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, re_tostring);
		lua_setfield(L, -2, "__tostring");
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable"); /* shared by every script: not theirs to change */
	}
	lua_pop(L, 1);
	ctx_new(L);
	lua_pushcclosure(L, l_regex, 1);
}
