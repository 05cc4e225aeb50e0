/* Unit tests: framer.c - lines from a byte stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "framer.h"

/* Feeds the chunks, finishes, and joins the lines with '|'. */
static void frame_all(size_t max, const char **chunks, char *out, size_t outsz, int *cut)
{
	struct framer f;
	struct frame fr;
	framer_init(&f, max);
	out[0] = '\0';
	*cut = 0;
	for (; *chunks; chunks++) {
		framer_feed(&f, *chunks, strlen(*chunks));
		while (framer_next(&f, &fr)) {
			strncat(out, fr.line, fr.len);
			strncat(out, "|", outsz - strlen(out) - 1);
			*cut += fr.truncated;
		}
	}
	framer_finish(&f);
	while (framer_next(&f, &fr)) {
		strncat(out, fr.line, fr.len);
		strncat(out, "|", outsz - strlen(out) - 1);
		*cut += fr.truncated;
	}
	framer_free(&f);
}

#define CHECK_FRAMES(max, expect, expect_cut, ...)                       \
	do {                                                             \
		const char *chunks_[] = {__VA_ARGS__, NULL};             \
		char out_[4096];                                         \
		int cut_;                                                \
		frame_all(max, chunks_, out_, sizeof out_, &cut_);       \
		assert_string_equal(out_, expect);                       \
		assert_int_equal(cut_, expect_cut);                      \
	} while (0)

static void lf_and_crlf(void **state)
{
	(void)state;
	CHECK_FRAMES(100, "a|b|c|", 0, "a\nb\r\nc\n");
}

static void empty_lines_skipped(void **state)
{
	(void)state;
	CHECK_FRAMES(100, "a|b|", 0, "\n\na\n\r\n\nb\n");
}

static void last_line_without_newline(void **state)
{
	(void)state;
	CHECK_FRAMES(100, "a|tail|", 0, "a\ntail");
	CHECK_FRAMES(100, "a|tail|", 0, "a\ntail\r");
}

static void line_split_across_chunks(void **state)
{
	(void)state;
	CHECK_FRAMES(100, "hello world|x|", 0, "hel", "lo wo", "rld\nx", "\n");
	CHECK_FRAMES(100, "ab|", 0, "ab\r", "\n");
}

static void long_line_cut(void **state)
{
	(void)state;
	CHECK_FRAMES(4, "abcd|ok|", 1, "abcdefgh\nok\n");
	/* across chunks, the rest of the long line is dropped up to its LF */
	CHECK_FRAMES(4, "abcd|ok|", 1, "ab", "cdef", "gh", "ij\nok\n");
	/* a cut never splits a UTF-8 character: "\xc3\xa9" is one */
	CHECK_FRAMES(4, "abc|", 1, "abc\xc3\xa9xyz\n");
	/* at end of input too */
	CHECK_FRAMES(3, "abc|", 1, "abcdef");
}

static void line_numbers_and_offsets(void **state)
{
	(void)state;
	struct framer f;
	struct frame fr;
	const char *s = "a\n\nbb\r\nc";
	framer_init(&f, 100);
	framer_feed(&f, s, strlen(s));
	assert_true(framer_next(&f, &fr));
	assert_int_equal(fr.number, 1);
	assert_int_equal(fr.end_offset, 2);
	assert_true(framer_next(&f, &fr));
	assert_int_equal(fr.number, 3);
	assert_int_equal(fr.end_offset, 7);
	assert_false(framer_next(&f, &fr));
	framer_finish(&f);
	assert_true(framer_next(&f, &fr));
	assert_int_equal(fr.number, 4);
	assert_int_equal(fr.end_offset, 8);
	assert_false(framer_next(&f, &fr));
	framer_free(&f);
}

static void nul_bytes_kept(void **state)
{
	(void)state;
	struct framer f;
	struct frame fr;
	framer_init(&f, 100);
	framer_feed(&f, "a\0b\n", 4);
	assert_true(framer_next(&f, &fr));
	assert_int_equal(fr.len, 3);
	assert_memory_equal(fr.line, "a\0b", 3);
	framer_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lf_and_crlf),
		cmocka_unit_test(empty_lines_skipped),
		cmocka_unit_test(last_line_without_newline),
		cmocka_unit_test(line_split_across_chunks),
		cmocka_unit_test(long_line_cut),
		cmocka_unit_test(line_numbers_and_offsets),
		cmocka_unit_test(nul_bytes_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
