/* encoder.h - the request body the Logs API accepts.
 *
 * The body is always valid JSON in valid UTF-8, whatever bytes the log had:
 * invalid UTF-8 becomes U+FFFD (one per maximal invalid subpart, as Unicode
 * recommends), control characters and NUL are escaped. Empty items and a
 * missing level are left out. */
#ifndef LOGMASH_ENCODER_H
#define LOGMASH_ENCODER_H

#include <stddef.h>

#include "buf.h"
#include "record.h"

/* Appends {"message":...,"items":{...},"level":...} for r to out. */
void encode_body(struct buf *out, const struct record *r);

/* Appends s[0..n) as a JSON string, quotes included. */
void encode_string(struct buf *out, const char *s, size_t n);

/* Length of the valid UTF-8 sequence at s, or 0 when it is invalid; then
 * *skip is how many bytes one U+FFFD replaces (at least 1). */
size_t utf8_sequence(const unsigned char *s, size_t n, size_t *skip);

/* Writes s[0..n) into out (size outsz) as printable text: control bytes and
 * invalid UTF-8 become '?' (tabs and newlines a space), and a cut is marked
 * with "...". For messages to the operator. */
void printable_excerpt(char *out, size_t outsz, const char *s, size_t n);

#endif
