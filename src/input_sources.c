/* input_sources.c - the sources: the maps that find them (by path, by
 * device and inode), the chunk pool, and their lifecycle. */
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
#include "hash.h"
#include "input_internal.h"
#include "snapshot.h"
#include "util.h"

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

struct source *input_map_get(const struct input *in, const char *key)
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

size_t input_ino_bucket(uint64_t dev, uint64_t ino)
{
	return (size_t)((ino * 0x9E3779B97F4A7C15ULL ^ dev) % BUCKETS);
}

/* s is a file read from now on, its id set. */
void input_ino_put(struct input *in, struct source *s)
{
	size_t b = input_ino_bucket(s->id.dev, s->id.ino);
	s->next_by_ino = in->by_ino[b];
	in->by_ino[b] = s;
	s->in_ino_map = 1;
}

static void ino_del(struct input *in, struct source *s)
{
	if (!s->in_ino_map)
		return;
	for (struct source **p = &in->by_ino[input_ino_bucket(s->id.dev, s->id.ino)]; *p;
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

ssize_t input_chunk_read(struct input *in, struct source *s, size_t want)
{
	s->chunk = chunk_get(in);
	ssize_t r;
	do
		r = read(s->fd, s->chunk, want);
	while (r < 0 && errno == EINTR);
	return r;
}

void input_chunk_put(struct input *in, struct source *s)
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

char *input_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* The name events use for path: its folder as watched, a slash, its name. */
char *input_key_of(const char *path)
{
	char *d = input_dir_of(path);
	const char *slash = strrchr(path, '/');
	struct buf k = {0};
	buf_printf(&k, "%s/%s", d, slash ? slash + 1 : path);
	free(d);
	return buf_cstr(&k);
}

struct source *input_source_add(struct input *in, const char *path, int fd, enum source_kind kind,
				uint64_t offset)
{
	struct source *s = xcalloc(1, sizeof *s);
	s->in = in;
	s->path = xstrdup(path);
	s->name = s->path;
	s->key = input_key_of(path);
	s->fd = fd;
	s->kind = kind;
	s->state = SRC_ACTIVE;
	s->read_off = offset;
	s->readable = 1;
	s->last_growth_ms = s->last_check_ms = now_mono_ms();
	framer_init(&s->fr, in->o.max_line);
	s->fr.offset = offset;
	/* Standard input and its spool segments are the input that names "-". */
	s->rule = input_rule_for(in, kind == KIND_SEGMENT ? "-" : path);
	s->orphan = !s->rule;
	if (!s->rule)
		s->rule = &in->rules[0]; /* a rotated file no input names now */
	char why[512];
	if (decoder_init(&s->dec, &s->rule->dr, offset, why, sizeof why) != 0)
		fatal("%s: %s", path, why); /* the encoding was known a moment ago */
	struct container_meta m;
	if (s->rule->dr.format != FORMAT_LINES && container_meta_of(path, &m)) {
		s->meta = xmalloc(sizeof *s->meta);
		*s->meta = m;
	}
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
	if (kind == KIND_FILE) {
		map_put(in, s);
		if (in->o.follow) {
			char *d = input_dir_of(path);
			watch_dir(&in->w, d);
			free(d);
			/* A symlink: growth happens in its target's folder. */
			char real[PATH_MAX];
			if (realpath(path, real) && strcmp(real, path) != 0) {
				s->real = input_key_of(real);
				d = input_dir_of(real);
				watch_dir(&in->w, d);
				free(d);
			}
		}
	}
	return s;
}

void input_source_close_fd(struct source *s)
{
	if (s->fd > STDIN_FILENO) {
		close(s->fd);
		s->in->fds_freed = 1;
	}
	s->fd = -1;
}

/* No more bytes will come: frame what is held, then the source is done. */
void input_source_finish(struct source *s)
{
	framer_finish(&s->fr);
	s->finishing = 1;
	s->readable = 1;
}


/* The source will give nothing more. */
void input_source_done(struct input *in, struct source *s)
{
	if (s->state == SRC_ACTIVE && s->kind == KIND_FILE)
		map_del(in, s);
	s->state = SRC_DONE;
	s->readable = 0;
	ino_del(in, s);
	input_source_close_fd(s);
	/* A spool segment read to its end: the next one is read at once (this
	 * one is deleted later, when its logs have settled). Until then there
	 * must be no moment without a reader, or the input would look ended. */
	if (s->kind == KIND_SEGMENT && in->reader == s) {
		in->reader = NULL;
		input_spool_next_reader(in);
	}
}

/* Where a rotated file went, for the operator: the entry of its folder
 * with its inode (logrotate's rename), or NULL (deleted, or moved away). */
static char *find_moved(const struct source *s)
{
	char *d = input_dir_of(s->path);
	DIR *dh = opendir(d);
	char *found = NULL;
	struct dirent *de;
	while (dh && !found && (de = readdir(dh))) {
		if ((uint64_t)de->d_ino != s->id.ino)
			continue;
		struct buf p = {0};
		buf_printf(&p, "%s/%s", d, de->d_name);
		if (input_path_names(buf_cstr(&p), &s->id))
			found = xstrdup(buf_cstr(&p));
		buf_free(&p);
	}
	if (dh)
		closedir(dh);
	free(d);
	return found;
}

/* The path no longer names this file: read it to its end, then let go. */
void input_source_rotated(struct input *in, struct source *s)
{
	if (s->state != SRC_ACTIVE)
		return;
	if (!s->real && s->kind == KIND_FILE) {
		free(s->moved_to);
		s->moved_to = find_moved(s);
	}
	map_del(in, s);
	in->n_special++;
	s->state = SRC_ROTATED;
	s->rotated_ms = now_mono_ms();
	s->readable = 1;
	in->rescan = 1; /* the path may name a new file now */
	if (s->fd < 0)
		input_source_finish(s); /* closed while inactive: everything was read */
}

/* Whether path names the file id was taken from (now). */
int input_path_names(const char *path, const struct fileid *id)
{
	struct stat st;
	return stat(path, &st) == 0 && (uint64_t)st.st_ino == id->ino &&
	       (uint64_t)st.st_dev == id->dev;
}

void input_source_free(struct input *in, struct source *s)
{
	ino_del(in, s);
	input_source_close_fd(s);
	input_chunk_put(in, s);
	framer_free(&s->fr);
	decoder_free(&s->dec);
	free(s->meta);
	input_journal_free(s);
	acks_free(&s->acks);
	free(s->path);
	free(s->key);
	free(s->real);
	free(s->moved_to);
	free(s);
}

/* Frees a done source once all its records settled; its checkpoint stays
 * while its path still names it. */
void input_source_release(struct input *in, size_t i)
{
	struct source *s = in->src[i];
	if (s->kind == KIND_SEGMENT) { /* read, sealed and settled: its lines are delivered */
		spool_drop(&in->sp, s->path, s->read_off);
		if (in->reader == s)
			in->reader = NULL;
		in->cp_dirty = 1;
	} else if (s->kind == KIND_JOURNAL && input_journal_cursor(s)) {
		/* Kept for a later run or reload that reads it again. */
		cp_table_set_journal(&in->cp, input_journal_name(s), input_journal_cursor(s));
		in->cp_dirty = 1;
	} else if (is_file(s) && (s->id.dev || s->id.ino)) {
		if (input_path_names(s->path, &s->id))
			cp_table_add(&in->cp, &s->id, s->acks.committed, s->path);
		in->cp_dirty = 1;
	}
	input_source_free(in, s);
	in->src[i] = NULL;
	if (i < in->free_hint)
		in->free_hint = i;
}

void input_error(struct input *in, const char *what, const char *path, int err)
{
	errlog_add(ERR_INPUT, "cannot %s %s: %s", what, path, strerror(err));
	in->st->input_errors++;
}
