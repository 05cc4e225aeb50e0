/* Unit tests: template.c, template_mask.c - the template miner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "template.h"

struct seen {
	char id[TEMPLATE_ID_LEN + 1];
	char text[512];
};

static struct seen mine(struct template_miner *m, const char *msg)
{
	const struct template_info *in = template_mine(m, msg, strlen(msg), 1.0);
	struct seen s;
	memcpy(s.id, in->id, sizeof s.id);
	snprintf(s.text, sizeof s.text, "%s", in->text);
	return s;
}

static void masks_variables(void **state)
{
	(void)state;
	struct template_miner *m = template_miner_new(0);
	assert_string_equal(mine(m, "Received block blk_-123 of size 67108864 from /10.250.19.102")
				    .text,
			    "Received block <*> of size <*> from <*>");
	assert_string_equal(mine(m, "proxy.cse.cuhk.edu.hk:5070 open through proxy example.com").text,
			    "<*> open through proxy <*>");
	/* User names: after "user", and between "for" and "from"; not the
	 * words that go on the sentence. */
	assert_string_equal(mine(m, "session opened for user root by (uid=0)").text,
			    "session opened for user <*> by (uid=<*>)");
	assert_string_equal(mine(m, "Failed password for git from 10.0.0.9 port 22 ssh2").text,
			    "Failed password for <*> from <*> port <*>");
	assert_string_equal(mine(m, "Invalid user webmaster from 10.0.0.9").text,
			    "Invalid user <*> from <*>");
	assert_string_equal(mine(m, "no such user for this login").text,
			    "no such user for this login");
	assert_string_equal(mine(m, "Waiting for data from the pipe").text,
			    "Waiting for data from the pipe");
	/* A path with a variable in it is one, whatever it starts with. */
	assert_string_equal(mine(m, "hive {bf1a281b-ad7b-4476-ac95-f47682990ce7}GLOBALROOT/Device/"
				    "HarddiskVolume2/Windows/config loaded").text,
			    "hive {<*> loaded");
	assert_string_equal(mine(m, "took 12 ms, sent 1.5 KB to [10.0.0.1]").text,
			    "took <*>, sent <*> to [<*>]");
	assert_string_equal(mine(m, "connection at Fri Jul 1 09:00:55 2005 done").text,
			    "connection at <*> done");
	assert_string_equal(mine(m, "loaded /etc/app/conf.d/a.conf; id 550e8400-e29b-41d4-a716-446655440000")
				    .text,
			    "loaded <*>; id <*>");
	template_miner_free(m);
}

/* A variable in the first token, lines of different lengths. */
static void first_token_and_lengths(void **state)
{
	(void)state;
	struct template_miner *m = template_miner_new(0);
	struct seen a = mine(m, "42 workers started");
	struct seen b = mine(m, "7 workers started");
	assert_string_equal(a.id, b.id);
	struct seen c = mine(m, "7 workers started late");
	assert_string_not_equal(a.id, c.id);
	struct seen d = mine(m, "session opened for user root");
	struct seen e = mine(m, "session closed for user root");
	/* A group's variable stands for a word with a variable part, in
	 * either order: one kind. */
	struct seen f = mine(m, "synchronized to 10.100.20.250, stratum 3");
	struct seen g = mine(m, "synchronized to LOCAL(0), stratum 10");
	assert_string_equal(f.id, g.id);
	struct seen h = mine(m, "peer set to LOCAL(1), weight 10");
	struct seen i = mine(m, "peer set to 10.0.0.1, weight 3");
	assert_string_equal(h.id, i.id);
	assert_string_equal(i.text, "peer set to <*> weight <*>");
	/* A message of a shape seen before (its numbers' values aside) is
	 * answered without masking, and as masking would: a miner with an
	 * extra mask that never matches has no shape cache. */
	struct template_miner *shaped = template_miner_new(0), *plain = template_miner_new(0);
	struct buf err = {0};
	assert_int_equal(template_miner_add_mask(plain, "(?!)", &err), 0);
	const char *const msgs[] = {"connect to db:123456 now", "connect to db:5432 now",
				    "connect to db:6543 now", "id abcdef12 x", "id abcdef1 x",
				    "connect to db:654321 now"};
	for (size_t k = 0; k < sizeof msgs / sizeof *msgs; k++) {
		struct seen x = mine(shaped, msgs[k]), y = mine(plain, msgs[k]);
		assert_string_equal(x.id, y.id);
		assert_string_equal(x.text, y.text);
	}
	assert_string_equal(mine(shaped, msgs[1]).id, mine(shaped, msgs[2]).id);
	template_miner_free(shaped);
	template_miner_free(plain);
	assert_string_not_equal(d.id, e.id); /* a different word: another event */
	template_miner_free(m);
}

/* A group takes a line that differs in one token of many: its template
 * generalises, its id stays. */
static void generalises_keeping_id(void **state)
{
	(void)state;
	struct template_miner *m = template_miner_new(0);
	struct seen a = mine(m, "Failed password for invalid user admin from <*> port <*> via ssh here");
	struct seen b = mine(m, "Failed password for invalid user oracle from <*> port <*> via ssh here");
	assert_string_equal(a.id, b.id);
	assert_string_equal(b.text,
			    "Failed password for invalid user <*> from <*> port <*> via ssh here");
	struct seen c = mine(m, "Failed password for invalid user admin from <*> port <*> via ssh here");
	assert_string_equal(c.id, a.id);
	template_miner_free(m);
}

static void evicts_least_recent(void **state)
{
	(void)state;
	struct template_miner *m = template_miner_new(3);
	struct seen a = mine(m, "alpha one");
	mine(m, "beta two three");
	mine(m, "gamma four five six");
	mine(m, "alpha one"); /* alpha is now the most recent */
	mine(m, "delta seven eight nine ten");
	struct template_totals t;
	template_totals(m, &t);
	assert_int_equal(t.groups, 3);
	assert_int_equal(t.evicted, 1); /* beta */
	assert_string_equal(mine(m, "alpha one").id, a.id);
	template_totals(m, &t);
	assert_int_equal(t.evicted, 1);
	assert_true(t.memory > 0);
	template_miner_free(m);
}

/* Saved and loaded, a miner answers every line seen before with its id. */
static void format_and_parse_keep_ids(void **state)
{
	(void)state;
	static const char *const lines[] = {
		"Invalid user admin from 10.0.0.1",
		"Accepted publickey for git from 10.0.0.2 port 22 ssh2",
		"Failed password for invalid user oracle from 1.2.3.4 port 9 ssh2",
		"Failed password for invalid user mysql from 1.2.3.5 port 9 ssh2",
		"Connection closed by 10.0.0.3 [preauth]",
	};
	size_t n = sizeof lines / sizeof *lines;
	struct template_miner *m = template_miner_new(0);
	struct seen before[8];
	for (size_t i = 0; i < n; i++)
		before[i] = mine(m, lines[i]);
	assert_true(template_dirty(m));
	struct buf text = {0};
	template_format(m, &text);
	assert_false(template_dirty(m));
	template_miner_free(m);

	m = template_miner_new(0);
	struct buf err = {0};
	assert_int_equal(template_parse(m, text.data, text.len, &err), 0);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(mine(m, lines[i]).id, before[i].id);
	struct buf bad = {0};
	buf_puts(&bad, "something else\n");
	assert_int_equal(template_parse(m, bad.data, bad.len, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "not a logmash templates file"));
	buf_free(&bad);
	buf_free(&err);
	buf_free(&text);
	template_miner_free(m);
}

static void extra_masks_and_hostile_input(void **state)
{
	(void)state;
	struct template_miner *m = template_miner_new(0);
	struct buf err = {0};
	assert_int_equal(template_miner_add_mask(m, "user [a-z]+", &err), 0);
	struct seen a = mine(m, "login of user alice ok");
	struct seen b = mine(m, "login of user bob ok");
	assert_string_equal(a.id, b.id);
	/* Invalid UTF-8 through a mask: matched safely, not assumed valid. */
	static const char invalid[] = "login of user bob \xff\xfe";
	assert_string_equal(template_mine(m, invalid, sizeof invalid - 1, 1)->text,
			    "login of <*> \xff\xfe");
	assert_int_equal(template_miner_add_mask(m, "(unclosed", &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "(unclosed"));
	buf_free(&err);
	/* Empty, white space only, NUL bytes, very long and many tokens. */
	mine(m, "");
	mine(m, "   \t ");
	assert_string_equal(template_mine(m, "a\0b", 3, 1)->text, "a b");
	static char big[20000];
	for (size_t i = 0; i + 1 < sizeof big; i++)
		big[i] = i % 3 == 2 ? ' ' : 'x';
	const struct template_info *in = template_mine(m, big, strlen(big), 1);
	assert_non_null(strstr(in->text, "<*>"));
	assert_true(strlen(in->example) < TEMPLATE_EXAMPLE);
	template_miner_free(m);
}

static void top_and_verdicts(void **state)
{
	(void)state;
	struct template_miner *m = template_miner_new(0);
	for (int i = 0; i < 5; i++) {
		template_log_start(m);
		mine(m, "cache hit 1");
		template_verdict(m, i < 2);
	}
	mine(m, "cache miss for key");
	struct template_info top[4];
	size_t n = template_top(m, 1, top, 4);
	assert_int_equal(n, 2);
	assert_string_equal(top[0].text, "cache hit <*>");
	assert_int_equal(top[0].total, 5);
	assert_int_equal(top[0].kept, 2);
	assert_int_equal(top[0].dropped, 3);
	template_tick(m, 1.0);
	mine(m, "cache miss for key");
	template_tick(m, 2.0);
	n = template_top(m, 0, top, 1);
	assert_int_equal(n, 1);
	assert_string_equal(top[0].text, "cache miss for key");
	assert_true(top[0].rate > 0);
	template_miner_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(masks_variables),
		cmocka_unit_test(first_token_and_lengths),
		cmocka_unit_test(generalises_keeping_id),
		cmocka_unit_test(evicts_least_recent),
		cmocka_unit_test(format_and_parse_keep_ids),
		cmocka_unit_test(extra_masks_and_hostile_input),
		cmocka_unit_test(top_and_verdicts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
