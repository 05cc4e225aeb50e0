/* input.h - the inputs: standard input and files, each read to its end, in
 * the order given, cut into lines by a framer.
 *
 * Reading never blocks the event loop: a regular file is always ready, and
 * other inputs (pipes, terminals) are read only when poll says so. Inputs
 * that cannot be opened or read are reported to errlog and skipped. */
#ifndef LOGMASH_INPUT_H
#define LOGMASH_INPUT_H

#include <stddef.h>

#include "framer.h"
#include "stats.h"

struct source {
	char *name;    /* the path, or "-" for stdin: what scripts see as log.source */
	int fd;
	int regular;   /* a regular file: reads never wait */
	int done;
	double read_time; /* when the current chunk was read */
	struct framer fr;
	char *chunk;
};

struct input {
	struct source *src;
	size_t n;
	size_t cur;
	struct stats *st;
};

enum input_status { INPUT_LINE, INPUT_WAIT, INPUT_END };

/* Opens every path ("-" is stdin). Failures are reported and counted. */
void input_open(struct input *in, char *const *paths, size_t n, size_t max_line,
		struct stats *st);
void input_close(struct input *in);

/* The next line: INPUT_LINE with *fr and *src set (valid until the next
 * call), INPUT_WAIT when the current input has nothing ready (poll
 * input_poll_fd), INPUT_END when every input is done. */
enum input_status input_next(struct input *in, struct frame *fr, const struct source **src);

/* The descriptor to poll for POLLIN after INPUT_WAIT, or -1. */
int input_poll_fd(const struct input *in);

#endif
