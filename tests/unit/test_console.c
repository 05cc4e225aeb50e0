/* Unit tests: what the operator reads - latency percentiles, rates and the
 * sparkline (ui/history.c), short numbers (humanize.c), the status line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "humanize.h"
#include "latency.h"
#include "status.h"

static void latency_buckets_are_ordered_and_tight(void **state)
{
	(void)state;
	size_t last = 0;
	for (uint64_t us = 0; us < 5000000; us = us < 100 ? us + 1 : us + us / 7) {
		size_t b = latency_bucket(us);
		assert_true(b >= last);           /* monotonic */
		assert_true(b < LATENCY_BUCKETS);
		assert_true(latency_bucket_floor(b) <= us);
		if (b + 1 < LATENCY_BUCKETS && us >= 4)
			assert_true(latency_bucket_floor(b + 1) > us);
		last = b;
	}
	assert_int_equal(latency_bucket(UINT64_MAX), LATENCY_BUCKETS - 1);
}

static void latency_quantiles(void **state)
{
	(void)state;
	struct latency h = {0}, then;
	assert_int_equal(latency_quantile(&h, NULL, 0.5), 0);
	/* 90 requests at 1 ms, 10 at 50 ms */
	for (int i = 0; i < 90; i++)
		latency_record(&h, 1000);
	for (int i = 0; i < 10; i++)
		latency_record(&h, 50000);
	uint64_t p50 = latency_quantile(&h, NULL, 0.50), p99 = latency_quantile(&h, NULL, 0.99);
	assert_true(p50 >= 1000 * 0.8 && p50 <= 1000 * 1.25);
	assert_true(p99 >= 50000 * 0.8 && p99 <= 50000 * 1.25);
	assert_true(latency_quantile(&h, NULL, 0.90) < 2000); /* the 90th is still 1 ms */
	/* A window: only what came after then. */
	then = h;
	for (int i = 0; i < 5; i++)
		latency_record(&h, 200000);
	p50 = latency_quantile(&h, &then, 0.5);
	assert_true(p50 >= 200000 * 0.8 && p50 <= 200000 * 1.25);
	assert_int_equal(latency_quantile(&then, &then, 0.5), 0);
}

static void humanize(void **state)
{
	(void)state;
	char b[32];
	assert_string_equal(human_count(b, sizeof b, 0), "0");
	assert_string_equal(human_count(b, sizeof b, 999), "999");
	assert_string_equal(human_count(b, sizeof b, 1234), "1.2k");
	assert_string_equal(human_count(b, sizeof b, 12345), "12k");
	assert_string_equal(human_count(b, sizeof b, 2500000), "2.5M");
	assert_string_equal(human_bytes(b, sizeof b, 512), "512 B");
	assert_string_equal(human_bytes(b, sizeof b, 1536), "1.5 KiB");
	assert_string_equal(human_bytes(b, sizeof b, (uint64_t)12 << 20), "12 MiB");
	assert_string_equal(human_uptime(b, sizeof b, 42), "0:42");
	assert_string_equal(human_uptime(b, sizeof b, 3 * 3600 + 4 * 60 + 5), "3:04:05");
	assert_string_equal(human_uptime(b, sizeof b, 2 * 86400 + 3 * 3600 + 4 * 60), "2d 03:04");
	assert_string_equal(human_latency(b, sizeof b, 850), "850 us");
	assert_string_equal(human_latency(b, sizeof b, 1250), "1.2 ms");
	assert_string_equal(human_latency(b, sizeof b, 1200000), "1.20 s");
	/* Never past the buffer. */
	char tiny[4];
	human_count(tiny, sizeof tiny, 123456789);
	assert_true(strlen(tiny) < sizeof tiny);
}

static struct snapshot *snap_at(double t, uint64_t read, uint64_t sent)
{
	struct snapshot *s = calloc(1, sizeof *s);
	assert_non_null(s);
	s->started = 1000;
	s->taken = t;
	s->st.read = read;
	s->st.sent = sent;
	return s;
}

static void history_rates_and_sparkline(void **state)
{
	(void)state;
	struct history *h = malloc(sizeof *h);
	assert_non_null(h);
	history_init(h);
	assert_true(history_rate(h, C_SENT) == 0);
	/* 100 sends a second for 10 seconds, snapshots 4 times a second */
	for (int i = 0; i <= 40; i++) {
		struct snapshot *s = snap_at(1000 + i * 0.25, (uint64_t)i * 30, (uint64_t)i * 25);
		history_add(h, s);
		free(s);
	}
	assert_true(history_rate(h, C_SENT) > 99 && history_rate(h, C_SENT) < 101);
	assert_true(history_rate(h, C_READ) > 119 && history_rate(h, C_READ) < 121);
	uint32_t v[HISTORY_SECONDS];
	size_t n = history_sends(h, v, 60);
	assert_int_equal(n, 10); /* ten whole seconds so far */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(v[i], 100);
	/* A stall of 3 seconds with nothing sent shows as three empty seconds. */
	struct snapshot *s = snap_at(1013, 1200, 1000);
	history_add(h, s);
	free(s);
	n = history_sends(h, v, 3);
	assert_int_equal(n, 3);
	assert_int_equal(v[0] + v[1] + v[2], 0);
	/* More history than asked for: the newest only. */
	n = history_sends(h, v, 2);
	assert_int_equal(n, 2);
	free(h);
}

static void status_lines(void **state)
{
	(void)state;
	struct snapshot *prev = snap_at(1010, 1000, 900), *now = snap_at(1020, 3000, 2900);
	now->st.in_flight = 4;
	now->st.queued = 10;
	for (int i = 0; i < 100; i++)
		latency_record(&now->st.latency, 2000);
	struct buf b = {0};
	status_line(&b, now, prev, 0);
	const char *t = buf_cstr(&b);
	assert_non_null(strstr(t, "logmash: status: sending, up 0:20: read 3000 (200/s)"));
	assert_non_null(strstr(t, "sent 2900 (200/s)"));
	assert_non_null(strstr(t, "in flight 4, queued 10, waiting 0"));
	assert_non_null(strstr(t, "latency p50 1.9 ms p99 1.9 ms")); /* 2 ms, its bucket's middle */
	assert_true(t[b.len - 1] == '\n');
	buf_clear(&b);
	status_line(&b, now, prev, 1);
	t = buf_cstr(&b);
	assert_non_null(strstr(t, "\"state\":\"sending\""));
	assert_non_null(strstr(t, "\"read\":3000"));
	assert_non_null(strstr(t, "\"sent_per_s\":200.0"));
	assert_true(t[0] == '{' && t[b.len - 2] == '}');
	/* States in the word the header shows */
	now->send.paused = 1;
	assert_int_equal(snapshot_state(now), RUN_PAUSED);
	now->send.auth_failed = 1;
	assert_int_equal(snapshot_state(now), RUN_AUTH_FAILED);
	buf_free(&b);
	free(prev);
	free(now);
}

static void systemd_status(void **state)
{
	(void)state;
	struct snapshot *prev = snap_at(1010, 1000, 900), *now = snap_at(1015, 13000, 12400);
	now->st.queued = 10;
	now->st.waiting = 2;
	now->n_sources = 2;
	now->sources[0].pos = 1000, now->sources[0].size = 1000 + 2048; /* 2 KiB behind */
	now->sources[1].pos = 5000, now->sources[1].size = 4000;       /* truncated: 0 */
	now->spooled = 1024;
	now->st.failed = 1;
	now->st.kept = 12413; /* 12 undelivered: 10 queued, 2 waiting */
	struct buf b = {0};
	status_systemd(&b, now, prev);
	assert_string_equal(buf_cstr(&b), "sending 2.3k/s, queued 10, waiting 2, behind 12 logs "
					  "undelivered, 3.0 KiB unread, 1 error");
	buf_clear(&b);
	now->st.script_errors = 2;
	status_systemd(&b, now, prev);
	assert_non_null(strstr(buf_cstr(&b), ", 3 errors"));
	assert_null(strchr(buf_cstr(&b), '\n')); /* one line: STATUS= holds no newline */
	buf_free(&b);
	free(prev);
	free(now);
}

/* The limit's reason says how old it is, and when a slow round trip that
 * moved it has come back. */
static void limit_reason(void **state)
{
	(void)state;
	struct snapshot *now = snap_at(1100, 10, 10);
	snprintf(now->st.conc_reason, sizeof now->st.conc_reason, "503 from the API");
	now->st.conc_reason_at = 1088;
	struct buf b = {0};
	status_limit_reason(&b, now);
	assert_string_equal(buf_cstr(&b), "503 from the API, 12 s ago");
	buf_clear(&b);
	snprintf(now->st.conc_reason, sizeof now->st.conc_reason, "round trip 23.9x baseline");
	now->st.conc_reason_at = 1100 - 600;
	now->st.rtt_baseline_us = 649, now->st.rtt_us = 847;
	status_limit_reason(&b, now);
	assert_string_equal(buf_cstr(&b), "round trip 23.9x baseline, 10 min ago; the round trip is "
					  "back near its baseline");
	buf_clear(&b);
	now->st.rtt_us = 649 * 3; /* still slow: nothing more said */
	status_limit_reason(&b, now);
	assert_string_equal(buf_cstr(&b), "round trip 23.9x baseline, 10 min ago");
	buf_free(&b);
	free(now);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(latency_buckets_are_ordered_and_tight),
		cmocka_unit_test(latency_quantiles),
		cmocka_unit_test(humanize),
		cmocka_unit_test(history_rates_and_sparkline),
		cmocka_unit_test(status_lines),
		cmocka_unit_test(limit_reason),
		cmocka_unit_test(systemd_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
