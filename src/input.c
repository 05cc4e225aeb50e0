/* input.c - reading the sources, their events and timers, checkpoints,
 * set-up and the operator's view (input_sources.c, input_discovery.c and
 * input_spool.c hold the rest). */
#include "input.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
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
#include "humanize.h"
#include "snapshot.h"
#include "input_internal.h"
#include "util.h"

/* ---- reading ---- */

int input_stream_ready(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 0) > 0;
}

/* Reopens a file closed while inactive, if it has grown. 1 open, 0 not. */
static int reopen(struct input *in, struct source *s)
{
	struct stat st;
	if (stat(s->path, &st) != 0 || (uint64_t)st.st_ino != s->id.ino ||
	    (uint64_t)st.st_dev != s->id.dev) {
		input_source_rotated(in, s); /* it went away while closed */
		return 0;
	}
	if ((uint64_t)st.st_size == s->read_off)
		return 0;
	int fd = input_open_file(in, s->path);
	if (fd < 0)
		return 0;
	if (fileid_match(fd, &s->id) != 1 || lseek(fd, (off_t)s->read_off, SEEK_SET) < 0) {
		close(fd);
		input_source_rotated(in, s);
		return 0;
	}
	s->fd = fd;
	return 1;
}

/* Reads s again from its start: it was truncated (copytruncate). */
static int restart(struct source *s, const char *why)
{
	errlog_add(ERR_INPUT, "%s: %s: reading it again from its start", s->path, why);
	if (lseek(s->fd, 0, SEEK_SET) < 0)
		return 0;
	framer_restart(&s->fr, 0);
	decoder_restart(&s->dec, 0);
	s->read_off = 0;
	acks_restart(&s->acks, 0);
	fileid_of(s->fd, &s->id);
	s->flush_joiner = 1;
	s->readable = 1;
	return 1;
}

/* A file shorter than what was read from it was truncated. */
static int restart_if_truncated(struct source *s)
{
	struct stat st;
	if (fstat(s->fd, &st) != 0 || (uint64_t)st.st_size >= s->read_off)
		return 0;
	return restart(s, "truncated (copytruncate?)");
}

/* Whether the path still names s's file; if not, s is rotated. A head that
 * no longer hashes as it did means the file was truncated and written again
 * past where we were before we looked: start it over too. */
static void check_path(struct input *in, struct source *s)
{
	s->check = 0;
	s->last_check_ms = now_mono_ms();
	if (s->state != SRC_ACTIVE)
		return;
	if (!input_path_names(s->path, &s->id)) {
		input_source_rotated(in, s);
		return;
	}
	if (s->fd < 0)
		return;
	/* Its head can only have changed if the file was written since the
	 * last look: hashing 1 KiB of each idle file every second adds up
	 * with thousands followed. */
	struct stat st;
	int have = fstat(s->fd, &st) == 0;
	if (have && st.st_mtim.tv_sec == s->seen_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == s->seen_mtime.tv_nsec && (uint64_t)st.st_size == s->seen_size)
		return;
	int same = fileid_match(s->fd, &s->id);
	if (same == 0) {
		restart(s, "its first bytes changed (truncated and written again?)");
		return;
	}
	if (have && same == 1) {
		s->seen_mtime = st.st_mtim;
		s->seen_size = (uint64_t)st.st_size;
	}
}

/* Reads a chunk into s's framer: 1 when bytes came, 0 when none now. */
static int fill(struct input *in, struct source *s)
{
	if (s->kind == KIND_SPOOLING) {
		input_spool_feed(in, s);
		return 0;
	}
	/* Files are read when told they may have grown; streams when poll says. */
	if (is_file(s) && !s->readable)
		return 0;
	size_t want = CHUNK;
	/* Only what is synced counts as read. */
	if (s->kind == KIND_SEGMENT && !input_spool_sealed(in, s)) {
		uint64_t room = in->sp.synced > s->read_off ? in->sp.synced - s->read_off : 0;
		if (room < want)
			want = (size_t)room;
		if (!want) {
			s->readable = 0;
			s->at_eof = 1;
			return 0;
		}
	}
	if (s->fd < 0 && (!is_file(s) || s->finishing || !reopen(in, s))) {
		s->readable = 0;
		return 0;
	}
	if (!is_file(s) && !input_stream_ready(s->fd))
		return 0;
	ssize_t r = input_chunk_read(in, s, want);
	if (r > 0) {
		framer_feed(&s->fr, s->chunk, (size_t)r);
		s->read_off += (uint64_t)r;
		s->read_time = now_wall();
		s->last_growth_ms = now_mono_ms();
		s->at_eof = 0;
		return 1;
	}
	input_chunk_put(in, s);
	if (r < 0 && errno == EAGAIN) {
		s->readable = 0;
		return 0;
	}
	if (r < 0 && in->o.follow && s->kind == KIND_FILE && s->state == SRC_ACTIVE) {
		/* A followed file stays followed: read again at its next check
		 * (an I/O error can pass; its lines must not be skipped). */
		errlog_add(ERR_INPUT, "cannot read %s: %s (trying again)", s->path, strerror(errno));
		s->readable = 0;
		s->at_eof = 1;
		s->last_check_ms = now_mono_ms();
		return 0;
	}
	if (r < 0) {
		input_error(in, "read", s->path, errno);
		input_source_finish(s);
		return 0;
	}
	/* End of what is there now. */
	s->at_eof = 1;
	s->readable = 0;
	if (s->kind == KIND_SEGMENT) {
		if (input_spool_sealed(in, s))
			input_source_finish(s);
		return 0;
	}
	if (!in->o.follow || !is_file(s)) {
		input_source_finish(s);
		return 0;
	}
	if (restart_if_truncated(s))
		return 0;
	if (s->check || now_mono_ms() - s->last_check_ms >= CHECK_MS)
		check_path(in, s);
	return 0;
}

static void report_lines(struct source *s);

/* A reload's rule, once what the old one held is out. */
static void apply_rule(struct source *s)
{
	char why[512];
	s->rule_changed = 0;
	if (decoder_set_rule(&s->dec, &s->rule->dr, why, sizeof why) != 0)
		errlog_add(ERR_INPUT, "%s: %s (read as UTF-8)", s->path, why);
}

/* The next record of s: 1 with *fr and *time set, or 0. With may_fill 0
 * it only finishes the chunk it holds: its turn is over. */
static int source_next(struct input *in, struct source *s, struct frame *out, double *time,
		       int may_fill)
{
	if (s->kind == KIND_JOURNAL)
		return may_fill && input_journal_next(in, s, out, time);
	for (;;) {
		if (s->flush_joiner) {
			if (decoder_flush(&s->dec, now_mono_ms(), out, time))
				return 1;
			s->flush_joiner = 0;
			if (s->rule_changed)
				apply_rule(s);
		}
		struct frame fr;
		int got = framer_next(&s->fr, &fr);
		in->st->empty += s->fr.empty;
		s->fr.empty = 0;
		if (got) {
			if (decoder_push(&s->dec, &fr, s->read_time, now_mono_ms(), out, time))
				return 1;
			continue;
		}
		input_chunk_put(in, s);
		if (s->finishing) {
			if (decoder_flush(&s->dec, now_mono_ms(), out, time))
				return 1;
			report_lines(s);
			input_source_done(in, s);
			return 0;
		}
		if (!may_fill || (!fill(in, s) && !s->finishing))
			return 0;
	}
}

enum input_status input_next(struct input *in, struct frame *fr, double *time,
			     struct source **src)
{
	int any = 0;
	if (in->n_deferred && in->fds_freed)
		input_open_deferred(in);
	/* stdin feeding the spool gives no records itself: pull more whatever
	 * source's turn it is, once the spool's reader has caught up (until
	 * then the bytes wait in the pipe, still the writer's). */
	struct source *f = in->feeder;
	if (f && f->state != SRC_DONE && (!in->reader || in->reader->at_eof))
		input_spool_feed(in, f);
	for (size_t tried = 0; tried <= in->n && in->n; tried++) {
		if (in->cur >= in->n)
			in->cur = 0;
		struct source *s = in->src[in->cur];
		if (s && s->kind == KIND_SPOOLING && s->state != SRC_DONE) {
			any = 1;
		} else if (s && s->state != SRC_DONE) {
			/* Following, a source's turn is QUOTA records, rounded up to
			 * the end of the chunk it holds: turns change between chunks,
			 * so one chunk is held at a time, not one a file (1,000
			 * files with a backlog held 128 MiB). */
			if (source_next(in, s, fr, time, !in->o.follow || in->quota < QUOTA)) {
				in->quota++;
				*src = s;
				return INPUT_LINE;
			}
			/* A source that just ended does not hold the input open:
			 * without this the loop would sleep a tick before ending. */
			if (s->state != SRC_DONE)
				any = 1;
			/* Read to their end in the order given, unless following. */
			if (!in->o.follow && s->state != SRC_DONE)
				return INPUT_WAIT;
		}
		in->quota = 0;
		in->cur++;
	}
	if (!any && !in->n_deferred && (!in->o.follow || !in->files))
		return INPUT_END;
	return INPUT_WAIT;
}

/* ---- events and timers ---- */

static void on_event(void *ctx, const char *dir, const char *name, uint32_t mask)
{
	struct input *in = ctx;
	if (mask & (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF |
		    IN_MOVE_SELF | IN_ATTRIB))
		in->rescan = 1;
	char full[PATH_MAX];
	if (snprintf(full, sizeof full, "%s/%s", dir, name) >= (int)sizeof full)
		return;
	struct source *s = input_map_get(in, full);
	if (s) {
		s->readable = 1;
		if (mask & ~(uint32_t)(IN_MODIFY | IN_CLOSE_WRITE))
			s->check = 1;
	}
	if (!(mask & IN_MODIFY) || !in->n_special)
		return;
	/* Growth under another name: a rotated file still being written, or a
	 * symlink's target. */
	for (size_t i = 0; i < in->n; i++) {
		struct source *r = in->src[i];
		if (r && is_file(r) && (r->state == SRC_ROTATED || (r->real && strcmp(r->real, full) == 0)))
			r->readable = 1;
	}
}

/* Lines that were not what their input's rules expect: told once a file,
 * counted always. */
static void report_lines(struct source *s)
{
	struct decoder *d = &s->dec;
	if (d->not_format > s->told_format) {
		s->in->st->not_format += d->not_format - s->told_format;
		if (!s->told_format)
			errlog_add(ERR_INPUT, "%s: %llu line%s not in %s format, sent as %s", s->path,
				   (unsigned long long)d->not_format, d->not_format == 1 ? "" : "s",
				   d->rule->format == FORMAT_CRI ? "CRI" : "Docker json-file",
				   d->not_format == 1 ? "it is" : "they are");
		s->told_format = d->not_format;
	}
	if (d->tc.invalid > s->told_invalid) {
		s->in->st->invalid_encoding += d->tc.invalid - s->told_invalid;
		if (!s->told_invalid)
			errlog_add(ERR_INPUT, "%s: %llu byte%s not valid in %s, sent as U+FFFD", s->path,
				   (unsigned long long)d->tc.invalid, d->tc.invalid == 1 ? "" : "s",
				   d->rule->encoding);
		s->told_invalid = d->tc.invalid;
	}
}

static void housekeeping(struct input *in, int64_t now)
{
	int poll_all = in->w.polling || !in->o.follow;
	in->n_special = 0;
	for (size_t i = 0; i < in->n; i++) {
		struct source *s = in->src[i];
		if (!s)
			continue;
		in->n_special += s->state == SRC_ROTATED || s->real;
		if (s->state == SRC_DONE) {
			if (acks_pending(&s->acks) == 0)
				input_source_release(in, i);
			continue;
		}
		if (!is_file(s))
			continue;
		int64_t idle = now - s->last_growth_ms;
		if (poll_all || s->state == SRC_ROTATED)
			s->readable = 1;
		if (s->state == SRC_ACTIVE && s->at_eof && now - s->last_check_ms >= CHECK_MS)
			s->readable = s->check = 1; /* identity and truncation, at EOF */
		if (framer_holding(&s->fr) && s->at_eof && idle >= (int64_t)(in->o.flush_partial * 1000)) {
			framer_flush(&s->fr);
			s->readable = 1;
		}
		report_lines(s);
		if (decoder_pending(&s->dec) && s->at_eof &&
		    now - decoder_last_ms(&s->dec) >= (int64_t)(s->rule->dr.ml.timeout * 1000)) {
			s->flush_joiner = 1;
			s->readable = 1;
		}
		if (s->state == SRC_ROTATED && s->at_eof && !s->finishing &&
		    now - s->rotated_ms >= (int64_t)(s->rule->rotate_wait * 1000) &&
		    idle >= (int64_t)(s->rule->rotate_wait * 1000))
			input_source_finish(s);
		if (s->state == SRC_ACTIVE && s->fd >= 0 && s->at_eof && !framer_holding(&s->fr) &&
		    !decoder_pending(&s->dec) && idle >= (int64_t)(s->rule->close_inactive * 1000))
			input_source_close_fd(s); /* reopened when it grows */
	}
}

static void save(struct input *in)
{
	if (!in->cp_file || !in->o.save_state)
		return;
	if (in->o.before_save)
		in->o.before_save();
	struct cp_table t = {0};
	for (size_t i = 0; i < in->cp.n; i++) { /* files not followed now, still there */
		struct cp_entry *e = &in->cp.e[i];
		if (input_path_names(e->path, &e->id))
			cp_table_add(&t, &e->id, e->offset, e->path);
	}
	for (size_t i = 0; i < in->n; i++) { /* journals read now (not those a reload ended) */
		struct source *s = in->src[i];
		if (s && s->kind == KIND_JOURNAL && !s->orphan && input_journal_cursor(s))
			cp_table_set_journal(&t, input_journal_name(s), input_journal_cursor(s));
	}
	for (size_t i = 0; i < in->cp.nj; i++) /* and those not read now */
		if (!cp_table_journal(&t, in->cp.j[i].name))
			cp_table_set_journal(&t, in->cp.j[i].name, in->cp.j[i].cursor);
	for (size_t i = 0; i < in->n; i++) {
		struct source *s = in->src[i];
		if (!s || !is_file(s))
			continue;
		if (s->fd >= 0)
			fileid_refresh(s->fd, &s->id);
		cp_table_add(&t, &s->id, s->acks.committed, s->path);
	}
	in->save_failed = checkpoint_save(in->cp_file, &t) != 0;
	cp_table_free(&t);
	in->cp_dirty = 0;
}

void input_tick(struct input *in)
{
	int64_t now = now_mono_ms();
	if (in->n_retired)
		input_rules_retire(in);
	if (in->w.fd >= 0 && watch_read(&in->w, on_event, in)) {
		in->rescan = 1; /* events were lost: look at everything */
		for (size_t i = 0; i < in->n; i++)
			if (in->src[i])
				in->src[i]->readable = in->src[i]->check = 1;
	}
	if (in->o.follow && (in->rescan || now >= in->next_scan_ms)) {
		input_scan_all(in);
		in->next_scan_ms = now + (in->w.polling ? TICK_MS * 4 : SCAN_MS);
	}
	for (size_t i = 0; in->n_journals && i < in->n; i++)
		if (in->src[i] && in->src[i]->kind == KIND_JOURNAL)
			input_journal_tick(in->src[i], now >= in->next_tick_ms);
	if (now >= in->next_tick_ms) {
		housekeeping(in, now);
		/* Followed files stay open at their end: opening a deferred one
		 * closes the idlest of those (make_room). */
		if (in->n_deferred)
			input_open_deferred(in);
		if (in->spooling && in->sp.unwritten.len && spool_retry(&in->sp) == 0) {
			input_spool_next_reader(in);
			if (in->reader)
				in->reader->readable = 1;
		}
		in->next_tick_ms = now + TICK_MS;
	}
	if (in->spooling) {
		uint64_t synced = in->sp.synced;
		spool_sync(&in->sp, 0);
		input_spool_next_reader(in);
		if (in->reader && in->sp.synced != synced)
			in->reader->readable = 1;
	}
	if (in->cp_dirty && now >= in->next_save_ms) {
		save(in);
		in->next_save_ms = now + SAVE_MS;
	}
}

long input_timeout_ms(const struct input *in)
{
	if (in->spooling && in->sp.synced < in->sp.wsize)
		return 20; /* the group commit is due */
	for (size_t i = 0; i < in->n; i++) {
		const struct source *s = in->src[i];
		if (s && s->state != SRC_DONE && s->readable &&
		    (is_file(s) || s->finishing || s->kind == KIND_JOURNAL))
			return 0;
	}
	int64_t due = in->next_tick_ms;
	if (in->cp_dirty && in->next_save_ms < due)
		due = in->next_save_ms;
	int64_t left = due - now_mono_ms();
	return left < 0 ? 0 : (long)left;
}

size_t input_poll_fds(const struct input *in, int *fds, size_t max)
{
	size_t k = 0;
	if (in->w.fd >= 0 && k < max)
		fds[k++] = in->w.fd;
	for (size_t i = 0; i < in->n && k < max; i++) {
		const struct source *s = in->src[i];
		int jfd = s && s->kind == KIND_JOURNAL ? input_journal_fd(s) : -1;
		if (jfd >= 0)
			fds[k++] = jfd;
		else if (s && !is_file(s) && s->state != SRC_DONE && s->fd >= 0 && !s->finishing &&
		    !(s->kind == KIND_SPOOLING && spool_full(&in->sp)))
			fds[k++] = s->fd;
	}
	return k;
}

uint64_t input_register(struct source *s, uint64_t end_offset, double time)
{
	return acks_add(&s->acks, end_offset, time);
}

void input_settled(struct source *s, uint64_t ticket, enum settled how)
{
	if (how == SETTLED_SENT)
		s->n_sent++;
	else if (how == SETTLED_DROPPED)
		s->n_dropped++;
	else
		s->n_failed++;
	uint64_t before = s->acks.committed;
	acks_settle(&s->acks, ticket);
	if (s->acks.committed != before && s->kind == KIND_JOURNAL)
		input_journal_settled(s);
	if (s->acks.committed != before && (is_file(s) || s->kind == KIND_JOURNAL))
		s->in->cp_dirty = 1;
}

/* ---- set-up ---- */

/* Thousands of followed files need descriptors: take what the hard limit allows. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			warnx_("cannot raise the open-file limit: %s", strerror(errno));
	}
}

static void discard(struct input *in);

/* Sets in up from o; -1 (reported) leaves it for discard(). */
static int set_up(struct input *in, const struct input_opts *o, struct stats *st, struct buf *err)
{
	in->o = *o;
	in->st = st;
	in->w.fd = -1;
	in->buckets = xcalloc(BUCKETS, sizeof *in->buckets);
	in->by_ino = xcalloc(BUCKETS, sizeof *in->by_ino);
	in->rules = input_rules_build(o, err);
	if (!in->rules)
		return -1;
	if (o->state_dir && checkpoint_dir(o->state_dir, err) != 0)
		return -1;
	if (o->checkpoints)
		in->cp_file = xstrdup(o->checkpoints);
	else if (o->state_dir) {
		struct buf f = {0};
		buf_printf(&f, "%s/checkpoints", o->state_dir);
		in->cp_file = xstrdup(buf_cstr(&f));
		buf_free(&f);
	}
	if (in->cp_file)
		in->ran_before = checkpoint_load(in->cp_file, &in->cp);
	if (o->follow) {
		watch_init(&in->w);
		raise_fd_limit();
	}
	/* Older lines first: what rotated away while we were not running. */
	if (o->state_dir)
		input_recover_rotated(in);
	/* stdin goes through the spool where there is a state directory; what
	 * an earlier run spooled and did not deliver is read back first. */
	if (o->state_dir && o->save_state) {
		if (spool_open(&in->sp, o->state_dir, o->spool_max_bytes, o->max_line, err) != 0)
			return -1;
		in->spooling = 1;
		in->next_seg = in->sp.wseq;
		input_spool_next_reader(in);
	}
	/* In the order given: without -F, inputs are read one after another. */
	for (size_t i = 0; i < o->n; i++) {
		if (o->specs[i].journal && input_journal_add(in, i, err) != 0)
			return -1;
		for (size_t k = 0; k < o->specs[i].n_paths; k++) {
			const char *p = o->specs[i].paths[k];
			if (strcmp(p, "-") == 0) {
				struct source *s = input_source_add(in, "-", STDIN_FILENO,
								    in->spooling ? KIND_SPOOLING : KIND_STREAM, 0);
				if (in->spooling)
					in->feeder = s;
			} else {
				in->files = 1;
				input_scan_spec(in, p, 1);
			}
		}
	}
	int64_t now = now_mono_ms();
	in->next_tick_ms = now + TICK_MS;
	in->next_scan_ms = now + (in->w.polling ? TICK_MS * 4 : SCAN_MS);
	in->next_save_ms = now;
	return 0;
}

struct input *input_open(const struct input_opts *o, struct stats *st, struct buf *err)
{
	struct input *in = xcalloc(1, sizeof *in);
	if (set_up(in, o, st, err) != 0) {
		discard(in);
		return NULL;
	}
	return in;
}

int input_unsent_kept(struct input *in)
{
	if (!in->cp_file || !in->o.save_state)
		return 0;
	if (in->spooling && (in->sp.unwritten.len || in->sp.tail.len))
		return 0; /* read from the pipe, not on disk */
	for (size_t i = 0; i < in->n; i++) {
		const struct source *s = in->src[i];
		if (s && !is_file(s) && acks_pending(&s->acks))
			return 0; /* stdin without a spool */
	}
	save(in);
	return !in->save_failed;
}

void input_describe_skipped(const struct input *in, struct buf *out)
{
	if (in->skipped_journal)
		buf_printf(out, "following journal %s from its end: entries already there are not "
			   "sent; --from-start sends them%s", in->skipped_journal,
			   in->skipped_files ? "; " : "");
	if (!in->skipped_files)
		return;
	char bytes[24], lines[32] = "";
	human_bytes(bytes, sizeof bytes, in->skipped_bytes);
	if (in->skipped_lines_known)
		snprintf(lines, sizeof lines, "%" PRIu64 " line%s ", in->skipped_lines,
			 in->skipped_lines == 1 ? "" : "s");
	if (in->skipped_files == 1)
		buf_printf(out, "following %s from its end: ", in->skipped_first);
	else
		buf_printf(out, "following %zu files (%s, ...) from their end: ", in->skipped_files,
			   in->skipped_first);
	buf_printf(out, "%s%s%s%s already there %s not sent; --from-start sends them", lines,
		   *lines ? "(" : "", bytes, *lines ? ")" : "",
		   in->skipped_lines == 1 && in->skipped_lines_known ? "is" : "are");
}

void input_close(struct input *in)
{
	if (!in)
		return;
	for (size_t i = 0; i < in->n; i++)
		if (in->src[i] && in->src[i]->state == SRC_DONE && acks_pending(&in->src[i]->acks) == 0)
			input_source_release(in, i);
	save(in);
	discard(in);
}

/* Frees everything, saving nothing. */
static void discard(struct input *in)
{
	for (size_t i = 0; i < in->n; i++)
		if (in->src[i])
			input_source_free(in, in->src[i]);
	free(in->src);
	free(in->spare);
	free(in->buckets);
	free(in->by_ino);
	for (size_t i = 0; i < in->n_waiting; i++)
		free(in->waiting[i]);
	free(in->waiting);
	free(in->skipped_first);
	free(in->skipped_journal);
	for (size_t i = 0; i < in->n_deferred; i++)
		free(in->deferred[i].path);
	free(in->deferred);
	cp_table_free(&in->cp);
	free(in->cp_file);
	if (in->spooling) {
		if (in->sp.unwritten.len)
			in->st->input_errors++;
		spool_close(&in->sp);
	}
	if (in->rules)
		input_rules_free(in->rules, in->o.n);
	for (size_t i = 0; i < in->n_retired; i++)
		input_rules_free(in->retired[i].rules, in->retired[i].n);
	free(in->retired);
	watch_free(&in->w);
	free(in);
}

/* ---- the operator's view ---- */

const char *source_name(const struct source *s)
{
	return s->name;
}

const char *source_path(const struct source *s)
{
	return s->path;
}

const char *input_source_input(const struct source *s)
{
	return s->orphan ? "" : s->rule->name;
}

const struct container_meta *input_source_meta(const struct source *s)
{
	return s->meta;
}

size_t input_source_spec(const struct source *s)
{
	return s->orphan ? SIZE_MAX : (size_t)(s->rule - s->in->rules);
}

static enum source_view_state view_state(const struct input *in, const struct source *s)
{
	if (s->state == SRC_DONE)
		return SOURCE_CLOSED;
	if (s->state == SRC_ROTATED)
		return SOURCE_ROTATED;
	if (s->fd < 0 && s->kind != KIND_JOURNAL)
		return SOURCE_WAITING;
	return in->o.follow ? SOURCE_FOLLOWING : SOURCE_READING;
}

static void view_input(const struct input *in, struct source_view *v)
{
	const struct input_rule *r = input_rule_for(in, v->path);
	snprintf(v->input, sizeof v->input, "%s", r ? r->name : "");
}

size_t input_view(const struct input *in, struct source_view *out, size_t max, size_t *filled,
		  uint64_t *spooled)
{
	size_t total = 0, k = 0;
	for (size_t i = 0; i < in->n; i++) {
		const struct source *s = in->src[i];
		if (!s || s->kind == KIND_SEGMENT)
			continue; /* spool segments are stdin's, shown as its backlog */
		total++;
		if (k == max)
			continue;
		struct source_view *v = &out[k++];
		if (s->state == SRC_ROTATED && s->moved_to)
			snprintf(v->path, sizeof v->path, "%s", s->moved_to);
		else if (s->state == SRC_ROTATED && !s->real && s->kind == KIND_FILE)
			snprintf(v->path, sizeof v->path, "%s (deleted)", s->path);
		else
			snprintf(v->path, sizeof v->path, "%s", s->path);
		snprintf(v->input, sizeof v->input, "%s", input_source_input(s));
		v->pos = s->read_off;
		v->lines = s->kind == KIND_JOURNAL ? input_journal_read(s) : s->fr.line_no;
		v->state = view_state(in, s);
		v->sent = s->n_sent;
		v->dropped = s->n_dropped;
		v->errors = s->n_failed;
		v->oldest_unsent = acks_oldest(&s->acks);
		v->size = 0;
		struct stat st;
		/* A file's size now: how far behind the reading is. */
		if (is_file(s) && s->fd >= 0 && fstat(s->fd, &st) == 0)
			v->size = (uint64_t)st.st_size;
	}
	for (size_t i = 0; i < in->n_waiting; i++) {
		total++;
		if (k == max)
			continue;
		struct source_view *v = &out[k++];
		int glob = input_has_glob(in->waiting[i]);
		*v = (struct source_view){.state = glob ? SOURCE_NO_MATCH : SOURCE_WAITING};
		snprintf(v->path, sizeof v->path, "%s", in->waiting[i]);
		view_input(in, v);
	}
	for (size_t i = 0; i < in->n_deferred; i++) {
		total++;
		if (k == max)
			continue;
		struct source_view *v = &out[k++];
		*v = (struct source_view){.state = SOURCE_NO_FD};
		snprintf(v->path, sizeof v->path, "%s", in->deferred[i].path);
		view_input(in, v);
	}
	*filled = k;
	*spooled = in->spooling && in->sp.bytes ? in->sp.bytes : 0;
	return total;
}
