/* Unit tests: level.c - aliases to the API's three levels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "level.h"

static enum level L(const char *s)
{
	return level_parse(s, strlen(s));
}

static void api_names(void **state)
{
	(void)state;
	assert_int_equal(L("Information"), LEVEL_INFORMATION);
	assert_int_equal(L("Warning"), LEVEL_WARNING);
	assert_int_equal(L("Error"), LEVEL_ERROR);
	assert_string_equal(level_name(LEVEL_WARNING), "Warning");
	assert_null(level_name(LEVEL_NONE));
	assert_null(level_name(LEVEL_INVALID));
}

static void aliases_any_case(void **state)
{
	(void)state;
	const char *info[] = {"info", "INFO", "Info", "debug", "DEBUG", "trace", "notice",
			      "informational", "I", "d", "v", "verbose", "fine"};
	const char *warn[] = {"warn", "WARN", "warning", "WARNING", "W", "wrn"};
	const char *err[] = {"err", "ERROR", "fatal", "FATAL", "critical", "CRIT", "E", "F",
			     "severe", "emerg", "alert", "panic"};
	for (size_t i = 0; i < sizeof info / sizeof *info; i++)
		assert_int_equal(L(info[i]), LEVEL_INFORMATION);
	for (size_t i = 0; i < sizeof warn / sizeof *warn; i++)
		assert_int_equal(L(warn[i]), LEVEL_WARNING);
	for (size_t i = 0; i < sizeof err / sizeof *err; i++)
		assert_int_equal(L(err[i]), LEVEL_ERROR);
}

static void blanks_trimmed(void **state)
{
	(void)state;
	assert_int_equal(L(" WARN "), LEVEL_WARNING);
	assert_int_equal(L("\tinfo\n"), LEVEL_INFORMATION);
}

static void others_invalid(void **state)
{
	(void)state;
	assert_int_equal(L(""), LEVEL_INVALID);
	assert_int_equal(L("   "), LEVEL_INVALID);
	assert_int_equal(L("information!"), LEVEL_INVALID);
	assert_int_equal(L("warnings"), LEVEL_INVALID);
	assert_int_equal(L("a-very-long-level-name"), LEVEL_INVALID);
	assert_int_equal(level_parse("info\0x", 6), LEVEL_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(api_names),
		cmocka_unit_test(aliases_any_case),
		cmocka_unit_test(blanks_trimmed),
		cmocka_unit_test(others_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
