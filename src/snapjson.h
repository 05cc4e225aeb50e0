/* snapjson.h - a snapshot (snapshot.h) as one JSON object and back: what
 * the control socket sends `logmash top` and `logmash status`.
 *
 * Every field of the snapshot crosses, so that an attached dashboard draws
 * what a local one would; nothing else does (the token is not in a
 * snapshot). Reading is strict about types but lenient about what is
 * missing: a field an older logmash did not send stays zero. */
#ifndef LOGMASH_SNAPJSON_H
#define LOGMASH_SNAPJSON_H

#include "buf.h"
#include "json.h"
#include "snapshot.h"

/* Appends s as one JSON object (no newline). */
void snapjson_write(struct buf *out, const struct snapshot *s);

/* Fills s (zeroed first) from the object at token obj of d. Returns 0, or
 * -1 when obj is not an object or a field has the wrong type. */
int snapjson_read(const struct json_doc *d, int obj, struct snapshot *s);

#endif
