/* util.c - allocation wrapper, fatal errors, clocks. */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Fatal but not a crash: exit 2 at once (no handlers: they might allocate).
 * Checkpoints never move past an unsent log, so the next start loses
 * nothing. */
static _Noreturn void out_of_memory(size_t n)
{
	fprintf(stderr, "logmash: out of memory allocating %zu bytes: stopping; the next start "
		"resumes from the checkpoints (free memory, or lower --queue-max-bytes)\n", n);
	_exit(EXIT_FATAL);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		out_of_memory(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		out_of_memory(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		out_of_memory(n);
	return q;
}

char *xstrndup(const char *s, size_t n)
{
	char *d = xmalloc(n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

/* While the dashboard owns the terminal, warnings go where it shows them. */
static void (*warn_sink)(const char *msg);
static void (*die_hook)(void);

static void vreport(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static void vreport(const char *fmt, va_list ap)
{
	char msg[8192]; /* a config file's every mistake, a line each */
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (warn_sink)
		warn_sink(msg);
	else
		fprintf(stderr, "logmash: %s\n", msg);
}

void set_warn_sink(void (*sink)(const char *msg), void (*before_die)(void))
{
	warn_sink = sink;
	die_hook = before_die;
}

void die(int code, const char *fmt, ...)
{
	if (die_hook)
		die_hook(); /* gives the terminal back before the message */
	warn_sink = NULL;
	va_list ap;
	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	exit(code);
}

void fatal(const char *fmt, ...)
{
	if (die_hook)
		die_hook();
	warn_sink = NULL;
	va_list ap;
	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	fputs("logmash: stopped; the next start resumes from the checkpoints and loses nothing\n",
	      stderr);
	_exit(EXIT_FATAL);
}

void warnx_(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
}

double now_wall(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t now_mono_us(void)
{
	struct timespec ts;
	/* CLOCK_MONOTONIC cannot fail on Linux; a zero would only stall timers. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t now_mono_ms(void)
{
	return now_mono_us() / 1000;
}

void wipe(void *p, size_t n)
{
	explicit_bzero(p, n); /* memset's speed; the compiler may not drop it */
}

static void wipe_vector_registers(void)
{
#if defined(__x86_64__)
	if (__builtin_cpu_supports("avx512f"))
		__asm__ volatile("vpxord %%zmm16, %%zmm16, %%zmm16\n\tvpxord %%zmm17, %%zmm17, %%zmm17\n\t"
				 "vpxord %%zmm18, %%zmm18, %%zmm18\n\tvpxord %%zmm19, %%zmm19, %%zmm19\n\t"
				 "vpxord %%zmm20, %%zmm20, %%zmm20\n\tvpxord %%zmm21, %%zmm21, %%zmm21\n\t"
				 "vpxord %%zmm22, %%zmm22, %%zmm22\n\tvpxord %%zmm23, %%zmm23, %%zmm23\n\t"
				 "vpxord %%zmm24, %%zmm24, %%zmm24\n\tvpxord %%zmm25, %%zmm25, %%zmm25\n\t"
				 "vpxord %%zmm26, %%zmm26, %%zmm26\n\tvpxord %%zmm27, %%zmm27, %%zmm27\n\t"
				 "vpxord %%zmm28, %%zmm28, %%zmm28\n\tvpxord %%zmm29, %%zmm29, %%zmm29\n\t"
				 "vpxord %%zmm30, %%zmm30, %%zmm30\n\tvpxord %%zmm31, %%zmm31, %%zmm31" ::
					 : "memory");
	if (__builtin_cpu_supports("avx"))
		__asm__ volatile("vzeroall" ::: "memory"); /* ymm0-15 (zmm0-15) whole */
	else
		__asm__ volatile("pxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1\n\t"
				 "pxor %%xmm2, %%xmm2\n\tpxor %%xmm3, %%xmm3\n\t"
				 "pxor %%xmm4, %%xmm4\n\tpxor %%xmm5, %%xmm5\n\t"
				 "pxor %%xmm6, %%xmm6\n\tpxor %%xmm7, %%xmm7\n\t"
				 "pxor %%xmm8, %%xmm8\n\tpxor %%xmm9, %%xmm9\n\t"
				 "pxor %%xmm10, %%xmm10\n\tpxor %%xmm11, %%xmm11\n\t"
				 "pxor %%xmm12, %%xmm12\n\tpxor %%xmm13, %%xmm13\n\t"
				 "pxor %%xmm14, %%xmm14\n\tpxor %%xmm15, %%xmm15" ::: "memory");
#endif
}

__attribute__((noinline)) void wipe_stack(void)
{
	unsigned char below[65536];
	wipe(below, sizeof below);
	/* The C library's strlen and memcpy read 16 to 64 bytes at a time
	 * through the vector registers (xmm, ymm, and with AVX-512 also
	 * ymm16-31): the last ones over the token leave pieces of it there,
	 * and a core dump holds every register. */
	wipe_vector_registers();
}
