/* transcode.c - other encodings to UTF-8. */
#include "transcode.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

/* Windows-1252's 0x80-0x9F (0: undefined there, so invalid). */
static const uint16_t cp1252_high[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

/* name without case, '-' and '_' into out: "ISO-8859-1" -> "iso88591". */
static void fold(const char *name, char *out, size_t n)
{
	size_t k = 0;
	for (; *name && k + 1 < n; name++)
		if (*name != '-' && *name != '_')
			out[k++] = (char)tolower((unsigned char)*name);
	out[k] = '\0';
}

static enum transcode_kind kind_of(const char *name)
{
	char f[64];
	fold(name, f, sizeof f);
	if (!strcmp(f, "utf8"))
		return TRANSCODE_UTF8;
	if (!strcmp(f, "latin1") || !strcmp(f, "iso88591") || !strcmp(f, "l1"))
		return TRANSCODE_LATIN1;
	if (!strcmp(f, "windows1252") || !strcmp(f, "cp1252"))
		return TRANSCODE_CP1252;
	return TRANSCODE_ICONV;
}

static int wide(const char *name)
{
	char f[64];
	fold(name, f, sizeof f);
	return !strncmp(f, "utf16", 5) || !strncmp(f, "utf32", 5) || !strncmp(f, "ucs2", 4) ||
	       !strncmp(f, "ucs4", 4) || !strcmp(f, "unicode") || !strncmp(f, "utf7", 4);
}

/* Whether cd maps ASCII's letters, digits, blanks and the punctuation of
 * the formats to themselves: a line ends at its LF byte only then.
 * (Shift_JIS's 0x5C is a yen sign: a difference, but not for framing.) */
static int ascii_compatible(iconv_t cd)
{
	char in[] = "az AZ 09 {}[]:,.\"\t\r";
	char out[64];
	char *ip = in, *op = out;
	size_t il = sizeof in - 1, ol = sizeof out;
	iconv(cd, NULL, NULL, NULL, NULL);
	if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 || il)
		return 0;
	return (size_t)(op - out) == sizeof in - 1 && !memcmp(out, in, sizeof in - 1);
}

int transcode_check(const char *name, char *why, size_t n)
{
	struct transcode t;
	if (transcode_open(&t, name, why, n) != 0)
		return -1;
	transcode_close(&t);
	return 0;
}

int transcode_open(struct transcode *t, const char *name, char *why, size_t n)
{
	memset(t, 0, sizeof *t);
	t->cd = (iconv_t)-1;
	if (!name)
		return 0;
	if (wide(name)) {
		snprintf(why, n, "encoding '%s' is not supported: logmash reads encodings in which "
			 "ASCII bytes are ASCII (UTF-8, Latin-1, Windows-1252, ...); convert the "
			 "file first (iconv -f %s -t UTF-8)", name, name);
		return -1;
	}
	t->kind = kind_of(name);
	if (t->kind != TRANSCODE_ICONV)
		return 0;
	t->cd = iconv_open("UTF-8", name);
	if (t->cd == (iconv_t)-1) {
		snprintf(why, n, "unknown encoding '%s' (iconv -l lists those known; utf-8, latin1 "
			 "and windows-1252 are the usual ones)", name);
		return -1;
	}
	if (!ascii_compatible(t->cd)) {
		iconv_close(t->cd);
		t->cd = (iconv_t)-1;
		snprintf(why, n, "encoding '%s' is not supported: logmash reads encodings in which "
			 "ASCII bytes are ASCII; convert the file first (iconv -f %s -t UTF-8)",
			 name, name);
		return -1;
	}
	return 0;
}

void transcode_close(struct transcode *t)
{
	if (t->cd != (iconv_t)-1)
		iconv_close(t->cd);
	t->cd = (iconv_t)-1;
	buf_free(&t->out);
}

static void put_cp(struct buf *b, uint32_t c)
{
	char u[3];
	if (c < 0x80) {
		buf_putc(b, (char)c);
	} else if (c < 0x800) {
		u[0] = (char)(0xC0 | c >> 6);
		u[1] = (char)(0x80 | (c & 0x3F));
		buf_append(b, u, 2);
	} else {
		u[0] = (char)(0xE0 | c >> 12);
		u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		u[2] = (char)(0x80 | (c & 0x3F));
		buf_append(b, u, 3);
	}
}

#define REPLACEMENT 0xFFFD

/* How many bytes of s[0..n) are ASCII before the first that is not: eight
 * at a time, as most of a log line is ASCII. */
static size_t ascii_run(const unsigned char *s, size_t n)
{
	size_t i = 0;
	for (uint64_t w; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		if (w & 0x8080808080808080ULL)
			break;
	}
	while (i < n && s[i] < 0x80)
		i++;
	return i;
}

static void by_table(struct transcode *t, const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		size_t j = i + ascii_run(s + i, len - i);
		if (j > i) {
			buf_append(&t->out, (const char *)s + i, j - i);
			i = j;
			if (i == len)
				break;
		}
		uint32_t c = s[i];
		if (t->kind == TRANSCODE_CP1252 && c < 0xA0) {
			c = cp1252_high[c - 0x80];
			if (!c) {
				c = REPLACEMENT;
				t->invalid++;
			}
		}
		put_cp(&t->out, c);
	}
}

static void by_iconv(struct transcode *t, const char *s, size_t len)
{
	char *ip = (char *)s;
	size_t il = len;
	iconv(t->cd, NULL, NULL, NULL, NULL); /* each line from the initial shift state */
	while (il) {
		buf_reserve(&t->out, il * 4 + 16);
		char *op = t->out.data + t->out.len;
		size_t room = t->out.cap - t->out.len, ol = room;
		size_t r = iconv(t->cd, &ip, &il, &op, &ol);
		t->out.len += room - ol;
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		/* EILSEQ (an invalid byte) or EINVAL (a sequence the line cut
		 * short): one byte becomes U+FFFD, and conversion goes on. */
		put_cp(&t->out, REPLACEMENT);
		t->invalid++;
		ip++;
		il--;
		iconv(t->cd, NULL, NULL, NULL, NULL);
	}
}

const char *transcode_line(struct transcode *t, const char *line, size_t len, size_t max,
			   size_t *out_len, int *cut)
{
	*cut = 0;
	if (t->kind != TRANSCODE_ICONV && ascii_run((const unsigned char *)line, len) == len &&
	    len <= max) {
		*out_len = len; /* ASCII is itself in every table's encoding: no copy */
		return line;
	}
	buf_clear(&t->out);
	if (t->kind == TRANSCODE_ICONV)
		by_iconv(t, line, len);
	else
		by_table(t, (const unsigned char *)line, len);
	if (t->out.len > max) {
		t->out.len = utf8_cut(t->out.data, t->out.len, max);
		*cut = 1;
	}
	*out_len = t->out.len;
	return t->out.data ? t->out.data : "";
}
