/* luajson.h - logmash.json_decode (JSON text to Lua values, with jsmn) and
 * logmash.json_encode (Lua values to JSON text). */
#ifndef LOGMASH_LUAJSON_H
#define LOGMASH_LUAJSON_H

#include <lua.h>

/* Pushes the json_decode function onto L's stack.
 * In Lua: json_decode(s) -> value | nil, message. Objects and arrays become
 * tables, null becomes nil, numbers become integers where they are whole. */
void luajson_push_decode(lua_State *L);

/* Pushes the json_encode function onto L's stack.
 * In Lua: json_encode(v) -> string | nil, message. A table that is a
 * sequence 1..n becomes an array, any other an object (keys must be strings,
 * written in sorted order; an empty table is {}); strings come out as valid
 * UTF-8 (invalid bytes become U+FFFD); NaN, infinity, functions and cycles
 * are refused. */
void luajson_push_encode(lua_State *L);

#endif
