/* fuzz.h - what the libFuzzer targets share: an independent UTF-8 check
 * and a failure that names the broken promise.
 *
 * Each target checks a promise the module makes to its callers, not only
 * that it does not crash. A broken promise aborts, so libFuzzer keeps the
 * input; see tests/fuzz/README.md. */
#ifndef LOGMASH_FUZZ_H
#define LOGMASH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PROMISE(cond, what)                                                        \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "broken promise: %s (%s:%d)\n", what,     \
				__FILE__, __LINE__);                               \
			abort();                                                   \
		}                                                                  \
	} while (0)

/* Whether s[0..n) is well-formed UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). Written apart from the encoder's
 * own check, so that the two can disagree. */
static inline int valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t need;
		unsigned cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			need = 1, cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			need = 2, cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			need = 3, cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i - 1 < need)
			return 0;
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		static const unsigned min[] = {0, 0x80, 0x800, 0x10000};
		if (cp < min[need] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += need + 1;
	}
	return 1;
}

#endif
