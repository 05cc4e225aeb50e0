/* ctlclient.c - connect, ask, read lines. */
#include "ctlclient.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

#define MAX_LINE ((size_t)64 << 20) /* a server sending more in a line is broken */

int ctlclient_connect(struct ctlclient *c, const char *path, struct buf *err)
{
	memset(c, 0, sizeof *c);
	c->fd = -1;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path) {
		buf_printf(err, "%s: too long for a socket path", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		buf_printf(err, "cannot create a socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		int e = errno;
		buf_printf(err, "cannot connect to %s: %s", path, strerror(e));
		if (e == ENOENT || e == ECONNREFUSED)
			buf_puts(err, " (is logmash running, with this --state-dir or --control-socket?)");
		else if (e == EACCES)
			buf_puts(err, " (run as root, as logmash's user, or as a member of its "
				      "--control-group)");
		close(fd);
		return -1;
	}
	c->fd = fd;
	return 0;
}

int ctlclient_send(struct ctlclient *c, const char *request)
{
	struct buf l = {0};
	buf_puts(&l, request);
	buf_putc(&l, '\n');
	size_t off = 0;
	while (off < l.len) {
		ssize_t w = send(c->fd, l.data + off, l.len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	int ok = off == l.len;
	buf_free(&l);
	return ok ? 0 : -1;
}

int ctlclient_next(struct ctlclient *c, int timeout_ms, char **line, size_t *len)
{
	int64_t deadline = now_mono_ms() + timeout_ms;
	for (;;) {
		char *start = c->in.data ? c->in.data + c->off : NULL;
		char *nl = start ? memchr(start, '\n', c->in.len - c->off) : NULL;
		if (nl) {
			*nl = '\0';
			*line = start;
			*len = (size_t)(nl - start);
			c->off += *len + 1;
			return 1;
		}
		if (c->off && c->in.data) { /* keep only the unfinished line */
			memmove(c->in.data, c->in.data + c->off, c->in.len - c->off);
			c->in.len -= c->off;
			c->off = 0;
		}
		if (c->in.len > MAX_LINE)
			return -1;
		int64_t left = deadline - now_mono_ms();
		if (left < 0)
			left = 0;
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		buf_reserve(&c->in, 65536);
		ssize_t n = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c->in.len += (size_t)n;
	}
}

void ctlclient_close(struct ctlclient *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	buf_free(&c->in);
	c->off = 0;
}
