/* humanize.h - numbers as an operator reads them at a glance. Each writes
 * a NUL-terminated string of at most n-1 bytes into out and returns out. */
#ifndef LOGMASH_HUMANIZE_H
#define LOGMASH_HUMANIZE_H

#include <stddef.h>
#include <stdint.h>

/* 999, 1.2k, 12.3k, 123k, 1.2M, 1.2G */
char *human_count(char *out, size_t n, double v);

/* 512 B, 1.5 KiB, 12 MiB, 3.2 GiB */
char *human_bytes(char *out, size_t n, uint64_t v);

/* 0:42, 12:05, 3:04:05, 2d 03:04 (seconds) */
char *human_uptime(char *out, size_t n, double secs);

/* 850 us, 1.2 ms, 12 ms, 1.20 s (microseconds) */
char *human_latency(char *out, size_t n, uint64_t us);

#endif
