/* Unit tests: acks.c, checkpoint.c, fileid.c, joiner.c and framer_flush -
 * the state that makes following files lossless. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acks.h"
#include "checkpoint.h"
#include "fileid.h"
#include "joiner.h"

static void acks_move_over_settled_prefix_only(void **state)
{
	(void)state;
	struct acks a;
	acks_init(&a, 100);
	uint64_t t1 = acks_add(&a, 110, 0), t2 = acks_add(&a, 120, 0), t3 = acks_add(&a, 130, 0);
	acks_settle(&a, t2);
	assert_int_equal(a.committed, 100); /* t1 still in flight */
	acks_settle(&a, t3);
	assert_int_equal(a.committed, 100);
	acks_settle(&a, t1);
	assert_int_equal(a.committed, 130);
	assert_int_equal(acks_pending(&a), 0);
	acks_settle(&a, t1); /* again: ignored */
	acks_settle(&a, 999);
	assert_int_equal(a.committed, 130);
	/* many outstanding, settled in reverse: the ring grows and wraps */
	uint64_t t[1000];
	for (int i = 0; i < 1000; i++)
		t[i] = acks_add(&a, 200 + (uint64_t)i, 0);
	for (int i = 999; i > 0; i--)
		acks_settle(&a, t[i]);
	assert_int_equal(a.committed, 130);
	acks_settle(&a, t[0]);
	assert_int_equal(a.committed, 1199);
	acks_restart(&a, 0); /* a truncated file starts over */
	assert_int_equal(a.committed, 0);
	acks_free(&a);
}

static void checkpoint_round_trip(void **state)
{
	(void)state;
	struct cp_table t = {0}, back = {0};
	struct fileid id = {.dev = 2049, .ino = 123456, .fp_len = 1024, .fp_hash = 0xdeadbeefcafe0001ULL};
	cp_table_add(&t, &id, 987654321, "/var/log/app.log");
	id.ino = 7;
	id.fp_len = 0;
	cp_table_add(&t, &id, 0, "/tmp/odd name\n%with\x01 bytes");
	/* a journal input's cursor, once a name: set again, it replaces */
	cp_table_set_journal(&t, "units", "s=0;i=1");
	cp_table_set_journal(&t, "my units", "s=ab12;i=2a;b=cd;m=1;t=60a2;x=ff");
	cp_table_set_journal(&t, "units", "s=0;i=9");
	struct buf text = {0};
	checkpoint_format(&t, &text);
	const char *why;
	assert_int_equal(checkpoint_parse(text.data, text.len, &back, &why), 0);
	assert_int_equal(back.n, 2);
	assert_int_equal(back.e[0].offset, 987654321);
	assert_int_equal(back.e[0].id.fp_hash, 0xdeadbeefcafe0001ULL);
	assert_string_equal(back.e[1].path, "/tmp/odd name\n%with\x01 bytes");
	assert_non_null(cp_table_find(&back, 2049, 123456));
	assert_null(cp_table_find(&back, 2049, 1));
	assert_int_equal(back.nj, 2);
	assert_string_equal(cp_table_journal(&back, "units"), "s=0;i=9");
	assert_string_equal(cp_table_journal(&back, "my units"), "s=ab12;i=2a;b=cd;m=1;t=60a2;x=ff");
	assert_null(cp_table_journal(&back, "unit"));
	cp_table_free(&back);

	/* every damaged form is refused, never half-read */
	for (size_t cut = 0; cut < text.len; cut += 7) {
		assert_int_equal(checkpoint_parse(text.data, cut, &back, &why), -1);
		assert_int_equal(back.n, 0);
		assert_int_equal(back.nj, 0);
	}
	char *flip = malloc(text.len);
	memcpy(flip, text.data, text.len);
	flip[30] ^= 1;
	assert_int_equal(checkpoint_parse(flip, text.len, &back, &why), -1);
	assert_string_equal(why, "the checksum does not match");
	assert_int_equal(checkpoint_parse("{\"json\": 1}\n", 12, &back, &why), -1);
	assert_non_null(strstr(why, "unknown header"));
	free(flip);
	buf_free(&text);
	cp_table_free(&t);
}

static void checkpoint_files(void **state)
{
	(void)state;
	char dir[] = "/tmp/logmash-cp-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct cp_table t = {0}, back;
	struct fileid id = {.dev = 1, .ino = 2, .fp_len = 3, .fp_hash = 4};
	cp_table_add(&t, &id, 5, "/a");
	char file[256], cmd[600];
	snprintf(file, sizeof file, "%s/checkpoints", dir);
	assert_int_equal(checkpoint_save(file, &t), 0);
	checkpoint_load(file, &back);
	assert_int_equal(back.n, 1);
	assert_int_equal(back.e[0].offset, 5);
	cp_table_free(&back);
	/* a corrupt file is set aside and loading starts empty */
	FILE *f = fopen(file, "w");
	fputs("garbage\n", f);
	fclose(f);
	checkpoint_load(file, &back);
	assert_int_equal(back.n, 0);
	assert_int_equal(access(file, F_OK), -1);
	cp_table_free(&t);
	snprintf(cmd, sizeof cmd, "ls %s | grep -q 'checkpoints.bad-' && rm -rf %s", dir, dir);
	assert_int_equal(system(cmd), 0);
}

static void fileid_tells_files_apart(void **state)
{
	(void)state;
	char path[] = "/tmp/logmash-id-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello\n", 6), 6);
	struct fileid id;
	assert_int_equal(fileid_of(fd, &id), 0);
	assert_int_equal(id.fp_len, 6);
	assert_int_equal(fileid_match(fd, &id), 1);
	/* growth keeps the identity, and refresh extends the fingerprint */
	assert_int_equal(write(fd, "world\n", 6), 6);
	assert_int_equal(fileid_match(fd, &id), 1);
	fileid_refresh(fd, &id);
	assert_int_equal(id.fp_len, 12);
	/* same inode, new head (truncated and rewritten): another file */
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(pwrite(fd, "HELLO\nworld\n", 12, 0), 12);
	assert_int_equal(fileid_match(fd, &id), 0);
	close(fd);
	unlink(path);
}

static struct frame line(const char *s, uint64_t n, uint64_t end)
{
	struct frame f = {.line = s, .len = strlen(s), .full_len = strlen(s), .number = n, .end_offset = end};
	return f;
}

static void joiner_builds_records(void **state)
{
	(void)state;
	struct multiline_rule rule = {.max_lines = 3};
	struct buf err = {0};
	assert_int_equal(multiline_compile(&rule, MULTILINE_START, "^[0-9]{4}-", "test", &err), 0);
	struct joiner j;
	joiner_init(&j, &rule, 1000);
	struct frame out, f;
	double t;
	f = line("2026-01 ERROR boom", 1, 19);
	assert_false(joiner_push(&j, &f, 1.0, 0, &out, &t));
	f = line("  at a.b(C.java:1)", 2, 38);
	assert_false(joiner_push(&j, &f, 2.0, 0, &out, &t));
	f = line("2026-02 INFO next", 3, 56);
	assert_true(joiner_push(&j, &f, 3.0, 0, &out, &t));
	assert_int_equal(out.len, strlen("2026-01 ERROR boom\n  at a.b(C.java:1)"));
	assert_memory_equal(out.line, "2026-01 ERROR boom\n  at a.b(C.java:1)", out.len);
	assert_int_equal(out.number, 1);   /* log.line is the first line */
	assert_int_equal(out.end_offset, 38);
	assert_true(t == 1.0);
	/* max_lines ends a record */
	f = line(" a", 4, 59);
	assert_false(joiner_push(&j, &f, 4.0, 0, &out, &t));
	f = line(" b", 5, 62);
	assert_true(joiner_push(&j, &f, 5.0, 0, &out, &t));
	assert_memory_equal(out.line, "2026-02 INFO next\n a\n b", out.len);
	assert_false(joiner_pending(&j));
	/* a continuation with nothing before it starts a record of its own */
	f = line("  orphan", 6, 71);
	assert_false(joiner_push(&j, &f, 6.0, 0, &out, &t));
	assert_true(joiner_flush(&j, &out, &t));
	assert_memory_equal(out.line, "  orphan", 8);
	assert_false(joiner_flush(&j, &out, &t));
	joiner_free(&j);

	/* max_bytes cuts and marks the record */
	rule.max_lines = 100;
	joiner_init(&j, &rule, 10);
	f = line("2026-03 long", 7, 80);
	joiner_push(&j, &f, 7.0, 0, &out, &t);
	f = line("continued", 8, 90);
	joiner_push(&j, &f, 7.0, 0, &out, &t);
	assert_true(joiner_flush(&j, &out, &t));
	assert_int_equal(out.len, 10);
	assert_true(out.truncated);
	joiner_free(&j);
	multiline_free(&rule);
}

static void framer_flush_hands_out_partial(void **state)
{
	(void)state;
	struct framer f;
	struct frame fr;
	framer_init(&f, 100);
	framer_feed(&f, "one\ntw", 6);
	assert_true(framer_next(&f, &fr));
	assert_false(framer_next(&f, &fr)); /* "tw" is held */
	assert_true(framer_holding(&f));
	framer_flush(&f);
	assert_true(framer_next(&f, &fr));
	assert_int_equal(fr.len, 2);
	assert_int_equal(fr.number, 2);
	assert_int_equal(fr.end_offset, 6);
	framer_feed(&f, "o\nthree\n", 8);
	assert_true(framer_next(&f, &fr));
	assert_memory_equal(fr.line, "o", 1);
	assert_int_equal(fr.number, 2); /* the same physical line */
	assert_true(framer_next(&f, &fr));
	assert_int_equal(fr.number, 3);
	framer_restart(&f, 0);
	framer_feed(&f, "x\n", 2);
	assert_true(framer_next(&f, &fr));
	assert_int_equal(fr.end_offset, 2);
	framer_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(acks_move_over_settled_prefix_only),
		cmocka_unit_test(checkpoint_round_trip),
		cmocka_unit_test(checkpoint_files),
		cmocka_unit_test(fileid_tells_files_apart),
		cmocka_unit_test(joiner_builds_records),
		cmocka_unit_test(framer_flush_hands_out_partial),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
