/* multiline.h - which lines join the record before them: the operator's
 * regex (a line that starts a record, or a line that continues one) or a
 * preset for the traces of a runtime (java, python, go), written in C: a
 * preset follows the shape of a trace, which a single regex cannot. */
#ifndef LOGMASH_MULTILINE_H
#define LOGMASH_MULTILINE_H

#include <regex.h>
#include <stddef.h>

#include "buf.h"

enum multiline_kind {
	MULTILINE_NONE,
	MULTILINE_START,     /* a line matching re starts a record; others join */
	MULTILINE_CONTINUES, /* a line matching re joins the record before it */
	MULTILINE_JAVA,
	MULTILINE_PYTHON,
	MULTILINE_GO,
};

struct multiline_rule {
	enum multiline_kind kind;
	regex_t re;          /* MULTILINE_START and _CONTINUES */
	size_t max_lines;
	double timeout;      /* seconds of silence that end a record */
};

/* Where a joiner is in a trace (the presets that need it: python, go). */
struct multiline_state {
	int phase;
	struct buf line;     /* the line, NUL-terminated for regexec */
};

/* The preset called name, or MULTILINE_NONE when there is none. */
enum multiline_kind multiline_preset(const char *name);

/* The presets' names, "java, python, go", for messages; and each name,
 * MULTILINE_PRESETS of them (for "did you mean"). */
extern const char multiline_presets[];
#define MULTILINE_PRESETS 3
extern const char *const multiline_preset_names[MULTILINE_PRESETS];

/* Sets r up: kind is a preset, or START/CONTINUES with pattern (POSIX
 * extended). what names the setting in a message. 0, or -1 with the
 * reason in err (nothing to free then). */
int multiline_compile(struct multiline_rule *r, enum multiline_kind kind, const char *pattern,
		      const char *what, struct buf *err);
void multiline_free(struct multiline_rule *r);

/* Whether line joins the record being built (pending: there is one). */
int multiline_joins(const struct multiline_rule *r, struct multiline_state *s, const char *line,
		    size_t len, int pending);

#endif
