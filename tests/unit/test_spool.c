/* Unit tests: spool.c - stdin's segments end on line boundaries, hold
 * exactly what came, stay within the bound, and free room when dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errlog.h"
#include "spool.h"
#include "scratch.h"


static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)len + 1);
	assert_int_equal(fread(b, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return b;
}

static void segments_end_on_lines_and_hold_everything(void **state)
{
	(void)state;
	struct spool sp;
	struct buf err = {0};
	assert_int_equal(spool_open(&sp, dir, 1 << 20, 4096, &err), 0);
	/* 2 MB of 97-byte lines, fed in 1000-byte chunks that cut lines anywhere */
	struct buf all = {0};
	for (int i = 0; i < 20000; i++)
		buf_printf(&all, "seq %06d %086d\n", i, 0);
	for (size_t off = 0; off < all.len; off += 1000) {
		size_t n = all.len - off < 1000 ? all.len - off : 1000;
		assert_int_equal(spool_write(&sp, all.data + off, n), 0);
	}
	assert_int_equal(spool_end(&sp), 0);
	assert_true(sp.wseq >= 7); /* 256 KiB segments: a quarter of the bound */
	struct buf back = {0}, p = {0};
	for (uint64_t seq = 0; seq <= sp.wseq; seq++) {
		spool_path(&sp, seq, &p);
		size_t n;
		char *b = slurp(p.data, &n);
		assert_true(n > 0);
		assert_int_equal(b[n - 1], '\n'); /* no line is cut between segments */
		buf_append(&back, b, n);
		free(b);
	}
	assert_int_equal(back.len, all.len);
	assert_memory_equal(back.data, all.data, all.len);
	assert_true(spool_full(&sp));
	/* dropping sealed segments frees room */
	for (uint64_t seq = 0; seq < sp.wseq; seq++) {
		spool_path(&sp, seq, &p);
		struct stat st;
		assert_int_equal(stat(p.data, &st), 0);
		spool_drop(&sp, p.data, (uint64_t)st.st_size);
	}
	assert_false(spool_full(&sp));
	buf_free(&all);
	buf_free(&back);
	buf_free(&p);
	spool_close(&sp);
}

static void last_line_without_newline_is_kept(void **state)
{
	(void)state;
	char sub[600];
	snprintf(sub, sizeof sub, "%s/b", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	struct spool sp;
	struct buf err = {0};
	assert_int_equal(spool_open(&sp, sub, 1 << 20, 4096, &err), 0);
	assert_int_equal(spool_write(&sp, "one\ntw", 6), 0);
	assert_int_equal(spool_end(&sp), 0);
	struct buf p = {0};
	spool_path(&sp, 0, &p);
	size_t n;
	char *b = slurp(p.data, &n);
	assert_int_equal(n, 7);
	assert_memory_equal(b, "one\ntw\n", 7);
	free(b);
	spool_close(&sp);
	/* a second open finds the segment an earlier run left */
	assert_int_equal(spool_open(&sp, sub, 1 << 20, 4096, &err), 0);
	assert_int_equal(sp.n_old, 1);
	assert_int_equal(sp.wseq, 1);
	spool_close(&sp);
	buf_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(segments_end_on_lines_and_hold_everything),
		cmocka_unit_test(last_line_without_newline_is_kept),
	};
	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
