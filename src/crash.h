/* crash.h - what a fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT)
 * does: the terminal given back, the secrets wiped, a short report on
 * stderr with a backtrace and no secret in it, then the signal's own
 * action (a core dump where the system keeps them, without the token). */
#ifndef LOGMASH_CRASH_H
#define LOGMASH_CRASH_H

#include <stddef.h>

/* Installs the handler (once, early in main). */
void crash_init(void);

/* fn runs first when logmash crashes; one at a time (the dashboard's
 * terminal restore). NULL: none. */
void crash_on(void (*fn)(void));

/* n bytes at p hold a secret to wipe on a crash, until crash_forget(p). */
void crash_secret(void *p, size_t n);
void crash_forget(const void *p);

#endif
