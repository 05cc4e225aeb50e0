/* history.h - what the dashboard derives from successive snapshots: rates
 * and latency percentiles over the last few seconds, and sends a second
 * over the last minutes for the sparkline. Pure: fed snapshots, no clock
 * of its own, so it is tested with made-up ones. */
#ifndef LOGMASH_HISTORY_H
#define LOGMASH_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "latency.h"
#include "snapshot.h"

#define HISTORY_SECONDS 600 /* the sparkline's reach */
#define RATE_WINDOW 5       /* seconds the rates and percentiles cover */

enum counter { C_READ, C_DROPPED, C_SENT, C_FAILED, C_RETRIED, C_DEAD, N_COUNTERS };

struct history_sample {
	double t;
	uint64_t c[N_COUNTERS];
	struct latency lat;
};

struct history {
	/* One sample a second, the newest RATE_WINDOW + 1 of them. */
	struct history_sample win[RATE_WINDOW + 1];
	size_t win_n, win_head;
	/* Sends in each whole second, oldest first, the newest at the end. */
	uint32_t sent[HISTORY_SECONDS];
	size_t sent_n;
	double last_t;
};

void history_init(struct history *h);

/* Takes a snapshot in; samples at most once a second (of s->taken). */
void history_add(struct history *h, const struct snapshot *s);

/* Per second over the window (0 until two samples). */
double history_rate(const struct history *h, enum counter c);

/* A latency quantile over the window, in microseconds (0: no requests). */
uint64_t history_latency(const struct history *h, double q);

/* The last n seconds of sends a second, oldest first, into out (which
 * has room for n); returns how many were written (fewer when younger). */
size_t history_sends(const struct history *h, uint32_t *out, size_t n);

#endif
