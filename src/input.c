/* input.c - stdin and files, read to their end. */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errlog.h"
#include "util.h"

#define CHUNK (128 * 1024)

void input_open(struct input *in, char *const *paths, size_t n, size_t max_line,
		struct stats *st)
{
	memset(in, 0, sizeof *in);
	in->st = st;
	in->src = xcalloc(n, sizeof *in->src);
	in->n = n;
	for (size_t i = 0; i < n; i++) {
		struct source *s = &in->src[i];
		s->name = xstrdup(paths[i]);
		framer_init(&s->fr, max_line);
		if (strcmp(paths[i], "-") == 0) {
			s->fd = STDIN_FILENO;
		} else {
			s->fd = open(paths[i], O_RDONLY | O_CLOEXEC | O_NOCTTY);
			if (s->fd < 0) {
				errlog_add(ERR_INPUT, "cannot open %s: %s", paths[i], strerror(errno));
				st->input_errors++;
				s->done = 1;
				continue;
			}
		}
		struct stat sb;
		if (fstat(s->fd, &sb) == 0) {
			s->regular = S_ISREG(sb.st_mode);
			if (S_ISDIR(sb.st_mode)) {
				errlog_add(ERR_INPUT, "cannot read %s: it is a directory", s->name);
				st->input_errors++;
				s->done = 1;
				continue;
			}
		}
		s->chunk = xmalloc(CHUNK);
	}
}

void input_close(struct input *in)
{
	for (size_t i = 0; i < in->n; i++) {
		struct source *s = &in->src[i];
		if (s->fd > STDIN_FILENO)
			close(s->fd);
		framer_free(&s->fr);
		free(s->chunk);
		free(s->name);
	}
	free(in->src);
	memset(in, 0, sizeof *in);
}

static int ready(const struct source *s)
{
	if (s->regular)
		return 1;
	struct pollfd p = {.fd = s->fd, .events = POLLIN};
	return poll(&p, 1, 0) > 0;
}

/* Reads the next chunk of s into its framer: 1 read, 0 not ready. */
static int fill(struct input *in, struct source *s)
{
	if (!ready(s))
		return 0;
	ssize_t r;
	do
		r = read(s->fd, s->chunk, CHUNK);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		errlog_add(ERR_INPUT, "cannot read %s: %s", s->name, strerror(errno));
		in->st->input_errors++;
		framer_finish(&s->fr);
		s->done = 1;
		return 1;
	}
	s->read_time = now_wall();
	if (r == 0)
		framer_finish(&s->fr);
	else
		framer_feed(&s->fr, s->chunk, (size_t)r);
	return 1;
}

enum input_status input_next(struct input *in, struct frame *fr, const struct source **src)
{
	while (in->cur < in->n) {
		struct source *s = &in->src[in->cur];
		if (framer_next(&s->fr, fr)) {
			*src = s;
			return INPUT_LINE;
		}
		if (s->done || s->fr.eof) {
			s->done = 1;
			if (s->fd > STDIN_FILENO) {
				close(s->fd);
				s->fd = -1;
			}
			in->cur++;
			continue;
		}
		if (!fill(in, s))
			return INPUT_WAIT;
	}
	return INPUT_END;
}

int input_poll_fd(const struct input *in)
{
	if (in->cur >= in->n)
		return -1;
	const struct source *s = &in->src[in->cur];
	return s->regular || s->done ? -1 : s->fd;
}
