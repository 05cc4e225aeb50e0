/* spool.c - stdin's write-ahead segments. */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errlog.h"
#include "util.h"

#define SYNC_MS 20 /* group commit: a line waits at most this long to be read */

void spool_path(const struct spool *sp, uint64_t seq, struct buf *out)
{
	buf_clear(out);
	buf_printf(out, "%s/%016" PRIx64 ".seg", sp->dir, seq);
	buf_cstr(out);
}

int spool_segment_seq(const char *name, uint64_t *seq)
{
	if (strlen(name) != 20 || strcmp(name + 16, ".seg") != 0)
		return -1;
	uint64_t v = 0;
	for (int i = 0; i < 16; i++) {
		char c = name[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	if (v == UINT64_MAX)
		return -1; /* the next segment's number would wrap to 0 */
	*seq = v;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int spool_open(struct spool *sp, const char *state_dir, uint64_t max_bytes, size_t max_line,
	       struct buf *err)
{
	memset(sp, 0, sizeof *sp);
	sp->wfd = -1;
	sp->max_bytes = max_bytes;
	sp->max_line = max_line;
	struct buf d = {0};
	buf_printf(&d, "%s/spool", state_dir);
	sp->dir = buf_cstr(&d);
	if (mkdir(sp->dir, 0700) != 0 && errno != EEXIST) {
		buf_printf(err, "cannot create the spool %s: %s", sp->dir, strerror(errno));
		return -1;
	}
	DIR *dh = opendir(sp->dir);
	if (!dh) {
		buf_printf(err, "cannot read the spool %s: %s", sp->dir, strerror(errno));
		return -1;
	}
	struct dirent *de;
	while ((de = readdir(dh))) {
		uint64_t seq;
		if (spool_segment_seq(de->d_name, &seq) != 0)
			continue; /* not a segment of ours */
		struct buf p = {0};
		spool_path(sp, seq, &p);
		struct stat st;
		if (stat(p.data, &st) == 0)
			sp->bytes += (uint64_t)st.st_size;
		buf_free(&p);
		sp->old = xrealloc(sp->old, (sp->n_old + 1) * sizeof *sp->old);
		sp->old[sp->n_old++] = seq;
		if (seq >= sp->wseq)
			sp->wseq = seq + 1;
	}
	closedir(dh);
	if (sp->n_old) /* qsort(NULL, 0, ...) is undefined */
		qsort(sp->old, sp->n_old, sizeof *sp->old, cmp_u64);
	return 0;
}

void spool_close(struct spool *sp)
{
	spool_sync(sp, 1);
	if (sp->wfd >= 0)
		close(sp->wfd);
	if (sp->unwritten.len)
		errlog_add(ERR_SPOOL, "%zu bytes of standard input never reached the spool %s "
			   "(stopped while it could not be written): they are lost", sp->unwritten.len,
			   sp->dir);
	buf_free(&sp->unwritten);
	buf_free(&sp->tail);
	free(sp->old);
	free(sp->dir);
	memset(sp, 0, sizeof *sp);
	sp->wfd = -1;
}

int spool_full(const struct spool *sp)
{
	return sp->bytes >= sp->max_bytes || sp->unwritten.len;
}

static int append(struct spool *sp, const char *p, size_t n)
{
	/* A segment is deleted only once sealed, read and settled: keep several
	 * within the bound, or a full spool could never free room. */
	uint64_t seg = sp->max_bytes / 4 < SPOOL_SEGMENT_BYTES ? sp->max_bytes / 4 : SPOOL_SEGMENT_BYTES;
	/* cppcheck-suppress knownConditionTrueFalse ; wsize grows with every write: cppcheck
	 * 2.10 takes the value it has right after a segment opens */
	if (sp->wfd >= 0 && sp->wsize >= seg && !sp->mid_line) { /* never inside a line */
		spool_sync(sp, 1);
		close(sp->wfd);
		sp->wfd = -1;
		sp->wseq++;
	}
	if (sp->wfd < 0) {
		struct buf path = {0};
		spool_path(sp, sp->wseq, &path);
		sp->wfd = open(path.data, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
		if (sp->wfd < 0) {
			errlog_add(ERR_SPOOL, "cannot create spool segment %s: %s (standard input "
				   "waits)", path.data, strerror(errno));
			buf_free(&path);
			buf_append(&sp->unwritten, p, n);
			return -1;
		}
		buf_free(&path);
		sp->wsize = sp->synced = 0;
	}
	while (n) {
		ssize_t w = write(sp->wfd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			errlog_add(ERR_SPOOL, "cannot write to the spool %s: %s (standard input waits)",
				   sp->dir, strerror(errno));
			buf_append(&sp->unwritten, p, n);
			return -1;
		}
		p += w;
		n -= (size_t)w;
		sp->wsize += (uint64_t)w;
		sp->bytes += (uint64_t)w;
		sp->mid_line = p[-1] != '\n';
	}
	return 0;
}

int spool_write(struct spool *sp, const char *data, size_t n)
{
	const char *nl = n ? memrchr(data, '\n', n) : NULL;
	if (!nl) {
		buf_append(&sp->tail, data, n);
		/* A line longer than any we would send: write it; the reader cuts it. */
		if (sp->tail.len > sp->max_line) {
			int rc = append(sp, sp->tail.data, sp->tail.len);
			buf_clear(&sp->tail);
			return rc;
		}
		return 0;
	}
	size_t upto = (size_t)(nl - data) + 1;
	int rc = 0;
	if (sp->tail.len) {
		rc = append(sp, sp->tail.data, sp->tail.len);
		buf_clear(&sp->tail);
	}
	if (rc == 0)
		rc = append(sp, data, upto);
	else
		buf_append(&sp->unwritten, data, upto); /* after the tail that failed */
	if (upto < n)
		buf_append(&sp->tail, data + upto, n - upto);
	spool_sync(sp, 0);
	return rc;
}

int spool_end(struct spool *sp)
{
	int rc = 0;
	if (sp->tail.len) {
		rc = append(sp, sp->tail.data, sp->tail.len);
		if (rc == 0)
			rc = append(sp, "\n", 1);
		else
			buf_append(&sp->unwritten, "\n", 1);
		buf_clear(&sp->tail);
	}
	sp->ending = 1;
	if (sp->unwritten.len)
		return -1;
	spool_sync(sp, 1);
	sp->eof = 1;
	return rc;
}

int spool_retry(struct spool *sp)
{
	if (!sp->unwritten.len)
		return 0;
	struct buf b = sp->unwritten; /* append() keeps what fails again */
	memset(&sp->unwritten, 0, sizeof sp->unwritten);
	int rc = append(sp, b.data, b.len);
	buf_free(&b);
	if (rc != 0)
		return -1;
	spool_sync(sp, sp->ending);
	if (sp->ending)
		sp->eof = 1;
	return 0;
}

void spool_sync(struct spool *sp, int force)
{
	if (sp->wfd < 0 || sp->synced == sp->wsize)
		return;
	int64_t now = now_mono_ms();
	if (!force && now - sp->last_sync_ms < SYNC_MS)
		return;
	if (fdatasync(sp->wfd) != 0) {
		errlog_add(ERR_SPOOL, "cannot sync the spool %s: %s", sp->dir, strerror(errno));
		return;
	}
	sp->synced = sp->wsize;
	sp->last_sync_ms = now;
}

void spool_drop(struct spool *sp, const char *path, uint64_t size)
{
	if (unlink(path) != 0 && errno != ENOENT)
		errlog_add(ERR_SPOOL, "cannot delete spool segment %s: %s", path, strerror(errno));
	sp->bytes = sp->bytes > size ? sp->bytes - size : 0;
}
