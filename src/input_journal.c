/* input_journal.c - the systemd journal as a source: entries become
 * records, and the cursor of the last one acknowledged is the checkpoint.
 *
 * An entry's ticket is its number in this run (1, 2, ...), registered as
 * its "end offset", so the acks (acks.h) commit the number of entries
 * settled without a gap. The cursors of entries read and not yet
 * committed are kept in order; when the committed number moves, the
 * cursor of that entry becomes the checkpoint and those before it go. */
#include "input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errlog.h"
#include "input_internal.h"
#include "journal.h"
#include "util.h"

/* Entries read between two whose cursor is taken (the end of what is
 * there always is): a SIGKILL repeats at most this many more than were in
 * flight, and reading costs a cursor's formatting only once in so many. */
#define CURSOR_EVERY 16

struct input_journal {
	char *name;           /* its input's: the checkpoint's key */
	char *reading;        /* its directory and matches, to compare at a reload */
	struct journal *j;
	struct journal_entry e;
	char *committed;      /* the checkpoint: the cursor of entry committed_no (or the old one's) */
	uint64_t committed_no;
	/* ring: the entries read and not committed whose cursor was taken, in order */
	struct marked {
		uint64_t no;
		char *cursor;
	} *marks;
	size_t head, n, cap;
	uint64_t read;        /* entries read this run */
	uint64_t told_invalid, invalid;
};

static void mark(struct input_journal *jr)
{
	char *c = journal_cursor(jr->j);
	if (!c)
		return;
	if (jr->n == jr->cap) {
		size_t cap = jr->cap ? jr->cap * 2 : 16;
		struct marked *m = xmalloc(cap * sizeof *m);
		for (size_t i = 0; i < jr->n; i++)
			m[i] = jr->marks[(jr->head + i) % jr->cap];
		free(jr->marks);
		jr->marks = m;
		jr->cap = cap;
		jr->head = 0;
	}
	jr->marks[(jr->head + jr->n++) % jr->cap] = (struct marked){jr->read, c};
}

/* The entry just read is the last one there is now, or one in
 * CURSOR_EVERY: its cursor is a place the checkpoint may move to. */
static void mark_last(struct input_journal *jr)
{
	int marked = jr->n && jr->marks[(jr->head + jr->n - 1) % jr->cap].no == jr->read;
	if (jr->read > jr->committed_no && !marked)
		mark(jr);
}

/* Entries up to committed are acknowledged: the newest cursor among them
 * is the position, the others go. */
static void commit(struct input_journal *jr, uint64_t committed)
{
	while (jr->n && jr->marks[jr->head].no <= committed) {
		struct marked m = jr->marks[jr->head];
		jr->head = (jr->head + 1) % jr->cap;
		jr->n--;
		free(jr->committed);
		jr->committed = m.cursor;
		jr->committed_no = m.no;
	}
}

/* What a spec reads: its directory and matches, as one string. */
static char *reading_of(const struct input_spec *sp)
{
	struct buf b = {0};
	buf_puts(&b, sp->journal_directory ? sp->journal_directory : "");
	for (size_t i = 0; i < sp->n_journal_matches; i++)
		buf_printf(&b, "\n%s", sp->journal_matches[i]);
	return buf_cstr(&b);
}

/* The path the operator sees: "journal", or "journal:DIR". */
static void view_path(const struct input_spec *sp, struct buf *out)
{
	buf_puts(out, "journal");
	if (sp->journal_directory)
		buf_printf(out, ":%s", sp->journal_directory);
}

int input_journal_add(struct input *in, size_t spec, struct buf *err)
{
	const struct input_spec *sp = &in->o.specs[spec];
	struct input_rule *rule = &in->rules[spec];
	struct journal *j = journal_open(sp->journal_directory, sp->journal_matches,
					 sp->n_journal_matches, in->o.max_line, err);
	if (!j)
		return -1;
	const char *cursor = cp_table_journal(&in->cp, rule->name);
	int at_end = in->o.follow && !rule->from_start && !cursor;
	int how = journal_seek(j, cursor, at_end, err);
	if (how < 0) {
		journal_close(j);
		return -1;
	}
	if (how == JOURNAL_CURSOR_GONE) {
		errlog_add(ERR_INPUT, "journal %s: the entry of its checkpoint is no longer in the "
			   "journal (vacuumed, or another journal): reading from the oldest entry there is",
			   rule->name);
		in->st->input_errors++;
	}
	char *end = NULL;
	if (how == JOURNAL_AT_END) {
		if (!in->skipped_journal)
			in->skipped_journal = xstrdup(rule->name);
		/* Where it joined is its checkpoint at once: a restart before
		 * anything is acknowledged must not skip what came since. */
		end = journal_cursor(j);
		if (end)
			in->cp_dirty = 1;
	}
	struct buf path = {0};
	view_path(sp, &path);
	struct source *s = input_source_add(in, buf_cstr(&path), -1, KIND_JOURNAL, 0);
	buf_free(&path);
	s->rule = rule;
	s->orphan = 0;
	s->journal = xcalloc(1, sizeof *s->journal);
	s->journal->j = j;
	s->journal->name = xstrdup(rule->name);
	s->journal->reading = reading_of(sp);
	s->journal->committed = cursor ? xstrdup(cursor) : end;
	in->n_journals++;
	return 0;
}

void input_journal_free(struct source *s)
{
	struct input_journal *jr = s->journal;
	if (!jr)
		return;
	journal_close(jr->j);
	journal_entry_free(&jr->e);
	for (size_t i = 0; i < jr->n; i++)
		free(jr->marks[(jr->head + i) % jr->cap].cursor);
	free(jr->marks);
	free(jr->committed);
	free(jr->name);
	free(jr->reading);
	free(jr);
	s->journal = NULL;
}

const char *input_journal_name(const struct source *s)
{
	return s->journal->name;
}

void input_journal_reconfigure(struct input *in)
{
	char *kept = xcalloc(in->o.n ? in->o.n : 1, 1);
	for (size_t i = 0; i < in->n; i++) {
		struct source *s = in->src[i];
		if (!s || s->kind != KIND_JOURNAL)
			continue;
		size_t k = 0;
		while (k < in->o.n && !(in->o.specs[k].journal &&
					!strcmp(input_spec_name(&in->o.specs[k]), s->journal->name)))
			k++;
		char *now = k < in->o.n ? reading_of(&in->o.specs[k]) : NULL;
		int same = now && !strcmp(now, s->journal->reading);
		free(now);
		if (same && s->state != SRC_DONE) {
			s->rule = &in->rules[k];
			kept[k] = 1;
			continue;
		}
		/* Gone, or reading another journal or other entries: it ends
		 * (what was read of it is sent, its cursor kept), and the input
		 * of its name, if any, starts from that cursor. */
		s->rule = &in->rules[0];
		s->orphan = 1;
		if (s->journal->committed)
			cp_table_set_journal(&in->cp, s->journal->name, s->journal->committed);
		if (s->state != SRC_DONE) {
			errlog_add(ERR_EVENT, "journal %s %s", s->journal->name,
				   k < in->o.n ? "reads other entries now: reading them from its checkpoint"
					       : "is no longer an input: sending what was read of it");
			input_source_done(in, s);
		}
	}
	for (size_t k = 0; k < in->o.n; k++) {
		if (!in->o.specs[k].journal || kept[k])
			continue;
		struct buf err = {0};
		if (input_journal_add(in, k, &err) != 0) {
			errlog_add(ERR_INPUT, "journal %s: %s", input_spec_name(&in->o.specs[k]),
				   buf_cstr(&err));
			in->st->input_errors++;
		}
		buf_free(&err);
	}
	free(kept);
}

const char *input_journal_cursor(struct source *s)
{
	struct input_journal *jr = s->journal;
	/* Everything read is settled (a drain's end, say): the journal is
	 * still on the last entry read, whose cursor is exact. */
	if (s->acks.committed == jr->read && jr->read > jr->committed_no) {
		mark_last(jr);
		commit(jr, jr->read);
	}
	return jr->committed;
}

void input_journal_settled(struct source *s)
{
	commit(s->journal, s->acks.committed);
}

int input_journal_fd(const struct source *s)
{
	return s->state == SRC_DONE || !s->in->o.follow ? -1 : journal_fd(s->journal->j);
}

void input_journal_tick(struct source *s, int timer)
{
	if (s->state != SRC_DONE && (journal_process(s->journal->j) || timer))
		s->readable = 1;
}

uint64_t input_journal_read(const struct source *s)
{
	return s->journal->read;
}

/* Bytes of MESSAGE that were not UTF-8: told once a source, counted always. */
static void report_invalid(struct input *in, struct source *s)
{
	struct input_journal *jr = s->journal;
	if (jr->invalid == jr->told_invalid)
		return;
	in->st->invalid_encoding += jr->invalid - jr->told_invalid;
	if (!jr->told_invalid)
		errlog_add(ERR_INPUT, "journal %s: a MESSAGE held bytes not valid in UTF-8, sent as "
			   "U+FFFD", jr->name);
	jr->told_invalid = jr->invalid;
}

int input_journal_next(struct input *in, struct source *s, struct frame *out, double *time)
{
	struct input_journal *jr = s->journal;
	struct buf err = {0};
	while (s->readable && s->state != SRC_DONE) {
		int r = journal_next(jr->j, &jr->e, &err);
		if (r <= 0) {
			s->readable = 0;
			if (r == 0)
				mark_last(jr);
			if (r < 0) {
				errlog_add(ERR_INPUT, "journal %s: %s%s", jr->name, buf_cstr(&err),
					   in->o.follow ? " (trying again)" : "");
				in->st->input_errors++;
				buf_clear(&err);
			}
			if (!in->o.follow)
				input_source_done(in, s);
			break;
		}
		jr->read++;
		if (jr->read % CURSOR_EVERY == 0)
			mark(jr);
		jr->invalid += jr->e.invalid;
		report_invalid(in, s);
		if (!jr->e.message.len) {
			/* No message (a core dump's metadata, say): nothing to send,
			 * but the position moves past it. */
			in->st->empty++;
			acks_settle(&s->acks, acks_add(&s->acks, jr->read, now_wall()));
			commit(jr, s->acks.committed);
			continue;
		}
		*out = (struct frame){
			.line = jr->e.message.data,
			.len = jr->e.message.len,
			.number = jr->read,
			.end_offset = jr->read,
			.full_len = jr->e.full_len,
			.truncated = jr->e.cut,
			.stream = -1,
		};
		*time = now_wall();
		s->last_growth_ms = now_mono_ms();
		buf_free(&err);
		return 1;
	}
	buf_free(&err);
	return 0;
}

const struct journal_entry *input_source_journal(const struct source *s)
{
	return s->journal ? &s->journal->e : NULL;
}
