/* budget.c - the instruction budget of script calls: a CPU timer, and a
 * count hook installed only into the call it catches (budget.h). */
#include "budget.h"

#include <lauxlib.h>
#include <time.h>
#include <unistd.h>

#define BUDGET_STEP 1000
#define TICK_NS 1000000

static struct budget *volatile watched;

static struct budget *of(lua_State *L)
{
	return *(struct budget **)lua_getextraspace(L);
}

static void budget_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	struct budget *b = of(L);
	b->counted += BUDGET_STEP;
	if (b->counted >= b->limit) {
		lua_sethook(L, NULL, 0, 0);
		/* Where the call is now: luaL_where(L, 1) would name its caller. */
		lua_Debug here;
		if (lua_getstack(L, 0, &here) && lua_getinfo(L, "Sl", &here) && here.currentline > 0)
			lua_pushfstring(L, "%s:%d: ", here.short_src, here.currentline);
		else
			lua_pushliteral(L, "");
		lua_pushfstring(L, "%sran over its instruction budget (--script-budget %I): an "
				"endless loop?", lua_tostring(L, -1), (lua_Integer)b->limit);
		lua_error(L);
	}
}

int budget_spent(lua_State *L)
{
	const struct budget *b = of(L);
	return b->in_call && b->limit && b->counted >= b->limit;
}

void budget_hook_coroutine(lua_State *co)
{
	if (of(co)->limit)
		lua_sethook(co, budget_hook, LUA_MASKCOUNT, BUDGET_STEP);
}

static void on_tick(int sig)
{
	(void)sig;
	struct budget *b = watched;
	if (b && b->in_call && !lua_gethookmask(b->L))
		lua_sethook(b->L, budget_hook, LUA_MASKCOUNT, BUDGET_STEP);
}

/* Starts the tick, once for the process; -1 if the system refuses. */
static int start_ticking(void)
{
	static int started;
	if (started)
		return 0;
	int sig = SIGRTMIN;
	struct sigaction sa = {.sa_handler = on_tick, .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0)
		return -1;
	struct sigevent sev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = sig};
	sev._sigev_un._tid = gettid(); /* this thread: the one that runs the scripts */
	timer_t t;
	if (timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &t) != 0)
		return -1;
	struct itimerspec every = {.it_interval = {0, TICK_NS}, .it_value = {0, TICK_NS}};
	if (timer_settime(t, 0, &every, NULL) != 0)
		return -1;
	started = 1;
	return 0;
}

int budget_watch(struct budget *b, lua_State *L)
{
	b->L = L;
	*(struct budget **)lua_getextraspace(L) = b;
	if (b->limit <= 0)
		return 0;
	if (start_ticking() != 0)
		return -1;
	watched = b;
	return 0;
}

struct budget *budget_watched(void)
{
	return watched;
}

void budget_rewatch(struct budget *b)
{
	watched = b;
}

void budget_forget(const struct budget *b)
{
	if (watched == b)
		watched = NULL;
}
