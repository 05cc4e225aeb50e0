/* atomicfile.h - the state files (the checkpoints, the templates): read
 * whole, and replaced whole or not at all. */
#ifndef LOGMASH_ATOMICFILE_H
#define LOGMASH_ATOMICFILE_H

#include <stddef.h>

#include "buf.h"

/* Writes data to FILE.tmp, syncs it and renames it over file, then syncs
 * the folder. 0; -1 with errno set when file was not replaced (the old
 * one stays); 1 with errno set when it was but the folder could not be
 * synced (a crash may bring back the old one). */
int atomicfile_write(const char *file, const void *data, size_t len);

/* Appends file's bytes, at most about max, to out. 0; -1 with errno set
 * when it cannot be opened (ENOENT: there is none); -2 with errno set when
 * reading it failed, out holding what was read before. */
int atomicfile_read(const char *file, size_t max, struct buf *out);

#endif
