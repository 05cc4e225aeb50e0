/* template.c - the template miner (see template.h; the design and its
 * figures: docs/templates.md). */
#include "template.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <inttypes.h>
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "template_mask.h"
#include "utf8.h"
#include "util.h"

#define MAX_MASKS 32
/* A message is mined from its first MINE_BYTES bytes and MAX_TOKENS tokens;
 * what is past them is one last <*>. */
#define MINE_BYTES 4096
/* Drain's similarity threshold: the share of a line's tokens that must
 * equal a group's constants for the line to change that group. Drain uses
 * 0.4 to 0.7, tuned per format; with masks this thorough, what is left to
 * differ is mostly words that name a different event, so a line must agree
 * almost everywhere (0.9 scored best on all 16 Loghub formats at once). */
#define MERGE_SHARE 0.9
#define RATE_SECONDS 5.0 /* the rate's smoothing time */

struct group {
	uint64_t id;
	uint64_t serial; /* order of creation: the older wins a tie */
	uint32_t gen;    /* bumped when the slot is reused: stale cache entries */
	uint32_t ntok, nconst;
	uint32_t key;    /* hash of (length, first token): its bucket */
	int32_t prev, next; /* the LRU list (head: most recent) */
	int32_t bnext;      /* the bucket's chain, or the free list */
	char *text;         /* the tokens joined by spaces */
	uint16_t *off;      /* ntok + 1 offsets into text (the last: len + 1) */
	uint64_t total, kept, dropped, tick_total;
	double rate, last_seen;
	char example[TEMPLATE_EXAMPLE];
	unsigned char used;
};

struct cache_entry {
	uint64_t key;
	int32_t slot;
	uint32_t gen;
};

struct cache {
	struct cache_entry *e;
	size_t n; /* a power of two */
};

struct template_miner {
	size_t max;
	struct group *g;
	size_t nslots, cap, ngroups;
	int32_t free_head, head, tail;
	uint64_t serial, created, evicted, mined;
	int dirty;
	int32_t last; /* the group mined for the current log, or -1 */
	int in_log;   /* between template_log_start and template_verdict */
	double last_tick;

	int32_t *buckets;
	size_t nbuckets;
	struct cache cache;   /* masked tokens -> group */
	struct cache shapes;  /* the message's shape -> group (shape_of) */

	pcre2_code *masks[MAX_MASKS];
	size_t nmasks;
	pcre2_match_data *md;
	struct buf pre[2]; /* the message after the extra masks */

	struct template_tokens toks;
	struct buf text; /* a template being built */
	struct template_info info;
	size_t text_bytes; /* held by the groups' texts */
};

static const char WILD[] = "<*>";

static int is_wild(const char *s, size_t n)
{
	return n == 3 && s[0] == '<' && s[1] == '*' && s[2] == '>';
}

static size_t pow2_at_least(size_t n)
{
	size_t p = 64;
	while (p < n)
		p <<= 1;
	return p;
}

struct template_miner *template_miner_new(size_t max_groups)
{
	struct template_miner *m = xcalloc(1, sizeof *m);
	m->max = max_groups ? max_groups : TEMPLATE_MAX_DEFAULT;
	m->free_head = m->head = m->tail = m->last = -1;
	m->nbuckets = pow2_at_least(m->max / 2);
	m->buckets = xmalloc(m->nbuckets * sizeof *m->buckets);
	for (size_t i = 0; i < m->nbuckets; i++)
		m->buckets[i] = -1;
	m->cache.n = m->shapes.n = 1024;
	m->cache.e = xcalloc(m->cache.n, sizeof *m->cache.e);
	m->shapes.e = xcalloc(m->shapes.n, sizeof *m->shapes.e);
	return m;
}

void template_miner_free(struct template_miner *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nslots; i++) {
		free(m->g[i].text);
		free(m->g[i].off);
	}
	free(m->g);
	free(m->buckets);
	free(m->cache.e);
	free(m->shapes.e);
	for (size_t i = 0; i < m->nmasks; i++)
		pcre2_code_free(m->masks[i]);
	pcre2_match_data_free(m->md);
	buf_free(&m->pre[0]);
	buf_free(&m->pre[1]);
	buf_free(&m->text);
	template_tokens_free(&m->toks);
	free(m);
}

int template_miner_add_mask(struct template_miner *m, const char *regex, struct buf *err)
{
	if (m->nmasks == MAX_MASKS) {
		buf_printf(err, "more than %d template masks", MAX_MASKS);
		return -1;
	}
	int code;
	PCRE2_SIZE at;
	/* Messages need not be valid UTF-8 (a script may set any bytes):
	 * PCRE2_MATCH_INVALID_UTF matches them safely, as logmash.regex does. */
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
				       PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &at, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(code, msg, sizeof msg);
		buf_printf(err, "template mask '%s': %s at offset %zu", regex, (const char *)msg,
			   (size_t)at);
		return -1;
	}
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* interpreted if JIT is unavailable */
	if (!m->md && !(m->md = pcre2_match_data_create(4, NULL))) {
		pcre2_code_free(re);
		buf_printf(err, "template mask '%s': out of memory", regex);
		return -1;
	}
	m->masks[m->nmasks++] = re;
	return 0;
}

/* The message with every extra mask's matches replaced by <*>: each mask
 * writes into whichever of the two scratch buffers the message is not in. */
static const char *apply_masks(struct template_miner *m, const char *msg, size_t *len)
{
	for (size_t k = 0; k < m->nmasks; k++) {
		struct buf *out = msg == m->pre[0].data ? &m->pre[1] : &m->pre[0];
		buf_clear(out);
		size_t pos = 0;
		int matched = 0;
		for (;;) {
			int rc = pcre2_match(m->masks[k], (PCRE2_SPTR)msg, *len, pos, 0, m->md,
					     NULL);
			if (rc < 0)
				break;
			matched = 1;
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
			buf_append(out, msg + pos, ov[0] - pos);
			buf_puts(out, " <*> ");
			pos = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
			if (pos > *len)
				break;
		}
		if (!matched)
			continue;
		if (pos < *len)
			buf_append(out, msg + pos, *len - pos);
		msg = out->data;
		*len = out->len;
	}
	return msg;
}

/* --- the LRU list, the buckets and the cache ---------------------------- */

static void lru_unlink(struct template_miner *m, int32_t s)
{
	struct group *g = &m->g[s];
	if (g->prev >= 0)
		m->g[g->prev].next = g->next;
	else
		m->head = g->next;
	if (g->next >= 0)
		m->g[g->next].prev = g->prev;
	else
		m->tail = g->prev;
	g->prev = g->next = -1;
}

static void lru_push(struct template_miner *m, int32_t s)
{
	struct group *g = &m->g[s];
	g->prev = -1;
	g->next = m->head;
	if (m->head >= 0)
		m->g[m->head].prev = s;
	m->head = s;
	if (m->tail < 0)
		m->tail = s;
}

static void lru_touch(struct template_miner *m, int32_t s)
{
	if (m->head == s)
		return;
	lru_unlink(m, s);
	lru_push(m, s);
}

static uint32_t bucket_key(uint32_t ntok, const char *first, size_t n)
{
	uint64_t h = fnv1a64(first, n);
	return (uint32_t)(h ^ (h >> 32)) * 2654435761u + ntok;
}

static void bucket_remove(struct template_miner *m, int32_t s)
{
	int32_t *p = &m->buckets[m->g[s].key & (m->nbuckets - 1)];
	while (*p >= 0 && *p != s)
		p = &m->g[*p].bnext;
	if (*p == s)
		*p = m->g[s].bnext;
	m->g[s].bnext = -1;
}

static void cache_grow(struct template_miner *m, struct cache *t)
{
	if (m->ngroups * 4 <= t->n)
		return;
	size_t n = t->n * 2;
	struct cache_entry *c = xcalloc(n, sizeof *c);
	/* Moving entries keeps the answers; the lookups are 2-way. */
	for (size_t i = 0; i < t->n; i++) {
		struct cache_entry *e = &t->e[i];
		if (!e->key)
			continue;
		size_t j = e->key & (n - 1);
		if (c[j].key)
			j = (j + 1) & (n - 1);
		c[j] = *e;
	}
	free(t->e);
	t->e = c;
	t->n = n;
}

/* The live group under key; ntok 0: of any length. */
static int32_t cache_find(const struct template_miner *m, const struct cache *t, uint64_t key,
			  uint32_t ntok)
{
	for (size_t k = 0; k < 2; k++) {
		const struct cache_entry *e = &t->e[(key + k) & (t->n - 1)];
		if (e->key == key && e->slot >= 0 && (size_t)e->slot < m->nslots) {
			const struct group *g = &m->g[e->slot];
			if (g->used && g->gen == e->gen && (!ntok || g->ntok == ntok))
				return e->slot;
		}
	}
	return -1;
}

static void cache_put(struct template_miner *m, struct cache *t, uint64_t key, int32_t s)
{
	struct cache_entry *a = &t->e[key & (t->n - 1)];
	struct cache_entry *b = &t->e[(key + 1) & (t->n - 1)];
	/* The first way unless another live key holds it; then the second,
	 * whoever held it. */
	int a_live = a->key && a->key != key && a->slot >= 0 && m->g[a->slot].used &&
		     m->g[a->slot].gen == a->gen;
	struct cache_entry *e = a_live ? b : a;
	e->key = key ? key : 1;
	e->slot = s;
	e->gen = m->g[s].gen;
}

/* A message's shape: its bytes with each run of digits one mark of the
 * run's length (up to 6, the one length a mask tells apart: a port has at
 * most 5). Two messages of one shape differ only in their numbers' values,
 * which every built-in mask treats alike (a word with a digit is a
 * variable whatever the digit), so they mask to the same tokens: a shape
 * seen before skips masking, which is most of a message's cost. Not with
 * extra masks (a regex may count digits), nor past MINE_BYTES (where the
 * cut falls depends on the lengths). */
static uint64_t shape_of(const char *s, size_t n)
{
	uint64_t h = 0x9ae16a3b2f90404fULL;
	for (size_t i = 0; i < n;) {
		unsigned v = (unsigned char)s[i++];
		if (v - '0' < 10u) {
			size_t run = 1;
			while (i < n && (unsigned)((unsigned char)s[i] - '0') < 10u) {
				i++;
				run++;
			}
			v = 0x100 + (unsigned)(run < 6 ? run : 6); /* no byte is one */
		}
		h = (h ^ v) * 0x100000001b3ULL;
	}
	return h | 1;
}

/* --- groups --------------------------------------------------------------- */

/* Sets group s's text and offsets from tokens joined by spaces. */
static void set_text(struct template_miner *m, struct group *g, const char *text, size_t len)
{
	if (g->text)
		m->text_bytes -= (size_t)g->off[g->ntok] + (g->ntok + 1) * sizeof *g->off;
	free(g->text);
	free(g->off);
	g->text = xstrndup(text, len);
	uint32_t n = 1;
	for (size_t i = 0; i < len; i++)
		n += text[i] == ' ';
	g->ntok = n;
	g->off = xmalloc((n + 1) * sizeof *g->off);
	g->nconst = 0;
	uint32_t t = 0;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || text[i] == ' ') {
			g->off[t] = (uint16_t)start;
			g->nconst += !is_wild(text + start, i - start);
			t++;
			start = i + 1;
		}
	}
	g->off[n] = (uint16_t)(len + 1);
	m->text_bytes += len + 1 + (n + 1) * sizeof *g->off;
}

static void group_token(const struct group *g, uint32_t i, const char **s, size_t *n)
{
	*s = g->text + g->off[i];
	*n = (size_t)(g->off[i + 1] - g->off[i] - 1);
}

static void evict(struct template_miner *m)
{
	int32_t s = m->tail;
	struct group *g = &m->g[s];
	lru_unlink(m, s);
	bucket_remove(m, s);
	m->text_bytes -= (size_t)g->off[g->ntok] + (g->ntok + 1) * sizeof *g->off;
	free(g->text);
	free(g->off);
	g->text = NULL;
	g->off = NULL;
	g->used = 0;
	g->gen++;
	g->bnext = m->free_head;
	m->free_head = s;
	if (m->last == s)
		m->last = -1;
	m->ngroups--;
	m->evicted++;
	m->dirty = 1;
}

static int32_t new_slot(struct template_miner *m)
{
	if (m->ngroups >= m->max)
		evict(m);
	int32_t s;
	if (m->free_head >= 0) {
		s = m->free_head;
		m->free_head = m->g[s].bnext;
	} else {
		if (m->nslots == m->cap) {
			m->cap = m->cap ? m->cap * 2 : 64;
			if (m->cap > m->max)
				m->cap = m->max;
			m->g = xrealloc(m->g, m->cap * sizeof *m->g);
		}
		s = (int32_t)m->nslots++;
		m->g[s].gen = 0;
	}
	struct group *g = &m->g[s];
	uint32_t gen = g->gen;
	memset(g, 0, sizeof *g);
	g->gen = gen;
	g->used = 1;
	g->prev = g->next = g->bnext = -1;
	g->serial = ++m->serial;
	m->ngroups++;
	return s;
}

/* Makes group s's id from its first template; a clash with a live group
 * (one in a trillion) is settled by hashing again. */
static void make_id(struct template_miner *m, struct group *g)
{
	uint64_t h = fnv1a64(g->text, g->off[g->ntok] - 1u);
	for (;;) {
		h &= (1ULL << (4 * TEMPLATE_ID_LEN)) - 1;
		int clash = 0;
		for (size_t i = 0; i < m->nslots && !clash; i++)
			clash = m->g[i].used && &m->g[i] != g && m->g[i].id == h;
		if (!clash || m->nslots > 4096) /* past that, the scan costs more than a clash */
			break;
		h = h * 0x9e3779b97f4a7c15ULL + 1; /* another, still determined by the text */
	}
	g->id = h;
}

static void bucket_insert(struct template_miner *m, int32_t s)
{
	struct group *g = &m->g[s];
	const char *t0;
	size_t n0;
	group_token(g, 0, &t0, &n0);
	g->key = bucket_key(g->ntok, t0, n0);
	int32_t *b = &m->buckets[g->key & (m->nbuckets - 1)];
	g->bnext = *b;
	*b = s;
}

/* --- mining -------------------------------------------------------------- */

/* Whether token a, a variable within punctuation ("<*>,"), stands for
 * token b, a word with a variable part within the same ("LOCAL(<*>),"). */
static int covers(const char *a, size_t an, const char *b, size_t bn)
{
	size_t lead, trail;
	if (!template_token_wild(a, an, &lead, &trail) || bn < lead + trail + 3 ||
	    memcmp(a, b, lead) != 0 || memcmp(a + an - trail, b + bn - trail, trail) != 0)
		return 0;
	return memmem(b + lead, bn - lead - trail, WILD, 3) != NULL;
}

/* How a group's template fits the tokens: conflicts (its constants the
 * tokens do not have), equal constants, and variables in both. A group's
 * variable stands for a token with a variable part; a token that is a
 * variable where the group has a word with one is a conflict, but as like
 * as an equal one (the group generalises). */
static void compare(const struct group *g, const struct template_tokens *t, uint32_t *conflicts,
		    uint32_t *equal, uint32_t *both)
{
	uint32_t c = 0, e = 0, w = 0;
	for (uint32_t i = 0; i < t->n; i++) {
		const char *s;
		size_t n;
		group_token(g, i, &s, &n);
		if (is_wild(s, n)) {
			w += is_wild(t->buf + t->off[i], t->len[i]);
			continue;
		}
		const char *x = t->buf + t->off[i];
		size_t xn = t->len[i];
		if (n == xn && memcmp(s, x, n) == 0) {
			e++;
		} else if (covers(s, n, x, xn)) {
			w++;
		} else {
			c++;
			e += covers(x, xn, s, n);
		}
	}
	*conflicts = c;
	*equal = e;
	*both = w;
}

/* The group the tokens belong to: the most specific whose constants they
 * all have; else the most similar of their length and first token, if
 * similar enough; else -1. */
static int32_t best_group(struct template_miner *m, uint32_t key, int *generalise)
{
	const struct template_tokens *t = &m->toks;
	int32_t fit = -1, near = -1;
	uint32_t fit_const = 0;
	double near_share = 0;
	for (int32_t s = m->buckets[key & (m->nbuckets - 1)]; s >= 0; s = m->g[s].bnext) {
		const struct group *g = &m->g[s];
		if (g->key != key || g->ntok != t->n)
			continue;
		const char *t0;
		size_t n0;
		group_token(g, 0, &t0, &n0);
		if (n0 != t->len[0] || memcmp(t0, t->buf + t->off[0], n0) != 0)
			continue;
		uint32_t c, e, w;
		compare(g, t, &c, &e, &w);
		/* Variables in both say nothing of likeness: the share is of
		 * the other tokens. */
		double share = (double)e / (double)(t->n - w);
		if (c == 0) {
			if (fit < 0 || e > fit_const ||
			    (e == fit_const && g->serial < m->g[fit].serial)) {
				fit = s;
				fit_const = e;
			}
		} else if (near < 0 || share > near_share ||
			   (share == near_share && g->serial < m->g[near].serial)) {
			near = s;
			near_share = share;
		}
	}
	if (fit >= 0) {
		*generalise = 0;
		return fit;
	}
	*generalise = 1;
	if (near >= 0 && near_share >= MERGE_SHARE)
		return near;
	return -1;
}

static void join_tokens(struct buf *out, const struct template_tokens *t)
{
	buf_clear(out);
	for (uint32_t i = 0; i < t->n; i++) {
		if (i)
			buf_putc(out, ' ');
		buf_append(out, t->buf + t->off[i], t->len[i]);
	}
}

static void generalise(struct template_miner *m, int32_t s)
{
	struct group *g = &m->g[s];
	const struct template_tokens *t = &m->toks;
	buf_clear(&m->text);
	for (uint32_t i = 0; i < g->ntok; i++) {
		const char *a;
		size_t n;
		group_token(g, i, &a, &n);
		if (i)
			buf_putc(&m->text, ' ');
		if (n == t->len[i] && memcmp(a, t->buf + t->off[i], n) == 0)
			buf_append(&m->text, a, n);
		else
			buf_puts(&m->text, WILD);
	}
	set_text(m, g, m->text.data, m->text.len);
	m->dirty = 1;
}

static void fill_info(const struct group *g, struct template_info *in)
{
	/* By hand: snprintf was a tenth of a cached line's cost. */
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < TEMPLATE_ID_LEN; i++)
		in->id[i] = hex[(g->id >> (4 * (TEMPLATE_ID_LEN - 1 - i))) & 0xf];
	in->id[TEMPLATE_ID_LEN] = '\0';
	in->text = g->text;
	in->text_len = (size_t)g->off[g->ntok] - 1;
	in->total = g->total;
	in->kept = g->kept;
	in->dropped = g->dropped;
	in->rate = g->rate;
	in->last_seen = g->last_seen;
	in->example = g->example;
}

const struct template_info *template_mine(struct template_miner *m, const char *msg, size_t len,
					  double now)
{
	const char *orig = msg;
	size_t orig_len = len;
	if (len > MINE_BYTES)
		len = utf8_cut(msg, len, MINE_BYTES);
	int cut = len < orig_len; /* before the masks, which change the length */
	uint64_t shape = 0;
	int32_t s;
	if (!m->nmasks && !cut) {
		shape = shape_of(msg, len);
		if ((s = cache_find(m, &m->shapes, shape, 0)) >= 0)
			goto found;
	}
	if (m->nmasks)
		msg = apply_masks(m, msg, &len);
	template_mask_tokens(msg, len, cut, &m->toks);
	struct template_tokens *t = &m->toks;
	if (t->n == 0) { /* an empty message is a kind of its own */
		template_tokens_add(t, "", 0);
	}
	join_tokens(&m->text, t);
	uint64_t key = fnv1a64(m->text.data, m->text.len) ^ t->n;
	s = cache_find(m, &m->cache, key, t->n);
	if (s < 0) {
		uint32_t bkey = bucket_key(t->n, t->buf + t->off[0], t->len[0]);
		int gen = 0;
		s = best_group(m, bkey, &gen);
		if (s >= 0 && gen) {
			generalise(m, s);
		} else if (s < 0) {
			s = new_slot(m);
			struct group *g = &m->g[s];
			set_text(m, g, m->text.data, m->text.len);
			make_id(m, g);
			bucket_insert(m, s);
			lru_push(m, s);
			m->created++;
			m->dirty = 1;
		}
		cache_grow(m, &m->cache);
		cache_put(m, &m->cache, key, s);
	}
	if (shape) {
		cache_grow(m, &m->shapes);
		cache_put(m, &m->shapes, shape, s);
	}
found:;
	struct group *g = &m->g[s];
	lru_touch(m, s);
	/* Two scripts asking of one log (templates.lua, then throttle.lua)
	 * count it once. */
	if (!(m->in_log && m->last == s))
		g->total++;
	g->last_seen = now;
	size_t ex = utf8_cut(orig, orig_len, sizeof g->example - 1);
	memcpy(g->example, orig, ex);
	g->example[ex] = '\0';
	m->last = s;
	m->mined++;
	fill_info(g, &m->info);
	return &m->info;
}

void template_log_start(struct template_miner *m)
{
	m->last = -1;
	m->in_log = 1;
}

void template_verdict(struct template_miner *m, int kept)
{
	m->in_log = 0;
	if (m->last < 0)
		return;
	if (kept)
		m->g[m->last].kept++;
	else
		m->g[m->last].dropped++;
	m->last = -1;
}

void template_tick(struct template_miner *m, double now)
{
	double dt = m->last_tick > 0 ? now - m->last_tick : 0;
	m->last_tick = now;
	if (dt < 0)
		return;
	double a = dt > 0 ? 1.0 - exp(-dt / RATE_SECONDS) : 0;
	for (size_t i = 0; i < m->nslots; i++) {
		struct group *g = &m->g[i];
		if (!g->used)
			continue;
		double inst = dt > 0 ? (double)(g->total - g->tick_total) / dt : 0;
		g->tick_total = g->total;
		g->rate += a * (inst - g->rate);
		if (g->rate < 1e-3)
			g->rate = 0;
	}
}

static int before(const struct group *a, const struct group *b, int by_total)
{
	if (by_total)
		return a->total != b->total ? a->total > b->total : a->serial < b->serial;
	if (a->rate != b->rate)
		return a->rate > b->rate;
	return a->total != b->total ? a->total > b->total : a->serial < b->serial;
}

size_t template_top(struct template_miner *m, int by_total, struct template_info *out, size_t n)
{
	if (n == 0)
		return 0;
	int32_t *best = xmalloc(n * sizeof *best);
	size_t k = 0;
	for (size_t i = 0; i < m->nslots; i++) {
		const struct group *g = &m->g[i];
		if (!g->used)
			continue;
		if (k == n && !before(g, &m->g[best[k - 1]], by_total))
			continue;
		size_t j = k < n ? k++ : n - 1;
		while (j > 0 && before(g, &m->g[best[j - 1]], by_total)) {
			best[j] = best[j - 1];
			j--;
		}
		best[j] = (int32_t)i;
	}
	for (size_t i = 0; i < k; i++)
		fill_info(&m->g[best[i]], &out[i]);
	free(best);
	return k;
}

void template_totals(const struct template_miner *m, struct template_totals *t)
{
	t->groups = m->ngroups;
	t->created = m->created;
	t->evicted = m->evicted;
	t->mined = m->mined;
	t->memory = sizeof *m + m->cap * sizeof *m->g + m->nbuckets * sizeof *m->buckets +
		    (m->cache.n + m->shapes.n) * sizeof *m->cache.e + m->text_bytes +
		    m->pre[0].cap + m->pre[1].cap + m->text.cap + template_tokens_memory(&m->toks);
}

int template_dirty(const struct template_miner *m)
{
	return m->dirty;
}

#define FILE_HEAD "logmash-templates 1\n"

void template_format(struct template_miner *m, struct buf *out)
{
	buf_puts(out, FILE_HEAD);
	for (int32_t s = m->tail; s >= 0; s = m->g[s].prev) {
		const struct group *g = &m->g[s];
		buf_printf(out, "%0*" PRIx64 " %" PRIu64 " %s\n", TEMPLATE_ID_LEN, g->id, g->total,
			   g->text);
	}
	m->dirty = 0;
}

/* "ID TOTAL TEMPLATE" (l[0..n), no NUL after it): the id, the total and
 * where the template starts; it is empty for an empty message. */
static int parse_line(const char *l, size_t n, uint64_t *id, uint64_t *total, size_t *used)
{
	if (n < TEMPLATE_ID_LEN + 3 || n > (size_t)MINE_BYTES * 2)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < TEMPLATE_ID_LEN; i++) {
		char c = l[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + (uint64_t)d;
	}
	if (l[TEMPLATE_ID_LEN] != ' ')
		return -1;
	size_t i = TEMPLATE_ID_LEN + 1, start = i;
	uint64_t t = 0;
	for (; i < n && l[i] >= '0' && l[i] <= '9'; i++) {
		if (t > (UINT64_MAX - 9) / 10)
			return -1;
		t = t * 10 + (uint64_t)(l[i] - '0');
	}
	if (i == start || i >= n || l[i] != ' ')
		return -1;
	*id = v;
	*total = t;
	*used = i + 1;
	return 0;
}

int template_parse(struct template_miner *m, const char *text, size_t len, struct buf *err)
{
	size_t hl = sizeof FILE_HEAD - 1;
	if (len < hl || memcmp(text, FILE_HEAD, hl) != 0) {
		buf_printf(err, "not a logmash templates file (its first line is not '%.*s')",
			   (int)hl - 1, FILE_HEAD);
		return -1;
	}
	size_t pos = hl, line = 1;
	while (pos < len) {
		line++;
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		const char *l = text + pos;
		size_t n = end - pos;
		pos = end + 1;
		if (n == 0)
			continue;
		uint64_t id, total;
		size_t used;
		if (parse_line(l, n, &id, &total, &used) != 0) {
			buf_printf(err, "line %zu is not 'ID TOTAL TEMPLATE'", line);
			return -1;
		}
		/* At most max groups: the oldest lines give way, as they would. */
		int32_t s = new_slot(m);
		struct group *g = &m->g[s];
		set_text(m, g, l + used, n - used);
		g->id = id;
		g->total = g->tick_total = total;
		bucket_insert(m, s);
		lru_push(m, s);
	}
	m->dirty = 0;
	m->evicted = 0;
	return 0;
}
