/* sandbox.h - what a script's Lua state offers: the standard libraries
 * within the sandbox, print() to stderr, and the `logmash` library.
 *
 * The sandbox (lifted by --unsafe-scripts) is built from lists of what it
 * offers, as Lua's linit.c builds its libraries: each library is a new
 * table holding the listed functions, every other function of it raising
 * the sandbox's message; io reads files and writes none, and nothing runs
 * a program or loads native code or binary chunks. It also keeps the
 * instruction budget (budget.h) from being caught by pcall or escaped
 * through coroutines or __gc, and shows the libraries and the global table
 * through read-only views, so that one script cannot change what another
 * sees. docs/scripts.md lists what is offered (a test checks both ways). */
#ifndef LOGMASH_SANDBOX_H
#define LOGMASH_SANDBOX_H

#include <lua.h>

struct volume;

/* What the state's host (the chain) provides; it must outlive the state.
 * log: where logmash.log(...) goes, msg its arguments joined with spaces.
 * volume: the running script's own state of logmash.throttle, .sample and
 * .dedupe (volume.h), made on first use. */
struct sandbox_host {
	void (*log)(void *ctx, const char *msg);
	struct volume *(*volume)(void *ctx);
	void *ctx;
};

/* Opens the libraries into L, sandboxed unless unsafe. L's extraspace must
 * already point at its budget (budget_watch). Raises Lua errors (call it
 * protected). */
void sandbox_open(lua_State *L, int unsafe, const struct sandbox_host *host);

/* Pushes a new table of globals for one script: it reads through to the
 * shared ones, and its _G is itself (_G.x = 1 sets the script's own x).
 * Under the sandbox it starts with a copy of the shared names, so that a
 * script's `tonumber` or `string.format` is found at once rather than
 * behind the read-only global table: assigning one of them changes the
 * script's own globals, as assigning any name does. */
void sandbox_push_env(lua_State *L);

#endif
