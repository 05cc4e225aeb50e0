/* Unit tests: answer.c, json.c, retry.c - reading the API's answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "answer.h"
#include "options.h"
#include "retry.h"

static struct json_doc doc;

static void parse(long status, const char *body, struct answer *a)
{
	answer_parse(status, body, strlen(body), a, &doc);
}

static void success_needs_id(void **state)
{
	(void)state;
	struct answer a;
	parse(200, "{\"result\": \"5f0c\"}", &a);
	assert_true(a.ok);
	assert_string_equal(a.id, "5f0c");
	parse(200, "{\"result\": \"\"}", &a);
	assert_false(a.ok);
	parse(200, "{\"result\": 12}", &a);
	assert_false(a.ok);
	parse(200, "not json", &a);
	assert_false(a.ok);
	assert_non_null(strstr(a.detail, "without a log id"));
	parse(200, "{\"result\": \"a\"} {\"x\":1}", &a);
	assert_false(a.ok);
}

static void servicestack_error(void **state)
{
	(void)state;
	struct answer a;
	parse(400, "{\"responseStatus\":{\"errorCode\":\"ValidationError\",\"message\":"
		   "\"bad level\",\"errors\":[{\"fieldName\":\"level\",\"message\":\"not a level\"}]}}",
	      &a);
	assert_false(a.ok);
	assert_string_equal(a.detail, "ValidationError: bad level - not a level");
	parse(500, "{\"ResponseStatus\":{\"errorCode\":\"Oops\",\"message\":\"caf\\u00e9\"}}", &a);
	assert_string_equal(a.detail, "Oops: caf\xc3\xa9");
}

static void raw_answers_shown_printable(void **state)
{
	(void)state;
	struct answer a;
	parse(502, "<html>\x01\xff gateway</html>", &a);
	assert_non_null(strstr(a.detail, "not a ServiceStack error: <html>?? gateway</html>"));
	answer_parse(503, "", 0, &a, &doc);
	assert_string_equal(a.detail, "no error details in the answer");
}

static void unescape(void **state)
{
	(void)state;
	struct buf b = {0};
	const char *s = "a\\n\\\"\\u00e9\\ud83d\\ude00\\ud800x";
	assert_int_equal(json_unescape(&b, s, strlen(s)), 0);
	assert_string_equal(buf_cstr(&b), "a\n\"\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdx");
	buf_clear(&b);
	assert_int_equal(json_unescape(&b, "\\q", 2), -1);
	assert_int_equal(json_unescape(&b, "\\u12", 4), -1);
	buf_free(&b);
}

static void retry_policy(void **state)
{
	(void)state;
	assert_int_equal(retry_classify(200), OUTCOME_OK);
	assert_int_equal(retry_classify(0), OUTCOME_TRANSIENT);
	assert_int_equal(retry_classify(408), OUTCOME_TRANSIENT);
	assert_int_equal(retry_classify(429), OUTCOME_TRANSIENT);
	assert_int_equal(retry_classify(503), OUTCOME_TRANSIENT);
	assert_int_equal(retry_classify(401), OUTCOME_AUTH);
	assert_int_equal(retry_classify(403), OUTCOME_AUTH);
	assert_int_equal(retry_classify(400), OUTCOME_REJECTED);
	assert_int_equal(retry_classify(413), OUTCOME_REJECTED);
	assert_int_equal(retry_classify(404), OUTCOME_ENDPOINT);
	assert_int_equal(retry_classify(405), OUTCOME_ENDPOINT);
	assert_int_equal(retry_classify(301), OUTCOME_ENDPOINT);
	assert_int_equal(retry_classify(308), OUTCOME_ENDPOINT);
	/* full jitter: within [0, min(cap, base * 2^(attempt-1))] */
	for (uint32_t r = 1; r < 5000; r += 37) {
		assert_in_range(retry_delay_ms(1, 100, 5000, r, 0), 0, 100);
		assert_in_range(retry_delay_ms(3, 100, 5000, r, 0), 0, 400);
		assert_in_range(retry_delay_ms(30, 100, 5000, r, 0), 0, 5000);
	}
	/* Retry-After is a floor */
	assert_true(retry_delay_ms(1, 100, 5000, 7, 2000) == 2000);
	uint32_t st = 1, a = retry_random(&st), b = retry_random(&st);
	assert_true(a != b);
}

static void sizes(void **state)
{
	(void)state;
	size_t v;
	assert_int_equal(parse_size("1048576", &v), 0);
	assert_int_equal(v, 1048576);
	assert_int_equal(parse_size("64K", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(parse_size("1MiB", &v), 0);
	assert_int_equal(v, 1 << 20);
	assert_int_equal(parse_size("2g", &v), 0);
	assert_int_equal(v, (size_t)2 << 30);
	assert_int_equal(parse_size("-1", &v), -1);
	assert_int_equal(parse_size("1X", &v), -1);
	assert_int_equal(parse_size("", &v), -1);
	assert_int_equal(parse_size("1Mx", &v), -1);
}

/* Nesting past JSON_MAX_DEPTH is refused as such; brackets in strings
 * are not nesting. */
static void depth_limit(void **state)
{
	(void)state;
	char js[2 * (JSON_MAX_DEPTH + 1) + 16];
	for (int depth = JSON_MAX_DEPTH; depth <= JSON_MAX_DEPTH + 1; depth++) {
		memset(js, '[', (size_t)depth);
		memset(js + depth, ']', (size_t)depth);
		assert_int_equal(json_parse(&doc, js, 2 * (size_t)depth, 1 << 20),
				 depth == JSON_MAX_DEPTH ? 0 : JSON_TOO_DEEP);
	}
	static const char str[] = "\"[[\\\"{\""; /* "[[\"{" */
	size_t n = sizeof str - 1;
	memset(js, '[', JSON_MAX_DEPTH);
	memcpy(js + JSON_MAX_DEPTH, str, n);
	memset(js + JSON_MAX_DEPTH + n, ']', JSON_MAX_DEPTH);
	assert_int_equal(json_parse(&doc, js, 2 * JSON_MAX_DEPTH + n, 1 << 20), 0);
	assert_int_equal(json_parse(&doc, "[[1]", 4, 16), JSON_INVALID);
}

static int teardown(void **state)
{
	(void)state;
	json_doc_free(&doc);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(success_needs_id),
		cmocka_unit_test(servicestack_error),
		cmocka_unit_test(raw_answers_shown_printable),
		cmocka_unit_test(unescape),
		cmocka_unit_test(retry_policy),
		cmocka_unit_test(sizes),
		cmocka_unit_test(depth_limit),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
