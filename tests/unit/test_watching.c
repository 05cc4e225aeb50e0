/* Unit tests: what watches a running logmash - the control protocol's
 * requests (ctlproto.c), a snapshot through JSON and back (snapjson.c),
 * healthy or not (health.c), and the Prometheus text (metrics.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"
#include "health.h"
#include "metrics.h"
#include "snapjson.h"

static int parse(const char *line, struct ctl_request *r, char *err)
{
	struct json_doc d = {0};
	int rc = ctl_parse(line, strlen(line), r, &d, err, 256);
	json_doc_free(&d);
	return rc;
}

static void requests_parse_with_their_defaults_and_bounds(void **state)
{
	(void)state;
	struct ctl_request r;
	char err[256];
	assert_int_equal(parse("{\"v\":1,\"cmd\":\"snapshot\"}", &r, err), 0);
	assert_int_equal(r.cmd, CTL_SNAPSHOT);
	assert_int_equal(r.interval_ms, 1000);
	assert_int_equal(parse("{\"cmd\":\"tap\",\"limit\":5}", &r, err), 0);
	assert_int_equal(r.cmd, CTL_TAP);
	assert_int_equal(r.limit, 5);
	static const char *const cmds[] = {"pause", "resume", "reload", "stop", "retry"};
	static const enum ctl_cmd want[] = {CTL_PAUSE, CTL_RESUME, CTL_RELOAD, CTL_STOP, CTL_RETRY};
	for (size_t i = 0; i < 5; i++) {
		char line[64];
		snprintf(line, sizeof line, "{\"cmd\":\"%s\"}", cmds[i]);
		assert_int_equal(parse(line, &r, err), 0);
		assert_int_equal(r.cmd, want[i]);
		assert_string_equal(ctl_cmd_name(r.cmd), cmds[i]);
	}
}

static void bad_requests_say_what_is_wrong(void **state)
{
	(void)state;
	struct ctl_request r;
	char err[256];
	static const struct {
		const char *line, *says;
	} bad[] = {
		{"", "JSON object"},
		{"snapshot", "JSON object"},
		{"[1]", "JSON object"},
		{"{\"cmd\":1}", "needs \"cmd\""},
		{"{}", "needs \"cmd\""},
		{"{\"cmd\":\"explode\"}", "unknown \"cmd\""},
		{"{\"v\":2,\"cmd\":\"snapshot\"}", "version 1"},
		{"{\"v\":\"1\",\"cmd\":\"snapshot\"}", "version 1"},
		{"{\"cmd\":\"snapshot\",\"interval_ms\":5}", "interval_ms"},
		{"{\"cmd\":\"tap\",\"limit\":1001}", "limit"},
		{"{\"cmd\":\"tap\",\"limit\":1.5}", "limit"},
		{"{\"cmd\":\"tap\"} {}", "JSON object"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = '\0';
		assert_int_equal(parse(bad[i].line, &r, err), -1);
		assert_non_null(strstr(err, bad[i].says));
	}
	char big[CTL_LINE_MAX + 64];
	memset(big, ' ', sizeof big);
	memcpy(big, "{\"cmd\":\"stop\"}", 14);
	struct json_doc d = {0};
	assert_int_equal(ctl_parse(big, sizeof big, &r, &d, err, sizeof err), -1);
	json_doc_free(&d);
}

static struct snapshot *sample(void)
{
	struct snapshot *s = calloc(1, sizeof *s);
	s->taken = 1000.5;
	s->started = 900.25;
	s->insecure = 1;
	snprintf(s->endpoint, sizeof s->endpoint, "https://api.example/v1/logs");
	snprintf(s->project, sizeof s->project, "p\"1");
	s->st.read = 12345678901ULL;
	s->st.sent = 42;
	s->st.by_level[2] = 7;
	s->st.conc_limit = 64;
	s->st.rtt_us = -1;
	s->send.backing_off = 1;
	s->send.backoff_since = 950.5;
	snprintf(s->st.conc_reason, sizeof s->st.conc_reason, "slow start");
	latency_record(&s->st.latency, 20000);
	latency_record(&s->st.latency, 150000);
	s->n_scripts = 1;
	snprintf(s->scripts[0].path, sizeof s->scripts[0].path, "scripts/a.lua");
	s->scripts[0].kind = "enrich";
	s->scripts[0].errors = 3;
	s->scripts[0].volume_kept = 5;
	s->scripts[0].volume_dropped = 6;
	s->templates.totals.groups = 2;
	s->templates.totals.evicted = 1;
	s->templates.totals.memory = 4096;
	s->templates.n_rate = 1;
	snprintf(s->templates.by_rate[0].id, sizeof s->templates.by_rate[0].id, "0123456789");
	snprintf(s->templates.by_rate[0].text, SNAP_TEMPLATE_TEXT, "user <*> \"in\"");
	snprintf(s->templates.by_rate[0].example, TEMPLATE_EXAMPLE, "user 7 \"in\"");
	s->templates.by_rate[0].total = 10;
	s->templates.by_rate[0].kept = 4;
	s->templates.by_rate[0].rate = 2.5;
	s->templates.n_total = 1;
	s->templates.by_total[0] = s->templates.by_rate[0];
	s->n_sources = s->sources_total = 2;
	snprintf(s->sources[0].path, SNAP_PATH, "/var/log/app\n.log");
	s->sources[0].state = SOURCE_FOLLOWING;
	s->sources[0].pos = 10;
	s->sources[0].size = 110;
	s->sources[0].oldest_unsent = 999.5;
	snprintf(s->sources[1].path, SNAP_PATH, "/var/log/*.log");
	s->sources[1].state = SOURCE_NO_MATCH;
	s->n_errors = 1;
	s->errors[0].kind = ERR_HTTP;
	snprintf(s->errors[0].text, sizeof s->errors[0].text, "HTTP 503: \"busy\"");
	s->errors[0].count = 9;
	s->n_notes = 1;
	s->notes[0].kind = ERR_EVENT;
	snprintf(s->notes[0].text, sizeof s->notes[0].text, "scripts reloaded");
	return s;
}

static void a_snapshot_survives_json(void **state)
{
	(void)state;
	struct snapshot *s = sample(), *back = calloc(1, sizeof *back);
	struct buf js = {0};
	snapjson_write(&js, s);
	struct json_doc d = {0};
	assert_int_equal(json_parse(&d, js.data, js.len, 1 << 20), 0);
	assert_int_equal(snapjson_read(&d, 0, back), 0);
	assert_true(back->taken == s->taken && back->started == s->started);
	assert_int_equal(back->insecure, 1);
	assert_string_equal(back->endpoint, s->endpoint);
	assert_string_equal(back->project, "p\"1");
	assert_true(back->st.read == 12345678901ULL);
	assert_int_equal(back->st.by_level[2], 7);
	assert_int_equal(back->st.conc_limit, 64);
	assert_int_equal(back->st.rtt_us, -1);
	assert_true(back->send.backoff_since == 950.5);
	assert_string_equal(back->st.conc_reason, "slow start");
	assert_memory_equal(&back->st.latency, &s->st.latency, sizeof s->st.latency);
	assert_int_equal(back->n_scripts, 1);
	assert_string_equal(back->scripts[0].kind, "enrich");
	assert_int_equal(back->scripts[0].errors, 3);
	assert_int_equal(back->scripts[0].volume_kept, 5);
	assert_int_equal(back->scripts[0].volume_dropped, 6);
	assert_int_equal(back->templates.totals.groups, 2);
	assert_int_equal(back->templates.totals.evicted, 1);
	assert_int_equal(back->templates.totals.memory, 4096);
	assert_int_equal(back->templates.n_rate, 1);
	assert_int_equal(back->templates.n_total, 1);
	assert_string_equal(back->templates.by_rate[0].id, "0123456789");
	assert_string_equal(back->templates.by_rate[0].text, "user <*> \"in\"");
	assert_string_equal(back->templates.by_total[0].example, "user 7 \"in\"");
	assert_int_equal(back->templates.by_rate[0].total, 10);
	assert_int_equal(back->templates.by_rate[0].kept, 4);
	assert_true(back->templates.by_rate[0].rate == 2.5);
	assert_int_equal(back->n_sources, 2);
	assert_string_equal(back->sources[0].path, "/var/log/app\n.log");
	assert_int_equal(back->sources[1].state, SOURCE_NO_MATCH);
	assert_true(back->sources[0].oldest_unsent == 999.5);
	assert_int_equal(back->n_errors, 1);
	assert_int_equal(back->errors[0].kind, ERR_HTTP);
	assert_string_equal(back->errors[0].text, "HTTP 503: \"busy\"");
	assert_int_equal(back->errors[0].count, 9);
	assert_int_equal(back->notes[0].kind, ERR_EVENT);
	/* What it says of the machine is the same word either side. */
	assert_int_equal(snapshot_state(back), snapshot_state(s));
	/* A wrong type is refused, not read as zero. */
	const char *bad = "{\"stats\":{\"sent\":\"many\"}}";
	assert_int_equal(json_parse(&d, bad, strlen(bad), 100), 0);
	assert_int_equal(snapjson_read(&d, 0, back), -1);
	json_doc_free(&d);
	buf_free(&js);
	free(s);
	free(back);
}

static void health_says_why(void **state)
{
	(void)state;
	struct snapshot *s = calloc(1, sizeof *s), *prev = calloc(1, sizeof *prev);
	struct health h;
	s->taken = 1000;
	health_judge(s, NULL, HEALTH_MAX_BEHIND, &h);
	assert_int_equal(h.level, HEALTH_OK);
	assert_string_equal(h.reason, "idle");
	/* Acknowledged a moment ago: sending, though nothing is in flight now. */
	s->st.last_sent = 999;
	assert_int_equal(snapshot_state(s), RUN_SENDING);
	s->st.last_sent = 990;
	assert_int_equal(snapshot_state(s), RUN_IDLE);

	s->send.backing_off = 1;
	s->send.backoff_since = 990;
	health_judge(s, NULL, 0, &h);
	assert_int_equal(h.level, HEALTH_DEGRADED);
	assert_non_null(strstr(h.reason, "backing off for 10 s"));
	s->send.backoff_since = 1000 - HEALTH_BACKOFF_SECONDS;
	health_judge(s, NULL, 0, &h);
	assert_int_equal(h.level, HEALTH_DOWN);
	s->send.backing_off = 0;

	s->st.dead_lettered = 3;
	prev->st.dead_lettered = 3;
	health_judge(s, prev, 0, &h);
	assert_int_equal(h.level, HEALTH_OK); /* none lately */
	prev->st.dead_lettered = 1;
	health_judge(s, prev, 0, &h);
	assert_int_equal(h.level, HEALTH_DEGRADED);
	assert_non_null(strstr(h.reason, "dead-lettering: 2 logs"));
	s->st.dead_lettered = 0;

	s->n_sources = 1;
	s->sources[0].size = 2000;
	s->sources[0].pos = 100;
	health_judge(s, NULL, 1000, &h);
	assert_int_equal(h.level, HEALTH_DEGRADED);
	assert_non_null(strstr(h.reason, "behind: 1900 bytes"));
	health_judge(s, NULL, 0, &h); /* 0: no limit */
	assert_int_equal(h.level, HEALTH_OK);

	s->send.auth_failed = 1;
	health_judge(s, NULL, 0, &h);
	assert_int_equal(h.level, HEALTH_DOWN);
	assert_non_null(strstr(h.reason, "auth failed"));
	s->send.auth_failed = 0;
	s->send.endpoint_failed = 1;
	health_judge(s, NULL, 0, &h);
	assert_int_equal(h.level, HEALTH_DOWN);
	assert_non_null(strstr(h.reason, "wrong url"));
	free(s);
	free(prev);
}

/* The value of the sample line that starts with name (labels included). */
static double sample_value(const char *text, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, name, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return -1;
}

static void metrics_follow_the_exposition_format(void **state)
{
	(void)state;
	struct snapshot *s = sample();
	s->n_sources = s->sources_total = METRICS_MAX_SOURCES + 5;
	snprintf(s->sources[0].input, SNAP_INPUT, "app");
	for (size_t i = 2; i < s->n_sources; i++) {
		snprintf(s->sources[i].path, SNAP_PATH, "/f%zu", i);
		s->sources[i].state = SOURCE_FOLLOWING;
		s->sources[i].size = 1;
	}
	struct buf out = {0};
	metrics_render(&out, s);
	const char *t = buf_cstr(&out);
	assert_true(sample_value(t, "logmash_up") == 1);
	assert_true(sample_value(t, "logmash_logs_read_total") == 12345678901.0);
	assert_true(sample_value(t, "logmash_logs_sent_total{level=\"Warning\"}") == 7);
	assert_true(sample_value(t, "logmash_state{state=\"backing off\"}") == 1);
	assert_true(sample_value(t, "logmash_state{state=\"sending\"}") == 0);
	assert_true(sample_value(t, "logmash_script_errors_total{script=\"scripts/a.lua\"}") == 3);
	assert_true(sample_value(t, "logmash_script_volume_answers_total{script=\"scripts/a.lua\","
				    "answer=\"dropped\"}") == 6);
	assert_true(sample_value(t, "logmash_templates") == 2);
	assert_true(sample_value(t, "logmash_templates_evicted_total") == 1);
	assert_true(sample_value(t, "logmash_templates_memory_bytes") == 4096);
	assert_null(strstr(t, "<*>")); /* no series a template */
	/* A newline in a label value is escaped, not a broken line. */
	assert_true(sample_value(t, "logmash_source_bytes_behind{input=\"app\",path=\"/var/log/app\\n.log\"}") == 100);
	/* The histogram: cumulative, +Inf is the count. */
	assert_true(sample_value(t, "logmash_request_duration_seconds_bucket{le=\"0.01\"}") == 0);
	assert_true(sample_value(t, "logmash_request_duration_seconds_bucket{le=\"0.05\"}") == 1);
	assert_true(sample_value(t, "logmash_request_duration_seconds_bucket{le=\"0.25\"}") == 2);
	assert_true(sample_value(t, "logmash_request_duration_seconds_bucket{le=\"+Inf\"}") == 2);
	assert_true(sample_value(t, "logmash_request_duration_seconds_count") == 2);
	/* The sources past the cap are summed in one series. */
	assert_true(sample_value(t, "logmash_source_bytes_behind{input=\"\",path=\"/f99\"}") == 1);
	assert_true(sample_value(t, "logmash_source_bytes_behind{input=\"\",path=\"/f100\"}") == -1);
	assert_true(sample_value(t, "logmash_source_bytes_behind{path=\"(other)\"}") == 5);
	/* Every sample belongs to a family declared before it. */
	for (const char *p = t; *p; p = strchr(p, '\n') + 1) {
		if (*p != '#') {
			char fam[128];
			size_t n = strcspn(p, "{ ");
			snprintf(fam, sizeof fam, "# TYPE %.*s ", (int)n, p);
			const char *decl = strstr(t, fam);
			if (!decl) { /* a histogram's _bucket, _sum, _count */
				const char *u = strrchr(fam, '_');
				snprintf(fam + (u - fam), sizeof fam - (size_t)(u - fam), " histogram");
				decl = strstr(t, fam);
			}
			assert_non_null(decl);
			assert_true(decl < p);
		}
	}
	buf_free(&out);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(requests_parse_with_their_defaults_and_bounds),
		cmocka_unit_test(bad_requests_say_what_is_wrong),
		cmocka_unit_test(a_snapshot_survives_json),
		cmocka_unit_test(health_says_why),
		cmocka_unit_test(metrics_follow_the_exposition_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
