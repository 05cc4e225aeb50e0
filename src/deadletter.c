/* deadletter.c - the dead-letter file. */
#include "deadletter.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "encoder.h"
#include "errlog.h"
#include "util.h"

static int open_file(struct deadletter *d)
{
	struct stat st;
	int fd = open(d->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	d->fd = fd;
	d->size = (uint64_t)st.st_size;
	return 0;
}

int deadletter_open(struct deadletter *d, const char *path, uint64_t max_bytes, int keep,
		    struct buf *err)
{
	memset(d, 0, sizeof *d);
	d->fd = -1;
	if (!path)
		return 0;
	d->path = xstrdup(path);
	d->max_bytes = max_bytes;
	d->keep = keep < 1 ? 1 : keep;
	if (open_file(d) != 0) {
		buf_printf(err, "cannot open the dead-letter file %s: %s", path, strerror(errno));
		free(d->path);
		d->path = NULL;
		return -1;
	}
	return 0;
}

/* Records (lines) in the file at path; 0 when it cannot be read. */
static uint64_t count_records(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char chunk[65536];
	uint64_t n = 0;
	ssize_t got;
	while ((got = read(fd, chunk, sizeof chunk)) > 0 || (got < 0 && errno == EINTR))
		for (ssize_t i = 0; i < got; i++)
			n += chunk[i] == '\n';
	close(fd);
	return n;
}

/* FILE.k -> FILE.k+1, the oldest deleted (counted, reported); FILE -> FILE.1,
 * a new FILE opened. On failure the old file stays open and grows. */
static void rotate(struct deadletter *d)
{
	struct buf from = {0}, to = {0};
	buf_printf(&to, "%s.%d", d->path, d->keep);
	uint64_t n = count_records(buf_cstr(&to));
	if (unlink(buf_cstr(&to)) == 0) {
		d->deleted += n;
		errlog_add(ERR_DEADLETTER, "dead-letter file %s deleted to keep --dead-letter-max-bytes: "
			   "its %llu logs were never replayed and are gone (raise --dead-letter-keep, "
			   "or replay rotated files sooner)", buf_cstr(&to), (unsigned long long)n);
	} else if (errno != ENOENT) { /* renaming over it would delete it unseen */
		errlog_add(ERR_DEADLETTER, "cannot delete the oldest dead-letter file %s: %s; the "
			   "dead-letter file grows past --dead-letter-max-bytes", buf_cstr(&to),
			   strerror(errno));
		buf_free(&to);
		return;
	}
	for (int k = d->keep - 1; k >= 0; k--) {
		buf_clear(&from);
		buf_clear(&to);
		if (k)
			buf_printf(&from, "%s.%d", d->path, k);
		else
			buf_puts(&from, d->path);
		buf_printf(&to, "%s.%d", d->path, k + 1);
		if (rename(buf_cstr(&from), buf_cstr(&to)) != 0 && errno != ENOENT) {
			errlog_add(ERR_DEADLETTER, "cannot rotate the dead-letter file (%s to %s): %s; it "
				   "grows past --dead-letter-max-bytes", buf_cstr(&from), buf_cstr(&to),
				   strerror(errno));
			break;
		}
		if (k == 0) { /* renamed: a new file takes the next records */
			int old = d->fd;
			if (open_file(d) != 0) {
				errlog_add(ERR_DEADLETTER, "cannot open a new dead-letter file %s: %s; writing "
					   "on in %s", d->path, strerror(errno), buf_cstr(&to));
				break; /* d->fd still the old one, now called FILE.1 */
			}
			close(old);
		}
	}
	buf_free(&from);
	buf_free(&to);
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
	if (d->max_bytes && d->size && d->size + b.len > d->max_bytes)
		rotate(d);
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
		d->size += (uint64_t)w;
	}
	if (rc == 0 && fdatasync(d->fd) != 0)
		rc = -1;
	int saved = errno;
	buf_free(&b);
	errno = saved;
	return rc;
}

void deadletter_set_limits(struct deadletter *d, uint64_t max_bytes, int keep)
{
	d->max_bytes = max_bytes;
	d->keep = keep;
}
