/* fileid.c - device, inode and head fingerprint. */
#include "fileid.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"

/* Hashes the first n bytes of fd into *h. Returns the bytes read (may be
 * fewer than n when the file is shorter), or -1. */
static ssize_t head_hash(int fd, size_t n, uint64_t *h)
{
	unsigned char b[FILEID_HEAD];
	size_t got = 0;
	if (n > sizeof b)
		n = sizeof b;
	while (got < n) {
		ssize_t r = pread(fd, b + got, n - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	*h = fnv1a64(b, got);
	return (ssize_t)got;
}

int fileid_of(int fd, struct fileid *id)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -1;
	id->dev = (uint64_t)st.st_dev;
	id->ino = (uint64_t)st.st_ino;
	ssize_t n = head_hash(fd, FILEID_HEAD, &id->fp_hash);
	if (n < 0)
		return -1;
	id->fp_len = (uint32_t)n;
	return 0;
}

int fileid_match(int fd, const struct fileid *known)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -1;
	if ((uint64_t)st.st_dev != known->dev || (uint64_t)st.st_ino != known->ino)
		return 0;
	uint64_t h;
	ssize_t n = head_hash(fd, known->fp_len, &h);
	if (n < 0)
		return -1;
	return (uint32_t)n == known->fp_len && h == known->fp_hash;
}

void fileid_refresh(int fd, struct fileid *id)
{
	if (id->fp_len >= FILEID_HEAD)
		return;
	struct fileid now;
	/* Only while the head still starts as it did: a rewritten head is a
	 * truncation, which the reader handles on its own. */
	if (fileid_match(fd, id) == 1 && fileid_of(fd, &now) == 0 && now.fp_len > id->fp_len)
		*id = now;
}
