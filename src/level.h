/* level.h - the API's three levels and the aliases operators write.
 *
 * The Logs API accepts exactly "Information", "Warning" and "Error". Log
 * formats say far more (INFO, warn, E, CRITICAL, notice...): level_parse maps
 * the common ones, case-insensitively and ignoring surrounding blanks. */
#ifndef LOGMASH_LEVEL_H
#define LOGMASH_LEVEL_H

#include <stddef.h>

enum level {
	LEVEL_INVALID = -1, /* not a level: never sent */
	LEVEL_NONE = 0,     /* no level: the field is left out */
	LEVEL_INFORMATION,
	LEVEL_WARNING,
	LEVEL_ERROR,
};

/* Maps s[0..n) to a level, or LEVEL_INVALID when it names none. */
enum level level_parse(const char *s, size_t n);

/* The API's spelling of a level; NULL for LEVEL_NONE and LEVEL_INVALID. */
const char *level_name(enum level l);

#endif
