/* util.h - the one allocation wrapper, fatal errors and clocks.
 *
 * Allocation failure is fatal: logmash bounds its memory by design, so a
 * failed malloc means the machine is out of memory, not that a log is big. */
#ifndef LOGMASH_UTIL_H
#define LOGMASH_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define LOGMASH_VERSION "0.1.0"

/* Exit codes: what each promises is written once, in logmash.1's EXIT
 * STATUS, which test_cli.py checks these against. */
enum {
	EXIT_DELIVERED = 0,   /* every log read was delivered (or dropped by a filter) */
	EXIT_UNDELIVERED = 1, /* some logs were not delivered, or an input failed */
	EXIT_USAGE = 2,       /* bad option, config or script: nothing was sent */
	EXIT_FATAL = 2,       /* a system call failed for good: stopped at once; the
			       * checkpoints never passed an unsent log, so the next
			       * start loses nothing */
	EXIT_AUTH = 3,        /* the API refused the token or project id */
	EXIT_ENDPOINT = 4,    /* the API's URL is wrong (404, 405, a redirect, 400 to every log) */
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Never NULL: out of memory aborts. */
void *xmalloc(size_t n) __attribute__((returns_nonnull, malloc));
void *xcalloc(size_t n, size_t size) __attribute__((returns_nonnull, malloc));
void *xrealloc(void *p, size_t n) __attribute__((returns_nonnull));
char *xstrdup(const char *s) __attribute__((returns_nonnull, malloc));
char *xstrndup(const char *s, size_t n) __attribute__((returns_nonnull, malloc));

/* Prints "logmash: MESSAGE" to stderr and exits with code. */
_Noreturn void die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prints "logmash: MESSAGE" to stderr. */
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* From now on warnx_ hands its message to sink instead of stderr, and die
 * calls before_die first (both NULL: back to stderr). */
void set_warn_sink(void (*sink)(const char *msg), void (*before_die)(void));

/* Reports what failed and exits with EXIT_FATAL at once (_exit: from any
 * thread, running no handler that might need what just failed). */
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Seconds since the epoch, with sub-second precision. */
double now_wall(void);

/* Milliseconds on the monotonic clock: for timers and durations. */
int64_t now_mono_ms(void);

/* The same in microseconds. */
int64_t now_mono_us(void);

/* Overwrites n bytes at p in a way the compiler may not elide (secrets). */
void wipe(void *p, size_t n);

/* Overwrites the 64 KiB of stack below the caller (what library calls,
 * printf and memcpy's spills, left of a secret in their frames) and, on
 * x86-64, clears the vector registers (what strlen and memcpy last read). */
void wipe_stack(void);

#endif
