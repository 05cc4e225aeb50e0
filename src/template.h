/* template.h - the template miner: which kind of line a message is.
 *
 * Online (each message answered as it arrives), deterministic and bounded.
 * A message is cut into tokens at white space; each token's variable parts
 * (numbers, hex, addresses, UUIDs, paths, host names, sizes and durations,
 * and the operator's own masks) become <*>. A message whose masked tokens
 * were seen before is answered from a cache; otherwise it joins the most
 * similar group of the same length and first token, or starts a group. A
 * group that takes a message differing from its template in a few tokens
 * generalises them to <*>: its id stays. Why this design, and what it scores
 * on real logs: docs/templates.md. */
#ifndef LOGMASH_TEMPLATE_H
#define LOGMASH_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define TEMPLATE_ID_LEN 10     /* hex digits of an id */
#define TEMPLATE_EXAMPLE 160   /* bytes of a group's last message kept */
#define TEMPLATE_MAX_DEFAULT 10000

struct template_miner;

/* A group as the operator sees it. */
struct template_info {
	char id[TEMPLATE_ID_LEN + 1];
	const char *text;              /* the template, tokens joined by spaces */
	size_t text_len;
	uint64_t total, kept, dropped; /* messages; kept and dropped by the chain */
	double rate;                   /* messages a second, smoothed */
	double last_seen;              /* wall clock */
	const char *example;           /* the last message, cut */
};

struct template_totals {
	uint64_t groups, created, evicted, mined;
	size_t memory; /* bytes held */
};

struct template_miner *template_miner_new(size_t max_groups);
void template_miner_free(struct template_miner *m);

/* An extra mask: what the PCRE2 regex matches in a message is a variable.
 * -1 with the reason in err. */
int template_miner_add_mask(struct template_miner *m, const char *regex, struct buf *err);

/* Mines one message at wall time now. The returned info stays valid until
 * the next call that may change the miner. */
const struct template_info *template_mine(struct template_miner *m, const char *msg, size_t len,
					  double now);

/* What the chain did with the log last mined: kept or dropped. */
void template_verdict(struct template_miner *m, int kept);

/* Forgets which log was mined last (a new log enters the chain). Until
 * the verdict, mining that log's message again does not count it again. */
void template_log_start(struct template_miner *m);

/* Brings every group's rate up to now (call a few times a second). */
void template_tick(struct template_miner *m, double now);

/* The n groups with the most messages a second (by_total: the most
 * messages), most first; returns how many were written to out. */
size_t template_top(struct template_miner *m, int by_total, struct template_info *out, size_t n);

void template_totals(const struct template_miner *m, struct template_totals *t);

/* Whether groups were made or changed since the last save. */
int template_dirty(const struct template_miner *m);

/* The groups as text (least recently seen first) and back. load returns -1
 * with the reason in err on a malformed file, keeping what it read. */
void template_format(struct template_miner *m, struct buf *out);
int template_parse(struct template_miner *m, const char *text, size_t len, struct buf *err);

#endif
