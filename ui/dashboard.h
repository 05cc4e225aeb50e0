/* dashboard.h - the live ncurses console, on a thread of its own.
 *
 * It draws from snapshots (snapshot.h) a few times a second and never
 * touches the pipeline: the operator's keys become one-byte commands
 * written to a pipe that the event loop reads. Screen and keys are on
 * /dev/tty, so logs may come in on stdin meanwhile. */
#ifndef LOGMASH_DASHBOARD_H
#define LOGMASH_DASHBOARD_H

#include "buf.h"
#include "command.h"
#include "snapshot.h"


struct dashboard;

enum { DASH_LOCAL = 0, DASH_ATTACHED = 1 };

/* Takes the terminal and starts drawing what box holds; commands go to
 * cmd_fd. DASH_ATTACHED (`logmash top`): q detaches, and stopping logmash
 * takes S and a confirming y. Returns NULL with the reason in err (no
 * usable terminal). */
struct dashboard *dashboard_start(struct snapshot_box *box, int cmd_fd, int mode, struct buf *err);

/* Stops drawing and gives the terminal back as it was. */
void dashboard_stop(struct dashboard *d);

/* Gives the terminal back at once, from anywhere (a fatal error, a crash
 * signal): restores its modes and leaves the alternate screen. Safe in a
 * signal handler. */
void dashboard_emergency_restore(void);

#endif
