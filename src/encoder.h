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

#endif
