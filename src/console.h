/* console.h - the operator's console: the dashboard when there is a
 * terminal, else the status line; when each is due, and what its keys ask.
 *
 * It knows nothing of the pipeline: the event loop hands it a function
 * that fills a snapshot, and gets back the keys' commands. */
#ifndef LOGMASH_CONSOLE_H
#define LOGMASH_CONSOLE_H

#include "snapshot.h"

struct console_opts {
	int no_tui;              /* never a dashboard */
	int dry_run;             /* stdout carries bodies: no dashboard */
	int reads_stdin;         /* stdin is an input: no dashboard when it is the terminal */
	double status_interval;  /* headless status line period; 0: none */
	int status_json;
	/* Fills s with the pipeline's state now; with_sources: the sources
	 * too (they cost an fstat each). */
	void (*fill)(void *ctx, struct snapshot *s, int with_sources);
	void *ctx;
};

struct console;

/* The dashboard when stdout is a terminal (and neither no_tui nor
 * dry_run), else headless. Never fails: without a terminal it says why
 * and goes on headless. */
struct console *console_start(const struct console_opts *o);

/* Publishes a snapshot or prints the status line when one is due. */
void console_tick(struct console *c);

/* How long the loop may sleep before console_tick is due (ms, <= 1000). */
long console_timeout_ms(const struct console *c);

/* The dashboard's command pipe to poll, or -1 when headless. */
int console_fd(const struct console *c);

/* The next command the keys sent (enum command), or 0 for none. */
int console_command(struct console *c);

/* Whether the dashboard is up (then stderr is not the operator's). */
int console_has_dashboard(const struct console *c);

/* A last snapshot for the dashboard, then the terminal back as it was. */
void console_stop(struct console *c);

#endif
