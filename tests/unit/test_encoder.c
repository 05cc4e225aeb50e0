/* Unit tests: encoder.c - request bodies are valid JSON in valid UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoder.h"
#include "utf8.h"

static void check_string(const char *in, size_t n, const char *expect)
{
	struct buf b = {0};
	encode_string(&b, in, n);
	assert_string_equal(buf_cstr(&b), expect);
	buf_free(&b);
}

static void plain_and_escapes(void **state)
{
	(void)state;
	check_string("hello", 5, "\"hello\"");
	check_string("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	check_string("t\tn\nr\rb\bf\f", 10, "\"t\\tn\\nr\\rb\\bf\\f\"");
	check_string("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\x7f\"");
	check_string("a\0b", 3, "\"a\\u0000b\"");
	/* long runs take the 8-byte path; the specials inside still count */
	check_string("0123456789abcdef\"0123456789abcdef", 33,
		     "\"0123456789abcdef\\\"0123456789abcdef\"");
}

static void valid_utf8_kept(void **state)
{
	(void)state;
	const char *s = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
	check_string(s, strlen(s),
		     "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

static void invalid_utf8_replaced(void **state)
{
	(void)state;
	const char *R = "\xef\xbf\xbd";
	char expect[64];
	/* a lone byte, a continuation byte, an overlong form, a surrogate */
	snprintf(expect, sizeof expect, "\"a%sb\"", R);
	check_string("a\xff" "b", 3, expect);
	check_string("a\x80" "b", 3, expect);
	snprintf(expect, sizeof expect, "\"%s%s\"", R, R);
	check_string("\xc0\xaf", 2, expect);
	snprintf(expect, sizeof expect, "\"%s%s%s\"", R, R, R);
	check_string("\xed\xa0\x80", 3, expect);
	/* a truncated sequence is one U+FFFD (its maximal subpart) */
	snprintf(expect, sizeof expect, "\"%sx\"", R);
	check_string("\xe2\x82x", 3, expect);
	snprintf(expect, sizeof expect, "\"x%s\"", R);
	check_string("x\xf0\x9f\x98", 4, expect);
	/* beyond U+10FFFF */
	snprintf(expect, sizeof expect, "\"%s%s%s%s\"", R, R, R, R);
	check_string("\xf4\x90\x80\x80", 4, expect);
}

/* The encoder byte by byte, as the JSON and UTF-8 rules say: what the
 * block-at-a-time scan must agree with. */
static void reference_string(struct buf *out, const unsigned char *s, size_t n)
{
	buf_putc(out, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		if (c == '"' || c == '\\') {
			buf_putc(out, '\\');
			buf_putc(out, (char)c);
			i++;
		} else if (c < 0x20) {
			switch (c) {
			case '\b': buf_append(out, "\\b", 2); break;
			case '\f': buf_append(out, "\\f", 2); break;
			case '\n': buf_append(out, "\\n", 2); break;
			case '\r': buf_append(out, "\\r", 2); break;
			case '\t': buf_append(out, "\\t", 2); break;
			default: buf_printf(out, "\\u%04x", c);
			}
			i++;
		} else if (c < 0x80) {
			buf_putc(out, (char)c);
			i++;
		} else {
			size_t skip, len = utf8_sequence(s + i, n - i, &skip);
			if (len)
				buf_append(out, s + i, len);
			else
				buf_append(out, "\xEF\xBF\xBD", 3);
			i += len ? len : skip;
		}
	}
	buf_putc(out, '"');
}

/* Every length from 0 to 70, with plain text and with one or two special
 * bytes at every position: the 16- and 8-byte blocks, the overlapping tail
 * loads and the short-string loads all see a special byte in every place. */
static void block_scan_agrees_with_reference(void **state)
{
	(void)state;
	static const unsigned char special[] = {'"', '\\', '\n', 0x00, 0x1f, 0x7f, 0x80, 0xff,
						0xc3, 0xe2, 0xf0};
	unsigned char s[80];
	struct buf got = {0}, want = {0};
	uint32_t seed = 12345;
	for (size_t n = 0; n <= 70; n++) {
		for (size_t at = 0; at <= n; at++) {
			for (size_t k = 0; k < sizeof special; k++) {
				for (size_t i = 0; i < n; i++)
					s[i] = (unsigned char)('a' + i % 26);
				if (at < n)
					s[at] = special[k];
				seed = seed * 1103515245u + 12345u;
				if (n && seed % 3 == 0) /* sometimes a second one */
					s[(seed >> 8) % n] = special[(seed >> 16) % sizeof special];
				buf_clear(&got);
				buf_clear(&want);
				/* exactly n bytes on the heap: under ASan a load past the
				 * end is an error */
				unsigned char *exact = malloc(n ? n : 1);
				assert_non_null(exact);
				memcpy(exact, s, n);
				encode_string(&got, (const char *)exact, n);
				free(exact);
				reference_string(&want, s, n);
				if (got.len != want.len || memcmp(got.data, want.data, got.len) != 0)
					fail_msg("length %zu, special 0x%02x at %zu: got %s, want %s", n,
						 special[k], at, buf_cstr(&got), buf_cstr(&want));
			}
		}
	}
	buf_free(&got);
	buf_free(&want);
}

static void body_shape(void **state)
{
	(void)state;
	struct item items[] = {{"k", 1, "v", 1}, {"user", 4, "4\"2", 3}};
	struct record r = {.message = "m", .message_len = 1, .level = LEVEL_WARNING,
			   .items = items, .n_items = 2};
	struct buf b = {0};
	encode_body(&b, &r);
	assert_string_equal(buf_cstr(&b),
			    "{\"message\":\"m\",\"items\":{\"k\":\"v\",\"user\":\"4\\\"2\"},\"level\":\"Warning\"}");
	buf_clear(&b);
	r.n_items = 0;
	r.level = LEVEL_NONE;
	encode_body(&b, &r);
	assert_string_equal(buf_cstr(&b), "{\"message\":\"m\"}");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_and_escapes),
		cmocka_unit_test(valid_utf8_kept),
		cmocka_unit_test(invalid_utf8_replaced),
		cmocka_unit_test(block_scan_agrees_with_reference),
		cmocka_unit_test(body_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
