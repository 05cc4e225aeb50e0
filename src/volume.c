/* volume.c - throttle, sample and dedupe by key (see volume.h).
 *
 * The keys live in one array that doubles up to max_keys, chained from a
 * bucket array twice its size, and threaded on a list from the most to the
 * least recently used: a lookup is a hash and a short chain walk, an
 * eviction is the list's tail. */
#include "volume.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "util.h"

#define NIL UINT32_MAX

enum kind { THROTTLE = 1, SAMPLE, DEDUPE };

struct vkey {
	uint64_t hash;           /* of the key and its kind */
	uint32_t next;           /* in its bucket */
	uint32_t newer, older;   /* on the LRU list */
	double t;                /* throttle: last refill; dedupe: window opened */
	double tokens;           /* throttle */
	uint64_t count;          /* sample: calls; throttle, dedupe: refused lately */
};

struct volume {
	struct vkey *k;
	uint32_t n, cap, max;
	uint32_t *bucket;        /* 2 * cap of them, a power of two */
	uint32_t newest, oldest;
	uint64_t kept, dropped, evicted;
};

struct volume *volume_new(size_t max_keys)
{
	struct volume *v = xcalloc(1, sizeof *v);
	if (max_keys == 0)
		max_keys = VOLUME_KEYS_MAX_DEFAULT;
	if (max_keys > NIL / 4)
		max_keys = NIL / 4;
	v->max = (uint32_t)max_keys;
	v->newest = v->oldest = NIL;
	return v;
}

void volume_free(struct volume *v)
{
	if (!v)
		return;
	free(v->k);
	free(v->bucket);
	free(v);
}

static uint64_t key_hash(enum kind kind, const char *key, size_t len)
{
	uint64_t h = fnv1a64(key, len) ^ ((uint64_t)kind * 0x9e3779b97f4a7c15ULL);
	/* fnv's low bits mix poorly: finish as splitmix64 does. */
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 29;
	return h;
}

static uint32_t *slot_of(struct volume *v, uint64_t h)
{
	return &v->bucket[h & (2 * (uint64_t)v->cap - 1)];
}

static void lru_unlink(struct volume *v, uint32_t i)
{
	struct vkey *e = &v->k[i];
	if (e->newer != NIL)
		v->k[e->newer].older = e->older;
	else
		v->newest = e->older;
	if (e->older != NIL)
		v->k[e->older].newer = e->newer;
	else
		v->oldest = e->newer;
}

static void lru_push(struct volume *v, uint32_t i)
{
	struct vkey *e = &v->k[i];
	e->newer = NIL;
	e->older = v->newest;
	if (v->newest != NIL)
		v->k[v->newest].newer = i;
	v->newest = i;
	if (v->oldest == NIL)
		v->oldest = i;
}

static void grow(struct volume *v)
{
	uint32_t cap = v->cap ? v->cap * 2 : 64;
	if (cap > v->max)
		cap = v->max;
	v->k = xrealloc(v->k, (size_t)cap * sizeof *v->k);
	free(v->bucket);
	v->cap = cap;
	v->bucket = xcalloc(2 * (size_t)cap, sizeof *v->bucket);
	memset(v->bucket, 0xff, 2 * (size_t)cap * sizeof *v->bucket);
	for (uint32_t i = 0; i < v->n; i++) {
		uint32_t *s = slot_of(v, v->k[i].hash);
		v->k[i].next = *s;
		*s = i;
	}
}

/* The oldest key makes room: its slot is reused for the new one. */
static uint32_t evict(struct volume *v)
{
	uint32_t i = v->oldest;
	lru_unlink(v, i);
	uint32_t *s = slot_of(v, v->k[i].hash);
	while (*s != i)
		s = &v->k[*s].next;
	*s = v->k[i].next;
	v->evicted++;
	return i;
}

/* The key's state, most recently used now; *fresh when it was not held. */
static struct vkey *lookup(struct volume *v, enum kind kind, const char *key, size_t len,
			   int *fresh)
{
	uint64_t h = key_hash(kind, key, len);
	if (v->cap) {
		for (uint32_t i = *slot_of(v, h); i != NIL; i = v->k[i].next)
			if (v->k[i].hash == h) {
				if (v->newest != i) {
					lru_unlink(v, i);
					lru_push(v, i);
				}
				*fresh = 0;
				return &v->k[i];
			}
	}
	uint32_t i;
	if (v->n < v->cap) {
		i = v->n++;
	} else if (v->cap < v->max) {
		grow(v);
		i = v->n++;
	} else {
		i = evict(v);
	}
	struct vkey *e = &v->k[i];
	memset(e, 0, sizeof *e);
	e->hash = h;
	uint32_t *s = slot_of(v, h);
	e->next = *s;
	*s = i;
	lru_push(v, i);
	*fresh = 1;
	return e;
}

static int counted(struct volume *v, int keep)
{
	if (keep)
		v->kept++;
	else
		v->dropped++;
	return keep;
}

int volume_throttle(struct volume *v, const char *key, size_t len, double per_second,
		    double burst, double now, uint64_t *refused)
{
	int fresh;
	struct vkey *e = lookup(v, THROTTLE, key, len, &fresh);
	if (burst < 1)
		burst = 1;
	if (per_second < 0)
		per_second = 0;
	if (fresh) {
		e->tokens = burst;
	} else if (now > e->t) {
		e->tokens += (now - e->t) * per_second;
		if (e->tokens > burst)
			e->tokens = burst;
	}
	if (fresh || now > e->t)
		e->t = now;
	*refused = 0;
	if (e->tokens < 1) {
		e->count++;
		return counted(v, 0);
	}
	e->tokens -= 1;
	*refused = e->count;
	e->count = 0;
	return counted(v, 1);
}

int volume_sample(struct volume *v, const char *key, size_t len, uint64_t n)
{
	int fresh;
	struct vkey *e = lookup(v, SAMPLE, key, len, &fresh);
	if (n < 1)
		n = 1;
	int keep = e->count % n == 0;
	e->count++;
	return counted(v, keep);
}

int volume_dedupe(struct volume *v, const char *key, size_t len, double seconds, double now,
		  uint64_t *repeats)
{
	int fresh;
	struct vkey *e = lookup(v, DEDUPE, key, len, &fresh);
	*repeats = 0;
	if (!fresh && now < e->t + seconds) {
		e->count++;
		return counted(v, 0);
	}
	*repeats = e->count;
	e->count = 0;
	e->t = now;
	return counted(v, 1);
}

void volume_totals(const struct volume *v, struct volume_totals *t)
{
	t->kept = v->kept;
	t->dropped = v->dropped;
	t->keys = v->n;
	t->evicted = v->evicted;
	t->memory = sizeof *v + (size_t)v->cap * (sizeof *v->k + 2 * sizeof *v->bucket);
}
