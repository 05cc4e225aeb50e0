/* metrics_http.h - GET /metrics, GET /health and GET /health/live over
 * HTTP, served by libmicrohttpd on a thread of its own (--metrics-listen
 * ADDR:PORT).
 *
 * Like the dashboard, it never touches the pipeline: the loop publishes a
 * snapshot every METRICS_PUBLISH_MS into a box, and each request renders
 * the latest (metrics.h, health.h). */
#ifndef LOGMASH_METRICS_HTTP_H
#define LOGMASH_METRICS_HTTP_H

#include "buf.h"
#include "snapshot.h"

#define METRICS_PUBLISH_MS 250
/* /health/live answers 503 when the loop published nothing this long: it
 * is stuck (the shipped unit's WatchdogSec= too), where a restart helps.
 * /health's 503 (a long outage, a refused token) is not that. */
#define METRICS_STUCK_SECONDS 30

struct metrics_server;

/* Listens on listen ("127.0.0.1:9464", "[::1]:9464", ":9464" for every
 * address). Returns NULL with the reason in err. */
struct metrics_server *metrics_server_start(const char *listen,
					    void (*fill)(void *ctx, struct snapshot *s, int with_sources),
					    void *ctx, struct buf *err);

/* The port it listens on (the one chosen, for port 0). */
unsigned metrics_server_port(const struct metrics_server *m);

/* Publishes a snapshot when one is due. */
void metrics_server_tick(struct metrics_server *m);

/* How long the loop may sleep before metrics_server_tick is due (ms). */
long metrics_server_timeout_ms(const struct metrics_server *m);

void metrics_server_stop(struct metrics_server *m);

#endif
