/* metrics.h - a snapshot in the Prometheus text exposition format
 * (version 0.0.4), for GET /metrics (metrics_http.h serves it).
 *
 * Names follow Prometheus' conventions: logmash_ prefix, base units
 * (seconds, bytes), _total on counters. The per-source gauge carries a
 * path label for at most METRICS_MAX_SOURCES sources; the rest are summed
 * under path="(other)", so that many files cannot flood the time series. */
#ifndef LOGMASH_METRICS_H
#define LOGMASH_METRICS_H

#include "buf.h"
#include "snapshot.h"

#define METRICS_MAX_SOURCES 100

void metrics_render(struct buf *out, const struct snapshot *s);

#endif
