/* sdnotify.c - systemd's service notifications (see the header). */
#include "sdnotify.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "buf.h"
#include "errlog.h"
#include "status.h"
#include "util.h"

#define STATUS_MS 5000 /* STATUS= this often: a glance at systemctl status */

struct sdnotify {
	void (*fill)(void *ctx, struct snapshot *s, int with_sources);
	void *ctx;
	struct snapshot *now, *prev; /* rates are over the interval */
	int64_t watchdog_ms;         /* 0: no watchdog */
	int64_t next_ping_ms, next_status_ms;
	int told_failure;
};

/* One message; a failure is reported once (systemd may be restarting). */
static void send_msg(struct sdnotify *n, const char *msg)
{
	int rc = sd_notify(0, msg);
	if (rc < 0 && !n->told_failure) {
		errlog_add(ERR_WARNING, "cannot notify systemd (%.20s...): %s", msg, strerror(-rc));
		n->told_failure = 1;
	}
}

struct sdnotify *sdnotify_open(void (*fill)(void *ctx, struct snapshot *s, int with_sources),
			       void *ctx)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	if (!sock || !*sock)
		return NULL;
	struct sdnotify *n = xcalloc(1, sizeof *n);
	n->fill = fill;
	n->ctx = ctx;
	n->now = xcalloc(1, sizeof *n->now);
	n->prev = xcalloc(1, sizeof *n->prev);
	uint64_t usec = 0;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		n->watchdog_ms = (int64_t)(usec / 2000); /* pinged at half the interval */
		if (n->watchdog_ms < 1)
			n->watchdog_ms = 1;
	}
	int64_t now = now_mono_ms();
	n->next_ping_ms = n->watchdog_ms ? now : INT64_MAX;
	n->next_status_ms = now + STATUS_MS;
	fill(ctx, n->prev, 1);
	return n;
}

void sdnotify_close(struct sdnotify *n)
{
	if (!n)
		return;
	free(n->now);
	free(n->prev);
	free(n);
}

void sdnotify_ready(struct sdnotify *n)
{
	if (!n)
		return;
	struct buf b = {0};
	n->fill(n->ctx, n->now, 1);
	buf_puts(&b, "READY=1\nSTATUS=");
	status_systemd(&b, n->now, NULL);
	send_msg(n, buf_cstr(&b));
	buf_free(&b);
}

void sdnotify_stopping(struct sdnotify *n)
{
	if (n)
		send_msg(n, "STOPPING=1\nSTATUS=stopping: sending what was read");
}

void sdnotify_reloading(struct sdnotify *n)
{
	if (!n)
		return;
	/* systemd 253 and later match the reload by the monotonic clock. */
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		ts = (struct timespec){0};
	char msg[96];
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%lld\nSTATUS=reloading",
		 (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
	send_msg(n, msg);
}

void sdnotify_tick(struct sdnotify *n)
{
	if (!n)
		return;
	int64_t now = now_mono_ms();
	if (now >= n->next_ping_ms) {
		send_msg(n, "WATCHDOG=1");
		n->next_ping_ms = now + n->watchdog_ms;
	}
	if (now >= n->next_status_ms) {
		n->fill(n->ctx, n->now, 1);
		struct buf b = {0};
		buf_puts(&b, "STATUS=");
		status_systemd(&b, n->now, n->prev);
		send_msg(n, buf_cstr(&b));
		buf_free(&b);
		struct snapshot *t = n->prev;
		n->prev = n->now;
		n->now = t;
		n->next_status_ms = now + STATUS_MS;
	}
}

long sdnotify_timeout_ms(const struct sdnotify *n)
{
	if (!n)
		return 1000;
	int64_t due = n->next_ping_ms < n->next_status_ms ? n->next_ping_ms : n->next_status_ms;
	int64_t left = due - now_mono_ms();
	return left < 0 ? 0 : left > 1000 ? 1000 : (long)left;
}
