/* checkpoint.h - where each followed file was acknowledged up to, on disk.
 *
 * One text file (STATE_DIR/checkpoints; for --replay, FILE.replayed), replaced atomically (write a
 * temporary file, fsync it, rename it over, fsync the folder), so a crash
 * leaves the old table or the new one, never half of one:
 *
 *     logmash-checkpoints 1
 *     DEV INO FP_LEN FP_HASH OFFSET PATH      (one line a file; PATH %-escaped)
 *     journal NAME CURSOR                      (one line a journal input; NAME %-escaped)
 *     end COUNT CHECKSUM
 *
 * A file that does not read back exactly so is reported and set aside
 * (renamed to checkpoints.bad-TIME), and logmash starts without it. */
#ifndef LOGMASH_CHECKPOINT_H
#define LOGMASH_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "fileid.h"

struct cp_entry {
	struct fileid id;
	uint64_t offset;
	char *path;
};

/* A journal input's position: the cursor of the entry acknowledged last. */
struct cp_journal {
	char *name;
	char *cursor;
};

struct cp_table {
	struct cp_entry *e;
	size_t n;
	struct cp_journal *j;
	size_t nj;
};

void cp_table_add(struct cp_table *t, const struct fileid *id, uint64_t offset, const char *path);
/* Sets journal input name's cursor (once a name). */
void cp_table_set_journal(struct cp_table *t, const char *name, const char *cursor);
void cp_table_free(struct cp_table *t);
/* The cursor kept for journal input name, or NULL. */
const char *cp_table_journal(const struct cp_table *t, const char *name);

/* The entry for dev/ino, or NULL. */
struct cp_entry *cp_table_find(const struct cp_table *t, uint64_t dev, uint64_t ino);
/* Removes e (an entry of t; the last one takes its place). */
void cp_table_remove(struct cp_table *t, struct cp_entry *e);

/* Text to table (pure). Returns 0, or -1 with a reason in why. */
int checkpoint_parse(const char *text, size_t len, struct cp_table *t, const char **why);
void checkpoint_format(const struct cp_table *t, struct buf *out);

/* Creates dir (mode 700) if needed. Returns 0, or -1 with a message printed. */
int checkpoint_dir(const char *dir, struct buf *err);

/* Reads the table in file into t (empty when there is none). A corrupt or foreign
 * file is reported and set aside. Returns 1 when a table was read (logmash
 * ran here before), else 0. */
int checkpoint_load(const char *file, struct cp_table *t);

/* Replaces file's table with t atomically (file.tmp renamed over it, the
 * folder synced). Returns 0, or -1 (reported). */
int checkpoint_save(const char *file, const struct cp_table *t);

#endif
