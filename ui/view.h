/* view.h - what the dashboard shows and where the operator is in it: the
 * latest snapshot, the history derived from them, the focused pane and
 * each pane's scroll. draw.c renders it; dashboard.c moves it with keys. */
#ifndef LOGMASH_VIEW_H
#define LOGMASH_VIEW_H

#include <curses.h>
#include <panel.h>
#include <stddef.h>

#include "history.h"
#include "snapshot.h"

enum pane { PANE_SOURCES, PANE_ERRORS, PANE_NOTES, PANE_TEMPLATES, N_PANES };
enum popup { POPUP_NONE, POPUP_HELP, POPUP_ENTRY, POPUP_CONFIRM_STOP };

struct view {
	struct snapshot *snap;
	struct history hist;
	enum pane focus;
	size_t sel[N_PANES];   /* the selected row of each pane */
	size_t top[N_PANES];   /* its first row on screen */
	int page;              /* rows the focused pane shows (set by draw) */
	enum popup popup;
	WINDOW *pop;           /* the open popup's window and panel */
	PANEL *pop_panel;
	int colors;
	int utf8;
	int attached;          /* `logmash top`: q detaches, S stops (after y) */
	int templates_by_total; /* the Templates pane's order: s switches it */
	char flash[128];       /* a short answer to a key, shown a moment */
	double flash_until;
};

/* The templates in the order the pane shows, and how many. */
const struct template_view *view_templates(const struct view *v, size_t *n);

/* Entries in a pane. */
size_t view_rows(const struct view *v, enum pane p);

/* Draws the whole screen into stdscr, and the popup if one is open. */
void draw_screen(struct view *v);

/* Frees the popup's window, if any. */
void draw_close_popup(struct view *v);

#endif
