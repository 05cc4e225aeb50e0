/* script_regex.h - logmash.regex: PCRE2 regular expressions for scripts.
 *
 *   local re = logmash.regex("(?<user>\\w+)@(?<host>\\S+)", "i")
 *   re:match(s [, init]) -> {[0] = whole, [1..n] = groups, name = group} or nil
 *   re:test(s)           -> boolean
 *   re:gmatch(s)         -> an iterator of such tables
 *   re:gsub(s, repl [, n]) -> string, count  (repl: "$name $1 ${name} $$", or a
 *                           function of the captures table)
 *
 * Patterns are UTF-8 (a subject's invalid bytes never match a character, and
 * never raise), JIT-compiled where the system allows it, and bounded: a match
 * that backtracks past PCRE2's match or heap limit is an error for that log,
 * not a stalled pipeline. What PCRE2 allocates counts against the state's
 * --script-memory. logmash.regex(same pattern, same flags) returns the
 * compiled object it returned before (a small cache), so a pattern written
 * inside enrich() compiles once. */
#ifndef LOGMASH_SCRIPT_REGEX_H
#define LOGMASH_SCRIPT_REGEX_H

#include <lua.h>

/* How far a match may backtrack (PCRE2's match limit) and how much heap
 * its backtracking may hold, per call. */
#define SCRIPT_REGEX_MATCH_LIMIT 1000000
#define SCRIPT_REGEX_HEAP_KIB 16384

/* Pushes the logmash.regex function onto L's stack. Raises Lua errors
 * (call it protected). */
void script_regex_push(lua_State *L);

#endif
