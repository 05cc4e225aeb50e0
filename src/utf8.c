/* utf8.c - UTF-8 helpers: validating a sequence, cutting at a character
 * boundary, a printable excerpt (utf8.h). */
#include "utf8.h"

#include <string.h>

size_t utf8_sequence(const unsigned char *s, size_t n, size_t *skip)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the 2nd byte */
	size_t need;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		if (c == 0xE0)
			lo = 0xA0; /* overlong */
		else if (c == 0xED)
			hi = 0x9F; /* UTF-16 surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		if (c == 0xF0)
			lo = 0x90; /* overlong */
		else if (c == 0xF4)
			hi = 0x8F; /* above U+10FFFF */
	} else {
		*skip = 1;
		return 0;
	}
	size_t i = 1;
	for (; i < need && i < n; i++) {
		unsigned char x = s[i];
		if (i == 1 ? (x < lo || x > hi) : (x < 0x80 || x > 0xBF))
			break;
	}
	if (i == need)
		return need;
	*skip = i;
	return 0;
}

size_t utf8_cut_before(const char *s, size_t max, unsigned char next)
{
	size_t cut = max;
	/* Back off while the first byte dropped continues a sequence, at most
	 * 3 bytes (the longest sequence is 4). */
	for (int i = 0; i < 3 && cut > 0 && (next & 0xC0) == 0x80; i++)
		next = (unsigned char)s[--cut];
	return (next & 0xC0) == 0x80 ? max : cut; /* not UTF-8 anyway: cut where asked */
}

size_t utf8_cut(const char *s, size_t n, size_t max)
{
	return n <= max ? n : utf8_cut_before(s, max, (unsigned char)s[max]);
}

void printable_excerpt(char *out, size_t outsz, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t o = 0, i = 0;
	if (outsz < 4) {
		if (outsz)
			out[0] = '\0';
		return;
	}
	while (i < n) {
		size_t skip = 1, len = 1;
		if (s[i] >= 0x80)
			len = utf8_sequence(s + i, n - i, &skip);
		if (o + (len ? len : 1) + 4 > outsz) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (len && (s[i] >= 0x80 || (s[i] >= 0x20 && s[i] != 0x7F))) {
			memcpy(out + o, s + i, len);
			o += len;
			i += len;
		} else {
			out[o++] = s[i] == '\n' || s[i] == '\t' || s[i] == '\r' ? ' ' : '?';
			i += len ? len : skip;
		}
	}
	out[o] = '\0';
}
