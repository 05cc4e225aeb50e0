/* input.c - sources: discovery, reading, rotation, checkpoints. */
#include "input.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errlog.h"
#include "snapshot.h"
#include "util.h"

#define CHUNK ((size_t)128 * 1024)
#define QUOTA 64              /* records a source gives (and the rest of its chunk) before the next one's turn */
#define TICK_MS 250           /* timers; polling where inotify cannot serve */
#define CHECK_MS 1000         /* a followed path's identity, at the least this often */
#define SCAN_MS 10000         /* globs again, even when inotify is quiet */
/* Checkpoints, when acknowledgements moved them: at once, then at most this
 * often. A crash repeats what was in flight and what was acknowledged since
 * the last save began (this interval, plus the save's two fsyncs: the file,
 * its folder); at most 10 saves a second however fast logs go (make bench,
 * stage crash, measures both). */
#define SAVE_MS 100
#define BUCKETS 4096

/* ---- path -> active source ---- */

static size_t bucket(const char *path)
{
	return (size_t)(fnv1a64(path, strlen(path)) % BUCKETS);
}

static void map_put(struct input *in, struct source *s)
{
	size_t b = bucket(s->key);
	s->next_in_bucket = in->buckets[b];
	in->buckets[b] = s;
}

static void map_del(struct input *in, struct source *s)
{
	for (struct source **p = &in->buckets[bucket(s->key)]; *p; p = &(*p)->next_in_bucket) {
		if (*p == s) {
			*p = s->next_in_bucket;
			s->next_in_bucket = NULL;
			return;
		}
	}
}

static struct source *map_get(const struct input *in, const char *key)
{
	for (struct source *s = in->buckets[bucket(key)]; s; s = s->next_in_bucket)
		if (strcmp(s->key, key) == 0)
			return s;
	return NULL;
}

/* ---- (device, inode) -> file being read ----
 *
 * Whether a file is already read under another name (a symlink, a rename)
 * is asked for every path a scan finds: a walk over all sources made
 * starting with thousands of files quadratic. */

static size_t ino_bucket(uint64_t dev, uint64_t ino)
{
	return (size_t)((ino * 0x9E3779B97F4A7C15ULL ^ dev) % BUCKETS);
}

/* s is a file read from now on, its id set. */
static void ino_put(struct input *in, struct source *s)
{
	size_t b = ino_bucket(s->id.dev, s->id.ino);
	s->next_by_ino = in->by_ino[b];
	in->by_ino[b] = s;
	s->in_ino_map = 1;
}

static void ino_del(struct input *in, struct source *s)
{
	if (!s->in_ino_map)
		return;
	for (struct source **p = &in->by_ino[ino_bucket(s->id.dev, s->id.ino)]; *p;
	     p = &(*p)->next_by_ino) {
		if (*p == s) {
			*p = s->next_by_ino;
			break;
		}
	}
	s->next_by_ino = NULL;
	s->in_ino_map = 0;
}

/* ---- chunks: at most a few exist, whatever the number of files ---- */

static char *chunk_get(struct input *in)
{
	char *c = in->spare ? in->spare : xmalloc(CHUNK);
	in->spare = NULL;
	return c;
}

static void chunk_put(struct input *in, struct source *s)
{
	if (!s->chunk)
		return;
	if (!in->spare)
		in->spare = s->chunk;
	else
		free(s->chunk);
	s->chunk = NULL;
}

/* ---- sources ---- */

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* The name events use for path: its folder as watched, a slash, its name. */
static char *key_of(const char *path)
{
	char *d = dir_of(path);
	const char *slash = strrchr(path, '/');
	struct buf k = {0};
	buf_printf(&k, "%s/%s", d, slash ? slash + 1 : path);
	free(d);
	return buf_cstr(&k);
}

static struct source *add_source(struct input *in, const char *path, int fd, int is_file,
				 uint64_t offset)
{
	struct source *s = xcalloc(1, sizeof *s);
	s->in = in;
	s->path = xstrdup(path);
	s->name = s->path;
	s->key = key_of(path);
	s->fd = fd;
	s->is_file = is_file;
	s->state = SRC_ACTIVE;
	s->read_off = offset;
	s->readable = 1;
	s->last_growth_ms = s->last_check_ms = now_mono_ms();
	framer_init(&s->fr, in->o.max_line);
	s->fr.offset = offset;
	joiner_init(&s->jn, in->has_re ? &in->re : NULL, in->o.multiline_max_lines, in->o.max_line);
	acks_init(&s->acks, offset);
	/* Slots below free_hint are taken: starting thousands of files must
	 * not scan them all for each. */
	size_t i = in->free_hint;
	while (i < in->n && in->src[i])
		i++;
	in->free_hint = i + 1;
	if (i == in->n) {
		if (in->n == in->cap) {
			in->cap = in->cap ? in->cap * 2 : 16;
			in->src = xrealloc(in->src, in->cap * sizeof *in->src);
		}
		in->n++;
	}
	in->src[i] = s;
	if (is_file) {
		map_put(in, s);
		if (in->o.follow) {
			char *d = dir_of(path);
			watch_dir(&in->w, d);
			free(d);
			/* A symlink: growth happens in its target's folder. */
			char real[PATH_MAX];
			if (realpath(path, real) && strcmp(real, path) != 0) {
				s->real = key_of(real);
				d = dir_of(real);
				watch_dir(&in->w, d);
				free(d);
			}
		}
	}
	return s;
}

static void close_fd(struct source *s)
{
	if (s->fd > STDIN_FILENO) {
		close(s->fd);
		s->in->fds_freed = 1;
	}
	s->fd = -1;
}

/* No more bytes will come: frame what is held, then the source is done. */
static void finish(struct source *s)
{
	framer_finish(&s->fr);
	s->finishing = 1;
	s->readable = 1;
}

static void next_reader(struct input *in);

/* The source will give nothing more. */
static void set_done(struct input *in, struct source *s)
{
	if (s->state == SRC_ACTIVE && s->is_file && !s->segment)
		map_del(in, s);
	s->state = SRC_DONE;
	s->readable = 0;
	ino_del(in, s);
	close_fd(s);
	/* A spool segment read to its end: the next one is read at once (this
	 * one is deleted later, when its logs have settled). Until then there
	 * must be no moment without a reader, or the input would look ended. */
	if (s->segment && in->reader == s) {
		in->reader = NULL;
		next_reader(in);
	}
}

/* The path no longer names this file: read it to its end, then let go. */
static void rotated(struct input *in, struct source *s)
{
	if (s->state != SRC_ACTIVE)
		return;
	map_del(in, s);
	in->n_special++;
	s->state = SRC_ROTATED;
	s->rotated_ms = now_mono_ms();
	s->readable = 1;
	in->rescan = 1; /* the path may name a new file now */
	if (s->fd < 0)
		finish(s); /* closed while inactive: everything was read */
}

/* Whether path names the file id was taken from (now). */
static int path_names(const char *path, const struct fileid *id)
{
	struct stat st;
	return stat(path, &st) == 0 && (uint64_t)st.st_ino == id->ino &&
	       (uint64_t)st.st_dev == id->dev;
}

static void free_source(struct input *in, struct source *s)
{
	ino_del(in, s);
	close_fd(s);
	chunk_put(in, s);
	framer_free(&s->fr);
	joiner_free(&s->jn);
	acks_free(&s->acks);
	free(s->path);
	free(s->key);
	free(s->real);
	free(s);
}

/* Frees a done source once all its records settled; its checkpoint stays
 * while its path still names it. */
static void release(struct input *in, size_t i)
{
	struct source *s = in->src[i];
	if (s->segment) { /* read, sealed and settled: its lines are delivered */
		spool_drop(&in->sp, s->path, s->read_off);
		if (in->reader == s)
			in->reader = NULL;
		in->cp_dirty = 1;
	} else if (s->is_file && (s->id.dev || s->id.ino)) {
		if (path_names(s->path, &s->id))
			cp_table_add(&in->cp, &s->id, s->acks.committed, s->path);
		in->cp_dirty = 1;
	}
	free_source(in, s);
	in->src[i] = NULL;
	if (i < in->free_hint)
		in->free_hint = i;
}

/* ---- discovery ---- */

static int has_glob(const char *p)
{
	return strpbrk(p, "*?[") != NULL;
}

/* Whether a source reads this file already (under any name). */
static int followed(const struct input *in, uint64_t dev, uint64_t ino)
{
	for (const struct source *s = in->by_ino[ino_bucket(dev, ino)]; s; s = s->next_by_ino)
		if (s->is_file && s->state != SRC_DONE && s->id.dev == dev && s->id.ino == ino)
			return 1;
	return 0;
}

/* Closes the descriptors of the longest-idle files when none are left. */
static void make_room(struct input *in)
{
	for (int k = 0; k < 16; k++) {
		struct source *best = NULL;
		for (size_t i = 0; i < in->n; i++) {
			struct source *s = in->src[i];
			if (s && s->is_file && s->state == SRC_ACTIVE && s->fd >= 0 && s->at_eof &&
			    !framer_holding(&s->fr) && !joiner_pending(&s->jn) &&
			    (!best || s->last_growth_ms < best->last_growth_ms))
				best = s;
		}
		if (!best)
			return;
		close_fd(best);
	}
}

static int open_file(struct input *in, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
		make_room(in);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	}
	return fd;
}

static int stream_ready(int fd);
static void input_error(struct input *in, const char *fmt, const char *path, int err);

/* ---- the spool: stdin's segments, read back one at a time, in order ---- */

static int sealed(const struct input *in, const struct source *s)
{
	return s->seq < in->sp.wseq || in->sp.eof;
}

/* Starts reading back the next segment when none is being read. */
static void next_reader(struct input *in)
{
	while (in->spooling && !in->reader) {
		uint64_t seq;
		if (in->sp.n_old) {
			seq = in->sp.old[0];
			memmove(in->sp.old, in->sp.old + 1, --in->sp.n_old * sizeof *in->sp.old);
		} else if (in->next_seg < in->sp.wseq || (in->next_seg == in->sp.wseq && in->sp.wfd >= 0)) {
			seq = in->next_seg++;
		} else {
			return; /* nothing written yet */
		}
		struct buf p = {0};
		spool_path(&in->sp, seq, &p);
		int fd = open(p.data, O_RDONLY | O_CLOEXEC);
		struct fileid id;
		if (fd < 0 || fileid_of(fd, &id) != 0) {
			if (errno != ENOENT)
				errlog_add(ERR_INPUT, "cannot read spool segment %s: %s", p.data, strerror(errno));
			if (fd >= 0)
				close(fd);
			buf_free(&p);
			continue;
		}
		uint64_t offset = 0;
		struct cp_entry *e = cp_table_find(&in->cp, id.dev, id.ino);
		if (e) {
			if (fileid_match(fd, &e->id) == 1)
				offset = e->offset;
			free(e->path);
			*e = in->cp.e[--in->cp.n];
		}
		if (offset && lseek(fd, (off_t)offset, SEEK_SET) < 0)
			offset = 0;
		/* Not a followed path: no inotify, no path map; the writer wakes it. */
		struct source *s = add_source(in, p.data, fd, 0, offset);
		s->is_file = 1;
		s->segment = 1;
		s->seq = seq;
		s->id = id;
		ino_put(in, s);
		s->name = "-";
		in->reader = s;
		in->cp_dirty = 1;
		buf_free(&p);
	}
}

/* stdin into the spool; it gives no records itself. */
static void feed_spool(struct input *in, struct source *s)
{
	if (spool_full(&in->sp) || !stream_ready(s->fd))
		return;
	s->chunk = chunk_get(in);
	ssize_t r;
	do
		r = read(s->fd, s->chunk, CHUNK);
	while (r < 0 && errno == EINTR);
	/* A write that fails keeps its bytes and is retried (spool_retry):
	 * only bytes still unwritten at exit are an input error. */
	if (r > 0) {
		spool_write(&in->sp, s->chunk, (size_t)r);
	} else if (r == 0 || errno != EAGAIN) {
		if (r < 0)
			input_error(in, "cannot read %s: %s", s->path, errno);
		spool_end(&in->sp);
		set_done(in, s);
	}
	chunk_put(in, s);
	next_reader(in);
	if (in->reader)
		in->reader->readable = 1;
}

static void input_error(struct input *in, const char *fmt, const char *path, int err)
{
	errlog_add(ERR_INPUT, fmt, path, strerror(err));
	in->st->input_errors++;
}

/* ---- files waiting for a descriptor ---- */

/* Where path is in the sorted deferred list, or would go; *found set. */
static size_t deferred_at(const struct input *in, const char *path, int *found)
{
	size_t lo = 0, hi = in->n_deferred;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(in->deferred[mid].path, path);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

static void defer(struct input *in, const char *path, int at_start, int named)
{
	int found;
	size_t at = deferred_at(in, path, &found);
	if (found)
		return;
	if (!in->told_fd_limit) {
		struct rlimit rl;
		long lim = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (long)rl.rlim_cur : -1;
		errlog_add(ERR_INPUT, "no file descriptor free (the limit is %ld, ulimit -n; "
			   "LimitNOFILE= in a systemd unit): files past it are read as others "
			   "reach their end and close; raise the limit to follow them all at once",
			   lim);
		in->told_fd_limit = 1;
	}
	in->deferred = xrealloc(in->deferred, (in->n_deferred + 1) * sizeof *in->deferred);
	memmove(in->deferred + at + 1, in->deferred + at, (in->n_deferred - at) * sizeof *in->deferred);
	in->deferred[at] = (struct deferred){xstrdup(path), at_start, named};
	in->n_deferred++;
}

static void consider(struct input *in, const char *path, int at_start, int named);

/* Opens the deferred files while descriptors last, in path order. */
static void open_deferred(struct input *in)
{
	in->fds_freed = 0;
	size_t n = in->n_deferred, k = 0;
	struct deferred *d = in->deferred;
	in->deferred = NULL;
	in->n_deferred = 0;
	for (; k < n && !in->n_deferred; k++) {
		consider(in, d[k].path, d[k].at_start, d[k].named);
		free(d[k].path);
	}
	/* The first one deferred again: no descriptor now; keep the rest. */
	for (; k < n; k++) {
		defer(in, d[k].path, d[k].at_start, d[k].named);
		free(d[k].path);
	}
	free(d);
}

/* A path a spec named: follow the file there unless it is followed already.
 * at_start: found before reading began (--follow starts such files at
 * their end unless --from-start); later files start at their first byte. */
static void consider(struct input *in, const char *path, int at_start, int named)
{
	struct stat st;
	char *key = key_of(path);
	struct source *cur = map_get(in, key);
	free(key);
	int waits = 0;
	if (in->n_deferred)
		deferred_at(in, path, &waits);
	if (waits)
		return; /* it waits for a descriptor, found as it was */
	if (stat(path, &st) != 0) {
		if (cur)
			cur->check = 1;
		if (named && !in->o.follow)
			input_error(in, "cannot open %s: %s", path, errno);
		return;
	}
	if (cur) {
		if (cur->id.dev == (uint64_t)st.st_dev && cur->id.ino == (uint64_t)st.st_ino)
			return;
		rotated(in, cur);
	}
	if (S_ISDIR(st.st_mode)) {
		if (named) {
			errlog_add(ERR_INPUT, "cannot read %s: it is a directory", path);
			in->st->input_errors++;
		}
		return;
	}
	if (S_ISREG(st.st_mode) && followed(in, (uint64_t)st.st_dev, (uint64_t)st.st_ino))
		return;
	int fd = open_file(in, path);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
		defer(in, path, at_start, named);
		return;
	}
	if (fd < 0) {
		input_error(in, "cannot open %s: %s", path, errno);
		return;
	}
	if (!S_ISREG(st.st_mode)) { /* a FIFO or a device: a stream, like stdin */
		add_source(in, path, fd, 0, 0);
		return;
	}
	struct fileid id;
	if (fileid_of(fd, &id) != 0) {
		input_error(in, "cannot read %s: %s", path, errno);
		close(fd);
		return;
	}
	struct stat fst;
	uint64_t size = fstat(fd, &fst) == 0 ? (uint64_t)fst.st_size : 0;
	uint64_t offset = 0;
	struct cp_entry *e = cp_table_find(&in->cp, id.dev, id.ino);
	int known = e && fileid_match(fd, &e->id) == 1; /* else: the inode was reused */
	if (known)
		offset = e->offset <= size ? e->offset : 0; /* shorter: truncated meanwhile */
	else if (at_start && in->o.follow && !in->o.from_start && !in->ran_before)
		offset = size; /* a first run joins files as they are now */
	if (e) { /* the source carries the file's checkpoint from now on */
		free(e->path);
		*e = in->cp.e[--in->cp.n];
	}
	if (offset && lseek(fd, (off_t)offset, SEEK_SET) < 0) {
		input_error(in, "cannot seek in %s: %s", path, errno);
		close(fd);
		return;
	}
	struct source *s = add_source(in, path, fd, 1, offset);
	s->id = id;
	ino_put(in, s);
	in->cp_dirty = 1;
}

/* Files rotated while logmash was not running: a checkpoint whose file is
 * no longer at its path may still have unread lines under its new name in
 * the same folder. Found by inode and head fingerprint, it is read to its
 * end, then let go. */
static void recover_rotated(struct input *in)
{
	for (size_t i = 0; i < in->cp.n;) {
		struct cp_entry *e = &in->cp.e[i];
		if (path_names(e->path, &e->id)) {
			i++; /* not rotated: the scan takes it */
			continue;
		}
		char *d = dir_of(e->path);
		DIR *dh = opendir(d);
		struct source *s = NULL;
		struct dirent *de;
		while (dh && !s && (de = readdir(dh))) {
			if ((uint64_t)de->d_ino != e->id.ino)
				continue;
			struct buf p = {0};
			buf_printf(&p, "%s/%s", d, de->d_name);
			int fd = open_file(in, buf_cstr(&p));
			struct stat st;
			if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
			    (uint64_t)st.st_size > e->offset && fileid_match(fd, &e->id) == 1 &&
			    lseek(fd, (off_t)e->offset, SEEK_SET) >= 0) {
				s = add_source(in, e->path, fd, 1, e->offset);
				s->id = e->id;
				ino_put(in, s);
				rotated(in, s);
			} else if (fd >= 0) {
				close(fd);
			}
			buf_free(&p);
		}
		if (dh)
			closedir(dh);
		free(d);
		if (s) {
			free(e->path);
			*e = in->cp.e[--in->cp.n];
		} else {
			i++;
		}
	}
}

static void note_missing(struct input *in, const char *path)
{
	for (size_t i = 0; i < in->n_waiting; i++)
		if (strcmp(in->waiting[i], path) == 0)
			return;
	if (has_glob(path))
		warnx_("no file matches %s (yet): following what matches from when it appears", path);
	else
		warnx_("%s does not exist (yet): following it from when it appears", path);
	in->waiting = xrealloc(in->waiting, (in->n_waiting + 1) * sizeof *in->waiting);
	in->waiting[in->n_waiting++] = xstrdup(path);
}

/* The files one spec (a path or a glob) names now. */
static void scan_spec(struct input *in, const char *p, int at_start)
{
	if (in->o.follow) {
		char *d = dir_of(p);
		struct stat st;
		if (!has_glob(d) && stat(d, &st) == 0)
			watch_dir(&in->w, d);
		free(d);
	}
	if (!has_glob(p)) {
		struct stat st;
		if (at_start && in->o.follow && stat(p, &st) != 0 && errno == ENOENT)
			note_missing(in, p);
		consider(in, p, at_start, at_start);
		return;
	}
	glob_t g;
	int r = glob(p, 0, NULL, &g);
	if (r == 0) {
		for (size_t k = 0; k < g.gl_pathc; k++)
			consider(in, g.gl_pathv[k], at_start, 0);
	} else if (r == GLOB_NOMATCH && at_start && !in->o.follow) {
		errlog_add(ERR_INPUT, "no file matches %s", p);
		in->st->input_errors++;
	} else if (r == GLOB_NOMATCH && at_start) {
		note_missing(in, p); /* shown as a source, "no match yet" */
	}
	globfree(&g);
}

/* Whether a path or glob waited for now names a file. */
static int appeared(const char *p)
{
	struct stat st;
	if (!has_glob(p))
		return stat(p, &st) == 0;
	glob_t g;
	int r = glob(p, 0, NULL, &g);
	globfree(&g);
	return r == 0;
}

static void scan(struct input *in)
{
	for (size_t i = 0; i < in->o.n; i++)
		if (strcmp(in->o.paths[i], "-") != 0)
			scan_spec(in, in->o.paths[i], 0);
	in->rescan = 0;
	/* What was waited for and is here now is a source of its own (found
	 * by this scan): listed once, not also as still waiting. */
	for (size_t i = 0; i < in->n_waiting;) {
		if (appeared(in->waiting[i])) {
			free(in->waiting[i]);
			in->waiting[i] = in->waiting[--in->n_waiting];
		} else {
			i++;
		}
	}
}

/* ---- reading ---- */

static int stream_ready(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 0) > 0;
}

/* Reopens a file closed while inactive, if it has grown. 1 open, 0 not. */
static int reopen(struct input *in, struct source *s)
{
	struct stat st;
	if (stat(s->path, &st) != 0 || (uint64_t)st.st_ino != s->id.ino ||
	    (uint64_t)st.st_dev != s->id.dev) {
		rotated(in, s); /* it went away while closed */
		return 0;
	}
	if ((uint64_t)st.st_size == s->read_off)
		return 0;
	int fd = open_file(in, s->path);
	if (fd < 0)
		return 0;
	if (fileid_match(fd, &s->id) != 1 || lseek(fd, (off_t)s->read_off, SEEK_SET) < 0) {
		close(fd);
		rotated(in, s);
		return 0;
	}
	s->fd = fd;
	return 1;
}

/* Reads s again from its start: it was truncated (copytruncate). */
static int restart(struct source *s, const char *why)
{
	errlog_add(ERR_INPUT, "%s: %s: reading it again from its start", s->path, why);
	if (lseek(s->fd, 0, SEEK_SET) < 0)
		return 0;
	framer_restart(&s->fr, 0);
	s->read_off = 0;
	acks_restart(&s->acks, 0);
	fileid_of(s->fd, &s->id);
	s->flush_joiner = 1;
	s->readable = 1;
	return 1;
}

/* A file shorter than what was read from it was truncated. */
static int truncated(struct source *s)
{
	struct stat st;
	if (fstat(s->fd, &st) != 0 || (uint64_t)st.st_size >= s->read_off)
		return 0;
	return restart(s, "truncated (copytruncate?)");
}

/* Whether the path still names s's file; if not, s is rotated. A head that
 * no longer hashes as it did means the file was truncated and written again
 * past where we were before we looked: start it over too. */
static void check_path(struct input *in, struct source *s)
{
	s->check = 0;
	s->last_check_ms = now_mono_ms();
	if (s->state != SRC_ACTIVE)
		return;
	if (!path_names(s->path, &s->id)) {
		rotated(in, s);
		return;
	}
	if (s->fd < 0)
		return;
	/* Its head can only have changed if the file was written since the
	 * last look: hashing 1 KiB of each idle file every second adds up
	 * with thousands followed. */
	struct stat st;
	int have = fstat(s->fd, &st) == 0;
	if (have && st.st_mtim.tv_sec == s->seen_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == s->seen_mtime.tv_nsec && (uint64_t)st.st_size == s->seen_size)
		return;
	int same = fileid_match(s->fd, &s->id);
	if (same == 0) {
		restart(s, "its first bytes changed (truncated and written again?)");
		return;
	}
	if (have && same == 1) {
		s->seen_mtime = st.st_mtim;
		s->seen_size = (uint64_t)st.st_size;
	}
}

/* Reads a chunk into s's framer: 1 when bytes came, 0 when none now. */
static int fill(struct input *in, struct source *s)
{
	if (s->to_spool) {
		feed_spool(in, s);
		return 0;
	}
	/* Files are read when told they may have grown; streams when poll says. */
	if (s->is_file && !s->readable)
		return 0;
	size_t want = CHUNK;
	if (s->segment && !sealed(in, s)) { /* only what is synced counts as read */
		uint64_t room = in->sp.synced > s->read_off ? in->sp.synced - s->read_off : 0;
		if (room < want)
			want = (size_t)room;
		if (!want) {
			s->readable = 0;
			s->at_eof = 1;
			return 0;
		}
	}
	if (s->fd < 0 && (!s->is_file || s->finishing || !reopen(in, s))) {
		s->readable = 0;
		return 0;
	}
	if (!s->is_file && !stream_ready(s->fd))
		return 0;
	s->chunk = chunk_get(in);
	ssize_t r;
	do
		r = read(s->fd, s->chunk, want);
	while (r < 0 && errno == EINTR);
	if (r > 0) {
		framer_feed(&s->fr, s->chunk, (size_t)r);
		s->read_off += (uint64_t)r;
		s->read_time = now_wall();
		s->last_growth_ms = now_mono_ms();
		s->at_eof = 0;
		return 1;
	}
	chunk_put(in, s);
	if (r < 0 && errno == EAGAIN) {
		s->readable = 0;
		return 0;
	}
	if (r < 0 && in->o.follow && s->is_file && !s->segment && s->state == SRC_ACTIVE) {
		/* A followed file stays followed: read again at its next check
		 * (an I/O error can pass; its lines must not be skipped). */
		errlog_add(ERR_INPUT, "cannot read %s: %s (trying again)", s->path, strerror(errno));
		s->readable = 0;
		s->at_eof = 1;
		s->last_check_ms = now_mono_ms();
		return 0;
	}
	if (r < 0) {
		input_error(in, "cannot read %s: %s", s->path, errno);
		finish(s);
		return 0;
	}
	/* End of what is there now. */
	s->at_eof = 1;
	s->readable = 0;
	if (s->segment) {
		if (sealed(in, s))
			finish(s);
		return 0;
	}
	if (!in->o.follow || !s->is_file) {
		finish(s);
		return 0;
	}
	if (truncated(s))
		return 0;
	if (s->check || now_mono_ms() - s->last_check_ms >= CHECK_MS)
		check_path(in, s);
	return 0;
}

/* The next record of s: 1 with *fr and *time set, or 0. With may_fill 0
 * it only finishes the chunk it holds: its turn is over. */
static int source_next(struct input *in, struct source *s, struct frame *out, double *time,
		       int may_fill)
{
	for (;;) {
		if (s->flush_joiner) {
			s->flush_joiner = 0;
			if (joiner_flush(&s->jn, out, time))
				return 1;
		}
		struct frame fr;
		if (framer_next(&s->fr, &fr)) {
			if (!in->has_re) {
				*out = fr;
				*time = s->read_time;
				return 1;
			}
			if (joiner_push(&s->jn, &fr, s->read_time, now_mono_ms(), out, time))
				return 1;
			continue;
		}
		chunk_put(in, s);
		if (s->finishing) {
			if (joiner_flush(&s->jn, out, time))
				return 1;
			set_done(in, s);
			return 0;
		}
		if (!may_fill || (!fill(in, s) && !s->finishing))
			return 0;
	}
}

enum input_status input_next(struct input *in, struct frame *fr, double *time,
			     struct source **src)
{
	int any = 0;
	if (in->n_deferred && in->fds_freed)
		open_deferred(in);
	/* stdin feeding the spool gives no records itself: pull more whatever
	 * source's turn it is, once the spool's reader has caught up (until
	 * then the bytes wait in the pipe, still the writer's). */
	struct source *f = in->feeder;
	if (f && f->state != SRC_DONE && (!in->reader || in->reader->at_eof))
		feed_spool(in, f);
	for (size_t tried = 0; tried <= in->n && in->n; tried++) {
		if (in->cur >= in->n)
			in->cur = 0;
		struct source *s = in->src[in->cur];
		if (s && s->to_spool && s->state != SRC_DONE) {
			any = 1;
		} else if (s && s->state != SRC_DONE) {
			/* Following, a source's turn is QUOTA records, rounded up to
			 * the end of the chunk it holds: turns change between chunks,
			 * so one chunk is held at a time, not one a file (1,000
			 * files with a backlog held 128 MiB). */
			if (source_next(in, s, fr, time, !in->o.follow || in->quota < QUOTA)) {
				in->quota++;
				*src = s;
				return INPUT_LINE;
			}
			/* A source that just ended does not hold the input open:
			 * without this the loop would sleep a tick before ending. */
			if (s->state != SRC_DONE)
				any = 1;
			/* Read to their end in the order given, unless following. */
			if (!in->o.follow && s->state != SRC_DONE)
				return INPUT_WAIT;
		}
		in->quota = 0;
		in->cur++;
	}
	if (!any && !in->n_deferred && (!in->o.follow || !in->files))
		return INPUT_END;
	return INPUT_WAIT;
}

/* ---- events and timers ---- */

static void on_event(void *ctx, const char *dir, const char *name, uint32_t mask)
{
	struct input *in = ctx;
	if (mask & (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF |
		    IN_MOVE_SELF | IN_ATTRIB))
		in->rescan = 1;
	char full[PATH_MAX];
	if (snprintf(full, sizeof full, "%s/%s", dir, name) >= (int)sizeof full)
		return;
	struct source *s = map_get(in, full);
	if (s) {
		s->readable = 1;
		if (mask & ~(uint32_t)(IN_MODIFY | IN_CLOSE_WRITE))
			s->check = 1;
	}
	if (!(mask & IN_MODIFY) || !in->n_special)
		return;
	/* Growth under another name: a rotated file still being written, or a
	 * symlink's target. */
	for (size_t i = 0; i < in->n; i++) {
		struct source *r = in->src[i];
		if (r && r->is_file && (r->state == SRC_ROTATED || (r->real && strcmp(r->real, full) == 0)))
			r->readable = 1;
	}
}

static void housekeeping(struct input *in, int64_t now)
{
	int poll_all = in->w.polling || !in->o.follow;
	in->n_special = 0;
	for (size_t i = 0; i < in->n; i++) {
		struct source *s = in->src[i];
		if (!s)
			continue;
		in->n_special += s->state == SRC_ROTATED || s->real;
		if (s->state == SRC_DONE) {
			if (acks_pending(&s->acks) == 0)
				release(in, i);
			continue;
		}
		if (!s->is_file)
			continue;
		int64_t idle = now - s->last_growth_ms;
		if (poll_all || s->state == SRC_ROTATED)
			s->readable = 1;
		if (s->state == SRC_ACTIVE && s->at_eof && now - s->last_check_ms >= CHECK_MS)
			s->readable = s->check = 1; /* identity and truncation, at EOF */
		if (framer_holding(&s->fr) && s->at_eof && idle >= (int64_t)(in->o.flush_partial * 1000)) {
			framer_flush(&s->fr);
			s->readable = 1;
		}
		if (joiner_pending(&s->jn) && s->at_eof &&
		    now - s->jn.last_ms >= (int64_t)(in->o.multiline_timeout * 1000)) {
			s->flush_joiner = 1;
			s->readable = 1;
		}
		if (s->state == SRC_ROTATED && s->at_eof && !s->finishing &&
		    now - s->rotated_ms >= (int64_t)(in->o.rotate_wait * 1000) &&
		    idle >= (int64_t)(in->o.rotate_wait * 1000))
			finish(s);
		if (s->state == SRC_ACTIVE && s->fd >= 0 && s->at_eof && !framer_holding(&s->fr) &&
		    !joiner_pending(&s->jn) && idle >= (int64_t)(in->o.close_inactive * 1000))
			close_fd(s); /* reopened when it grows */
	}
}

static void save(struct input *in)
{
	if (!in->cp_file || !in->o.save_state)
		return;
	struct cp_table t = {0};
	for (size_t i = 0; i < in->cp.n; i++) { /* files not followed now, still there */
		struct cp_entry *e = &in->cp.e[i];
		if (path_names(e->path, &e->id))
			cp_table_add(&t, &e->id, e->offset, e->path);
	}
	for (size_t i = 0; i < in->n; i++) {
		struct source *s = in->src[i];
		if (!s || !s->is_file)
			continue;
		if (s->fd >= 0)
			fileid_refresh(s->fd, &s->id);
		cp_table_add(&t, &s->id, s->acks.committed, s->path);
	}
	in->save_failed = checkpoint_save(in->cp_file, &t) != 0;
	cp_table_free(&t);
	in->cp_dirty = 0;
}

void input_tick(struct input *in)
{
	int64_t now = now_mono_ms();
	if (in->w.fd >= 0 && watch_read(&in->w, on_event, in)) {
		in->rescan = 1; /* events were lost: look at everything */
		for (size_t i = 0; i < in->n; i++)
			if (in->src[i])
				in->src[i]->readable = in->src[i]->check = 1;
	}
	if (in->o.follow && (in->rescan || now >= in->next_scan_ms)) {
		scan(in);
		in->next_scan_ms = now + (in->w.polling ? TICK_MS * 4 : SCAN_MS);
	}
	if (now >= in->next_tick_ms) {
		housekeeping(in, now);
		/* Followed files stay open at their end: opening a deferred one
		 * closes the idlest of those (make_room). */
		if (in->n_deferred)
			open_deferred(in);
		if (in->spooling && in->sp.unwritten.len && spool_retry(&in->sp) == 0) {
			next_reader(in);
			if (in->reader)
				in->reader->readable = 1;
		}
		in->next_tick_ms = now + TICK_MS;
	}
	if (in->spooling) {
		uint64_t synced = in->sp.synced;
		spool_sync(&in->sp, 0);
		next_reader(in);
		if (in->reader && in->sp.synced != synced)
			in->reader->readable = 1;
	}
	if (in->cp_dirty && now >= in->next_save_ms) {
		save(in);
		in->next_save_ms = now + SAVE_MS;
	}
}

long input_timeout_ms(const struct input *in)
{
	if (in->spooling && in->sp.synced < in->sp.wsize)
		return 20; /* the group commit is due */
	for (size_t i = 0; i < in->n; i++) {
		const struct source *s = in->src[i];
		if (s && s->state != SRC_DONE && s->readable && (s->is_file || s->finishing))
			return 0;
	}
	int64_t due = in->next_tick_ms;
	if (in->cp_dirty && in->next_save_ms < due)
		due = in->next_save_ms;
	int64_t left = due - now_mono_ms();
	return left < 0 ? 0 : (long)left;
}

size_t input_poll_fds(const struct input *in, int *fds, size_t max)
{
	size_t k = 0;
	if (in->w.fd >= 0 && k < max)
		fds[k++] = in->w.fd;
	for (size_t i = 0; i < in->n && k < max; i++) {
		const struct source *s = in->src[i];
		if (s && !s->is_file && s->state != SRC_DONE && s->fd >= 0 && !s->finishing &&
		    !(s->to_spool && spool_full(&in->sp)))
			fds[k++] = s->fd;
	}
	return k;
}

uint64_t input_register(struct source *s, uint64_t end_offset, double time)
{
	return acks_add(&s->acks, end_offset, time);
}

void input_settled(struct source *s, uint64_t ticket, enum settled how)
{
	if (how == SETTLED_SENT)
		s->n_sent++;
	else if (how == SETTLED_DROPPED)
		s->n_dropped++;
	else
		s->n_failed++;
	uint64_t before = s->acks.committed;
	acks_settle(&s->acks, ticket);
	if (s->acks.committed != before && s->is_file)
		s->in->cp_dirty = 1;
}

/* ---- set-up ---- */

/* Thousands of followed files need descriptors: take what the hard limit allows. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			warnx_("cannot raise the open-file limit: %s", strerror(errno));
	}
}

int input_open(struct input *in, const struct input_opts *o, struct stats *st)
{
	memset(in, 0, sizeof *in);
	in->o = *o;
	in->st = st;
	in->w.fd = -1;
	in->buckets = xcalloc(BUCKETS, sizeof *in->buckets);
	in->by_ino = xcalloc(BUCKETS, sizeof *in->by_ino);
	if (o->multiline_start) {
		int rc = regcomp(&in->re, o->multiline_start, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			char msg[256];
			regerror(rc, &in->re, msg, sizeof msg);
			warnx_("--multiline-start: bad regular expression '%s': %s", o->multiline_start, msg);
			return -1;
		}
		in->has_re = 1;
	}
	if (o->state_dir && checkpoint_dir(o->state_dir) != 0)
		return -1;
	if (o->checkpoints)
		in->cp_file = xstrdup(o->checkpoints);
	else if (o->state_dir) {
		struct buf f = {0};
		buf_printf(&f, "%s/checkpoints", o->state_dir);
		in->cp_file = xstrdup(buf_cstr(&f));
		buf_free(&f);
	}
	if (in->cp_file)
		in->ran_before = checkpoint_load(in->cp_file, &in->cp);
	if (o->follow) {
		watch_init(&in->w);
		raise_fd_limit();
	}
	/* Older lines first: what rotated away while we were not running. */
	if (o->state_dir)
		recover_rotated(in);
	/* stdin goes through the spool where there is a state directory; what
	 * an earlier run spooled and did not deliver is read back first. */
	if (o->state_dir && o->save_state) {
		if (spool_open(&in->sp, o->state_dir, o->spool_max_bytes, o->max_line) != 0)
			return -1;
		in->spooling = 1;
		in->next_seg = in->sp.wseq;
		next_reader(in);
	}
	/* In the order given: without -F, inputs are read one after another. */
	for (size_t i = 0; i < o->n; i++) {
		if (strcmp(o->paths[i], "-") == 0) {
			struct source *s = add_source(in, "-", STDIN_FILENO, 0, 0);
			s->to_spool = in->spooling;
			if (s->to_spool)
				in->feeder = s;
		} else {
			in->files = 1;
			scan_spec(in, o->paths[i], 1);
		}
	}
	int64_t now = now_mono_ms();
	in->next_tick_ms = now + TICK_MS;
	in->next_scan_ms = now + (in->w.polling ? TICK_MS * 4 : SCAN_MS);
	in->next_save_ms = now;
	return 0;
}

int input_unsent_kept(struct input *in)
{
	if (!in->cp_file || !in->o.save_state)
		return 0;
	if (in->spooling && (in->sp.unwritten.len || in->sp.tail.len))
		return 0; /* read from the pipe, not on disk */
	for (size_t i = 0; i < in->n; i++) {
		const struct source *s = in->src[i];
		if (s && !s->is_file && acks_pending(&s->acks))
			return 0; /* stdin without a spool */
	}
	save(in);
	return !in->save_failed;
}

void input_close(struct input *in)
{
	for (size_t i = 0; i < in->n; i++)
		if (in->src[i] && in->src[i]->state == SRC_DONE && acks_pending(&in->src[i]->acks) == 0)
			release(in, i);
	save(in);
	for (size_t i = 0; i < in->n; i++)
		if (in->src[i])
			free_source(in, in->src[i]);
	free(in->src);
	free(in->spare);
	free(in->buckets);
	free(in->by_ino);
	for (size_t i = 0; i < in->n_waiting; i++)
		free(in->waiting[i]);
	free(in->waiting);
	for (size_t i = 0; i < in->n_deferred; i++)
		free(in->deferred[i].path);
	free(in->deferred);
	cp_table_free(&in->cp);
	free(in->cp_file);
	if (in->spooling) {
		if (in->sp.unwritten.len)
			in->st->input_errors++;
		spool_close(&in->sp);
	}
	if (in->has_re)
		regfree(&in->re);
	watch_free(&in->w);
	memset(in, 0, sizeof *in);
}

/* ---- the operator's view ---- */

static const char *source_state_name(const struct input *in, const struct source *s)
{
	if (s->state == SRC_DONE)
		return "closed";
	if (s->state == SRC_ROTATED)
		return "rotated";
	if (s->fd < 0)
		return "waiting";
	return in->o.follow ? "following" : "reading";
}

size_t input_view(const struct input *in, struct source_view *out, size_t max, size_t *filled,
		  uint64_t *spooled)
{
	size_t total = 0, k = 0;
	for (size_t i = 0; i < in->n; i++) {
		const struct source *s = in->src[i];
		if (!s || s->segment)
			continue; /* spool segments are stdin's, shown as its backlog */
		total++;
		if (k == max)
			continue;
		struct source_view *v = &out[k++];
		snprintf(v->path, sizeof v->path, "%s", s->path);
		v->pos = s->read_off;
		v->lines = s->fr.line_no;
		v->state = source_state_name(in, s);
		v->sent = s->n_sent;
		v->dropped = s->n_dropped;
		v->errors = s->n_failed;
		v->oldest_unsent = acks_oldest(&s->acks);
		v->size = 0;
		struct stat st;
		/* A file's size now: how far behind the reading is. */
		if (s->is_file && s->fd >= 0 && fstat(s->fd, &st) == 0)
			v->size = (uint64_t)st.st_size;
	}
	for (size_t i = 0; i < in->n_waiting; i++) {
		total++;
		if (k == max)
			continue;
		struct source_view *v = &out[k++];
		*v = (struct source_view){.state = has_glob(in->waiting[i]) ? "no match yet" : "waiting"};
		snprintf(v->path, sizeof v->path, "%s", in->waiting[i]);
	}
	for (size_t i = 0; i < in->n_deferred; i++) {
		total++;
		if (k == max)
			continue;
		struct source_view *v = &out[k++];
		*v = (struct source_view){.state = "no fd yet"};
		snprintf(v->path, sizeof v->path, "%s", in->deferred[i].path);
	}
	*filled = k;
	*spooled = in->spooling && in->sp.bytes ? in->sp.bytes : 0;
	return total;
}
