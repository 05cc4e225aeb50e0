/* deadletter.c - the dead-letter file. */
#include "deadletter.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "encoder.h"
#include "util.h"

int deadletter_open(struct deadletter *d, const char *path)
{
	d->fd = -1;
	d->path = NULL;
	if (!path)
		return 0;
	d->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (d->fd < 0) {
		warnx_("cannot open the dead-letter file %s: %s", path, strerror(errno));
		return -1;
	}
	d->path = xstrdup(path);
	return 0;
}

void deadletter_close(struct deadletter *d)
{
	if (d->fd >= 0)
		close(d->fd);
	free(d->path);
	d->fd = -1;
	d->path = NULL;
}

int deadletter_write(struct deadletter *d, const char *body, size_t body_len, long status,
		     const char *error, const char *answer, size_t answer_len,
		     const char *source, uint64_t line)
{
	if (d->fd < 0)
		return 0;
	char when[32];
	time_t t = time(NULL);
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(when, sizeof when, "%ld", (long)t);
	struct buf b = {0};
	buf_printf(&b, "{\"time\":\"%s\",\"status\":%ld,\"error\":", when, status);
	encode_string(&b, error, strlen(error));
	buf_puts(&b, ",\"answer\":");
	encode_string(&b, answer ? answer : "", answer ? answer_len : 0);
	buf_puts(&b, ",\"source\":");
	encode_string(&b, source, strlen(source));
	buf_printf(&b, ",\"line\":%" PRIu64 ",\"body\":", line);
	buf_append(&b, body, body_len); /* our own encoder's output: valid JSON */
	buf_puts(&b, "}\n");
	int rc = 0;
	size_t off = 0;
	while (off < b.len) {
		ssize_t w = write(d->fd, b.data + off, b.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = -1;
			break;
		}
		off += (size_t)w;
	}
	if (rc == 0 && fdatasync(d->fd) != 0)
		rc = -1;
	int saved = errno;
	buf_free(&b);
	errno = saved;
	return rc;
}
