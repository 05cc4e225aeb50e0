/* sdnotify.h - telling systemd how the service is (Type=notify).
 *
 * Under a unit with Type=notify, systemd passes NOTIFY_SOCKET; elsewhere
 * this module does nothing. It sends READY=1 once the sources are open and
 * the sender is up (systemctl start returns then), a STATUS= line every few
 * seconds ("sending 2.3k/s, queued 12, behind 0 B, 0 errors", what
 * `systemctl status` shows), WATCHDOG=1 from the event loop at half the
 * unit's WatchdogSec= (a loop stuck longer gets the service restarted), and
 * STOPPING=1 when a drain begins. It reads snapshots through the same
 * callback as the console, never the pipeline. */
#ifndef LOGMASH_SDNOTIFY_H
#define LOGMASH_SDNOTIFY_H

#include "snapshot.h"

struct sdnotify;

/* NULL when systemd does not listen (no NOTIFY_SOCKET): every call below
 * takes NULL and does nothing. fill is called on this (the loop's) thread. */
struct sdnotify *sdnotify_open(void (*fill)(void *ctx, struct snapshot *s, int with_sources),
			       void *ctx);
void sdnotify_close(struct sdnotify *n);

void sdnotify_ready(struct sdnotify *n);
void sdnotify_stopping(struct sdnotify *n);
/* A reload begins (sdnotify_ready says it ended). */
void sdnotify_reloading(struct sdnotify *n);

/* Sends what is due: the watchdog's ping, the status line. */
void sdnotify_tick(struct sdnotify *n);

/* How long the loop may sleep before sdnotify_tick is due, in ms. */
long sdnotify_timeout_ms(const struct sdnotify *n);

#endif
