/* journal.h - the systemd journal, read through libsystemd's sd-journal
 * (never by running journalctl): entries in order from a cursor, each
 * one's message, level and fields.
 *
 * Matches are journalctl's: FIELD=VALUE, the same field twice ORs,
 * different fields AND. A position is a cursor, the journal's own name
 * for an entry; one that the journal no longer has (vacuumed) reads from
 * the oldest entry there is. */
#ifndef LOGMASH_JOURNAL_H
#define LOGMASH_JOURNAL_H

#include <stddef.h>

#include "buf.h"
#include "level.h"
#include "record.h"

/* One entry, valid until the next journal_next into it. */
struct journal_entry {
	struct buf message;   /* MESSAGE, invalid UTF-8 as U+FFFD, cut at max_message */
	size_t invalid;       /* bytes of MESSAGE that were not UTF-8 */
	size_t full_len;      /* MESSAGE's length before a cut */
	int cut;              /* it was longer than max_message */
	enum level level;     /* from PRIORITY: 0-3 Error, 4 Warning, 5-7 Information */
	struct item *fields;  /* every field but MESSAGE, as the journal gives them */
	size_t n_fields, cap;
	struct buf store;     /* the fields' bytes: KEY NUL VALUE NUL ... */
};

void journal_entry_free(struct journal_entry *e);

/* A field's value as a C string, or NULL when the entry has none (or its
 * value holds a NUL byte). */
const char *journal_entry_get(const struct journal_entry *e, const char *key);

/* The level a PRIORITY value stands for (LEVEL_NONE when it is not 0-7). */
enum level journal_priority_level(const char *p, size_t n);

/* Whether m is FIELD=VALUE with FIELD as the journal allows (capitals,
 * digits and underscores, not starting with a digit): 0, or -1 with the
 * reason in err. */
int journal_match_check(const char *m, struct buf *err);

struct journal;

/* The system journal (directory NULL: this host's, all of it that the
 * user may read) or the journal files in directory, with matches. NULL
 * with the reason in err. */
struct journal *journal_open(const char *directory, char *const *matches, size_t n_matches,
			     size_t max_message, struct buf *err);
void journal_close(struct journal *j);

enum journal_seek { JOURNAL_RESUMED, JOURNAL_CURSOR_GONE, JOURNAL_AT_END, JOURNAL_AT_HEAD };

/* Positions j after the entry at cursor; with no cursor at its end
 * (at_end) or its head. A cursor the journal does not have reads from the
 * head (JOURNAL_CURSOR_GONE). -1 with the reason in err. */
int journal_seek(struct journal *j, const char *cursor, int at_end, struct buf *err);

/* The cursor of the entry j is on (after journal_seek to the end, or
 * after journal_next found no more: the last one there was), malloc'd, or
 * NULL when it is on none. Formatting one costs more than reading an
 * entry's fields: the caller asks only for the entries it may commit at. */
char *journal_cursor(struct journal *j);

/* When the newest entry j's matches take was written (seconds since the
 * epoch), or 0 when there is none; j is left at its end. For check. */
double journal_newest(struct journal *j);

/* Whether this user may read the whole system journal (root, or a member
 * of systemd-journal or adm); otherwise only its own entries. */
int journal_reads_all(void);

/* The next entry into e: 1, 0 when there is none now, -1 with the reason
 * in err. */
int journal_next(struct journal *j, struct journal_entry *e, struct buf *err);

/* The descriptor that becomes readable when the journal changes (poll it
 * for POLLIN), or -1. */
int journal_fd(struct journal *j);

/* Takes in the journal's changes after its descriptor was readable (or on
 * a timer): 1 when entries may have been added, else 0. */
int journal_process(struct journal *j);

#endif
