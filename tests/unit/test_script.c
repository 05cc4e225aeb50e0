/* Unit tests: script.c and luajson.c - the chain's contract with scripts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "script.h"
#include "scratch.h"

static int errors;
static char last_error[512], last_failed_on[256];

static void on_error(void *ctx, const char *msg, const char *failed_on)
{
	(void)ctx;
	errors++;
	snprintf(last_error, sizeof last_error, "%s", msg);
	snprintf(last_failed_on, sizeof last_failed_on, "%s", failed_on);
}

static const char *write_script(const char *name, const char *body)
{
	static char paths[8][512];
	static int next;
	char *p = paths[next++ % 8];
	snprintf(p, 512, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(body, f);
	fclose(f);
	return p;
}

static struct script_chain *load(const struct script_spec *specs, size_t n, struct buf *err)
{
	struct script_opts o = {.specs = specs, .n = n, .memory_limit = 16 << 20,
				.budget = 100000, .on_error = on_error};
	errors = 0;
	last_error[0] = '\0';
	return script_chain_load(&o, err);
}

static struct record rec(const char *msg)
{
	struct record r = {.message = msg, .message_len = strlen(msg), .source = "-",
			   .line = 7, .time = 1.5};
	return r;
}

static const char *item(const struct record *r, const char *key)
{
	static char v[256];
	for (size_t i = 0; i < r->n_items; i++)
		if (strlen(key) == r->items[i].key_len && !memcmp(key, r->items[i].key, r->items[i].key_len)) {
			snprintf(v, sizeof v, "%.*s", (int)r->items[i].val_len, r->items[i].val);
			return v;
		}
	return NULL;
}

static void filter_and_enrich(void **state)
{
	(void)state;
	struct script_spec specs[] = {
		{SCRIPT_FILTER, write_script("f.lua", "function filter(log) return not log.message:find('noise') end")},
		{SCRIPT_ENRICH, write_script("e.lua",
			"function enrich(log)\n"
			"  log.level = 'warn'\n"
			"  log.items.n = 42\n"
			"  log.items.ok = true\n"
			"  log.items.src = log.source .. ':' .. log.line\n"
			"  log.message = log.message:upper()\n"
			"end")},
	};
	struct buf err = {0};
	struct script_chain *c = load(specs, 2, &err);
	assert_non_null(c);
	struct record r = rec("noise here");
	assert_int_equal(script_chain_run(c, &r), SCRIPT_DROP);
	r = rec("hello");
	assert_int_equal(script_chain_run(c, &r), SCRIPT_KEEP);
	assert_int_equal(r.message_len, 5);
	assert_memory_equal(r.message, "HELLO", 5);
	assert_int_equal(r.level, LEVEL_WARNING);
	assert_string_equal(item(&r, "n"), "42");
	assert_string_equal(item(&r, "ok"), "true");
	assert_string_equal(item(&r, "src"), "-:7");
	assert_int_equal(errors, 0);
	script_chain_free(c);
	buf_free(&err);
}

/* The log and items tables are reused from log to log: nothing a script
 * set for one log may reach the next, whichever way the call ended. */
static void nothing_leaks_between_logs(void **state)
{
	(void)state;
	struct script_spec specs[] = {
		{SCRIPT_FILTER, write_script("drop.lua",
			"function filter(log)\n"
			"  if log.message == 'drop' then log.items.dropped = 'yes'; log.level = 'Error'; return false end\n"
			"  return true\n"
			"end")},
		{SCRIPT_ENRICH, write_script("set.lua",
			"kept = nil\n"
			"function enrich(log)\n"
			"  local m = log.message\n"
			"  if m == 'many' then for i = 1, 40 do log.items['k' .. i] = i end end\n"
			"  if m == 'one' then log.items.only = 'x'; log.level = 'warn' end\n"
			"  if m == 'keep' then kept = log.items; log.items.mine = 'm' end\n"
			"  if m == 'replace' then log.items = {other = 'o'}; if kept then kept.sneaky = 's' end end\n"
			"  if m == 'fail' then log.items.half = 'h'; error('no') end\n"
			"end")},
	};
	struct buf err = {0};
	struct script_chain *c = load(specs, 2, &err);
	assert_non_null(c);
	static const char *const seq[] = {"one", "plain", "many", "plain", "drop", "plain", "keep",
					  "replace", "plain", "fail", "plain", "one", "plain"};
	for (size_t i = 0; i < sizeof seq / sizeof *seq; i++) {
		struct record r = rec(seq[i]);
		enum script_verdict v = script_chain_run(c, &r);
		if (!strcmp(seq[i], "drop")) {
			assert_int_equal(v, SCRIPT_DROP);
			continue;
		}
		assert_int_equal(v, SCRIPT_KEEP);
		if (!strcmp(seq[i], "plain")) {
			assert_int_equal(r.n_items, 0);
			assert_int_equal(r.level, LEVEL_NONE);
		} else if (!strcmp(seq[i], "many")) {
			assert_int_equal(r.n_items, 40);
			assert_string_equal(item(&r, "k40"), "40");
		} else if (!strcmp(seq[i], "one")) {
			assert_int_equal(r.n_items, 1);
			assert_string_equal(item(&r, "only"), "x");
			assert_int_equal(r.level, LEVEL_WARNING);
		} else if (!strcmp(seq[i], "replace")) {
			assert_int_equal(r.n_items, 1);
			assert_string_equal(item(&r, "other"), "o");
		} else if (!strcmp(seq[i], "fail")) {
			assert_int_equal(r.n_items, 0);
		}
	}
	assert_int_equal(errors, 1);
	script_chain_free(c);
	buf_free(&err);
}

static void runtime_error_rolls_back(void **state)
{
	(void)state;
	struct script_spec specs[] = {
		{SCRIPT_ENRICH, write_script("a.lua", "function enrich(log) log.items.a = 'A'; log.level = 'Error' end")},
		{SCRIPT_ENRICH, write_script("b.lua",
			"function enrich(log)\n"
			"  log.items.b = 'B'; log.message = 'changed'; log.level = 'info'\n"
			"  log.items.a = nil\n"
			"  error('boom')\n"
			"end")},
	};
	struct buf err = {0};
	struct script_chain *c = load(specs, 2, &err);
	assert_non_null(c);
	struct record r = rec("original");
	assert_int_equal(script_chain_run(c, &r), SCRIPT_KEEP);
	/* the log is as it entered b.lua */
	assert_memory_equal(r.message, "original", 8);
	assert_int_equal(r.level, LEVEL_ERROR);
	assert_string_equal(item(&r, "a"), "A");
	assert_null(item(&r, "b"));
	assert_int_equal(errors, 1);
	assert_non_null(strstr(last_error, "b.lua:4: boom"));
	/* what the dashboard shows it failed on: the log as it entered b.lua */
	assert_true(strncmp(last_failed_on, "- line 7: ", 10) == 0);
	assert_non_null(strstr(last_failed_on, "original"));
	script_chain_free(c);
	buf_free(&err);
}

static void contract_violations_roll_back(void **state)
{
	(void)state;
	const char *bad[] = {
		"function enrich(log) log.level = 'loud' end",
		"function enrich(log) log.items.t = {} end",
		"function enrich(log) log.items[1] = 'x' end",
		"function enrich(log) log.message = '' end",
		"function enrich(log) log.message = nil end",
		"function enrich(log) log.items = 'x' end",
		"function enrich(log) local t = {} while true do t[#t+1] = ('x'):rep(1 << 20) end end",
	};
	const char *want[] = {"not a level", "must be a string, number or boolean",
			      "keys must be strings", "empty", "must be a string",
			      "must be a table", "out of memory"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct script_spec specs[] = {{SCRIPT_ENRICH, write_script("bad.lua", bad[i])}};
		struct buf err = {0};
		struct script_chain *c = load(specs, 1, &err);
		assert_non_null(c);
		struct record r = rec("keep me");
		assert_int_equal(script_chain_run(c, &r), SCRIPT_KEEP);
		assert_memory_equal(r.message, "keep me", 7);
		assert_int_equal(r.n_items, 0);
		assert_int_equal(r.level, LEVEL_NONE);
		assert_int_equal(errors, 1);
		if (!strstr(last_error, want[i]))
			fail_msg("case %zu: '%s' lacks '%s'", i, last_error, want[i]);
		/* the next log goes through normally */
		r = rec("next");
		script_chain_run(c, &r);
		script_chain_free(c);
		buf_free(&err);
	}
}

static void budget_stops_runaway_calls(void **state)
{
	(void)state;
	alarm(20); /* were the budget not enforced, the test would hang: fail it */
	struct script_spec specs[] = {{SCRIPT_ENRICH, write_script("spin.lua",
		"function enrich(log)\n"
		"  log.message = 'changed'\n"
		"  if log.line == 7 then while true do end end\n"
		"  local x = 0\n"
		"  for i = 1, 20000 do x = x + i end\n" /* honest work: within budget */
		"  log.items.sum = x\n"
		"end")}};
	struct buf err = {0};
	struct script_chain *c = load(specs, 1, &err);
	assert_non_null(c);
	for (int i = 0; i < 3; i++) {
		struct record r = rec("spin");
		assert_int_equal(script_chain_run(c, &r), SCRIPT_KEEP);
		assert_memory_equal(r.message, "spin", 4); /* as it entered */
		assert_int_equal(r.n_items, 0);
	}
	assert_int_equal(errors, 3);
	assert_non_null(strstr(last_error, "spin.lua:3: ran over its instruction budget"));
	struct record ok = rec("fine");
	ok.line = 8;
	assert_int_equal(script_chain_run(c, &ok), SCRIPT_KEEP);
	assert_int_equal(errors, 3);
	assert_string_equal(item(&ok, "sum"), "200010000");
	script_chain_free(c);

	struct script_spec s2[] = {{SCRIPT_ENRICH, write_script("initspin.lua",
		"function init() while true do end end\nfunction enrich() end")}};
	assert_null(load(s2, 1, &err));
	assert_non_null(strstr(buf_cstr(&err), "initspin.lua:1: ran over its instruction budget"));
	buf_free(&err);
	alarm(0);
}

/* What a return value means: a filter answers true (keep) or false
 * (drop), and any other answer is an error that keeps the log; an enrich
 * script drops it only by returning false, keeps it by returning nothing,
 * true or the log, and any other value is an error that keeps it. */
static void return_values(void **state)
{
	(void)state;
	struct {
		enum script_kind kind;
		const char *ret;
		enum script_verdict want;
		const char *error; /* NULL: none */
	} cases[] = {
		{SCRIPT_FILTER, "false", SCRIPT_DROP, NULL},
		{SCRIPT_FILTER, "true", SCRIPT_KEEP, NULL},
		{SCRIPT_FILTER, "nil", SCRIPT_KEEP, "filter returned nil: return true to keep the log, false to drop it"},
		{SCRIPT_FILTER, "", SCRIPT_KEEP, "filter returned nil"},
		{SCRIPT_FILTER, "0", SCRIPT_KEEP, "filter returned number"},
		{SCRIPT_FILTER, "''", SCRIPT_KEEP, "filter returned string"},
		{SCRIPT_FILTER, "{}", SCRIPT_KEEP, "filter returned table"},
		{SCRIPT_ENRICH, "false", SCRIPT_DROP, NULL},
		{SCRIPT_ENRICH, "nil", SCRIPT_KEEP, NULL},
		{SCRIPT_ENRICH, "", SCRIPT_KEEP, NULL},
		{SCRIPT_ENRICH, "true", SCRIPT_KEEP, NULL},
		{SCRIPT_ENRICH, "log", SCRIPT_KEEP, NULL},
		{SCRIPT_ENRICH, "true, false", SCRIPT_KEEP, NULL},
		{SCRIPT_ENRICH, "'drop'", SCRIPT_KEEP, "enrich returned string: return nothing (or true) to keep"},
		{SCRIPT_ENRICH, "0", SCRIPT_KEEP, "enrich returned number"},
		{SCRIPT_ENRICH, "{}", SCRIPT_KEEP, "enrich returned table"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char body[160];
		snprintf(body, sizeof body, "function %s(log) log.items.x = 'set' return %s end",
			 cases[i].kind == SCRIPT_FILTER ? "filter" : "enrich", cases[i].ret);
		struct script_spec specs[] = {{cases[i].kind, write_script("ret.lua", body)}};
		struct buf err = {0};
		struct script_chain *c = load(specs, 1, &err);
		assert_non_null(c);
		struct record r = rec("m");
		if (script_chain_run(c, &r) != cases[i].want)
			fail_msg("case %zu: %s", i, body);
		if (!cases[i].error) {
			assert_int_equal(errors, 0);
		} else {
			assert_int_equal(errors, 1);
			if (!strstr(last_error, cases[i].error) || !strstr(last_error, "ret.lua: "))
				fail_msg("case %zu: '%s' lacks '%s'", i, last_error, cases[i].error);
			assert_int_equal(r.n_items, 0); /* as it entered the failed script */
		}
		script_chain_free(c);
		buf_free(&err);
	}
}

/* A field a log does not have, read or written, fails the script for that
 * log and names the nearest real field; the read-only ones stay as they
 * came. */
static void typos_are_errors(void **state)
{
	(void)state;
	struct {
		const char *body, *error;
	} cases[] = {
		{"log.levle = 'Error'", "t.lua:1: log.levle is not a field of a log (did you mean level?)"},
		{"log.item.user = 'bob'", "t.lua:1: log.item is not a field of a log (did you mean items?)"},
		{"log.mesage = 'x'", "log.mesage is not a field of a log (did you mean message?)"},
		{"if log.lvl == 'Error' then end", "log.lvl is not a field of a log (did you mean level?)"},
		{"log.hostname = 'h'", "log.hostname is not a field of a log (a log has message, level, items"},
		{"log[1] = 'x'", "log[1] is not a field of a log"},
		{"log.source = 'elsewhere'", "t.lua:1: log.source is read only"},
		{"log.line = 1", "t.lua:1: log.line is read only"},
		{"log.time = nil", "t.lua:1: log.time is read only"},
		{"log.fields = {}", "t.lua:1: log.fields is read only"},
		{"log.fields.PRIORITY = '3'", "t.lua:1: log.fields is read only (the journal entry's fields)"},
		{"setmetatable(log, nil)", "cannot change a protected metatable"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char body[200];
		snprintf(body, sizeof body, "function enrich(log) log.items.a = 'A'; %s end", cases[i].body);
		struct script_spec specs[] = {{SCRIPT_ENRICH, write_script("t.lua", body)}};
		struct buf err = {0};
		struct script_chain *c = load(specs, 1, &err);
		assert_non_null(c);
		struct record r = rec("as it came");
		assert_int_equal(script_chain_run(c, &r), SCRIPT_KEEP);
		assert_int_equal(errors, 1);
		if (!strstr(last_error, cases[i].error))
			fail_msg("case %zu: '%s' lacks '%s'", i, last_error, cases[i].error);
		assert_int_equal(r.n_items, 0);
		assert_memory_equal(r.message, "as it came", 10);
		script_chain_free(c);
		buf_free(&err);
	}
	/* The real fields still read and write, a level not set reads nil. */
	struct script_spec ok[] = {{SCRIPT_ENRICH, write_script("ok.lua",
		"function enrich(log)\n"
		"  assert(log.level == nil)\n"
		"  log.level = 'warn'\n"
		"  log.items.l = log.level .. log.source .. log.line .. log.time\n"
		"  log.level = nil\n"
		"  log.level = 'err'\n"
		"  local n = 0 for k in pairs(log) do n = n + 1 end\n"
		"  log.items.fields = n\n"
		"end")}};
	struct buf err = {0};
	struct script_chain *c = load(ok, 1, &err);
	assert_non_null(c);
	struct record r = rec("m");
	assert_int_equal(script_chain_run(c, &r), SCRIPT_KEEP);
	if (errors)
		fail_msg("%s", last_error);
	assert_string_equal(item(&r, "l"), "warn-71.5"); /* made canonical after the script */
	assert_string_equal(item(&r, "fields"), "7"); /* log.fields too: empty, not from a journal */
	assert_int_equal(r.level, LEVEL_ERROR);
	script_chain_free(c);
	buf_free(&err);
}

/* Item values as the API gets them: integers exact, other floats in
 * their shortest round-trip form, booleans as words. */
static void item_values(void **state)
{
	(void)state;
	struct script_spec specs[] = {{SCRIPT_ENRICH, write_script("v.lua",
		"function enrich(log)\n"
		"  local i = log.items\n"
		"  i.s = 'text'; i.int = 42; i.neg = -7; i.maxint = math.maxinteger\n"
		"  i.p53 = 2^53; i.p63 = 2^63; i.third = 1/3; i.tenth = 0.1; i.half = 2.5\n"
		"  i.negzero = -0.0; i.big = 1e21; i.small = 1e-7; i.t = true; i.f = false\n"
		"  i.inf = math.huge\n"
		"end")}};
	struct buf err = {0};
	struct script_chain *c = load(specs, 1, &err);
	assert_non_null(c);
	struct record r = rec("m");
	assert_int_equal(script_chain_run(c, &r), SCRIPT_KEEP);
	assert_int_equal(errors, 0);
	static const char *const want[][2] = {
		{"s", "text"}, {"int", "42"}, {"neg", "-7"}, {"maxint", "9223372036854775807"},
		{"p53", "9007199254740992"}, {"p63", "9223372036854775808"},
		{"third", "0.3333333333333333"}, {"tenth", "0.1"}, {"half", "2.5"},
		{"negzero", "0"}, {"big", "1000000000000000000000"}, {"small", "1e-07"},
		{"t", "true"}, {"f", "false"}, {"inf", "inf"},
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		if (!item(&r, want[i][0]) || strcmp(item(&r, want[i][0]), want[i][1]))
			fail_msg("%s: '%s', not '%s'", want[i][0], item(&r, want[i][0]), want[i][1]);
	script_chain_free(c);

	/* A table or function is an error that names the item. */
	struct script_spec bad[] = {{SCRIPT_ENRICH, write_script("b.lua",
		"function enrich(log) log.items.ok = 1; log.items.f = print end")}};
	c = load(bad, 1, &err);
	assert_non_null(c);
	r = rec("m");
	assert_int_equal(script_chain_run(c, &r), SCRIPT_KEEP);
	assert_int_equal(errors, 1);
	assert_non_null(strstr(last_error, "b.lua: log.items.f must be a string, number or boolean, not function"));
	assert_int_equal(r.n_items, 0);
	script_chain_free(c);
	buf_free(&err);
}

static void load_errors_name_file_and_line(void **state)
{
	(void)state;
	struct buf err = {0};
	struct script_spec s1[] = {{SCRIPT_FILTER, write_script("syntax.lua", "function filter(log)\n  return (\nend")}};
	assert_null(load(s1, 1, &err));
	assert_non_null(strstr(buf_cstr(&err), "syntax.lua:3:"));
	buf_clear(&err);
	struct script_spec s2[] = {{SCRIPT_FILTER, write_script("nofn.lua", "function enrich(log) end")}};
	assert_null(load(s2, 1, &err));
	assert_non_null(strstr(buf_cstr(&err), "defines no function filter"));
	buf_clear(&err);
	struct script_spec s3[] = {{SCRIPT_ENRICH, write_script("init.lua", "function init() error('no table') end\nfunction enrich() end")}};
	assert_null(load(s3, 1, &err));
	assert_non_null(strstr(buf_cstr(&err), "init.lua:1: no table"));
	buf_free(&err);
}

static void sandbox_and_helpers(void **state)
{
	(void)state;
	struct script_spec specs[] = {{SCRIPT_ENRICH, write_script("s.lua",
		"function enrich(log)\n"
		"  log.items.exec = select(2, pcall(os.execute, 'true'))\n"
		"  log.items.popen = select(2, pcall(io.popen, 'true'))\n"
		"  log.items.debug = select(2, pcall(function() return debug.getinfo(1) end))\n"
		"  log.items.bin = select(2, load(string.dump(function() end)))\n"
		"  log.items.host = logmash.hostname\n"
		"  local t = logmash.json_decode(log.message)\n"
		"  log.items.user = t.user.name\n"
		"  log.items.n = t.list[2]\n"
		"  local bad, e = logmash.json_decode('{\"a\":')\n"
		"  log.items.err = e\n"
		"  counter = (counter or 0) + 1\n"
		"  log.items.count = counter\n"
		"end")}};
	struct buf err = {0};
	struct script_chain *c = load(specs, 1, &err);
	assert_non_null(c);
	struct record r = rec("{\"user\": {\"name\": \"\\u00e9va\"}, \"list\": [1, 2.5, null]}");
	assert_int_equal(script_chain_run(c, &r), SCRIPT_KEEP);
	assert_int_equal(errors, 0);
	assert_string_equal(item(&r, "exec"),
			    "os.execute is not allowed in logmash's sandbox (--unsafe-scripts lifts it)");
	assert_string_equal(item(&r, "popen"),
			    "io.popen is not allowed in logmash's sandbox: files can be read, not written, and no program run (--unsafe-scripts lifts it)");
	assert_non_null(strstr(item(&r, "debug"), "the debug library is not allowed"));
	assert_non_null(strstr(item(&r, "bin"), "attempt to load a binary chunk"));
	assert_non_null(item(&r, "host"));
	assert_string_equal(item(&r, "user"), "\xc3\xa9va");
	assert_string_equal(item(&r, "n"), "2.5");
	assert_non_null(strstr(item(&r, "err"), "json_decode"));
	assert_string_equal(item(&r, "count"), "1");
	r = rec("{\"user\": {\"name\": \"x\"}, \"list\": []}");
	script_chain_run(c, &r);
	assert_string_equal(item(&r, "count"), "2"); /* globals persist across logs */
	script_chain_free(c);
	buf_free(&err);
}

static int logs;
static char last_log[256];

static void on_log(void *ctx, const char *script, const char *msg)
{
	(void)ctx;
	logs++;
	snprintf(last_log, sizeof last_log, "%s|%s", strrchr(script, '/') + 1, msg);
}

static void json_encode_and_log(void **state)
{
	(void)state;
	struct script_spec specs[] = {{SCRIPT_ENRICH, write_script("enc.lua",
		"function enrich(log)\n"
		"  log.items.j = logmash.json_encode({b = 1, a = {1, 0.1, 'x\\0y'}, c = true, e = {}})\n"
		"  local _, e1 = logmash.json_encode({[1] = 1, x = 2})\n"
		"  log.items.e1 = e1\n"
		"  local s = {} s.self = s\n"
		"  local _, e2 = logmash.json_encode(s)\n"
		"  log.items.e2 = e2\n"
		"  local _, e3 = logmash.json_encode(0/0)\n"
		"  log.items.e3 = e3\n"
		"  log.items.rt = logmash.json_encode(logmash.json_decode([=[[\"\\u00e9\", {\"k\": null}]]=]))\n"
		"  logmash.log('line', log.line, nil)\n"
		"end")}};
	struct buf err = {0};
	struct script_opts o = {.specs = specs, .n = 1, .memory_limit = 16 << 20,
				.on_error = on_error, .on_log = on_log};
	errors = logs = 0;
	struct script_chain *c = script_chain_load(&o, &err);
	if (!c)
		fail_msg("%s", buf_cstr(&err));
	struct record r = rec("x");
	assert_int_equal(script_chain_run(c, &r), SCRIPT_KEEP);
	assert_int_equal(errors, 0);
	assert_string_equal(item(&r, "j"), "{\"a\":[1,0.1,\"x\\u0000y\"],\"b\":1,\"c\":true,\"e\":{}}");
	assert_non_null(strstr(item(&r, "e1"), "keys must be strings"));
	assert_non_null(strstr(item(&r, "e2"), "contains itself"));
	assert_non_null(strstr(item(&r, "e3"), "NaN"));
	assert_string_equal(item(&r, "rt"), "[\"\xc3\xa9\",{}]");
	assert_int_equal(logs, 1);
	assert_string_equal(last_log, "enc.lua|line 7 nil");
	script_chain_free(c);
	buf_free(&err);
}

static void deep_json_refused(void **state)
{
	(void)state;
	struct script_spec specs[] = {{SCRIPT_ENRICH, write_script("deep.lua",
		"function enrich(log)\n"
		"  local v, e = logmash.json_decode(('['):rep(100000) .. (']'):rep(100000))\n"
		"  log.items.e = e\n"
		"end")}};
	struct buf err = {0};
	struct script_chain *c = load(specs, 1, &err);
	assert_non_null(c);
	struct record r = rec("x");
	assert_int_equal(script_chain_run(c, &r), SCRIPT_KEEP);
	assert_non_null(strstr(item(&r, "e"), "nested too deeply"));
	script_chain_free(c);
	buf_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(filter_and_enrich),
		cmocka_unit_test(nothing_leaks_between_logs),
		cmocka_unit_test(runtime_error_rolls_back),
		cmocka_unit_test(contract_violations_roll_back),
		cmocka_unit_test(load_errors_name_file_and_line),
		cmocka_unit_test(return_values),
		cmocka_unit_test(typos_are_errors),
		cmocka_unit_test(item_values),
		cmocka_unit_test(budget_stops_runaway_calls),
		cmocka_unit_test(sandbox_and_helpers),
		cmocka_unit_test(deep_json_refused),
		cmocka_unit_test(json_encode_and_log),
	};
	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
