/* sandbox.h - what a script's Lua state offers: the standard libraries
 * within the sandbox, print() to stderr, and the `logmash` library.
 *
 * The sandbox (lifted by --unsafe-scripts) takes away what reaches out of
 * the process (os.execute, io.popen, package.loadlib, the debug library,
 * binary chunks), keeps the instruction budget (budget.h) from being caught
 * by pcall or escaped through coroutines or __gc, and shows the libraries
 * and the global table through read-only views, so that one script cannot
 * change what another sees. docs/scripts.md lists it for operators. */
#ifndef LOGMASH_SANDBOX_H
#define LOGMASH_SANDBOX_H

#include <lua.h>

/* Where logmash.log(...) goes: fn(ctx, msg), msg its arguments joined
 * with spaces. It must outlive the state. */
struct sandbox_log {
	void (*fn)(void *ctx, const char *msg);
	void *ctx;
};

/* Opens the libraries into L, sandboxed unless unsafe. L's extraspace must
 * already point at its budget (budget_watch). Raises Lua errors (call it
 * protected). */
void sandbox_open(lua_State *L, int unsafe, const struct sandbox_log *log);

#endif
