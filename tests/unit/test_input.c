/* Unit tests: input.c - the reader, through each kind of rotation, driven
 * directly (no network): every record read is settled at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "errlog.h"
#include "input.h"
#include "scratch.h"

static char got[64][64];
static size_t n_got;

static const char *path(const char *name)
{
	static char p[4][512];
	static int k;
	char *r = p[k++ % 4];
	snprintf(r, 512, "%s/%s", dir, name);
	return r;
}

static void append(const char *name, const char *text)
{
	FILE *f = fopen(path(name), "a");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static struct input *open_input(struct stats *st, const char *spec, const char *state, int follow)
{
	static struct input_spec sp; /* the input keeps the pointer: it must outlive it */
	input_spec_free(&sp);
	input_spec_add_path(&sp, spec);
	struct input_opts o = {
		.specs = &sp, .n = 1, .max_line = 4096, .follow = follow, .from_start = 1,
		.rotate_wait = 0.2, .close_inactive = 300, .flush_partial = 5,
		.multiline_timeout = 1, .multiline_max_lines = 100,
		.state_dir = state, .save_state = 1,
	};
	memset(st, 0, sizeof *st);
	n_got = 0;
	struct buf err = {0};
	struct input *in = input_open(&o, st, &err);
	if (!in)
		print_message("input_open: %s\n", buf_cstr(&err));
	assert_non_null(in);
	buf_free(&err);
	return in;
}

/* Reads until want records came (or 3 s passed), settling each. */
static void collect(struct input *in, size_t want)
{
	for (int i = 0; i < 300 && n_got < want; i++) {
		input_tick(in);
		struct frame fr;
		double t;
		struct source *s;
		while (input_next(in, &fr, &t, &s) == INPUT_LINE) {
			snprintf(got[n_got % 64], sizeof got[0], "%.*s", (int)fr.len, fr.line);
			n_got++;
			input_settled(s, input_register(s, fr.end_offset, t), SETTLED_SENT);
		}
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
	}
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Records from one file come in order; from an old and a new file, either
 * way round: compare as sets. */
static void expect(const char *const *want, size_t n)
{
	const char *w[64], *g[64];
	if (n_got != n)
		for (size_t i = 0; i < n_got; i++)
			print_message("got[%zu] = %s\n", i, got[i]);
	assert_int_equal(n_got, n);
	for (size_t i = 0; i < n; i++)
		w[i] = want[i], g[i] = got[i];
	qsort(w, n, sizeof *w, cmp);
	qsort(g, n, sizeof *g, cmp);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(g[i], w[i]);
}

static void rename_and_create(void **state)
{
	(void)state;
	struct input *in;
	struct stats st;
	append("a.log", "one\ntwo\n");
	in = open_input(&st, path("a.log"), NULL, 1);
	collect(in, 2);
	assert_int_equal(rename(path("a.log"), path("a.log.1")), 0);
	append("a.log", "three\n");
	append("a.log.1", "late\n"); /* the writer has not reopened yet */
	collect(in, 4);
	const char *want[] = {"one", "two", "three", "late"};
	expect(want, 4);
	input_close(in);
}

static void copytruncate(void **state)
{
	(void)state;
	struct input *in;
	struct stats st;
	append("b.log", "one\ntwo\n");
	in = open_input(&st, path("b.log"), NULL, 1);
	collect(in, 2);
	assert_int_equal(truncate(path("b.log"), 0), 0);
	append("b.log", "three\n");
	collect(in, 3);
	const char *want[] = {"one", "two", "three"};
	expect(want, 3);
	input_close(in);
}

static void delete_and_recreate(void **state)
{
	(void)state;
	struct input *in;
	struct stats st;
	append("c.log", "one\n");
	in = open_input(&st, path("c.log"), NULL, 1);
	collect(in, 1);
	append("c.log", "two\n");
	assert_int_equal(unlink(path("c.log")), 0);
	append("c.log", "three\n");
	collect(in, 3);
	const char *want[] = {"one", "two", "three"};
	expect(want, 3);
	input_close(in);
}

static void symlink_swap(void **state)
{
	(void)state;
	struct input *in;
	struct stats st;
	append("d1.log", "one\n");
	assert_int_equal(symlink(path("d1.log"), path("d.log")), 0);
	in = open_input(&st, path("d.log"), NULL, 1);
	collect(in, 1);
	append("d2.log", "two\n");
	assert_int_equal(symlink(path("d2.log"), path("d.tmp")), 0);
	assert_int_equal(rename(path("d.tmp"), path("d.log")), 0);
	collect(in, 2);
	const char *want[] = {"one", "two"};
	expect(want, 2);
	input_close(in);
}

static void checkpoint_resume_and_new_head(void **state)
{
	(void)state;
	struct input *in;
	struct stats st;
	char sd[600];
	snprintf(sd, sizeof sd, "%s/state", dir);
	append("e.log", "one\ntwo\n");
	in = open_input(&st, path("e.log"), sd, 0);
	collect(in, 2);
	input_close(in);
	append("e.log", "three\n");
	in = open_input(&st, path("e.log"), sd, 0);
	collect(in, 1);
	const char *want[] = {"three"};
	expect(want, 1);
	input_close(in);
	/* the same inode with another head is another file: from its start */
	int fd = open(path("e.log"), O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "ONE\n", 4, 0), 4);
	close(fd);
	in = open_input(&st, path("e.log"), sd, 0);
	collect(in, 4);
	const char *want2[] = {"ONE", "two", "three"};
	expect(want2, 3);
	input_close(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rename_and_create),
		cmocka_unit_test(copytruncate),
		cmocka_unit_test(delete_and_recreate),
		cmocka_unit_test(symlink_swap),
		cmocka_unit_test(checkpoint_resume_and_new_head),
	};
	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
