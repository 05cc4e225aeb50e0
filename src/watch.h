/* watch.h - hearing about changes in the folders of followed files.
 *
 * One inotify watch a folder (not a file), so thousands of files in a few
 * folders cost a few watches, and a rotation (a rename, a create) is heard
 * with the growth. Where inotify cannot serve - it cannot start, its watch
 * limit is reached, or the folder is on a network file system, where other
 * hosts' writes raise no events - those folders are polled instead, and
 * the operator is told once. */
#ifndef LOGMASH_WATCH_H
#define LOGMASH_WATCH_H

#include <stddef.h>
#include <stdint.h>

struct watched {
	int wd;
	char *dir;
};

struct watch {
	int fd;          /* inotify, or -1 */
	int polling;     /* some folder is polled */
	struct watched *w;
	size_t n;
	int warned_limit;
};

typedef void (*watch_fn)(void *ctx, const char *dir, const char *name, uint32_t mask);

void watch_init(struct watch *w);
void watch_free(struct watch *w);

/* Watches dir (again: a no-op). */
void watch_dir(struct watch *w, const char *dir);

/* Calls fn for each event waiting. Returns 1 when events were lost
 * (the queue overflowed): the caller must look at everything again. */
int watch_read(struct watch *w, watch_fn fn, void *ctx);

#endif
