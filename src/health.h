/* health.h - is logmash well, in one word and a reason: what `logmash
 * status` exits with and what GET /health answers. */
#ifndef LOGMASH_HEALTH_H
#define LOGMASH_HEALTH_H

#include <stdint.h>

#include "snapshot.h"

/* /health answers 503 once a backoff lasted this long (an outage, not a blip). */
#define HEALTH_BACKOFF_SECONDS 60
/* `status` calls logmash degraded when its files are this far behind. */
#define HEALTH_MAX_BEHIND ((uint64_t)64 << 20)

enum health_level {
	HEALTH_OK = 0,       /* sending or idle */
	HEALTH_DEGRADED = 1, /* backing off, paused, dead-lettering, far behind */
	HEALTH_DOWN = 2,     /* nothing goes out until someone acts, or a long outage */
};

struct health {
	enum health_level level;
	char reason[512];
};

/* Judges now; prev (an earlier snapshot, or NULL) tells whether logs were
 * dead-lettered since. max_behind: bytes the files may trail their ends. */
void health_judge(const struct snapshot *now, const struct snapshot *prev, uint64_t max_behind,
		  struct health *h);

/* Bytes the sources trail their files' ends, with stdin's spool. */
uint64_t health_bytes_behind(const struct snapshot *s);

#endif
