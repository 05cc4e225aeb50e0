/* record.h - one log on its way through the pipeline.
 *
 * A record is a view: its strings point into buffers owned by whoever
 * produced them (the framer's line, the Lua state's strings) and stay valid
 * only until that producer is called again. Nothing here allocates. */
#ifndef LOGMASH_RECORD_H
#define LOGMASH_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "level.h"

struct item {
	const char *key;
	size_t key_len;
	const char *val;
	size_t val_len;
};

struct record {
	const char *message;
	size_t message_len;
	enum level level;
	const struct item *items;
	size_t n_items;

	/* Where it came from: read only for scripts. */
	const char *source; /* path, or "-" for stdin */
	uint64_t line;      /* 1-based physical line number in the source */
	double time;        /* when it was read, seconds since the epoch */
	/* A journal entry's fields (log.fields), or none. */
	const struct item *fields;
	size_t n_fields;
};

#endif
