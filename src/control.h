/* control.h - the control socket: a running logmash, watched and steered
 * by `logmash top`, `status` and `tap` (ctlproto.h is the protocol).
 *
 * A Unix stream socket, mode 0600 (0660 with a group), each peer's
 * credentials checked (SO_PEERCRED): root, logmash's own user, or a member
 * of the group. Everything runs on the event loop's thread without ever
 * blocking it: sockets are non-blocking, each client's output is bounded,
 * a client gets a new snapshot only once it took the last, tap lines that
 * do not fit are counted and skipped, and a client that takes nothing for
 * stall_ms (--control-stall) is dropped. Bad requests get an error reply. The token
 * is in nothing sent: snapshots and request bodies do not hold it. */
#ifndef LOGMASH_CONTROL_H
#define LOGMASH_CONTROL_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "snapshot.h"

#define CONTROL_MAX_CLIENTS 16
#define CONTROL_TAP_BACKLOG ((size_t)256 * 1024) /* tap output waiting, at most */

struct control_opts {
	const char *path;
	const char *group;   /* NULL: owner only (0600) */
	int64_t stall_ms;    /* a client that takes nothing this long is dropped */
	/* Fills s with the pipeline's state now, sources included. */
	void (*fill)(void *ctx, struct snapshot *s, int with_sources);
	void *ctx;
};

struct control;

/* Listens on o->path (a stale socket there is replaced; a live one, or
 * anything else, is refused). Returns NULL with the reason in err. */
struct control *control_open(const struct control_opts *o, struct buf *err);

/* Closes every client and removes the socket. NULL is fine. */
void control_close(struct control *c);

/* The descriptors to poll; returns how many were put in fds (at most max). */
size_t control_poll_fds(const struct control *c, struct pollfd *fds, size_t max);

/* Accepts, reads requests, writes, sends what is due. fds: what
 * control_poll_fds gave, after a poll (NULL when the loop did not wait:
 * then it looks for itself, at most every few milliseconds). */
void control_tick(struct control *c, const struct pollfd *fds, size_t n);

/* How long the loop may sleep before control_tick is due (ms, <= 1000). */
long control_timeout_ms(const struct control *c);

/* The next command a client sent (enum command), or 0 for none. */
int control_command(struct control *c);

/* Whether a tap client would take a line now (cheap: ask before building). */
int control_tapping(struct control *c);

/* One request's outcome for the tap clients: body is the JSON it sent;
 * input names the input its log was read by ("" when none does now). */
void control_tap(struct control *c, const char *source, const char *input, uint64_t line,
		 long status, const char *outcome, const char *body, size_t len);

/* The socket's path. */
const char *control_path(const struct control *c);

/* Clients connected now. */
size_t control_clients(const struct control *c);

#endif
