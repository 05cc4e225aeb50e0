/* budget.h - the instruction budget of script calls (--script-budget).
 *
 * A count hook makes Lua check every instruction it runs, which would slow
 * every script down for the sake of the rare runaway one. So the hook is
 * only installed into a call that a timer catches running: the timer runs
 * on this thread's CPU clock (it never fires while the thread sleeps) and
 * ticks every millisecond of CPU, or at the kernel's tick if that is
 * coarser (4 ms at HZ=250). A tick that finds a call under way installs the
 * hook (lua_sethook is safe in a signal handler); from then on that call is
 * counted, in steps of BUDGET_STEP instructions, and fails when it has run
 * the budget. A runaway call therefore stops within one tick and the
 * budget; a call the tick never meets costs two stores.
 *
 * One budget is watched at a time: the timer cannot tell states apart, and
 * only one chain runs (a reload's new chain replaces the old). */
#ifndef LOGMASH_BUDGET_H
#define LOGMASH_BUDGET_H

#include <lua.h>
#include <signal.h>

struct budget {
	lua_State *L;                  /* the state whose calls are counted */
	long limit;                    /* instructions a call may run; 0: none */
	long counted;                  /* instructions counted in this call */
	volatile sig_atomic_t in_call; /* a call is under way */
};

/* Makes b the budget the timer watches (starting the timer, once for the
 * process), and L's extraspace point at it. Returns -1 with errno if the
 * system refuses the timer. With no limit, b is not watched. */
int budget_watch(struct budget *b, lua_State *L);

/* The budget watched now (to put back after a failed reload); and stops
 * watching b if it is the one. */
struct budget *budget_watched(void);
void budget_rewatch(struct budget *b);
void budget_forget(const struct budget *b);

static inline void budget_call_begins(struct budget *b)
{
	b->counted = 0;
	b->in_call = 1;
}

static inline void budget_call_ends(struct budget *b)
{
	b->in_call = 0;
	if (lua_gethookmask(b->L))
		lua_sethook(b->L, NULL, 0, 0);
}

/* Has the call under way in L's state spent its budget? The sandbox's
 * pcall, xpcall and coroutine.resume then pass the error on. */
int budget_spent(lua_State *L);

/* A new coroutine of L's state is counted from its creation on: the timer
 * hooks only the main thread, and cannot tell which thread runs. */
void budget_hook_coroutine(lua_State *co);

#endif
