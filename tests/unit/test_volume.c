/* Unit tests: volume.c - throttle, sample and dedupe, under a clock of the
 * test's own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "volume.h"

#define K(s) s, strlen(s)

static void throttle_rate_and_burst(void **state)
{
	(void)state;
	struct volume *v = volume_new(0);
	uint64_t refused;
	/* 2 a second, burst 3: the full bucket lets 3 through at t=0. */
	int kept = 0;
	for (int i = 0; i < 10; i++)
		kept += volume_throttle(v, K("a"), 2, 3, 100.0, &refused);
	assert_int_equal(kept, 3);
	/* Half a second later one token is back, and the 7 refused are told. */
	assert_true(volume_throttle(v, K("a"), 2, 3, 100.5, &refused));
	assert_int_equal(refused, 7);
	assert_false(volume_throttle(v, K("a"), 2, 3, 100.5, &refused));
	assert_int_equal(refused, 0);
	/* Over 10.1 s at 100 calls a second: 2 a second get through, exactly
	 * (the 21st token would be due at 10.5 s). */
	kept = 0;
	for (int i = 1; i <= 1010; i++)
		kept += volume_throttle(v, K("a"), 2, 3, 100.5 + i * 0.01, &refused);
	assert_int_equal(kept, 20);
	/* A long pause refills only up to the burst. */
	kept = 0;
	for (int i = 0; i < 10; i++)
		kept += volume_throttle(v, K("a"), 2, 3, 1000.0, &refused);
	assert_int_equal(kept, 3);
	/* Keys are apart; a clock that steps back refills nothing. */
	assert_true(volume_throttle(v, K("b"), 0, 1, 50.0, &refused));
	assert_false(volume_throttle(v, K("b"), 0, 1, 60.0, &refused));
	assert_false(volume_throttle(v, K("a"), 2, 3, 900.0, &refused));

	struct volume_totals t;
	volume_totals(v, &t);
	assert_int_equal(t.kept, 3 + 1 + 20 + 3 + 1);
	assert_int_equal(t.kept + t.dropped, 10 + 2 + 1010 + 10 + 3);
	assert_int_equal(t.keys, 2);
	volume_free(v);
}

static void sample_one_in_n(void **state)
{
	(void)state;
	struct volume *v = volume_new(0);
	char got[11] = {0};
	for (int i = 0; i < 10; i++)
		got[i] = volume_sample(v, K("x"), 4) ? 'k' : '.';
	assert_string_equal(got, "k...k...k.");
	/* Each key counts for itself; n = 1 keeps all. */
	assert_true(volume_sample(v, K("y"), 4));
	assert_false(volume_sample(v, K("y"), 4));
	for (int i = 0; i < 5; i++)
		assert_true(volume_sample(v, K("z"), 1));
	/* The same key given to another helper is another key. */
	uint64_t r;
	assert_true(volume_dedupe(v, K("x"), 10, 0, &r));
	volume_free(v);
}

static void dedupe_windows(void **state)
{
	(void)state;
	struct volume *v = volume_new(0);
	uint64_t rep;
	assert_true(volume_dedupe(v, K("m"), 10, 0.0, &rep));
	assert_int_equal(rep, 0);
	for (int i = 1; i <= 5; i++) {
		assert_false(volume_dedupe(v, K("m"), 10, i, &rep));
		assert_int_equal(rep, 0);
	}
	/* 9.99 s is still the first window; 10 s opens the next, which tells
	 * of the 6 the first refused. */
	assert_false(volume_dedupe(v, K("m"), 10, 9.99, &rep));
	assert_true(volume_dedupe(v, K("m"), 10, 10.0, &rep));
	assert_int_equal(rep, 6);
	/* A window with no repeats reports 0. */
	assert_true(volume_dedupe(v, K("m"), 10, 25.0, &rep));
	assert_int_equal(rep, 0);
	struct volume_totals t;
	volume_totals(v, &t);
	assert_int_equal(t.kept, 3);
	assert_int_equal(t.dropped, 6);
	volume_free(v);
}

static void bounded_least_recently_used(void **state)
{
	(void)state;
	struct volume *v = volume_new(100);
	char key[16];
	uint64_t r;
	/* 1000 keys through a table of 100, key 0 used all along. */
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof key, "k%d", i);
		assert_true(volume_dedupe(v, K(key), 60, 1.0, &r));
		assert_false(volume_dedupe(v, K("k0"), 60, 1.0, &r));
	}
	struct volume_totals t;
	volume_totals(v, &t);
	assert_int_equal(t.keys, 100);
	assert_int_equal(t.evicted, 1000 - 100);
	/* The busy key stayed, an old one was forgotten and starts afresh. */
	assert_false(volume_dedupe(v, K("k0"), 60, 2.0, &r));
	assert_true(volume_dedupe(v, K("k5"), 60, 2.0, &r));
	assert_int_equal(r, 0);
	for (int i = 950; i < 1000; i++) {
		snprintf(key, sizeof key, "k%d", i);
		assert_false(volume_dedupe(v, K(key), 60, 2.0, &r));
	}
	assert_true(t.memory < 100 * 128 + 1024);
	volume_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(throttle_rate_and_burst),
		cmocka_unit_test(sample_one_in_n),
		cmocka_unit_test(dedupe_windows),
		cmocka_unit_test(bounded_least_recently_used),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
