/* nearest.h - the word a typo was meant to be, for "did you mean" hints. */
#ifndef LOGMASH_NEAREST_H
#define LOGMASH_NEAREST_H

#include <stddef.h>

/* The word of words[0..n) nearest to s (of length len): at most 2 edits
 * away (optimal string alignment: an insertion, a deletion, a change or
 * two neighbours swapped), and fewer edits than it has letters; NULL when
 * none is that near. */
const char *nearest_word(const char *s, size_t len, const char *const *words, size_t n);

#endif
