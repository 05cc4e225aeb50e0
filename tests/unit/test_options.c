/* Unit tests: options_reload.c's options_adopt - what a reload takes of the
 * config file, what it keeps and names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "settings.h" /* options_add_script, options_add_input */

static void set(struct options *o, const char *name, const char *val)
{
	char why[256];
	assert_int_equal(options_set(o, name, val, why, sizeof why), 0);
}

static void adopt(struct options *cur, struct options *next, unsigned *parts, struct buf *changed,
		  struct buf *notes)
{
	*parts = options_adopt(cur, next, 1024, changed, notes);
	options_free(next);
}

static void running(struct options *o)
{
	options_defaults(o);
	o->config_file = strdup("/etc/logmash/config.lua");
	set(o, "state-dir", "/var/lib/logmash");
}

static void live_settings_move_and_are_listed(void **state)
{
	(void)state;
	struct options cur, next;
	running(&cur);
	running(&next);
	set(&next, "url", "https://b.example");
	set(&next, "max-retries", "3");
	set(&next, "dead-letter-keep", "9");
	set(&next, "multiline-start", "^[0-9]");
	struct buf changed = {0}, notes = {0};
	unsigned parts;
	adopt(&cur, &next, &parts, &changed, &notes);
	assert_string_equal(cur.url, "https://b.example");
	assert_int_equal(cur.max_retries, 3);
	assert_int_equal(cur.dead_letter_keep, 9);
	assert_string_equal(cur.multiline_start, "^[0-9]");
	assert_string_equal(buf_cstr(&changed), "url https://b.example, multiline_start ^[0-9], "
						"max_retries 3, dead_letter_keep 9");
	assert_int_equal(parts, ADOPT_SENDER | ADOPT_INPUT | ADOPT_DEAD_LETTERS);
	assert_int_equal(notes.len, 0);
	buf_free(&changed);
	buf_free(&notes);
	options_free(&cur);
}

static void restart_settings_stay_and_are_named(void **state)
{
	(void)state;
	struct options cur, next;
	running(&cur);
	running(&next);
	set(&next, "state-dir", "/srv/logmash");
	set(&next, "send-threads", "1");
	set(&next, "max-in-flight", "2048"); /* above the slots the run has */
	struct buf changed = {0}, notes = {0};
	unsigned parts;
	adopt(&cur, &next, &parts, &changed, &notes);
	assert_string_equal(cur.state_dir, "/var/lib/logmash");
	assert_int_equal(cur.send_threads, 0);
	assert_int_equal(cur.max_in_flight, 1024);
	assert_int_equal(parts, 0);
	assert_int_equal(changed.len, 0);
	assert_string_equal(buf_cstr(&notes),
			    "state_dir changed in /etc/logmash/config.lua to /srv/logmash: restart "
			    "to apply it (still /var/lib/logmash)\n"
			    "max_in_flight changed in /etc/logmash/config.lua to 2048: restart to "
			    "apply it (still 1024)\n"
			    "send_threads changed in /etc/logmash/config.lua to 1: restart to apply "
			    "it (still 0)");
	buf_free(&changed);
	buf_free(&notes);
	options_free(&cur);
}

static void inputs_scripts_and_stdin(void **state)
{
	(void)state;
	struct options cur, next;
	running(&cur);
	running(&next);
	options_add_script(&next, SCRIPT_FILTER, "a.lua");
	char *in_cur[] = {"-", "/var/log/a.log"}, *in_next[] = {"/var/log/b.log"};
	for (size_t i = 0; i < 2; i++)
		options_add_input(&cur, in_cur[i]);
	options_add_input(&next, in_next[0]);
	struct buf changed = {0}, notes = {0};
	unsigned parts;
	adopt(&cur, &next, &parts, &changed, &notes);
	assert_int_equal(parts, ADOPT_INPUT);
	assert_string_equal(buf_cstr(&changed), "inputs, scripts");
	assert_int_equal(cur.n_scripts, 1);
	/* Standard input cannot go: it stays, said so; the files change. */
	assert_int_equal(cur.n_inputs, 2);
	assert_string_equal(cur.inputs[0].paths[0], "/var/log/b.log");
	assert_string_equal(cur.inputs[1].paths[0], "-");
	assert_non_null(strstr(buf_cstr(&notes), "standard input is no longer an input in "
						 "/etc/logmash/config.lua: that takes a restart"));
	buf_free(&changed);
	buf_free(&notes);
	options_free(&cur);
}

static void nothing_changed_is_nothing(void **state)
{
	(void)state;
	struct options cur, next;
	running(&cur);
	running(&next);
	struct buf changed = {0}, notes = {0};
	unsigned parts;
	adopt(&cur, &next, &parts, &changed, &notes);
	assert_int_equal(parts, 0);
	assert_int_equal(changed.len + notes.len, 0);
	options_free(&cur);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(live_settings_move_and_are_listed),
		cmocka_unit_test(restart_settings_stay_and_are_named),
		cmocka_unit_test(inputs_scripts_and_stdin),
		cmocka_unit_test(nothing_changed_is_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
