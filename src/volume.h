/* volume.h - volume control: throttle, sample and dedupe by key, bounded.
 *
 * One table a script (logmash.throttle, .sample and .dedupe: script_volume.c).
 * A key is known by a 64-bit hash of its bytes and the helper it was given
 * to, so a key of any length costs the same few dozen bytes and the same key
 * given to two helpers is two keys. Past max_keys the least recently used
 * key is forgotten (it starts afresh if it comes back) and counted. Every
 * answer is counted: kept (true) or dropped (false). Time is passed in, so a
 * test can drive a clock of its own. */
#ifndef LOGMASH_VOLUME_H
#define LOGMASH_VOLUME_H

#include <stddef.h>
#include <stdint.h>

#define VOLUME_KEYS_MAX_DEFAULT 100000

struct volume;

struct volume_totals {
	uint64_t kept, dropped;  /* answers true and false */
	uint64_t keys, evicted;  /* keys held now; forgotten to stay within max_keys */
	size_t memory;           /* bytes held */
};

/* max_keys 0: VOLUME_KEYS_MAX_DEFAULT. */
struct volume *volume_new(size_t max_keys);
void volume_free(struct volume *v);

/* A token bucket per key: per_second tokens a second up to burst (at least
 * 1), full when the key is new. True when a token was there to take; then
 * *refused is how many calls it refused since the last one it allowed. */
int volume_throttle(struct volume *v, const char *key, size_t len, double per_second,
		    double burst, double now, uint64_t *refused);

/* True for the 1st, n+1st, 2n+1st... call with this key (n >= 1). */
int volume_sample(struct volume *v, const char *key, size_t len, uint64_t n);

/* A window of `seconds` opens when a key is seen with none open. True for
 * the call that opens it, false for the rest of the window; on true,
 * *repeats is how many calls the key's previous window refused (0 for a new
 * key), on false 0. */
int volume_dedupe(struct volume *v, const char *key, size_t len, double seconds, double now,
		  uint64_t *repeats);

void volume_totals(const struct volume *v, struct volume_totals *t);

#endif
