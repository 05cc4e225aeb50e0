/* input_internal.h - what input.c, input_sources.c, input_discovery.c and
 * input_spool.c share; nothing else includes it. */
#ifndef LOGMASH_INPUT_INTERNAL_H
#define LOGMASH_INPUT_INTERNAL_H

#include "input.h"

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


/* input.c */
int stream_ready(int fd);

/* input_discovery.c */
int has_glob(const char *p);
void open_deferred(struct input *in);
int open_file(struct input *in, const char *path);
void recover_rotated(struct input *in);
void scan_all(struct input *in);
void scan_spec(struct input *in, const char *p, int at_start);

/* input_sources.c */
struct source *add_source(struct input *in, const char *path, int fd, int is_file, uint64_t offset);
char *chunk_get(struct input *in);
void chunk_put(struct input *in, struct source *s);
void close_fd(struct source *s);
char *dir_of(const char *path);
void finish_source(struct source *s);
void free_source(struct input *in, struct source *s);
size_t ino_bucket(uint64_t dev, uint64_t ino);
void ino_put(struct input *in, struct source *s);
void input_error(struct input *in, const char *fmt, const char *path, int err);
char *key_of(const char *path);
struct source *map_get(const struct input *in, const char *key);
int path_names(const char *path, const struct fileid *id);
void release_source(struct input *in, size_t i);
void mark_rotated(struct input *in, struct source *s);
void set_done(struct input *in, struct source *s);

/* input_spool.c */
void feed_spool(struct input *in, struct source *s);
void next_reader(struct input *in);
int segment_sealed(const struct input *in, const struct source *s);

#endif
