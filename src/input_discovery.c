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

int input_has_glob(const char *p)
{
	return strpbrk(p, "*?[") != NULL;
}

/* Whether a source reads this file already (under any name). */
static int followed(const struct input *in, uint64_t dev, uint64_t ino)
{
	for (const struct source *s = in->by_ino[input_ino_bucket(dev, ino)]; s; s = s->next_by_ino)
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
			    !framer_holding(&s->fr) && !decoder_pending(&s->dec) &&
			    (!best || s->last_growth_ms < best->last_growth_ms))
				best = s;
		}
		if (!best)
			return;
		input_source_close_fd(best);
	}
}

int input_open_file(struct input *in, const char *path)
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
void input_open_deferred(struct input *in)
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

/* Whether the input that names path reads its files from their start. */
static int from_start(const struct input *in, const char *path)
{
	const struct input_rule *r = input_rule_for(in, path);
	return r ? r->from_start : in->o.from_start;
}

/* A path a spec named: follow the file there unless it is followed already.
 * at_start: found before reading began (--follow starts such files at
 * their end unless --from-start); later files start at their first byte. */
static void consider(struct input *in, const char *path, int at_start, int named)
{
	struct stat st;
	char *key = input_key_of(path);
	struct source *cur = input_map_get(in, key);
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
			input_error(in, "open", path, errno);
		return;
	}
	if (cur) {
		if (cur->id.dev == (uint64_t)st.st_dev && cur->id.ino == (uint64_t)st.st_ino)
			return;
		input_source_rotated(in, cur);
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
	int fd = input_open_file(in, path);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
		defer(in, path, at_start, named);
		return;
	}
	if (fd < 0) {
		input_error(in, "open", path, errno);
		return;
	}
	if (!S_ISREG(st.st_mode)) { /* a FIFO or a device: a stream, like stdin */
		input_source_add(in, path, fd, KIND_STREAM, 0);
		return;
	}
	struct fileid id;
	if (fileid_of(fd, &id) != 0) {
		input_error(in, "read", path, errno);
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
	else if (at_start && in->o.follow && !from_start(in, path) && !in->ran_before && size) {
		offset = size; /* a first run joins files as they are now */
		note_skipped(in, path, fd, size);
	}
	if (e) { /* the source carries the file's checkpoint from now on */
		cp_table_remove(&in->cp, e);
	}
	if (offset && lseek(fd, (off_t)offset, SEEK_SET) < 0) {
		input_error(in, "seek in", path, errno);
		close(fd);
		return;
	}
	struct source *s = input_source_add(in, path, fd, KIND_FILE, offset);
	s->id = id;
	input_ino_put(in, s);
	in->cp_dirty = 1;
}

/* Files rotated while logmash was not running: a checkpoint whose file is
 * no longer at its path may still have unread lines under its new name in
 * the same folder. Found by inode and head fingerprint, it is read to its
 * end, then let go. */
void input_recover_rotated(struct input *in)
{
	for (size_t i = 0; i < in->cp.n;) {
		struct cp_entry *e = &in->cp.e[i];
		if (input_path_names(e->path, &e->id)) {
			i++; /* not rotated: the scan takes it */
			continue;
		}
		char *d = input_dir_of(e->path);
		DIR *dh = opendir(d);
		struct source *s = NULL;
		struct dirent *de;
		while (dh && !s && (de = readdir(dh))) {
			if ((uint64_t)de->d_ino != e->id.ino)
				continue;
			struct buf p = {0};
			buf_printf(&p, "%s/%s", d, de->d_name);
			int fd = input_open_file(in, buf_cstr(&p));
			struct stat st;
			if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
			    (uint64_t)st.st_size > e->offset && fileid_match(fd, &e->id) == 1 &&
			    lseek(fd, (off_t)e->offset, SEEK_SET) >= 0) {
				s = input_source_add(in, e->path, fd, KIND_FILE, e->offset);
				s->id = e->id;
				input_ino_put(in, s);
				input_source_rotated(in, s);
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
	if (input_has_glob(path))
		warnx_("no file matches %s (yet): following what matches from when it appears", path);
	else
		warnx_("%s does not exist (yet): following it from when it appears", path);
	in->waiting = xrealloc(in->waiting, (in->n_waiting + 1) * sizeof *in->waiting);
	in->waiting[in->n_waiting++] = xstrdup(path);
}

/* The files one spec (a path or a glob) names now. */
void input_scan_spec(struct input *in, const char *p, int at_start)
{
	if (in->o.follow) {
		char *d = input_dir_of(p);
		struct stat st;
		if (!input_has_glob(d) && stat(d, &st) == 0)
			watch_dir(&in->w, d);
		free(d);
	}
	if (!input_has_glob(p)) {
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
	if (!input_has_glob(p))
		return stat(p, &st) == 0;
	glob_t g;
	int r = glob(p, 0, NULL, &g);
	globfree(&g);
	return r == 0;
}

void input_scan_all(struct input *in)
{
	for (size_t i = 0; i < in->o.n; i++)
		for (size_t k = 0; k < in->o.specs[i].n_paths; k++)
			if (strcmp(in->o.specs[i].paths[k], "-") != 0)
				input_scan_spec(in, in->o.specs[i].paths[k], 0);
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

/* Whether one of the specs names the path or glob p itself. */
static int listed(const struct input_spec *specs, size_t n, const char *p)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < specs[i].n_paths; k++)
			if (strcmp(specs[i].paths[k], p) == 0)
				return 1;
	return 0;
}

int input_reconfigure(struct input *in, const struct input_opts *o, struct buf *err)
{
	/* The inputs, their rules and timers are o's; how reading was set up
	 * (the state directory, following, the line bound) stays. */
	struct input_opts next = *o;
	next.max_line = in->o.max_line;
	next.follow = in->o.follow;
	next.state_dir = in->o.state_dir;
	next.checkpoints = in->o.checkpoints;
	next.save_state = in->o.save_state;
	next.spool_max_bytes = in->o.spool_max_bytes;
	struct input_rule *rules = input_rules_build(&next, err);
	if (!rules)
		return -1;
	const struct input_spec *old_specs = in->o.specs;
	size_t old_n = in->o.n;
	struct input_rule *old_rules = in->rules;
	int keep = 0;
	in->o = next;
	in->rules = rules;
	for (size_t i = 0; i < in->n; i++) {
		struct source *s = in->src[i];
		if (!s || s->kind == KIND_JOURNAL)
			continue; /* input_journal_reconfigure */
		struct input_rule *r = input_rule_for(in, s->kind == KIND_SEGMENT ? "-" : s->path);
		/* A file no spec names now: what was read of it is sent, then
		 * it is let go; its checkpoint keeps the rest for later. */
		if (!r && s->kind == KIND_FILE && s->state != SRC_DONE && !s->finishing) {
			s->finishing = 1;
			s->readable = 1;
			errlog_add(ERR_EVENT, "%s is no longer an input: sending what was read of it, "
				   "then letting it go", s->path);
		}
		s->orphan = !r;
		if (!r)
			r = &rules[0]; /* its timers; it has no input's items or scripts now */
		if (input_rule_same(r, s->rule) || !decoder_pending(&s->dec)) {
			char why[512];
			if (decoder_set_rule(&s->dec, &r->dr, why, sizeof why) != 0)
				errlog_add(ERR_INPUT, "%s: %s (read as UTF-8)", s->path, why);
		} else {
			/* What is being joined ends under the rule it began with
			 * (kept until then); the new one applies after it. */
			s->flush_joiner = 1;
			s->rule_changed = 1;
			keep = 1;
		}
		s->rule = r;
	}
	for (size_t i = 0; i < in->n_waiting;) {
		if (!listed(in->o.specs, in->o.n, in->waiting[i])) {
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
	for (size_t i = 0; i < in->o.n; i++)
		for (size_t k = 0; k < in->o.specs[i].n_paths; k++) {
			const char *p = in->o.specs[i].paths[k];
			if (strcmp(p, "-") == 0 || listed(old_specs, old_n, p))
				continue;
			in->files = 1;
			errlog_add(ERR_EVENT, "%s is a new input", p);
			input_scan_spec(in, p, 1);
		}
	input_journal_reconfigure(in);
	if (keep) { /* freed when no decoder reads by them (input_rules_retire) */
		in->retired = xrealloc(in->retired, (in->n_retired + 1) * sizeof *in->retired);
		in->retired[in->n_retired++] = (struct retired_rules){old_rules, old_n};
	} else {
		input_rules_free(old_rules, old_n);
	}
	return 0;
}
