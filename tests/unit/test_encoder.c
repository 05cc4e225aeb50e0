/* Unit tests: encoder.c - request bodies are valid JSON in valid UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "encoder.h"

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
		cmocka_unit_test(body_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
