/* crash.c - the fatal-signal handler (see crash.h). Only async-signal-safe
 * work happens in it: stores, write(2), backtrace_symbols_fd. */
#include "crash.h"

#include <errno.h>
#include <execinfo.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define MAX_SECRETS 8 /* the token, its header, the ones a reload replaces */

static struct {
	void *volatile p;
	volatile size_t n;
} secrets[MAX_SECRETS];
static void (*volatile first)(void);

static void say(const char *s)
{
	ssize_t w = write(STDERR_FILENO, s, strlen(s));
	(void)w; /* a crash report has nowhere else to go */
}

static void say_hex(uintptr_t v)
{
	char out[2 + 2 * sizeof v + 1], *p = out + sizeof out - 1;
	*p = '\0';
	do {
		*--p = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	*--p = 'x';
	*--p = '0';
	say(p);
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV (invalid memory access)";
	case SIGBUS: return "SIGBUS (bus error)";
	case SIGFPE: return "SIGFPE (arithmetic error)";
	case SIGILL: return "SIGILL (illegal instruction)";
	case SIGABRT: return "SIGABRT (aborted)";
	default: return "a fatal signal";
	}
}

static void on_fatal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	void (*fn)(void) = first;
	if (fn)
		fn();
	for (size_t i = 0; i < MAX_SECRETS; i++)
		if (secrets[i].p)
			wipe(secrets[i].p, secrets[i].n);
	say("logmash: crashed on ");
	say(signal_name(sig));
	if (si && si->si_code <= 0) /* SI_USER, SI_QUEUE...: kill(2), not a fault */
		say(" sent by another process");
	else if (si && (sig == SIGSEGV || sig == SIGBUS)) {
		say(" at address ");
		say_hex((uintptr_t)si->si_addr);
	}
	say(". This is a bug in logmash " LOGMASH_VERSION ": please report it with the "
	    "lines below. Logs not yet acknowledged are sent again on the next start "
	    "(with --state-dir).\n");
	void *frames[64];
	int n = backtrace(frames, 64);
	backtrace_symbols_fd(frames, n, STDERR_FILENO);
	signal(sig, SIG_DFL);
	raise(sig);
}

void crash_init(void)
{
	/* backtrace() loads libgcc on its first call, which may allocate:
	 * do that now, not in the handler. */
	void *one[1];
	(void)backtrace(one, 1);
	/* Its own stack, so that a stack overflow is reported too. */
	static char alt[64 * 1024];
	stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
	if (sigaltstack(&ss, NULL) != 0)
		warnx_("cannot set up the crash handler's stack: %s", strerror(errno));
	static const int crashes[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
	struct sigaction sa = {.sa_sigaction = on_fatal,
			       .sa_flags = SA_SIGINFO | SA_RESETHAND | SA_ONSTACK};
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof crashes / sizeof *crashes; i++)
		if (sigaction(crashes[i], &sa, NULL) != 0)
			warnx_("cannot install the crash handler: %s", strerror(errno));
}

void crash_on(void (*fn)(void))
{
	first = fn;
}

void crash_secret(void *p, size_t n)
{
	for (size_t i = 0; i < MAX_SECRETS; i++)
		if (!secrets[i].p) {
			secrets[i].n = n;
			secrets[i].p = p;
			return;
		}
}

void crash_forget(const void *p)
{
	for (size_t i = 0; i < MAX_SECRETS; i++)
		if (secrets[i].p == p)
			secrets[i].p = NULL;
}
