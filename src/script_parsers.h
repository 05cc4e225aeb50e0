/* script_parsers.h - the logmash library's parsers and times, written in C
 * for scripts: parse_syslog, parse_access, parse_kv, parse_time and
 * format_time. Their field names are the contract of docs/scripts.md.
 *
 * Each parser returns a table, or nil and a message when the line is not
 * in its format; a wrong argument type raises, as Lua's own functions do. */
#ifndef LOGMASH_SCRIPT_PARSERS_H
#define LOGMASH_SCRIPT_PARSERS_H

#include <lua.h>

/* Sets the functions as fields of the table at index t. */
void script_parsers_open(lua_State *L, int t);

#endif
