/* console.c - when the dashboard or the status line hears of the pipeline. */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dashboard.h"
#include "errlog.h"
#include "status.h"
#include "util.h"

#define PUBLISH_MS 250 /* a fresh snapshot for the dashboard this often */

struct console {
	struct console_opts o;
	struct dashboard *dash;
	struct snapshot_box box;
	int cmd[2];                   /* the dashboard's commands: a pipe */
	char pending[64];             /* commands read, not yet taken */
	size_t n_pending, next;
	struct snapshot *snap;        /* filled, then published or printed */
	struct snapshot *last_status; /* what the last status line said */
	int64_t next_due_ms;
};

static void warn_to_errlog(const char *msg)
{
	errlog_add(ERR_WARNING, "%s", msg);
}

struct console *console_start(const struct console_opts *o)
{
	struct console *c = xcalloc(1, sizeof *c);
	c->o = *o;
	c->snap = xcalloc(1, sizeof *c->snap);
	c->last_status = xcalloc(1, sizeof *c->last_status);
	c->cmd[0] = c->cmd[1] = -1;
	c->next_due_ms = now_mono_ms() + (int64_t)(o->status_interval * 1000);
	int tui = !o->no_tui && !o->dry_run && isatty(STDOUT_FILENO);
	if (tui && o->reads_stdin && isatty(STDIN_FILENO)) {
		/* The dashboard's keys and the logs typed would share it: one
		 * would eat the other's keystrokes. */
		warnx_("no dashboard: standard input is this terminal, and what is typed here is "
		       "read as logs (Ctrl-D ends them); give files or pipe logs in to have it");
		tui = 0;
	}
	if (!tui) {
		o->fill(o->ctx, c->last_status, 0); /* the first line's rates start here */
		return c;
	}
	/* Without the dashboard's parts, the run goes on with the status line. */
	struct buf err = {0};
	int boxed = snapshot_box_init(&c->box) == 0;
	if (!boxed)
		buf_printf(&err, "cannot set up the snapshot lock");
	else if (pipe2(c->cmd, O_CLOEXEC | O_NONBLOCK) != 0)
		buf_printf(&err, "cannot create the command pipe: %s", strerror(errno));
	if (!err.len) {
		o->fill(o->ctx, c->snap, 1);
		snapshot_publish(&c->box, c->snap);
		c->dash = dashboard_start(&c->box, c->cmd[1], DASH_LOCAL, &err);
	}
	if (!c->dash) {
		warnx_("no dashboard: %s; going on without it (--no-tui says so at start)",
		       buf_cstr(&err));
		buf_free(&err);
		if (boxed)
			snapshot_box_free(&c->box);
		o->fill(o->ctx, c->last_status, 0);
		return c;
	}
	buf_free(&err);
	c->next_due_ms = now_mono_ms() + PUBLISH_MS;
	/* From here stderr would write over the screen. */
	errlog_set_stderr(0);
	set_warn_sink(warn_to_errlog, dashboard_emergency_restore);
	if (atexit(dashboard_emergency_restore) != 0)
		warnx_("cannot arrange to restore the terminal at exit");
	/* Resizes go to the dashboard's thread (started before this, so it
	 * does not inherit the block): ncurses notices them there. */
	sigset_t winch;
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	int rc = pthread_sigmask(SIG_BLOCK, &winch, NULL);
	if (rc != 0)
		warnx_("cannot leave window resizes to the dashboard: %s", strerror(rc));
	return c;
}

void console_tick(struct console *c)
{
	int64_t now = now_mono_ms();
	if (now < c->next_due_ms)
		return;
	if (c->dash) {
		c->o.fill(c->o.ctx, c->snap, 1);
		snapshot_publish(&c->box, c->snap);
		c->next_due_ms = now + PUBLISH_MS;
		return;
	}
	if (c->o.status_interval <= 0) {
		c->next_due_ms = INT64_MAX;
		return;
	}
	c->o.fill(c->o.ctx, c->snap, 1);
	struct buf line = {0};
	status_line(&line, c->snap, c->last_status, c->o.status_json);
	fputs(buf_cstr(&line), stderr);
	buf_free(&line);
	struct snapshot *t = c->last_status; /* rates are over the interval */
	c->last_status = c->snap;
	c->snap = t;
	c->next_due_ms = now + (int64_t)(c->o.status_interval * 1000);
}

long console_timeout_ms(const struct console *c)
{
	if (c->next_due_ms == INT64_MAX)
		return 1000;
	int64_t left = c->next_due_ms - now_mono_ms();
	return left < 0 ? 0 : left > 1000 ? 1000 : (long)left;
}

int console_fd(const struct console *c)
{
	return c->dash ? c->cmd[0] : -1;
}

int console_command(struct console *c)
{
	if (!c->dash)
		return 0;
	if (c->next == c->n_pending) {
		ssize_t n = read(c->cmd[0], c->pending, sizeof c->pending);
		c->n_pending = n > 0 ? (size_t)n : 0;
		c->next = 0;
		if (!c->n_pending)
			return 0;
	}
	return c->pending[c->next++];
}

int console_has_dashboard(const struct console *c)
{
	return c->dash != NULL;
}

void console_stop(struct console *c)
{
	if (!c)
		return;
	if (c->dash) {
		c->o.fill(c->o.ctx, c->snap, 1);
		snapshot_publish(&c->box, c->snap);
		dashboard_stop(c->dash);
		snapshot_box_free(&c->box);
		set_warn_sink(NULL, NULL);
		errlog_set_stderr(1);
	}
	if (c->cmd[0] >= 0) {
		close(c->cmd[0]);
		close(c->cmd[1]);
	}
	free(c->snap);
	free(c->last_status);
	free(c);
}
