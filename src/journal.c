/* journal.c - the systemd journal through sd-journal (see the header). */
#include "journal.h"

#include <errno.h>
#include <grp.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

#include "utf8.h"
#include "util.h"

struct journal {
	sd_journal *j;
	size_t max_message;
};

void journal_entry_free(struct journal_entry *e)
{
	buf_free(&e->message);
	buf_free(&e->store);
	free(e->fields);
	memset(e, 0, sizeof *e);
}

const char *journal_entry_get(const struct journal_entry *e, const char *key)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i < e->n_fields; i++)
		if (e->fields[i].key_len == kl && !memcmp(e->fields[i].key, key, kl))
			return strlen(e->fields[i].val) == e->fields[i].val_len ? e->fields[i].val : NULL;
	return NULL;
}

enum level journal_priority_level(const char *p, size_t n)
{
	if (n != 1 || p[0] < '0' || p[0] > '7')
		return LEVEL_NONE;
	return p[0] <= '3' ? LEVEL_ERROR : p[0] == '4' ? LEVEL_WARNING : LEVEL_INFORMATION;
}

int journal_match_check(const char *m, struct buf *err)
{
	const char *eq = strchr(m, '=');
	size_t n = eq ? (size_t)(eq - m) : 0;
	int ok = n > 0 && n <= 64 && !(m[0] >= '0' && m[0] <= '9');
	for (size_t i = 0; ok && i < n; i++)
		ok = (m[i] >= 'A' && m[i] <= 'Z') || (m[i] >= '0' && m[i] <= '9') || m[i] == '_';
	if (ok)
		return 0;
	buf_printf(err, "journal match '%s' is not FIELD=VALUE with FIELD in capitals, digits "
		   "and underscores (as _SYSTEMD_UNIT=shop.service)", m);
	return -1;
}

struct journal *journal_open(const char *directory, char *const *matches, size_t n_matches,
			     size_t max_message, struct buf *err)
{
	sd_journal *sj = NULL;
	int r = directory ? sd_journal_open_directory(&sj, directory, 0)
			  : sd_journal_open(&sj, SD_JOURNAL_LOCAL_ONLY);
	if (r < 0) {
		buf_printf(err, "cannot open the journal%s%s: %s", directory ? " in " : "",
			   directory ? directory : "", strerror(-r));
		return NULL;
	}
	for (size_t i = 0; i < n_matches; i++) {
		if (journal_match_check(matches[i], err) != 0 ||
		    (r = sd_journal_add_match(sj, matches[i], 0)) < 0) {
			if (r < 0)
				buf_printf(err, "journal match '%s': %s", matches[i], strerror(-r));
			sd_journal_close(sj);
			return NULL;
		}
	}
	/* Fields are read whole up to what a message may hold, so that a
	 * long MESSAGE is cut where --max-line-bytes says, not at 64 KiB. */
	size_t threshold = max_message + 8 > 65536 ? max_message + 8 : 65536;
	if ((r = sd_journal_set_data_threshold(sj, threshold)) < 0) {
		buf_printf(err, "cannot set the journal's field size: %s", strerror(-r));
		sd_journal_close(sj);
		return NULL;
	}
	struct journal *j = xcalloc(1, sizeof *j);
	j->j = sj;
	j->max_message = max_message;
	return j;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	sd_journal_close(j->j);
	free(j);
}

/* Whether the entry at cursor is older than anything the journal holds
 * (vacuumed), or the cursor says no time. */
static int cursor_gone(struct journal *j, const char *cursor)
{
	const char *t = strstr(cursor, ";t=");
	if (!t && strncmp(cursor, "t=", 2) == 0)
		t = cursor - 1;
	if (!t)
		return 1;
	char *end;
	errno = 0;
	unsigned long long at = strtoull(t + 3, &end, 16);
	uint64_t from, to;
	if (errno || end == t + 3 || sd_journal_get_cutoff_realtime_usec(j->j, &from, &to) <= 0)
		return 1;
	return at < from;
}

/* Onto the journal's last entry, so that the next one read is the first
 * written after now. */
static int seek_end(struct journal *j, struct buf *err)
{
	int r;
	if ((r = sd_journal_seek_tail(j->j)) < 0) {
		buf_printf(err, "cannot seek the journal to its end: %s", strerror(-r));
		return -1;
	}
	/* The tail is past the last entry: step onto it. */
	if ((r = sd_journal_previous(j->j)) < 0) {
		buf_printf(err, "cannot read the journal's last entry: %s", strerror(-r));
		return -1;
	}
	return JOURNAL_AT_END;
}

int journal_seek(struct journal *j, const char *cursor, int at_end, struct buf *err)
{
	int r, how;
	if (cursor) {
		if ((r = sd_journal_seek_cursor(j->j, cursor)) < 0 && r != -EINVAL) {
			buf_printf(err, "cannot seek the journal to its cursor: %s", strerror(-r));
			return -1;
		}
		/* Seeking finds the nearest entry the matches take: on the
		 * cursor's own, the next one read is the one after it. */
		if (r >= 0 && sd_journal_next(j->j) > 0 && sd_journal_test_cursor(j->j, cursor) > 0)
			return JOURNAL_RESUMED;
		/* Not on it: the matches changed and do not take it, or it was
		 * vacuumed away. Still inside what the journal holds, the first
		 * entry after it is the next to read: seek there again. */
		if (r >= 0 && !cursor_gone(j, cursor)) {
			if ((r = sd_journal_seek_cursor(j->j, cursor)) < 0) {
				buf_printf(err, "cannot seek the journal to its cursor: %s", strerror(-r));
				return -1;
			}
			return JOURNAL_RESUMED;
		}
		how = JOURNAL_CURSOR_GONE;
	} else if (!at_end) {
		how = JOURNAL_AT_HEAD;
	} else {
		return seek_end(j, err);
	}
	if ((r = sd_journal_seek_head(j->j)) < 0) {
		buf_printf(err, "cannot seek the journal to its head: %s", strerror(-r));
		return -1;
	}
	return how;
}

/* MESSAGE into e->message: invalid UTF-8 as U+FFFD, cut at max bytes on a
 * character boundary. */
static void set_message(struct journal_entry *e, const char *p, size_t n, size_t max)
{
	buf_clear(&e->message);
	e->invalid = 0;
	e->cut = 0;
	e->full_len = n;
	for (size_t i = 0; i < n;) {
		size_t skip = 0, k = 0;
		while (i + k < n && (unsigned char)p[i + k] < 0x80) /* a run of ASCII at once */
			k++;
		if (!k)
			k = utf8_sequence((const unsigned char *)p + i, n - i, &skip);
		size_t add = k ? k : 3;
		if (e->message.len + add > max) {
			if (k && (unsigned char)p[i] < 0x80) /* what of the run fits */
				buf_append(&e->message, p + i, max - e->message.len);
			e->cut = 1;
			break;
		}
		if (k) {
			buf_append(&e->message, p + i, k);
			i += k;
		} else {
			buf_append(&e->message, "\xEF\xBF\xBD", 3);
			e->invalid += skip;
			i += skip;
		}
	}
}

/* Every field of the current entry into e. */
static int read_fields(struct journal *j, struct journal_entry *e, struct buf *err)
{
	const void *d;
	size_t l;
	int r, have_message = 0;
	buf_clear(&e->store);
	e->n_fields = 0;
	e->level = LEVEL_NONE;
	/* Offsets first: the store may move while it fills. */
	sd_journal_restart_data(j->j);
	while ((r = sd_journal_enumerate_data(j->j, &d, &l)) > 0) {
		const char *f = d, *eq = memchr(f, '=', l);
		if (!eq)
			continue;
		size_t kl = (size_t)(eq - f), vl = l - kl - 1;
		if (kl == 7 && !memcmp(f, "MESSAGE", 7)) {
			set_message(e, eq + 1, vl, j->max_message);
			have_message = 1;
			continue;
		}
		if (kl == 8 && !memcmp(f, "PRIORITY", 8))
			e->level = journal_priority_level(eq + 1, vl);
		if (e->n_fields == e->cap) {
			e->cap = e->cap ? e->cap * 2 : 32;
			e->fields = xrealloc(e->fields, e->cap * sizeof *e->fields);
		}
		struct item *it = &e->fields[e->n_fields++];
		it->key = (const char *)(uintptr_t)e->store.len;
		it->key_len = kl;
		buf_append(&e->store, f, kl);
		buf_putc(&e->store, '\0');
		it->val = (const char *)(uintptr_t)e->store.len;
		it->val_len = vl;
		buf_append(&e->store, eq + 1, vl);
		buf_putc(&e->store, '\0');
	}
	if (r < 0) {
		buf_printf(err, "cannot read a journal entry's fields: %s", strerror(-r));
		return -1;
	}
	for (size_t i = 0; i < e->n_fields; i++) {
		e->fields[i].key = e->store.data + (uintptr_t)e->fields[i].key;
		e->fields[i].val = e->store.data + (uintptr_t)e->fields[i].val;
	}
	if (!have_message)
		set_message(e, "", 0, j->max_message);
	return 0;
}

int journal_next(struct journal *j, struct journal_entry *e, struct buf *err)
{
	int r = sd_journal_next(j->j);
	if (r == 0)
		return 0;
	if (r < 0) {
		buf_printf(err, "cannot read the journal: %s", strerror(-r));
		return -1;
	}
	return read_fields(j, e, err) == 0 ? 1 : -1;
}

char *journal_cursor(struct journal *j)
{
	char *c = NULL;
	return sd_journal_get_cursor(j->j, &c) < 0 ? NULL : c;
}

double journal_newest(struct journal *j)
{
	uint64_t us;
	if (sd_journal_seek_tail(j->j) < 0 || sd_journal_previous(j->j) <= 0 ||
	    sd_journal_get_realtime_usec(j->j, &us) < 0)
		return 0;
	return (double)us / 1e6;
}

int journal_reads_all(void)
{
	if (geteuid() == 0)
		return 1;
	gid_t groups[256];
	int n = getgroups(256, groups);
	static const char *const readers[] = {"systemd-journal", "adm", "wheel"};
	for (size_t k = 0; k < sizeof readers / sizeof *readers; k++) {
		const struct group *g = getgrnam(readers[k]);
		for (int i = 0; g && i < n; i++)
			if (groups[i] == g->gr_gid)
				return 1;
		if (g && getegid() == g->gr_gid)
			return 1;
	}
	return 0;
}

int journal_fd(struct journal *j)
{
	int fd = sd_journal_get_fd(j->j);
	return fd < 0 ? -1 : fd;
}

int journal_process(struct journal *j)
{
	return sd_journal_process(j->j) > SD_JOURNAL_NOP;
}
