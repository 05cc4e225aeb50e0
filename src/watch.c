/* watch.c - inotify on folders, polling where it cannot serve. */
#include "watch.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "util.h"

#define MASK (IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | \
	      IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF)

void watch_init(struct watch *w)
{
	memset(w, 0, sizeof *w);
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		warnx_("inotify is not available (%s): following files by polling every 250 ms",
		       strerror(errno));
		w->polling = 1;
	}
}

void watch_free(struct watch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	for (size_t i = 0; i < w->n; i++)
		free(w->w[i].dir);
	free(w->w);
	memset(w, 0, sizeof *w);
	w->fd = -1;
}

/* File systems where inotify does not hear other hosts' writes. */
static int network_fs(const char *dir)
{
	static const long types[] = {
		0x6969,     /* NFS */
		0x517B,     /* SMB */
		(long)0xFF534D42, /* CIFS */
		(long)0xFE534D42, /* SMB2 */
		0x65735546, /* FUSE (sshfs, ...) */
		0x00C36400, /* Ceph */
		0x01021997, /* 9P */
		0x5346414F, /* AFS */
		0x73757245, /* Coda */
		0x47504653, /* GPFS */
		0x0BD00BD0, /* Lustre */
	};
	struct statfs sf;
	if (statfs(dir, &sf) != 0)
		return 0;
	for (size_t i = 0; i < sizeof types / sizeof *types; i++)
		if ((long)sf.f_type == types[i])
			return 1;
	return 0;
}

void watch_dir(struct watch *w, const char *dir)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->w[i].dir, dir) == 0)
			return;
	int wd = -1;
	if (network_fs(dir)) {
		warnx_("%s is on a network file system, where inotify misses other hosts' writes: "
		       "polling it every 250 ms", dir);
		w->polling = 1;
	} else if (w->fd >= 0) {
		wd = inotify_add_watch(w->fd, dir, MASK | IN_ONLYDIR);
		if (wd < 0 && errno == ENOSPC && !w->warned_limit) {
			warnx_("inotify's watch limit is reached (fs.inotify.max_user_watches): polling "
			       "%s and any further folders every 250 ms", dir);
			w->warned_limit = 1;
		}
		if (wd < 0)
			w->polling = 1;
	}
	w->w = xrealloc(w->w, (w->n + 1) * sizeof *w->w);
	w->w[w->n].wd = wd;
	w->w[w->n].dir = xstrdup(dir);
	w->n++;
}

int watch_read(struct watch *w, watch_fn fn, void *ctx)
{
	int overflow = 0;
	if (w->fd < 0)
		return 0;
	char buf[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* EAGAIN: drained */
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)(void *)p;
			p += sizeof *ev + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				overflow = 1;
				continue;
			}
			for (size_t i = 0; i < w->n; i++) {
				if (w->w[i].wd == ev->wd) {
					fn(ctx, w->w[i].dir, ev->len ? ev->name : "", ev->mask);
					break;
				}
			}
		}
	}
	return overflow;
}
