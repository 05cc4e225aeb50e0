/* Unit tests: transcode.c, container.c, multiline.c and decoder.c - what
 * an input's rules make of its lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "container.h"
#include "decoder.h"
#include "multiline.h"
#include "transcode.h"

static void latin1_and_windows_1252(void **state)
{
	(void)state;
	struct transcode t;
	char why[256];
	assert_int_equal(transcode_open(&t, "ISO-8859-1", why, sizeof why), 0);
	size_t n;
	int cut;
	const char *s = transcode_line(&t, "caf\xe9 \xff", 6, 100, &n, &cut);
	assert_int_equal(n, strlen("café ÿ"));
	assert_memory_equal(s, "café ÿ", n);
	assert_int_equal(t.invalid, 0);
	transcode_close(&t);
	assert_int_equal(transcode_open(&t, "cp1252", why, sizeof why), 0);
	s = transcode_line(&t, "\x80\x81\x9f", 3, 100, &n, &cut);
	assert_memory_equal(s, "€\xef\xbf\xbdŸ", n); /* 0x81 is not a character there */
	assert_int_equal(t.invalid, 1);
	/* Cut at a character boundary past max. */
	s = transcode_line(&t, "\x80\x80\x80", 3, 7, &n, &cut);
	assert_int_equal(n, 6);
	assert_true(cut);
	transcode_close(&t);
}

static void iconv_encodings_and_refusals(void **state)
{
	(void)state;
	struct transcode t;
	char why[256];
	assert_int_equal(transcode_open(&t, "KOI8-R", why, sizeof why), 0);
	size_t n;
	int cut;
	const char *s = transcode_line(&t, "\xd0\xd2\xc9", 3, 100, &n, &cut); /* "при" */
	assert_memory_equal(s, "при", n);
	transcode_close(&t);
	assert_int_equal(transcode_open(&t, "SHIFT_JIS", why, sizeof why), 0);
	s = transcode_line(&t, "a\x82", 2, 100, &n, &cut); /* a lead byte without its trail */
	assert_memory_equal(s, "a\xef\xbf\xbd", n);
	assert_int_equal(t.invalid, 1);
	transcode_close(&t);
	assert_int_equal(transcode_check("UTF-16LE", why, sizeof why), -1);
	assert_non_null(strstr(why, "not supported"));
	assert_int_equal(transcode_check("UCS-4", why, sizeof why), -1);
	assert_int_equal(transcode_check("no-such-thing", why, sizeof why), -1);
	assert_non_null(strstr(why, "unknown encoding 'no-such-thing'"));
	assert_int_equal(transcode_check("utf-8", why, sizeof why), 0);
}

static void cri_lines(void **state)
{
	(void)state;
	struct container_line c;
	const char *l = "2026-11-26T10:00:00.123456789Z stderr P part";
	assert_int_equal(container_parse_cri(l, strlen(l), &c), 0);
	assert_int_equal(c.stream, CONTAINER_STDERR);
	assert_true(c.partial);
	assert_int_equal(c.len, 4);
	assert_memory_equal(c.content, "part", 4);
	l = "2026-11-26T10:00:00+01:00 stdout F";
	assert_int_equal(container_parse_cri(l, strlen(l), &c), 0);
	assert_int_equal(c.len, 0);
	assert_false(c.partial);
	const char *bad[] = {"hello", "2026-11-26T10:00:00Z stdin F x", "2026-11-26T10:00:00Z stdout X x",
			     "2026-11-26T10:00:00Z stdout Fx", "2026 stdout F x"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(container_parse_cri(bad[i], strlen(bad[i]), &c), -1);
}

static void docker_lines(void **state)
{
	(void)state;
	struct container_line c;
	struct json_doc d = {0};
	struct buf scratch = {0};
	const char *l = "{\"log\":\"tab\\there\\n\",\"stream\":\"stderr\",\"time\":\"2026\"}";
	assert_int_equal(container_parse_docker(l, strlen(l), &c, &d, &scratch), 0);
	assert_int_equal(c.stream, CONTAINER_STDERR);
	assert_false(c.partial);
	assert_int_equal(c.len, 8);
	assert_memory_equal(c.content, "tab\there", 8);
	l = "{\"log\":\"no newline\"}";
	assert_int_equal(container_parse_docker(l, strlen(l), &c, &d, &scratch), 0);
	assert_true(c.partial);
	assert_int_equal(c.stream, CONTAINER_STDOUT);
	l = "{\"stream\":\"stdout\"}";
	assert_int_equal(container_parse_docker(l, strlen(l), &c, &d, &scratch), -1);
	l = "[1]";
	assert_int_equal(container_parse_docker(l, strlen(l), &c, &d, &scratch), -1);
	json_doc_free(&d);
	buf_free(&scratch);
}

static void kubelet_paths(void **state)
{
	(void)state;
	struct container_meta m;
	assert_true(container_meta_of("/var/log/pods/shop_web-7d9f-x2_0f1e-22/app/0.log", &m));
	assert_string_equal(m.namespace_, "shop");
	assert_string_equal(m.pod, "web-7d9f-x2");
	assert_string_equal(m.container, "app");
	assert_true(container_meta_of("/var/log/containers/web-7d9f_kube-system_dns-sidecar-"
				      "0123456789abcdef.log", &m));
	assert_string_equal(m.pod, "web-7d9f");
	assert_string_equal(m.namespace_, "kube-system");
	assert_string_equal(m.container, "dns-sidecar");
	assert_false(container_meta_of("/var/log/app/0.log", &m));
	assert_false(container_meta_of("/var/log/pods/nounderscore/app/0.log", &m));
	assert_false(container_meta_of("0.log", &m));
	assert_false(container_meta_of("/var/log/containers/x.log", &m));
}

/* Runs lines through rule r, joining the records with '|'. */
static void joined(enum multiline_kind kind, const char *const *lines, char *out, size_t n)
{
	struct multiline_rule r = {.max_lines = 100};
	struct buf err = {0};
	assert_int_equal(multiline_compile(&r, kind, NULL, "test", &err), 0);
	struct joiner j;
	joiner_init(&j, &r, 1 << 20);
	struct frame f, o;
	double t;
	out[0] = '\0';
	for (size_t i = 0; lines[i]; i++) {
		f = (struct frame){.line = lines[i], .len = strlen(lines[i]), .number = i + 1};
		if (joiner_push(&j, &f, 0, 0, &o, &t))
			snprintf(out + strlen(out), n - strlen(out), "%.*s|", (int)o.len, o.line);
	}
	if (joiner_flush(&j, &o, &t))
		snprintf(out + strlen(out), n - strlen(out), "%.*s|", (int)o.len, o.line);
	joiner_free(&j);
	multiline_free(&r);
}

static void presets(void **state)
{
	(void)state;
	char out[2048];
	const char *java[] = {"boom", "java.lang.IllegalStateException: x", "\tat a.B.c(B.java:1)",
			      "Caused by: a.Err", "    ... 3 more", "next", "Exception in thread \"main\" "
			      "java.lang.Error", "\tat M.main(M.java:1)", "com.Foo: not an exception", NULL};
	joined(MULTILINE_JAVA, java, out, sizeof out);
	assert_string_equal(out, "boom\njava.lang.IllegalStateException: x\n\tat a.B.c(B.java:1)\n"
				 "Caused by: a.Err\n    ... 3 more|next|Exception in thread \"main\" "
				 "java.lang.Error\n\tat M.main(M.java:1)|com.Foo: not an exception|");
	const char *py[] = {"ERROR:root:failed", "Traceback (most recent call last):",
			    "  File \"x.py\", line 1, in <module>", "    f()", "KeyError: 1",
			    "During handling of the above exception, another exception occurred:",
			    "Traceback (most recent call last):", "  File \"x.py\", line 3",
			    "ValueError: 2", "INFO:root:next", NULL};
	joined(MULTILINE_PYTHON, py, out, sizeof out);
	assert_string_equal(out, "ERROR:root:failed\nTraceback (most recent call last):\n"
				 "  File \"x.py\", line 1, in <module>\n    f()\nKeyError: 1\n"
				 "During handling of the above exception, another exception occurred:\n"
				 "Traceback (most recent call last):\n  File \"x.py\", line 3\n"
				 "ValueError: 2|INFO:root:next|");
	const char *go[] = {"serving", "panic: boom", "goroutine 1 [running]:", "main.main()",
			    "\t/x/main.go:5 +0x1d", "exit status 2", "main.main()", NULL};
	joined(MULTILINE_GO, go, out, sizeof out);
	assert_string_equal(out, "serving|panic: boom\ngoroutine 1 [running]:\nmain.main()\n"
				 "\t/x/main.go:5 +0x1d\nexit status 2|main.main()|");
}

/* A CRI decoder: parts join per stream; a record's end never passes
 * the first byte of parts still held. */
static void decoder_holds_the_checkpoint_before_parts(void **state)
{
	(void)state;
	struct decoder_rule r = {.format = FORMAT_CRI, .max_bytes = 1000};
	struct decoder d;
	char why[128];
	assert_int_equal(decoder_init(&d, &r, 0, why, sizeof why), 0);
	const char *lines[] = {"2026-11-26T10:00:00Z stdout P a",      /* 0..32 */
			       "2026-11-26T10:00:00Z stderr F err",    /* ..66 */
			       "2026-11-26T10:00:00Z stdout F b"};      /* ..98 */
	uint64_t end = 0;
	struct frame out;
	double t;
	int got[3];
	uint64_t ends[3];
	for (int i = 0; i < 3; i++) {
		end += strlen(lines[i]) + 1;
		struct frame f = {.line = lines[i], .len = strlen(lines[i]), .number = (uint64_t)i + 1,
				  .end_offset = end, .stream = -1};
		got[i] = decoder_push(&d, &f, 0, 0, &out, &t);
		ends[i] = got[i] ? out.end_offset : 0;
		if (i == 1) {
			assert_memory_equal(out.line, "err", 3);
			assert_int_equal(out.stream, CONTAINER_STDERR);
		}
		if (i == 2) {
			assert_int_equal(out.len, 2);
			assert_memory_equal(out.line, "ab", 2);
			assert_int_equal(out.number, 1);
		}
	}
	assert_false(got[0]);
	assert_true(got[1] && got[2]);
	assert_int_equal(ends[1], 0); /* the stdout parts began at 0 */
	assert_int_equal(ends[2], end);
	assert_false(decoder_pending(&d));
	/* A part whose end never came is flushed as what came of it. */
	struct frame f = {.line = lines[0], .len = strlen(lines[0]), .number = 4,
			  .end_offset = end + 33, .stream = -1};
	assert_false(decoder_push(&d, &f, 0, 0, &out, &t));
	assert_true(decoder_pending(&d));
	assert_true(decoder_flush(&d, 0, &out, &t));
	assert_memory_equal(out.line, "a", 1);
	assert_false(decoder_flush(&d, 0, &out, &t));
	decoder_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(latin1_and_windows_1252),
		cmocka_unit_test(iconv_encodings_and_refusals),
		cmocka_unit_test(cri_lines),
		cmocka_unit_test(docker_lines),
		cmocka_unit_test(kubelet_paths),
		cmocka_unit_test(presets),
		cmocka_unit_test(decoder_holds_the_checkpoint_before_parts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
