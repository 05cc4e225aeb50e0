/* buf.h - a growable byte buffer.
 *
 * The data is not NUL-terminated unless buf_cstr() is called. A zeroed
 * struct buf is a valid empty buffer. */
#ifndef LOGMASH_BUF_H
#define LOGMASH_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

/* Makes room for at least extra more bytes. */
void buf_grow(struct buf *b, size_t extra);
void buf_free(struct buf *b);
/* Appends a NUL after the data (not counted in len) and returns data. */
char *buf_cstr(struct buf *b);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* (The !data test is implied by cap == 0, but says so to gcc -fanalyzer,
 * which cannot see into buf_grow.) */
static inline void buf_reserve(struct buf *b, size_t extra)
{
	if (b->cap - b->len < extra || !b->data)
		buf_grow(b, extra);
}

static inline void buf_append(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

static inline void buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

static inline void buf_putc(struct buf *b, char c)
{
	buf_reserve(b, 1);
	b->data[b->len++] = c;
}

static inline void buf_clear(struct buf *b)
{
	b->len = 0;
}

#endif
