/* input_spool.c - standard input through its spool: written as it comes,
 * its segments read back one at a time, in order. */
#include "input.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errlog.h"
#include "input_internal.h"
#include "snapshot.h"
#include "util.h"

/* ---- the spool: stdin's segments, read back one at a time, in order ---- */

int input_spool_sealed(const struct input *in, const struct source *s)
{
	return s->seq < in->sp.wseq || in->sp.eof;
}

/* Starts reading back the next segment when none is being read. */
void input_spool_next_reader(struct input *in)
{
	while (in->spooling && !in->reader) {
		uint64_t seq;
		if (in->sp.n_old) {
			seq = in->sp.old[0];
			memmove(in->sp.old, in->sp.old + 1, --in->sp.n_old * sizeof *in->sp.old);
		} else if (in->next_seg < in->sp.wseq || (in->next_seg == in->sp.wseq && in->sp.wfd >= 0)) {
			seq = in->next_seg++;
		} else {
			return; /* nothing written yet */
		}
		struct buf p = {0};
		spool_path(&in->sp, seq, &p);
		int fd = open(p.data, O_RDONLY | O_CLOEXEC);
		struct fileid id;
		if (fd < 0 || fileid_of(fd, &id) != 0) {
			if (errno != ENOENT)
				errlog_add(ERR_SPOOL, "cannot read spool segment %s: %s", p.data, strerror(errno));
			if (fd >= 0)
				close(fd);
			buf_free(&p);
			continue;
		}
		uint64_t offset = 0;
		struct cp_entry *e = cp_table_find(&in->cp, id.dev, id.ino);
		if (e) {
			if (fileid_match(fd, &e->id) == 1)
				offset = e->offset;
			cp_table_remove(&in->cp, e);
		}
		if (offset && lseek(fd, (off_t)offset, SEEK_SET) < 0)
			offset = 0;
		/* Not a followed path: no inotify, no path map; the writer wakes it. */
		struct source *s = input_source_add(in, p.data, fd, KIND_SEGMENT, offset);
		s->seq = seq;
		s->id = id;
		input_ino_put(in, s);
		s->name = "-";
		in->reader = s;
		in->cp_dirty = 1;
		buf_free(&p);
	}
}

/* stdin into the spool; it gives no records itself. */
void input_spool_feed(struct input *in, struct source *s)
{
	if (spool_full(&in->sp) || !input_stream_ready(s->fd))
		return;
	ssize_t r = input_chunk_read(in, s, CHUNK);
	/* A write that fails keeps its bytes and is retried (spool_retry):
	 * only bytes still unwritten at exit are an input error. */
	if (r > 0) {
		spool_write(&in->sp, s->chunk, (size_t)r);
	} else if (r == 0 || errno != EAGAIN) {
		if (r < 0)
			input_error(in, "read", s->path, errno);
		spool_end(&in->sp);
		input_source_done(in, s);
	}
	input_chunk_put(in, s);
	input_spool_next_reader(in);
	if (in->reader)
		in->reader->readable = 1;
}
