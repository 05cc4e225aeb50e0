/* ctlclient.h - the client end of the control socket (ctlproto.h), for
 * `logmash top`, `status` and `tap`: connect, send a request, read lines. */
#ifndef LOGMASH_CTLCLIENT_H
#define LOGMASH_CTLCLIENT_H

#include <stddef.h>

#include "buf.h"

struct ctlclient {
	int fd;          /* -1: not connected */
	struct buf in;   /* what was read, from off */
	size_t off;
};

/* Connects to the socket at path. Returns 0, or -1 with the reason and
 * what to do in err. */
int ctlclient_connect(struct ctlclient *c, const char *path, struct buf *err);

/* Sends one request line (the newline is added). Returns 0 or -1. */
int ctlclient_send(struct ctlclient *c, const char *request);

/* The next line (NUL-terminated, without its newline, valid until the next
 * call) into *line: 1; 0 when none came within timeout_ms; -1 when the
 * server hung up. */
int ctlclient_next(struct ctlclient *c, int timeout_ms, char **line, size_t *len);

void ctlclient_close(struct ctlclient *c);

#endif
