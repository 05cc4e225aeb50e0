/* atomicfile.h - replacing a file whole or not at all: the checkpoints'
 * and the templates' way to the disk. */
#ifndef LOGMASH_ATOMICFILE_H
#define LOGMASH_ATOMICFILE_H

#include <stddef.h>

/* Writes data to FILE.tmp, syncs it and renames it over file, then syncs
 * the folder. 0; -1 with errno set when file was not replaced (the old
 * one stays); 1 with errno set when it was but the folder could not be
 * synced (a crash may bring back the old one). */
int atomicfile_write(const char *file, const void *data, size_t len);

#endif
