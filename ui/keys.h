/* keys.h - the dashboard's keys: one table for what each key does, the
 * footer's reminders and the help window, so that the three agree. Pure
 * data and lookups; dashboard.c acts on them, draw.c shows them. */
#ifndef LOGMASH_KEYS_H
#define LOGMASH_KEYS_H

#include <stddef.h>

enum key_action {
	ACT_NONE, ACT_QUIT, ACT_DETACH, ACT_PAUSE, ACT_RETRY_NOW, ACT_RELOAD, ACT_ASK_STOP,
	ACT_NEXT_PANE, ACT_PREV_PANE, ACT_UP, ACT_DOWN, ACT_PAGE_UP, ACT_PAGE_DOWN, ACT_FIRST,
	ACT_LAST, ACT_OPEN, ACT_SORT, ACT_HELP, ACT_REDRAW, ACT_CLOSE,
};

/* Which dashboard a key belongs to: logmash's own, `logmash top`'s, both. */
enum key_mode { IN_BOTH, IN_LOCAL, IN_ATTACHED };

/* When a footer reminder shouts (its footer_now): the key matters now. */
enum key_now { NOW_NEVER, NOW_PAUSED, NOW_BACKING_OFF };

struct key {
	enum key_action action;
	enum key_mode mode;
	int codes[4];          /* the curses key codes that do it; 0 ends */
	const char *label;     /* the key(s) in the help window; NULL: not listed */
	const char *help;      /* ... and what they do */
	const char *footer;    /* the footer's reminder, or NULL */
	const char *footer_now; /* ... when it matters now */
	enum key_now now;
};

extern const struct key keys[];
extern const size_t n_keys;

/* The action of key code ch in a dashboard (attached: `logmash top`'s). */
enum key_action key_action(int ch, int attached);

/* Whether row k belongs in that dashboard. */
int key_shown(const struct key *k, int attached);

#endif
