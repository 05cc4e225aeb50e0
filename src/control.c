/* control.c - the control socket's server, on the event loop's thread. */
#include "control.h"

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "command.h"
#include "ctlproto.h"
#include "encoder.h"
#include "errlog.h"
#include "snapjson.h"
#include "util.h"

#define SELF_POLL_MS 20 /* when the loop does not wait, it looks this often */
#define PENDING_COMMANDS 32

struct client {
	int fd;
	struct buf in;          /* a request not yet ended by its newline */
	struct buf out;         /* replies not yet written, from out_off */
	size_t out_off;
	int64_t progress_ms;    /* when it last took output (or had none pending) */
	int closing;            /* drop once out is written */
	int snap;               /* subscribed to snapshots */
	long interval_ms;
	int64_t next_snap_ms;
	int tap;                /* subscribed to tap */
	long tap_limit;         /* lines a second */
	double tokens;
	int64_t refilled_ms;
	uint64_t skipped;       /* tap lines that did not fit, not yet told */
};

struct control {
	struct control_opts o;
	char *path;
	dev_t dev;
	ino_t ino;
	int fd;
	gid_t gid;
	int has_gid;
	struct client cl[CONTROL_MAX_CLIENTS];
	size_t n;
	struct json_doc doc;
	struct snapshot *snap;
	struct buf snap_json;   /* this tick's snapshot, encoded once for all */
	int64_t self_polled_ms;
	char cmds[PENDING_COMMANDS];
	size_t n_cmds;
};

static void set_err(struct buf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* err holds the reason alone. */
static void set_err(struct buf *err, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	buf_clear(err);
	buf_puts(err, text);
}

/* A socket at path: replaced when nobody answers on it, refused when a
 * live process does, and anything else there is left alone. */
static int clear_path(const char *path, struct buf *err)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : (set_err(err, "cannot look at %s: %s", path, strerror(errno)), -1);
	if (!S_ISSOCK(st.st_mode)) {
		set_err(err, "%s exists and is not a socket: give --control-socket another path", path);
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		set_err(err, "cannot create a socket: %s", strerror(errno));
		return -1;
	}
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	int live = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	if (live) {
		set_err(err, "another process serves the control socket %s (another logmash?); "
			"give --control-socket another path", path);
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		set_err(err, "cannot remove the stale socket %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

struct control *control_open(const struct control_opts *o, struct buf *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(o->path) >= sizeof sa.sun_path) {
		set_err(err, "the control socket path %s is longer than a socket's %zu bytes: give "
			"--control-socket a shorter one", o->path, sizeof sa.sun_path - 1);
		return NULL;
	}
	memcpy(sa.sun_path, o->path, strlen(o->path) + 1);
	gid_t gid = 0;
	int has_gid = 0;
	if (o->group) {
		struct group gr, *found = NULL;
		char tmp[4096];
		if (getgrnam_r(o->group, &gr, tmp, sizeof tmp, &found) != 0 || !found) {
			set_err(err, "--control-group %s: no such group", o->group);
			return NULL;
		}
		gid = gr.gr_gid;
		has_gid = 1;
	}
	if (clear_path(o->path, err) != 0)
		return NULL;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		set_err(err, "cannot create the control socket: %s", strerror(errno));
		return NULL;
	}
	/* Created 0600 from the start: no moment when others could connect. */
	mode_t old = umask(0177);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	int bind_errno = errno;
	umask(old);
	struct stat st;
	if (rc != 0 || listen(fd, 8) != 0 || stat(o->path, &st) != 0) {
		set_err(err, "cannot listen on %s: %s", o->path, strerror(rc != 0 ? bind_errno : errno));
		close(fd);
		return NULL;
	}
	if (has_gid && (chown(o->path, (uid_t)-1, gid) != 0 || chmod(o->path, 0660) != 0)) {
		set_err(err, "cannot give the control socket %s to --control-group: %s", o->path,
			strerror(errno));
		close(fd);
		unlink(o->path);
		return NULL;
	}
	struct control *c = xcalloc(1, sizeof *c);
	c->o = *o;
	c->path = xstrdup(o->path);
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	c->fd = fd;
	c->gid = gid;
	c->has_gid = has_gid;
	c->snap = xcalloc(1, sizeof *c->snap);
	return c;
}

static void drop(struct control *c, size_t i)
{
	struct client *k = &c->cl[i];
	close(k->fd);
	buf_free(&k->in);
	buf_free(&k->out);
	c->cl[i] = c->cl[--c->n];
	memset(&c->cl[c->n], 0, sizeof c->cl[c->n]);
}

void control_close(struct control *c)
{
	if (!c)
		return;
	while (c->n)
		drop(c, c->n - 1);
	close(c->fd);
	/* Only if it is still ours: a later logmash may have replaced it. */
	struct stat st;
	if (lstat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
	json_doc_free(&c->doc);
	buf_free(&c->snap_json);
	free(c->snap);
	free(c->path);
	free(c);
}

/* Whether uid is a member of gid (its primary group, or a supplementary one). */
static int in_group(uid_t uid, gid_t gid)
{
	struct passwd pw, *found = NULL;
	char tmp[4096];
	if (getpwuid_r(uid, &pw, tmp, sizeof tmp, &found) != 0 || !found)
		return 0;
	gid_t groups[256];
	int n = 256;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
		return 0;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return 1;
	return 0;
}

static int peer_allowed(const struct control *c, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof cr;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0)
		return 0;
	if (cr.uid == 0 || cr.uid == geteuid())
		return 1;
	return c->has_gid && (cr.gid == c->gid || in_group(cr.uid, c->gid));
}

/* Writes what is pending, without waiting. */
static void flush_client(struct client *k)
{
	while (k->out_off < k->out.len) {
		ssize_t w = send(k->fd, k->out.data + k->out_off, k->out.len - k->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				k->closing = 2; /* gone */
			return;
		}
		k->out_off += (size_t)w;
		k->progress_ms = now_mono_ms();
	}
	buf_clear(&k->out);
	k->out_off = 0;
}

static size_t pending(const struct client *k)
{
	return k->out.len - k->out_off;
}

static void reply(struct client *k, const char *type, const char *key, const char *text)
{
	if (pending(k) == 0)
		k->progress_ms = now_mono_ms();
	buf_printf(&k->out, "{\"v\":%d,\"type\":\"%s\"", CTL_VERSION, type);
	if (key) {
		buf_printf(&k->out, ",\"%s\":", key);
		encode_string(&k->out, text, strlen(text));
	}
	buf_puts(&k->out, "}\n");
}

static void push_command(struct control *c, char cmd)
{
	if (c->n_cmds < PENDING_COMMANDS)
		c->cmds[c->n_cmds++] = cmd;
}

static void handle_request(struct control *c, struct client *k, const char *line, size_t len)
{
	struct ctl_request r;
	char err[256];
	if (ctl_parse(line, len, &r, &c->doc, err, sizeof err) != 0) {
		reply(k, "error", "error", err);
		return;
	}
	switch (r.cmd) {
	case CTL_SNAPSHOT:
		k->snap = 1;
		k->interval_ms = r.interval_ms;
		k->next_snap_ms = 0; /* the first at once */
		break;
	case CTL_TAP:
		k->tap = 1;
		k->tap_limit = r.limit;
		k->tokens = (double)r.limit;
		k->refilled_ms = now_mono_ms();
		break;
	case CTL_PAUSE: push_command(c, CMD_PAUSE); break;
	case CTL_RESUME: push_command(c, CMD_RESUME); break;
	case CTL_RELOAD: push_command(c, CMD_RELOAD); break;
	case CTL_STOP: push_command(c, CMD_STOP); break;
	case CTL_RETRY: push_command(c, CMD_RETRY_NOW); break;
	}
	reply(k, "ok", "cmd", ctl_cmd_name(r.cmd));
}

static void read_client(struct control *c, struct client *k)
{
	char chunk[4096];
	for (;;) {
		ssize_t n = recv(k->fd, chunk, sizeof chunk, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
			k->closing = 2; /* hung up */
			return;
		}
		if (n < 0)
			return;
		for (ssize_t i = 0; i < n; i++) {
			if (chunk[i] != '\n') {
				if (k->in.len <= CTL_LINE_MAX)
					buf_putc(&k->in, chunk[i]);
				continue;
			}
			if (k->in.len > CTL_LINE_MAX) {
				char msg[80];
				snprintf(msg, sizeof msg, "a request is one line of at most %d bytes",
					 CTL_LINE_MAX);
				reply(k, "error", "error", msg);
				k->closing = 1;
				return;
			}
			handle_request(c, k, k->in.data ? k->in.data : "", k->in.len);
			buf_clear(&k->in);
		}
		if (k->in.len > CTL_LINE_MAX) {
			reply(k, "error", "error", "request too long: a request is one line of at most 4096 bytes");
			k->closing = 1;
			return;
		}
	}
}

static void accept_clients(struct control *c)
{
	for (;;) {
		int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				errlog_add(ERR_WARNING, "control socket: cannot accept a client: %s",
					   strerror(errno));
			return;
		}
		struct client tmp = {.fd = fd};
		const char *refuse = !peer_allowed(c, fd) ? "not allowed: connect as root, as "
							     "logmash's user, or as a member of --control-group"
				     : c->n == CONTROL_MAX_CLIENTS ? "too many clients (16): try again later"
								   : NULL;
		if (refuse) {
			reply(&tmp, "error", "error", refuse);
			flush_client(&tmp);
			buf_free(&tmp.out);
			close(fd);
			continue;
		}
		struct client *k = &c->cl[c->n++];
		*k = tmp;
		k->progress_ms = now_mono_ms();
		buf_printf(&k->out, "{\"v\":%d,\"type\":\"hello\",\"version\":\"%s\",\"pid\":%ld}\n",
			   CTL_VERSION, LOGMASH_VERSION, (long)getpid());
		flush_client(k);
	}
}

size_t control_poll_fds(const struct control *c, struct pollfd *fds, size_t max)
{
	size_t k = 0;
	if (max == 0)
		return 0;
	fds[k++] = (struct pollfd){.fd = c->fd, .events = POLLIN};
	for (size_t i = 0; i < c->n && k < max; i++)
		fds[k++] = (struct pollfd){.fd = c->cl[i].fd,
					   .events = (short)(POLLIN | (pending(&c->cl[i]) ? POLLOUT : 0))};
	return k;
}

/* This tick's snapshot, taken and encoded at most once. */
static const struct buf *snapshot_line(struct control *c, int *taken)
{
	if (!*taken) {
		c->o.fill(c->o.ctx, c->snap, 1);
		buf_clear(&c->snap_json);
		buf_printf(&c->snap_json, "{\"v\":%d,\"type\":\"snapshot\",\"snapshot\":", CTL_VERSION);
		snapjson_write(&c->snap_json, c->snap);
		buf_puts(&c->snap_json, "}\n");
		*taken = 1;
	}
	return &c->snap_json;
}

void control_tick(struct control *c, const struct pollfd *fds, size_t n)
{
	int64_t now = now_mono_ms();
	struct pollfd own[1 + CONTROL_MAX_CLIENTS];
	if (!fds) {
		if (now - c->self_polled_ms < SELF_POLL_MS)
			goto timers;
		n = control_poll_fds(c, own, 1 + CONTROL_MAX_CLIENTS);
		if (poll(own, n, 0) <= 0)
			goto timers;
		fds = own;
	}
	c->self_polled_ms = now;
	/* Clients first, by their descriptors (drop() reorders the array). */
	for (size_t j = 1; j < n; j++) {
		if (!fds[j].revents)
			continue;
		for (size_t i = 0; i < c->n; i++) {
			struct client *k = &c->cl[i];
			if (k->fd != fds[j].fd)
				continue;
			if (fds[j].revents & (POLLIN | POLLHUP | POLLERR))
				read_client(c, k);
			flush_client(k);
			break;
		}
	}
	if (n > 0 && fds[0].revents)
		accept_clients(c);
timers:;
	int taken = 0;
	for (size_t i = 0; i < c->n;) {
		struct client *k = &c->cl[i];
		/* A new snapshot only once the last one was taken: a slow
		 * client gets fewer, never a backlog. */
		if (k->snap && now >= k->next_snap_ms && pending(k) == 0 && !k->closing) {
			const struct buf *line = snapshot_line(c, &taken);
			k->progress_ms = now;
			buf_append(&k->out, line->data, line->len);
			k->next_snap_ms = now + k->interval_ms;
		}
		if (k->tap && k->skipped && pending(k) == 0) {
			buf_printf(&k->out, "{\"v\":%d,\"type\":\"dropped\",\"count\":%" PRIu64 "}\n",
				   CTL_VERSION, k->skipped);
			k->skipped = 0;
		}
		if (pending(k))
			flush_client(k);
		int stalled = pending(k) && now - k->progress_ms >= c->o.stall_ms;
		if (stalled)
			errlog_add(ERR_WARNING, "control socket: dropped a client that took nothing "
				   "for %.1f s (--control-stall)", (double)c->o.stall_ms / 1000);
		if (stalled || k->closing == 2 || (k->closing && !pending(k))) {
			drop(c, i);
			continue;
		}
		i++;
	}
}

long control_timeout_ms(const struct control *c)
{
	int64_t now = now_mono_ms();
	long t = 1000;
	for (size_t i = 0; i < c->n; i++) {
		const struct client *k = &c->cl[i];
		if (k->snap && pending(k) == 0) {
			int64_t left = k->next_snap_ms - now;
			if (left < t)
				t = left < 0 ? 0 : (long)left;
		}
		if (k->tap && k->skipped && t > 100)
			t = 100;
	}
	return t;
}

int control_command(struct control *c)
{
	if (!c->n_cmds)
		return 0;
	int cmd = (unsigned char)c->cmds[0];
	memmove(c->cmds, c->cmds + 1, --c->n_cmds);
	return cmd;
}

static void refill(struct client *k, int64_t now)
{
	k->tokens += (double)k->tap_limit * (double)(now - k->refilled_ms) / 1000.0;
	if (k->tokens > (double)k->tap_limit)
		k->tokens = (double)k->tap_limit;
	k->refilled_ms = now;
}

int control_tapping(struct control *c)
{
	int64_t now = 0; /* read only when a tap client is there: this runs for every request */
	for (size_t i = 0; i < c->n; i++) {
		struct client *k = &c->cl[i];
		if (!k->tap || k->closing)
			continue;
		if (!now)
			now = now_mono_ms();
		refill(k, now);
		if (k->tokens >= 1)
			return 1;
	}
	return 0;
}

void control_tap(struct control *c, const char *source, const char *input, uint64_t line,
		 long status, const char *outcome, const char *body, size_t len)
{
	struct buf l = {0};
	buf_printf(&l, "{\"v\":%d,\"type\":\"tap\",\"time\":%.3f,\"source\":", CTL_VERSION, now_wall());
	encode_string(&l, source ? source : "", source ? strlen(source) : 0);
	buf_puts(&l, ",\"input\":");
	encode_string(&l, input ? input : "", input ? strlen(input) : 0);
	buf_printf(&l, ",\"line\":%" PRIu64 ",\"status\":%ld,\"outcome\":\"%s\",\"body\":", line, status,
		   outcome);
	buf_append(&l, body, len); /* already JSON: the request's own body */
	buf_puts(&l, "}\n");
	for (size_t i = 0; i < c->n; i++) {
		struct client *k = &c->cl[i];
		if (!k->tap || k->closing || k->tokens < 1)
			continue;
		if (pending(k) >= CONTROL_TAP_BACKLOG) {
			k->skipped++;
			continue;
		}
		k->tokens -= 1;
		if (pending(k) == 0)
			k->progress_ms = now_mono_ms();
		buf_append(&k->out, l.data, l.len);
		flush_client(k);
	}
	buf_free(&l);
}

size_t control_clients(const struct control *c)
{
	return c ? c->n : 0;
}

const char *control_path(const struct control *c)
{
	return c->path;
}
