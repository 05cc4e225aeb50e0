/* template_mask.h - a message cut into tokens at white space, each token's
 * variable parts replaced by <*>: the template miner's first step, pure. */
#ifndef LOGMASH_TEMPLATE_MASK_H
#define LOGMASH_TEMPLATE_MASK_H

#include <stddef.h>
#include <stdint.h>

#define TEMPLATE_MAX_TOKENS 128

struct template_tokens {
	char *buf; /* the masked tokens, one after another */
	size_t used, cap;
	uint32_t off[TEMPLATE_MAX_TOKENS], len[TEMPLATE_MAX_TOKENS];
	uint32_t n;
};

/* Cuts msg into masked tokens (replacing t's). Past TEMPLATE_MAX_TOKENS
 * tokens, or when cut says msg was cut short, the last token is <*>. */
void template_mask_tokens(const char *msg, size_t n, int cut, struct template_tokens *t);

/* Appends one token as it is. */
void template_tokens_add(struct template_tokens *t, const char *s, size_t n);

/* Whether masked token s is a variable within punctuation ("<*>,",
 * "(<*>)", "()"): then the punctuation's lengths before and after. */
int template_token_wild(const char *s, size_t n, size_t *lead, size_t *trail);

size_t template_tokens_memory(const struct template_tokens *t);
void template_tokens_free(struct template_tokens *t);

#endif
