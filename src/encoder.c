/* encoder.c - record to JSON request body. */
#include "encoder.h"

#include "utf8.h"

#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* 1 for the ASCII bytes that cannot be copied as they are. */
static const uint8_t needs_escape[128] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* '"' */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* '\\' */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static void escape_ascii(struct buf *out, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[6] = {'\\', 0, 0, 0, 0, 0};
	size_t n = 2;
	switch (c) {
	case '"': e[1] = '"'; break;
	case '\\': e[1] = '\\'; break;
	case '\n': e[1] = 'n'; break;
	case '\r': e[1] = 'r'; break;
	case '\t': e[1] = 't'; break;
	case '\b': e[1] = 'b'; break;
	case '\f': e[1] = 'f'; break;
	default:
		e[1] = 'u', e[2] = '0', e[3] = '0';
		e[4] = hex[c >> 4], e[5] = hex[c & 15];
		n = 6;
	}
	buf_append(out, e, n);
}

/* Nonzero when one of the 8 bytes in x is below 0x20, a '"', a '\\' or
 * at least 0x80 (the classic "has a byte less than n" bit tricks). */
static inline uint64_t special8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
	uint64_t lt20 = (x - ones * 0x20) & ~x;
	uint64_t isq = (q - ones) & ~q;
	uint64_t isb = (b - ones) & ~b;
	return ((lt20 | isq | isb) & high) | (x & high);
}

static inline uint64_t load8(const unsigned char *s)
{
	uint64_t x;
	memcpy(&x, s, 8);
	return x;
}

static inline uint64_t load4(const unsigned char *s)
{
	uint32_t x;
	memcpy(&x, s, 4);
	return x;
}

#ifdef __SSE2__
/* A bit per byte of s[0..16) that is below 0x20, a '"', a '\\' or at least
 * 0x80: the signed compare takes 0x80..0xFF, being negative, as below 0x20. */
static inline unsigned special16(const unsigned char *s)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
	__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
					      _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
				 _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)));
	return (unsigned)_mm_movemask_epi8(m);
}
#endif

static inline int is_special(unsigned char c)
{
	return c >= 0x80 || needs_escape[c];
}

/* The length of the longest prefix of s[0..n) that is copied as it is.
 * Most log text needs no escaping, so this is the hot loop: it tests 16 (or
 * 8) bytes at a time, and the last, partial block through an overlapping
 * load instead of byte by byte. Short strings (item keys and values) take
 * one or two overlapping loads and no call. */
static size_t plain_prefix(const unsigned char *s, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	if (n >= 16) {
		for (; i + 16 <= n; i += 16) {
			unsigned bits = special16(s + i);
			if (bits)
				return i + (size_t)__builtin_ctz(bits);
		}
		if (i == n)
			return n;
		/* s[n-16..n) overlaps what was tested: drop those bits. */
		unsigned bits = special16(s + n - 16) >> (16 - (n - i));
		return bits ? i + (size_t)__builtin_ctz(bits) : n;
	}
#endif
	for (; i + 8 <= n; i += 8)
		if (special8(load8(s + i)))
			goto exact;
	if (i == n)
		return n;
	if (n >= 8) {
		if (!special8(load8(s + n - 8)))
			return n;
	} else if (n - i >= 4) {
		if (!special8(load4(s + i) | load4(s + n - 4) << 32))
			return n;
	}
exact:
	while (i < n && !is_special(s[i]))
		i++;
	return i;
}

/* Copies n < 16 bytes with two overlapping fixed-size moves, not a call:
 * item keys and values are this short. */
static inline void copy_short(char *d, const unsigned char *s, size_t n)
{
	if (n >= 8) {
		memcpy(d, s, 8);
		memcpy(d + n - 8, s + n - 8, 8);
	} else if (n >= 4) {
		memcpy(d, s, 4);
		memcpy(d + n - 4, s + n - 4, 4);
	} else {
		for (size_t i = 0; i < n; i++)
			d[i] = (char)s[i];
	}
}

void encode_string(struct buf *out, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	buf_reserve(out, n + 2);
	out->data[out->len++] = '"';
	if (n < 16 && plain_prefix(s, n) == n) {
		copy_short(out->data + out->len, s, n);
		out->len += n;
		out->data[out->len++] = '"';
		return;
	}
	for (;;) {
		size_t run = plain_prefix(s + i, n - i);
		buf_append(out, s + i, run);
		i += run;
		if (i == n)
			break;
		unsigned char c = s[i];
		if (c < 0x80) {
			escape_ascii(out, c);
			i++;
			continue;
		}
		size_t skip, len = utf8_sequence(s + i, n - i, &skip);
		if (len) {
			buf_append(out, s + i, len);
			i += len;
		} else {
			buf_append(out, "\xEF\xBF\xBD", 3); /* U+FFFD */
			i += skip;
		}
	}
	buf_putc(out, '"');
}

void encode_body(struct buf *out, const struct record *r)
{
	buf_append(out, "{\"message\":", 11);
	encode_string(out, r->message, r->message_len);
	if (r->n_items) {
		buf_append(out, ",\"items\":{", 10);
		for (size_t i = 0; i < r->n_items; i++) {
			if (i)
				buf_putc(out, ',');
			encode_string(out, r->items[i].key, r->items[i].key_len);
			buf_putc(out, ':');
			encode_string(out, r->items[i].val, r->items[i].val_len);
		}
		buf_putc(out, '}');
	}
	const char *level = level_name(r->level);
	if (level) {
		buf_append(out, ",\"level\":\"", 10);
		buf_puts(out, level);
		buf_putc(out, '"');
	}
	buf_putc(out, '}');
}
