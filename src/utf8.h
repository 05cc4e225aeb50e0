/* utf8.h - UTF-8 helpers shared by the framer, the joiner, the encoder and
 * what reports to the operator. Pure functions of their arguments. */
#ifndef LOGMASH_UTF8_H
#define LOGMASH_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s, or 0 when it is invalid; then
 * *skip is how many bytes one U+FFFD replaces (at least 1). */
size_t utf8_sequence(const unsigned char *s, size_t n, size_t *skip);

/* Largest cut <= max in s[0..n) that does not split a UTF-8 sequence. */
size_t utf8_cut(const char *s, size_t n, size_t max);

/* Where to cut s so that it keeps at most max bytes, given next, the first
 * byte dropped (s[max], or the first byte of what follows s). */
size_t utf8_cut_before(const char *s, size_t max, unsigned char next);

/* Writes s[0..n) into out (size outsz) as printable text: control bytes and
 * invalid UTF-8 become '?' (tabs and newlines a space), and a cut is marked
 * with "...". For messages to the operator. */
void printable_excerpt(char *out, size_t outsz, const char *s, size_t n);

#endif
