/* luajson.h - logmash.json_decode: JSON text to Lua values, with jsmn. */
#ifndef LOGMASH_LUAJSON_H
#define LOGMASH_LUAJSON_H

#include <lua.h>

/* Pushes the json_decode function onto L's stack.
 * In Lua: json_decode(s) -> value | nil, message. Objects and arrays become
 * tables, null becomes nil, numbers become integers where they are whole. */
void luajson_push_decode(lua_State *L);

#endif
