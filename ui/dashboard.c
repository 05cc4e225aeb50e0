/* dashboard.c - the console's thread: the terminal, the keys, the frames.
 *
 * Only this thread calls ncurses. It wakes for a key or every REFRESH_MS,
 * copies the latest snapshot when there is a new one, and draws. A key
 * that asks the pipeline for something (quit, pause, reload) is one byte
 * written to the event loop's command pipe: if the loop is busy the byte
 * waits there, and the dashboard never waits for the loop. */
#include "dashboard.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <panel.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

#include "crash.h"
#include "keys.h"
#include "util.h"
#include "view.h"

#define REFRESH_MS 200

struct dashboard {
	pthread_t thread;
	struct snapshot_box *box;
	int cmd_fd;
	FILE *tty;
	SCREEN *scr;
	atomic_int stop;
	uint64_t seen;        /* the snapshot version drawn last */
	struct view v;
};

/* What dashboard_emergency_restore needs, ready before the screen changes:
 * a signal handler can only restore modes and write bytes. */
static struct {
	int fd;
	struct termios modes;
	char leave[128];      /* leave the alternate screen, cursor on, plain text */
	size_t leave_len;
	volatile sig_atomic_t active;
} rescue = {.fd = -1};

void dashboard_emergency_restore(void)
{
	if (!rescue.active)
		return;
	rescue.active = 0;
	(void)tcsetattr(rescue.fd, TCSAFLUSH, &rescue.modes);
	ssize_t w = write(rescue.fd, rescue.leave, rescue.leave_len);
	(void)w; /* nothing more can be done about a terminal that refuses */
}

static void add_leave(const char *cap)
{
	char *s = tigetstr(cap);
	if (!s || s == (char *)-1)
		return;
	size_t n = strlen(s);
	if (rescue.leave_len + n < sizeof rescue.leave) {
		memcpy(rescue.leave + rescue.leave_len, s, n);
		rescue.leave_len += n;
	}
}

static void arm_rescue(void)
{
	rescue.leave_len = 0;
	add_leave("sgr0");
	add_leave("cnorm");
	add_leave("rmcup");
	crash_on(dashboard_emergency_restore);
	rescue.active = 1;
}

static void command(struct dashboard *d, char c)
{
	ssize_t w;
	do
		w = write(d->cmd_fd, &c, 1);
	while (w < 0 && errno == EINTR);
	/* A full pipe means the loop has not read the last ones: drop it. */
}

static void say(struct view *v, const char *msg)
{
	snprintf(v->flash, sizeof v->flash, "%s", msg);
	v->flash_until = v->snap->taken + 3;
}

static void move_sel(struct view *v, long by)
{
	size_t n = view_rows(v, v->focus);
	if (n == 0)
		return;
	long to = (long)v->sel[v->focus] + by;
	if (to < 0)
		to = 0;
	if (to >= (long)n)
		to = (long)n - 1;
	v->sel[v->focus] = (size_t)to;
}

/* Returns 1 when the key changed what is shown. */
static int on_key(struct dashboard *d, int ch)
{
	struct view *v = &d->v;
	if (v->popup == POPUP_CONFIRM_STOP) {
		v->popup = POPUP_NONE;
		if (ch == 'y' || ch == 'Y') {
			command(d, CMD_STOP);
			say(v, "stopping logmash: it sends what it read, then exits");
		} else {
			say(v, "not stopped");
		}
		return 1;
	}
	enum key_action act = key_action(ch, v->attached);
	if (v->popup != POPUP_NONE) {
		/* Any of these closes it; q here does not quit by surprise. */
		if (act == ACT_CLOSE || act == ACT_QUIT || act == ACT_DETACH || act == ACT_OPEN ||
		    act == ACT_HELP) {
			v->popup = POPUP_NONE;
			return 1;
		}
		return 0;
	}
	int page = v->page > 1 ? v->page - 1 : 1;
	switch (act) {
	case ACT_DETACH: /* top: leave; logmash runs on */
		command(d, CMD_DETACH);
		return 1;
	case ACT_QUIT:
		command(d, CMD_STOP);
		say(v, v->snap->stopping ? "exiting now" : "stopping: sending what was read (q again: now)");
		return 1;
	case ACT_PAUSE:
		command(d, CMD_TOGGLE_PAUSE);
		say(v, v->snap->send.paused ? "resuming" : "pausing");
		return 1;
	case ACT_RELOAD:
		command(d, CMD_RELOAD);
		say(v, "reloading");
		return 1;
	case ACT_RETRY_NOW:
		command(d, CMD_RETRY_NOW);
		say(v, "retrying now");
		return 1;
	case ACT_ASK_STOP:
		v->popup = POPUP_CONFIRM_STOP;
		return 1;
	case ACT_NEXT_PANE:
		v->focus = (enum pane)((v->focus + 1) % N_PANES);
		return 1;
	case ACT_PREV_PANE:
		v->focus = (enum pane)((v->focus + N_PANES - 1) % N_PANES);
		return 1;
	case ACT_UP: move_sel(v, -1); return 1;
	case ACT_DOWN: move_sel(v, 1); return 1;
	case ACT_PAGE_UP: move_sel(v, -page); return 1;
	case ACT_PAGE_DOWN: move_sel(v, page); return 1;
	case ACT_FIRST: move_sel(v, -(long)view_rows(v, v->focus)); return 1;
	case ACT_LAST: move_sel(v, (long)view_rows(v, v->focus)); return 1;
	case ACT_OPEN:
		if (view_rows(v, v->focus))
			v->popup = POPUP_ENTRY;
		return 1;
	case ACT_SORT:
		v->templates_by_total = !v->templates_by_total;
		v->sel[PANE_TEMPLATES] = v->top[PANE_TEMPLATES] = 0;
		v->focus = PANE_TEMPLATES; /* show what changed */
		say(v, v->templates_by_total ? "templates by total" : "templates by logs a second");
		return 1;
	case ACT_HELP:
		v->popup = POPUP_HELP;
		return 1;
	case ACT_REDRAW: /* a resize, or the screen spoiled by something else */
		if (ch != KEY_RESIZE)
			clearok(curscr, TRUE);
		return 1;
	case ACT_CLOSE:
	case ACT_NONE:
		break;
	}
	return 0;
}

static void *run(void *arg)
{
	struct dashboard *d = arg;
	int dirty = 1;
	double drawn_at = 0;
	while (!atomic_load(&d->stop)) {
		/* The wait is ours, not getch's: getch cannot tell a quiet
		 * terminal from one that is gone (both give ERR at once when
		 * the terminal hangs up, and the loop would spin). */
		struct pollfd pfd = {.fd = fileno(d->tty), .events = POLLIN};
		int ready = poll(&pfd, 1, REFRESH_MS);
		if ((ready < 0 && errno != EINTR) ||
		    (ready > 0 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)))) {
			/* The terminal is gone (the operator's session ended):
			 * stop drawing; nobody watches, so the loop stops too. */
			command(d, CMD_HANGUP);
			return NULL;
		}
		int ch;
		while ((ch = getch()) != ERR) /* all that was typed, without waiting */
			dirty |= on_key(d, ch);
		uint64_t ver = snapshot_read(d->box, d->v.snap);
		if (ver != d->seen) {
			d->seen = ver;
			history_add(&d->v.hist, d->v.snap);
			dirty = 1;
		}
		/* The uptime ticks even when nothing else moves. */
		if (dirty || d->v.snap->taken - drawn_at >= 1.0) {
			draw_screen(&d->v);
			doupdate();
			drawn_at = d->v.snap->taken;
			dirty = 0;
		}
	}
	return NULL;
}

static void init_colors(struct view *v)
{
	const char *no = getenv("NO_COLOR");
	v->colors = !(no && *no) && has_colors() && start_color() == OK;
	if (!v->colors)
		return;
	use_default_colors();
	init_pair(1, COLOR_CYAN, -1);   /* titles */
	init_pair(2, COLOR_GREEN, -1);  /* good */
	init_pair(3, COLOR_YELLOW, -1); /* attention */
	init_pair(4, COLOR_RED, -1);    /* bad */
	init_pair(5, COLOR_BLACK, COLOR_CYAN);
	init_pair(6, COLOR_BLUE, -1);   /* dim: headings, hints */
}

struct dashboard *dashboard_start(struct snapshot_box *box, int cmd_fd, int mode, struct buf *err)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		buf_printf(err, "cannot open /dev/tty: %s", strerror(errno));
		return NULL;
	}
	struct dashboard *d = xcalloc(1, sizeof *d);
	d->box = box;
	d->cmd_fd = cmd_fd;
	d->v.snap = xcalloc(1, sizeof *d->v.snap);
	d->v.attached = mode == DASH_ATTACHED;
	history_init(&d->v.hist);
	d->tty = fdopen(fd, "r+");
	if (!d->tty) {
		buf_printf(err, "cannot use /dev/tty: %s", strerror(errno));
		close(fd);
		goto fail;
	}
	if (tcgetattr(fd, &rescue.modes) != 0) {
		buf_printf(err, "/dev/tty is not a terminal: %s", strerror(errno));
		goto fail;
	}
	rescue.fd = fd;
	/* Wide characters (the sparkline) need the locale's character set;
	 * only LC_CTYPE, so numbers keep their '.' everywhere else. */
	if (!setlocale(LC_CTYPE, ""))
		setlocale(LC_CTYPE, "C");
	d->v.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	d->scr = newterm(NULL, d->tty, d->tty);
	if (!d->scr) {
		const char *t = getenv("TERM");
		buf_printf(err, "the terminal type '%s' is unknown to ncurses (set TERM, or use --no-tui)",
			   t ? t : "");
		goto fail;
	}
	set_term(d->scr);
	arm_rescue();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	nodelay(stdscr, TRUE); /* run() polls the terminal itself */
	set_escdelay(25);
	init_colors(&d->v);
	int rc = pthread_create(&d->thread, NULL, run, d);
	if (rc != 0) {
		buf_printf(err, "cannot start the dashboard's thread: %s", strerror(rc));
		endwin();
		rescue.active = 0;
		delscreen(d->scr);
		goto fail;
	}
	return d;
fail:
	if (d->tty)
		fclose(d->tty);
	free(d->v.snap);
	free(d);
	return NULL;
}

void dashboard_stop(struct dashboard *d)
{
	if (!d)
		return;
	atomic_store(&d->stop, 1);
	int rc = pthread_join(d->thread, NULL);
	if (rc != 0)
		warnx_("cannot stop the dashboard's thread: %s", strerror(rc));
	draw_close_popup(&d->v);
	endwin(); /* on a terminal that hung up this writes nothing: no matter */
	rescue.active = 0;
	delscreen(d->scr);
	fclose(d->tty);
	free(d->v.snap);
	free(d);
}
