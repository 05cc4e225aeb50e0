/* input_discovery.c - which files are sources: paths and globs scanned,
 * files waiting for a descriptor, rotated files recovered from the
 * checkpoints. */
#include "input.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
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
#include "input_internal.h"
#include "snapshot.h"
#include "util.h"

/* ---- discovery ---- */

int has_glob(const char *p)
{
	return strpbrk(p, "*?[") != NULL;
}

/* Whether a source reads this file already (under any name). */
static int followed(const struct input *in, uint64_t dev, uint64_t ino)
{
	for (const struct source *s = in->by_ino[ino_bucket(dev, ino)]; s; s = s->next_by_ino)
		if (is_file(s) && s->state != SRC_DONE && s->id.dev == dev && s->id.ino == ino)
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
			if (s && is_file(s) && s->state == SRC_ACTIVE && s->fd >= 0 && s->at_eof &&
			    !framer_holding(&s->fr) && !joiner_pending(&s->jn) &&
			    (!best || s->last_growth_ms < best->last_growth_ms))
				best = s;
		}
		if (!best)
			return;
		close_fd(best);
	}
}

int open_file(struct input *in, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
		make_room(in);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	}
	return fd;
}


static void consider(struct input *in, const char *path, int at_start, int named);

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


/* Opens the deferred files while descriptors last, in path order. */
void open_deferred(struct input *in)
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

/* A first -F run joins a file at its end: what it leaves unsent is told
 * (input_describe_skipped), its lines counted up to SKIP_COUNT_MAX bytes a
 * file (past that, in bytes only: a start should not read gigabytes). */
#define SKIP_COUNT_MAX (64u << 20)

static void note_skipped(struct input *in, const char *path, int fd, uint64_t size)
{
	if (!in->skipped_files) {
		in->skipped_first = xstrdup(path);
		in->skipped_lines_known = 1;
	}
	in->skipped_files++;
	in->skipped_bytes += size;
	if (size > SKIP_COUNT_MAX) {
		in->skipped_lines_known = 0;
		return;
	}
	char buf[65536];
	uint64_t lines = 0, off = 0;
	while (off < size) {
		ssize_t n = pread(fd, buf, sizeof buf, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			in->skipped_lines_known = 0; /* the count is only a help: no error */
			return;
		}
		for (const char *p = buf, *end = buf + n; (p = memchr(p, '\n', (size_t)(end - p))); p++)
			lines++;
		off += (uint64_t)n;
	}
	in->skipped_lines += lines;
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
		mark_rotated(in, cur);
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
		add_source(in, path, fd, KIND_STREAM, 0);
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
	else if (at_start && in->o.follow && !in->o.from_start && !in->ran_before && size) {
		offset = size; /* a first run joins files as they are now */
		note_skipped(in, path, fd, size);
	}
	if (e) { /* the source carries the file's checkpoint from now on */
		cp_table_remove(&in->cp, e);
	}
	if (offset && lseek(fd, (off_t)offset, SEEK_SET) < 0) {
		input_error(in, "cannot seek in %s: %s", path, errno);
		close(fd);
		return;
	}
	struct source *s = add_source(in, path, fd, KIND_FILE, offset);
	s->id = id;
	ino_put(in, s);
	in->cp_dirty = 1;
}

/* Files rotated while logmash was not running: a checkpoint whose file is
 * no longer at its path may still have unread lines under its new name in
 * the same folder. Found by inode and head fingerprint, it is read to its
 * end, then let go. */
void recover_rotated(struct input *in)
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
				s = add_source(in, e->path, fd, KIND_FILE, e->offset);
				s->id = e->id;
				ino_put(in, s);
				mark_rotated(in, s);
			} else if (fd >= 0) {
				close(fd);
			}
			buf_free(&p);
		}
		if (dh)
			closedir(dh);
		free(d);
		if (s) {
			cp_table_remove(&in->cp, e);
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
void scan_spec(struct input *in, const char *p, int at_start)
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

void scan_all(struct input *in)
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

/* ---- a reload ---- */

/* Whether one of in's specs names path. */
static int named_by_specs(const struct input *in, const char *path)
{
	for (size_t i = 0; i < in->o.n; i++) {
		const char *p = in->o.paths[i];
		if (strcmp(p, path) == 0 || (has_glob(p) && fnmatch(p, path, FNM_PATHNAME) == 0))
			return 1;
	}
	return 0;
}

static int listed(char *const *paths, size_t n, const char *p)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(paths[i], p) == 0)
			return 1;
	return 0;
}

int input_reconfigure(struct input *in, const struct input_opts *o, struct buf *err)
{
	regex_t re;
	int has_re = 0;
	if (o->multiline_start) {
		if (joiner_compile(&re, o->multiline_start, err) != 0)
			return -1;
		has_re = 1;
	}
	int rule_changed = has_re != in->has_re ||
			   (has_re && strcmp(o->multiline_start, in->o.multiline_start) != 0) ||
			   o->multiline_max_lines != in->o.multiline_max_lines;
	char *const *old_paths = in->o.paths;
	size_t old_n = in->o.n;
	if (in->has_re && rule_changed)
		regfree(&in->re);
	if (rule_changed) {
		in->has_re = has_re;
		if (has_re)
			in->re = re;
	} else if (has_re) {
		regfree(&re);
	}
	in->o.multiline_start = o->multiline_start;
	in->o.multiline_timeout = o->multiline_timeout;
	in->o.multiline_max_lines = o->multiline_max_lines;
	in->o.rotate_wait = o->rotate_wait;
	in->o.close_inactive = o->close_inactive;
	in->o.flush_partial = o->flush_partial;
	in->o.paths = o->paths;
	in->o.n = o->n;
	for (size_t i = 0; i < in->n; i++) {
		struct source *s = in->src[i];
		if (!s || s->state == SRC_DONE)
			continue;
		if (rule_changed) {
			/* The record being joined ends under the rule it began with. */
			s->flush_joiner = joiner_pending(&s->jn);
			s->jn.start = in->has_re ? &in->re : NULL;
			s->jn.max_lines = in->o.multiline_max_lines;
		}
		/* A file no spec names now: what was read of it is sent, then
		 * it is let go; its checkpoint keeps the rest for later. */
		if (s->kind == KIND_FILE && !named_by_specs(in, s->path) && !s->finishing) {
			s->finishing = 1;
			s->readable = 1;
			errlog_add(ERR_EVENT, "%s is no longer an input: sending what was read of it, "
				   "then letting it go", s->path);
		}
	}
	for (size_t i = 0; i < in->n_waiting;) {
		if (!listed(in->o.paths, in->o.n, in->waiting[i])) {
			free(in->waiting[i]);
			in->waiting[i] = in->waiting[--in->n_waiting];
		} else {
			i++;
		}
	}
	in->skipped_files = 0; /* what this reload's new inputs skip, told by the caller */
	free(in->skipped_first);
	in->skipped_first = NULL;
	in->skipped_bytes = in->skipped_lines = 0;
	in->skipped_lines_known = 1;
	for (size_t i = 0; i < in->o.n; i++) {
		if (strcmp(in->o.paths[i], "-") == 0 || listed(old_paths, old_n, in->o.paths[i]))
			continue;
		in->files = 1;
		errlog_add(ERR_EVENT, "%s is a new input", in->o.paths[i]);
		scan_spec(in, in->o.paths[i], 1);
	}
	return 0;
}
