/* atomicfile.c - see atomicfile.h. */
#include "atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int atomicfile_write(const char *file, const void *data, size_t len)
{
	struct buf tb = {0}, db = {0};
	buf_printf(&tb, "%s.tmp", file);
	const char *slash = strrchr(file, '/');
	if (slash)
		buf_append(&db, file, slash == file ? 1 : (size_t)(slash - file));
	else
		buf_putc(&db, '.');
	const char *tmp = buf_cstr(&tb);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ok = fd >= 0 && write_all(fd, data, len) == 0 && fsync(fd) == 0;
	int saved = errno;
	if (fd >= 0 && close(fd) != 0 && ok) {
		ok = 0;
		saved = errno;
	}
	if (ok && rename(tmp, file) != 0) {
		ok = 0;
		saved = errno;
	}
	if (!ok)
		unlink(tmp);
	buf_free(&tb);
	int rc = ok ? 0 : -1;
	if (ok) {
		int dfd = open(buf_cstr(&db), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fsync(dfd) != 0) {
			rc = 1;
			saved = errno;
		}
		if (dfd >= 0)
			close(dfd);
	}
	buf_free(&db);
	errno = saved;
	return rc;
}

int atomicfile_read(const char *file, size_t max, struct buf *out)
{
	FILE *f = fopen(file, "rbe");
	if (!f)
		return -1;
	char chunk[65536];
	size_t n;
	while (out->len < max && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(out, chunk, n);
	int err = ferror(f) ? errno : 0;
	fclose(f);
	errno = err;
	return err ? -2 : 0;
}
