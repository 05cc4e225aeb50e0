/* hash.h - FNV-1a, 64 bits: the files' head fingerprints, the checkpoint
 * file's checksum and the sources' hash buckets. Fast, not cryptographic. */
#ifndef LOGMASH_HASH_H
#define LOGMASH_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t fnv1a64(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	while (n--) {
		h ^= *s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

#endif
