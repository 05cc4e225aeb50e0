/* stats.h - the pipeline's counters.
 *
 * Written only by the pipeline's own modules, on the one loop thread; the
 * summary reads them there, the dashboard and the status line a copy in a
 * snapshot (snapshot.h). */
#ifndef LOGMASH_STATS_H
#define LOGMASH_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "latency.h"
#include "level.h"

struct stats {
	uint64_t read;          /* lines framed into logs */
	uint64_t truncated;     /* lines cut at --max-line-bytes */
	uint64_t empty;         /* empty lines: skipped, not logs */
	uint64_t not_format;    /* lines not in their input's format (CRI, docker), sent as they are */
	uint64_t invalid_encoding; /* bytes invalid in their input's encoding, sent as U+FFFD */
	uint64_t dropped;       /* dropped by a filter or enrich script */
	uint64_t script_errors; /* failed script calls (the log went on) */
	uint64_t script_reloads; /* reloads that took (SIGHUP, r, logmash reload) */
	uint64_t reload_failures; /* reloads refused: nothing changed */
	double reload_at;       /* the last reload (wall clock), or 0 */
	uint64_t kept;          /* logs that passed the chain */
	uint64_t sent;          /* acknowledged by the API with a log id */
	uint64_t failed;        /* rejected for good, or out of retries */
	uint64_t retried;       /* retry attempts */
	uint64_t dead_lettered; /* of the failed, written to the dead-letter file */
	uint64_t dead_deleted;  /* of those, in rotated files since deleted (--dead-letter-keep) */
	uint64_t in_flight;     /* requests under way now */
	uint64_t waiting;       /* logs waiting out a backoff (or held after 401/403) */
	uint64_t queued;        /* logs waiting to be sent now */
	uint64_t input_errors;  /* inputs that could not be read */
	uint64_t bytes_sent;    /* request body bytes acknowledged */
	uint64_t by_level[4];   /* sent, by enum level (0 = no level) */
	struct latency latency; /* of the requests the API answered */
	uint64_t latency_sum_us; /* ... their sum (Prometheus' _sum) */
	double last_sent;       /* when the API last acknowledged a log (wall clock) */
	uint64_t connects;      /* connections opened to the API */
	uint32_t conc_limit;    /* requests that may be under way now */
	int http_version;       /* the API's, once it answered: 1 (1.x) or 2; 0 unknown */
	int64_t rtt_baseline_us; /* the round trip without a queue (concurrency.h) */
	int64_t rtt_us;         /* ... and lately */
	char conc_reason[64];   /* why the limit last moved */
	double conc_reason_at;  /* ... and when (wall clock) */
	char reload_result[160]; /* what the last reload did, or why it was refused */
};

/* Writes the exit summary; undelivered counts logs still queued or in flight. */
void stats_print_summary(const struct stats *s, FILE *out, int dry_run);

/* Logs read but neither delivered, dropped, nor given up on yet. */
uint64_t stats_undelivered(const struct stats *s);

#endif
