/* keys.c - the dashboard's key table (keys.h). */
#include "keys.h"

#include <curses.h>

#define CTRL_L 12
#define ESC 27

/* In the footer's order, most needed first; the help window's too. A
 * field not given is none: .mode IN_BOTH, .now NOW_NEVER. */
const struct key keys[] = {
	{.action = ACT_QUIT, .mode = IN_LOCAL, .codes = {'q', 'Q'}, .label = "q",
	 .help = "quit: stop reading, send what was read (q again: exit now)", .footer = "q quit"},
	{.action = ACT_DETACH, .mode = IN_ATTACHED, .codes = {'q', 'Q'}, .label = "q",
	 .help = "detach: logmash runs on", .footer = "q detach"},
	{.action = ACT_PAUSE, .codes = {'p', 'P'}, .label = "p", .help = "pause sending / resume it",
	 .footer = "p pause", .footer_now = "p RESUME", .now = NOW_PAUSED},
	{.action = ACT_RETRY_NOW, .codes = {'n', 'N'}, .label = "n",
	 .help = "retry now: end a backoff at once", .footer = "n retry now",
	 .footer_now = "n RETRY NOW", .now = NOW_BACKING_OFF},
	{.action = ACT_RELOAD, .codes = {'r', 'R'}, .label = "r",
	 .help = "reload the config, scripts and token (as SIGHUP)", .footer = "r reload"},
	{.action = ACT_ASK_STOP, .mode = IN_ATTACHED, .codes = {'S'}, .label = "S, y",
	 .help = "stop logmash (asks first)", .footer = "S stop"},
	{.action = ACT_NEXT_PANE, .codes = {'\t', KEY_RIGHT}, .label = "Tab",
	 .help = "next pane (Shift-Tab: previous)", .footer = "Tab pane"},
	{.action = ACT_PREV_PANE, .codes = {KEY_BTAB, KEY_LEFT}},
	{.action = ACT_OPEN, .codes = {'\n', '\r', KEY_ENTER}, .label = "Enter",
	 .help = "show the selected entry whole", .footer = "Enter open"},
	{.action = ACT_SORT, .codes = {'s'}, .label = "s",
	 .help = "sort the templates by logs a second now, or by total", .footer = "s sort"},
	{.action = ACT_UP, .codes = {KEY_UP, 'k'}, .label = "Up/Down",
	 .help = "move in the pane (k/j too)", .footer = "Up/Down PgUp/PgDn scroll"},
	{.action = ACT_DOWN, .codes = {KEY_DOWN, 'j'}},
	{.action = ACT_PAGE_UP, .codes = {KEY_PPAGE}, .label = "PgUp/PgDn",
	 .help = "a page up or down (Space too)"},
	{.action = ACT_PAGE_DOWN, .codes = {KEY_NPAGE, ' '}},
	{.action = ACT_FIRST, .codes = {KEY_HOME, 'g'}, .label = "Home/End",
	 .help = "first / last row (g/G too)"},
	{.action = ACT_LAST, .codes = {KEY_END, 'G'}},
	{.action = ACT_CLOSE, .codes = {ESC}, .label = "Esc", .help = "close this window"},
	{.action = ACT_REDRAW, .codes = {KEY_RESIZE, CTRL_L}, .label = "Ctrl-L",
	 .help = "draw the screen anew"},
	/* Last: the footer keeps it whatever else the width leaves out. */
	{.action = ACT_HELP, .codes = {'?', 'h'}, .label = "?", .help = "this window",
	 .footer = "? help"},
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
