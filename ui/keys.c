/* keys.c - the dashboard's key table (keys.h). */
#include "keys.h"

#include <curses.h>

#define CTRL_L 12
#define ESC 27

/* In the footer's order, most needed first; the help window's too. */
const struct key keys[] = {
	{ACT_QUIT, IN_LOCAL, {'q', 'Q'}, "q", "quit: stop reading, send what was read (q again: "
	 "exit now)", "q quit", NULL, NOW_NEVER},
	{ACT_DETACH, IN_ATTACHED, {'q', 'Q'}, "q", "detach: logmash runs on", "q detach", NULL,
	 NOW_NEVER},
	{ACT_PAUSE, IN_BOTH, {'p', 'P'}, "p", "pause sending / resume it", "p pause", "p RESUME",
	 NOW_PAUSED},
	{ACT_RETRY_NOW, IN_BOTH, {'n', 'N'}, "n", "retry now: end a backoff at once",
	 "n retry now", "n RETRY NOW", NOW_BACKING_OFF},
	{ACT_RELOAD, IN_BOTH, {'r', 'R'}, "r", "reload the config, scripts and token (as SIGHUP)", "r reload",
	 NULL, NOW_NEVER},
	{ACT_ASK_STOP, IN_ATTACHED, {'S'}, "S, y", "stop logmash (asks first)", "S stop", NULL,
	 NOW_NEVER},
	{ACT_NEXT_PANE, IN_BOTH, {'\t', KEY_RIGHT}, "Tab", "next pane (Shift-Tab: previous)",
	 "Tab pane", NULL, NOW_NEVER},
	{ACT_PREV_PANE, IN_BOTH, {KEY_BTAB, KEY_LEFT}, NULL, NULL, NULL, NULL, NOW_NEVER},
	{ACT_OPEN, IN_BOTH, {'\n', '\r', KEY_ENTER}, "Enter", "show the selected entry whole",
	 "Enter open", NULL, NOW_NEVER},
	{ACT_SORT, IN_BOTH, {'s'}, "s", "sort the templates by logs a second now, or by total",
	 "s sort", NULL, NOW_NEVER},
	{ACT_UP, IN_BOTH, {KEY_UP, 'k'}, "Up/Down", "move in the pane (k/j too)",
	 "Up/Down PgUp/PgDn scroll", NULL, NOW_NEVER},
	{ACT_DOWN, IN_BOTH, {KEY_DOWN, 'j'}, NULL, NULL, NULL, NULL, NOW_NEVER},
	{ACT_PAGE_UP, IN_BOTH, {KEY_PPAGE}, "PgUp/PgDn", "a page up or down (Space too)", NULL,
	 NULL, NOW_NEVER},
	{ACT_PAGE_DOWN, IN_BOTH, {KEY_NPAGE, ' '}, NULL, NULL, NULL, NULL, NOW_NEVER},
	{ACT_FIRST, IN_BOTH, {KEY_HOME, 'g'}, "Home/End", "first / last row (g/G too)", NULL, NULL,
	 NOW_NEVER},
	{ACT_LAST, IN_BOTH, {KEY_END, 'G'}, NULL, NULL, NULL, NULL, NOW_NEVER},
	{ACT_CLOSE, IN_BOTH, {ESC}, "Esc", "close this window", NULL, NULL, NOW_NEVER},
	{ACT_REDRAW, IN_BOTH, {KEY_RESIZE, CTRL_L}, "Ctrl-L", "draw the screen anew", NULL, NULL,
	 NOW_NEVER},
	/* Last: the footer keeps it whatever else the width leaves out. */
	{ACT_HELP, IN_BOTH, {'?', 'h'}, "?", "this window", "? help", NULL, NOW_NEVER},
};

const size_t n_keys = sizeof keys / sizeof *keys;

int key_shown(const struct key *k, int attached)
{
	return k->mode == IN_BOTH || k->mode == (attached ? IN_ATTACHED : IN_LOCAL);
}

enum key_action key_action(int ch, int attached)
{
	for (size_t i = 0; i < n_keys; i++) {
		if (!key_shown(&keys[i], attached))
			continue;
		for (size_t c = 0; c < sizeof keys[i].codes / sizeof *keys[i].codes && keys[i].codes[c];
		     c++)
			if (keys[i].codes[c] == ch)
				return keys[i].action;
	}
	return ACT_NONE;
}
