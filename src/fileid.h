/* fileid.h - telling files apart.
 *
 * A file is its device and inode, and a fingerprint of its head: a hash of
 * its first bytes (up to FILEID_HEAD), with how many bytes were hashed. An
 * inode reused by a new file has another head, so the pair is not mistaken
 * for the old file; a file that grew still starts with the hashed bytes. */
#ifndef LOGMASH_FILEID_H
#define LOGMASH_FILEID_H

#include <stddef.h>
#include <stdint.h>

#define FILEID_HEAD 1024

struct fileid {
	uint64_t dev, ino;
	uint32_t fp_len;  /* bytes hashed: min(size, FILEID_HEAD) when taken */
	uint64_t fp_hash;
};

/* The identity of the open file fd. Returns 0, or -1 with errno. */
int fileid_of(int fd, struct fileid *id);

/* 1 when fd is the file known was taken from, 0 when it is another, -1 on
 * error. fd's head must still hash as known's did. */
int fileid_match(int fd, const struct fileid *known);

/* Re-takes the fingerprint of fd when the first one covered less than
 * FILEID_HEAD bytes and the file has grown since. */
void fileid_refresh(int fd, struct fileid *id);

#endif
