/* metrics_http.c - libmicrohttpd serving /metrics and /health. */
#include "metrics_http.h"

#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "metrics.h"
#include "util.h"

struct metrics_server {
	struct MHD_Daemon *d;
	struct snapshot_box box;
	struct snapshot *snap;  /* the loop's, filled then published */
	void (*fill)(void *ctx, struct snapshot *s, int with_sources);
	void *ctx;
	int64_t due_ms;
	unsigned port;
};

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *type,
			       struct buf *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(body->len, body->data,
								 MHD_RESPMEM_MUST_FREE);
	if (!r) {
		buf_free(body);
		return MHD_NO;
	}
	body->data = NULL; /* the response owns it now */
	enum MHD_Result rc = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (rc == MHD_YES)
		rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* On libmicrohttpd's thread: renders the latest snapshot. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **state)
{
	struct metrics_server *m = cls;
	(void)version, (void)upload, (void)state;
	struct buf body = {0};
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		buf_puts(&body, "only GET\n");
		return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", &body);
	}
	if (*upload_size)
		return MHD_NO;
	int metrics = strcmp(url, "/metrics") == 0, health = strcmp(url, "/health") == 0;
	int live = strcmp(url, "/health/live") == 0;
	if (!metrics && !health && !live) {
		buf_puts(&body, "logmash serves /metrics, /health and /health/live\n");
		return respond(conn, MHD_HTTP_NOT_FOUND, "text/plain", &body);
	}
	struct snapshot *s = malloc(sizeof *s);
	if (!s)
		return MHD_NO;
	snapshot_read(&m->box, s);
	unsigned status = MHD_HTTP_OK;
	if (metrics) {
		metrics_render(&body, s);
	} else if (live) {
		double age = now_wall() - s->taken;
		status = age > METRICS_STUCK_SECONDS ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK;
		if (status == MHD_HTTP_OK)
			buf_puts(&body, "alive\n");
		else
			buf_printf(&body, "stuck: the event loop published nothing for %.0f s\n", age);
	} else {
		struct health h;
		health_judge(s, NULL, 0, &h);
		/* Degraded still answers 200: only what needs someone, or a
		 * long outage, takes it out of rotation. */
		status = h.level == HEALTH_DOWN ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK;
		buf_printf(&body, "%s: %s\n", h.level == HEALTH_DOWN ? "down" : "ok", h.reason);
	}
	free(s);
	buf_reserve(&body, 1); /* never an empty buffer: MUST_FREE needs one */
	return respond(conn, status,
		       metrics ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8",
		       &body);
}

/* "HOST:PORT", "[V6]:PORT" or ":PORT" into an address. */
static struct addrinfo *resolve(const char *listen, struct buf *err)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	if (!colon || !colon[1]) {
		buf_printf(err, "--metrics-listen %s: give ADDRESS:PORT, such as 127.0.0.1:9464", listen);
		return NULL;
	}
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535) {
		buf_printf(err, "--metrics-listen %s: the port is a number from 0 to 65535", listen);
		return NULL;
	}
	size_t hl = (size_t)(colon - listen);
	if (hl >= sizeof host) {
		buf_printf(err, "--metrics-listen %s: the address is too long", listen);
		return NULL;
	}
	memcpy(host, listen, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE};
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai);
	if (rc != 0 || !ai) {
		buf_printf(err, "--metrics-listen %s: %s (give a numeric address and port, such as "
			   "127.0.0.1:9464)", listen, gai_strerror(rc));
		return NULL;
	}
	return ai;
}

struct metrics_server *metrics_server_start(const char *listen,
					    void (*fill)(void *ctx, struct snapshot *s, int with_sources),
					    void *ctx, struct buf *err)
{
	struct addrinfo *ai = resolve(listen, err);
	if (!ai)
		return NULL;
	struct metrics_server *m = xcalloc(1, sizeof *m);
	m->fill = fill;
	m->ctx = ctx;
	m->snap = xcalloc(1, sizeof *m->snap);
	if (snapshot_box_init(&m->box) != 0) {
		buf_printf(err, "cannot set up the metrics' snapshot lock");
		goto fail;
	}
	fill(ctx, m->snap, 1);
	snapshot_publish(&m->box, m->snap);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* A few scrapers and probes at most: a handful of connections, each
	 * dropped after 10 s idle, so nothing can pile up here. */
	m->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)16, MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned)10, MHD_OPTION_END);
	if (!m->d) {
		buf_printf(err, "--metrics-listen %s: cannot listen there (in use, or not an address "
			   "of this host?)", listen);
		snapshot_box_free(&m->box);
		goto fail;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT);
	m->port = info ? info->port : 0;
	m->due_ms = now_mono_ms() + METRICS_PUBLISH_MS;
	freeaddrinfo(ai);
	return m;
fail:
	freeaddrinfo(ai);
	free(m->snap);
	free(m);
	return NULL;
}

unsigned metrics_server_port(const struct metrics_server *m)
{
	return m->port;
}

void metrics_server_tick(struct metrics_server *m)
{
	int64_t now = now_mono_ms();
	if (now < m->due_ms)
		return;
	m->fill(m->ctx, m->snap, 1);
	snapshot_publish(&m->box, m->snap);
	m->due_ms = now + METRICS_PUBLISH_MS;
}

long metrics_server_timeout_ms(const struct metrics_server *m)
{
	int64_t left = m->due_ms - now_mono_ms();
	return left < 0 ? 0 : left > 1000 ? 1000 : (long)left;
}

void metrics_server_stop(struct metrics_server *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->d);
	snapshot_box_free(&m->box);
	free(m->snap);
	free(m);
}
