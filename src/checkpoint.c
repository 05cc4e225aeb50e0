/* checkpoint.c - the checkpoint table and its file. */
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "errlog.h"
#include "hash.h"
#include "util.h"

#define HEADER "logmash-checkpoints 1\n"

void cp_table_add(struct cp_table *t, const struct fileid *id, uint64_t offset, const char *path)
{
	t->e = xrealloc(t->e, (t->n + 1) * sizeof *t->e);
	t->e[t->n].id = *id;
	t->e[t->n].offset = offset;
	t->e[t->n].path = xstrdup(path);
	t->n++;
}

void cp_table_set_journal(struct cp_table *t, const char *name, const char *cursor)
{
	for (size_t i = 0; i < t->nj; i++) {
		if (!strcmp(t->j[i].name, name)) {
			free(t->j[i].cursor);
			t->j[i].cursor = xstrdup(cursor);
			return;
		}
	}
	t->j = xrealloc(t->j, (t->nj + 1) * sizeof *t->j);
	t->j[t->nj].name = xstrdup(name);
	t->j[t->nj].cursor = xstrdup(cursor);
	t->nj++;
}

void cp_table_free(struct cp_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->e[i].path);
	free(t->e);
	for (size_t i = 0; i < t->nj; i++) {
		free(t->j[i].name);
		free(t->j[i].cursor);
	}
	free(t->j);
	memset(t, 0, sizeof *t);
}

const char *cp_table_journal(const struct cp_table *t, const char *name)
{
	for (size_t i = 0; i < t->nj; i++)
		if (!strcmp(t->j[i].name, name))
			return t->j[i].cursor;
	return NULL;
}

struct cp_entry *cp_table_find(const struct cp_table *t, uint64_t dev, uint64_t ino)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->e[i].id.dev == dev && t->e[i].id.ino == ino)
			return &t->e[i];
	return NULL;
}

void cp_table_remove(struct cp_table *t, struct cp_entry *e)
{
	free(e->path);
	*e = t->e[--t->n];
}

/* Paths may hold spaces, newlines or anything: escape all but the plain. */
static void put_path(struct buf *out, const char *p)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c == '%' || c >= 0x7F) {
			buf_putc(out, '%');
			buf_putc(out, hex[c >> 4]);
			buf_putc(out, hex[c & 15]);
		} else {
			buf_putc(out, (char)c);
		}
	}
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int get_path(const char *s, size_t n, struct buf *out)
{
	buf_clear(out);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi, lo;
			if (i + 2 >= n || (hi = unhex(s[i + 1])) < 0 || (lo = unhex(s[i + 2])) < 0)
				return -1;
			buf_putc(out, (char)(hi << 4 | lo));
			i += 2;
		} else if ((unsigned char)s[i] <= ' ') {
			return -1;
		} else {
			buf_putc(out, s[i]);
		}
	}
	if (out->len == 0 || memchr(out->data, '\0', out->len))
		return -1;
	buf_cstr(out);
	return 0;
}

void checkpoint_format(const struct cp_table *t, struct buf *out)
{
	size_t start = out->len;
	buf_puts(out, HEADER);
	for (size_t i = 0; i < t->n; i++) {
		const struct cp_entry *e = &t->e[i];
		buf_printf(out, "%" PRIu64 " %" PRIu64 " %" PRIu32 " %016" PRIx64 " %" PRIu64 " ",
			   e->id.dev, e->id.ino, e->id.fp_len, e->id.fp_hash, e->offset);
		put_path(out, e->path);
		buf_putc(out, '\n');
	}
	for (size_t i = 0; i < t->nj; i++) {
		buf_puts(out, "journal ");
		put_path(out, t->j[i].name);
		buf_putc(out, ' ');
		put_path(out, t->j[i].cursor);
		buf_putc(out, '\n');
	}
	uint64_t sum = fnv1a64(out->data + start, out->len - start);
	buf_printf(out, "end %zu %016" PRIx64 "\n", t->n + t->nj, sum);
}

int checkpoint_parse(const char *text, size_t len, struct cp_table *t, const char **why)
{
	struct buf path = {0};
	*why = NULL;
	if (len < strlen(HEADER) || memcmp(text, HEADER, strlen(HEADER)) != 0) {
		*why = "not a logmash checkpoint file (unknown header)";
		return -1;
	}
	size_t pos = strlen(HEADER);
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		if (!nl) {
			*why = "the last line is cut short";
			goto bad;
		}
		size_t ll = (size_t)(nl - line);
		char tmp[160];
		if (ll >= 4 && memcmp(line, "end ", 4) == 0) {
			size_t count;
			uint64_t sum;
			char extra;
			if (ll >= sizeof tmp)
				goto malformed;
			memcpy(tmp, line, ll);
			tmp[ll] = '\0';
			if (sscanf(tmp, "end %zu %" SCNx64 "%c", &count, &sum, &extra) != 2)
				goto malformed;
			if (count != t->n + t->nj) {
				*why = "the entry count does not match";
				goto bad;
			}
			if (sum != fnv1a64(text, pos)) {
				*why = "the checksum does not match";
				goto bad;
			}
			if (nl + 1 != text + len) {
				*why = "there is text after the end line";
				goto bad;
			}
			buf_free(&path);
			return 0;
		}
		if (ll >= 8 && memcmp(line, "journal ", 8) == 0) {
			const char *name = line + 8, *sp = memchr(name, ' ', ll - 8);
			struct buf cursor = {0};
			int ok = sp && get_path(name, (size_t)(sp - name), &path) == 0 &&
				 get_path(sp + 1, (size_t)(nl - sp - 1), &cursor) == 0;
			if (ok)
				cp_table_set_journal(t, path.data, cursor.data);
			buf_free(&cursor);
			if (!ok)
				goto malformed;
			pos += ll + 1;
			continue;
		}
		struct fileid id;
		uint64_t off;
		int used = 0;
		size_t head = ll < sizeof tmp - 1 ? ll : sizeof tmp - 1;
		memcpy(tmp, line, head);
		tmp[head] = '\0';
		if (sscanf(tmp, "%" SCNu64 " %" SCNu64 " %" SCNu32 " %" SCNx64 " %" SCNu64 " %n",
			   &id.dev, &id.ino, &id.fp_len, &id.fp_hash, &off, &used) != 5 || used == 0 ||
		    id.fp_len > FILEID_HEAD)
			goto malformed;
		if (get_path(line + used, ll - (size_t)used, &path) != 0)
			goto malformed;
		cp_table_add(t, &id, off, path.data);
		pos += ll + 1;
	}
	*why = "the end line is missing";
	goto bad;
malformed:
	*why = "a line is malformed";
bad:
	buf_free(&path);
	cp_table_free(t);
	return -1;
}

int checkpoint_dir(const char *dir, struct buf *err)
{
	struct stat st;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		buf_printf(err, "cannot create state directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		buf_printf(err, "state directory %s is not a directory", dir);
		return -1;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		buf_printf(err, "cannot write to state directory %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static void set_aside(const char *file, const char *why)
{
	struct buf bad = {0};
	buf_printf(&bad, "%s.bad-%ld", file, (long)time(NULL));
	if (rename(file, buf_cstr(&bad)) == 0)
		errlog_add(ERR_CHECKPOINT, "checkpoint file %s: %s; set aside as %s, starting without it",
			   file, why, bad.data);
	else
		errlog_add(ERR_CHECKPOINT, "checkpoint file %s: %s; cannot set it aside (%s), ignoring it",
			   file, why, strerror(errno));
	buf_free(&bad);
}

int checkpoint_load(const char *file, struct cp_table *t)
{
	memset(t, 0, sizeof *t);
	struct buf text = {0};
	int rc = atomicfile_read(file, (size_t)64 << 20, &text);
	if (rc == -1) {
		if (errno != ENOENT)
			errlog_add(ERR_CHECKPOINT, "cannot read checkpoint file %s: %s", file, strerror(errno));
		buf_free(&text);
		return 0;
	}
	const char *why = "cannot be read";
	int ok = rc == 0 && checkpoint_parse(text.data ? text.data : "", text.len, t, &why) == 0;
	if (!ok)
		set_aside(file, why);
	buf_free(&text);
	return ok;
}

int checkpoint_save(const char *file, const struct cp_table *t)
{
	struct buf text = {0};
	checkpoint_format(t, &text);
	int rc = atomicfile_write(file, text.data ? text.data : "", text.len);
	buf_free(&text);
	if (rc < 0) {
		errlog_add(ERR_CHECKPOINT, "cannot save checkpoints in %s: %s (the old ones stay)", file,
			   strerror(errno));
		return -1;
	}
	if (rc > 0)
		errlog_add(ERR_CHECKPOINT, "cannot sync the folder of %s: %s", file, strerror(errno));
	return 0;
}
