/* settings_example.c - `logmash example-config`: a config file with every
 * setting of the table, its help and its default, so that the example
 * cannot drift from what logmash takes. */
#include <stdio.h>
#include <string.h>

#include "options.h"
#include "settings.h"

#ifndef LOGMASH_DATADIR
#define LOGMASH_DATADIR "/usr/share/logmash" /* make passes $(DATADIR) */
#endif

static const char head[] =
"-- logmash config file (Lua), from `logmash example-config`: every setting\n"
"-- with its help and its default. Command-line options override what is set\n"
"-- here; relative paths are relative to this file's folder. A line left\n"
"-- commented out leaves the setting at its default. A reload (SIGHUP) applies\n"
"-- every setting at once except those marked \"restart\".\n"
"\n"
"-- The keys that are not options. The API token, in a file of its own (mode\n"
"-- 600), or set CODEMASH_TOKEN; never the token itself:\n"
"-- token_file = \"/etc/logmash/token\"\n"
"-- Paths and globs to read (\"-\" is standard input), or inputs with rules of\n"
"-- their own (format, multiline, encoding, scripts, items, from_start,\n"
"-- close_inactive, rotate_wait; man logmash, CONFIG FILE):\n"
"-- inputs = {\n"
"--   \"/var/log/myapp/*.log\",\n"
"--   { name = \"shop\", paths = \"/var/log/shop/*.log\", multiline = \"java\",\n"
"--     items = { service = \"shop\" } },\n"
"--   { name = \"pods\", paths = \"/var/log/pods/*/*/*.log\", format = \"cri\" },\n"
"--   -- the systemd journal (directory: files elsewhere; matches as journalctl's):\n"
"--   { name = \"units\", journal = { matches = { \"_SYSTEMD_UNIT=shop.service\" } } },\n"
"-- }\n"
"-- Scripts, run in this order (examples in " LOGMASH_DATADIR "/scripts):\n"
"-- scripts = {\n"
"--   { filter = \"" LOGMASH_DATADIR "/scripts/drop_noise.lua\" },\n"
"--   { enrich = \"" LOGMASH_DATADIR "/scripts/levels.lua\" },\n"
"-- }\n"
"-- What else is a variable part of a log's template (PCRE2 regexes, beside\n"
"-- the built-in masks; restart: a reload keeps the running ones):\n"
"-- template_masks = { \"req-[0-9a-z]+\" }\n";

static int numeric(enum kind k)
{
	return k == K_SIZE ? 0 : k == K_LONG || k == K_SECONDS || k == K_SECONDS_OFF || k == K_RATE;
}

#define WIDTH 78

/* text as comment lines, words wrapped at WIDTH columns. */
static void comment(FILE *out, const char *text)
{
	int col = 0;
	while (*text) {
		size_t len = strcspn(text, " ");
		if (col && col + 1 + (int)len > WIDTH) {
			fputc('\n', out);
			col = 0;
		}
		col += fprintf(out, "%s%.*s", col ? " " : "-- ", (int)len, text);
		text += len;
		text += strspn(text, " ");
	}
	fputc('\n', out);
}

/* One setting: its help as a comment, then key = default (commented out
 * when it has none). */
static void example_row(FILE *out, const struct setting *st)
{
	char key[64], help[512];
	setting_key(st, key, sizeof key);
	snprintf(help, sizeof help, "%s%s", st->help ? st->help : key,
		 st->restart ? " (restart: a reload keeps the running value)" : "");
	fputc('\n', out);
	comment(out, help);
	if (!st->def) {
		if (st->kind == K_FLAG)
			fprintf(out, "%s = false\n", key);
		else
			fprintf(out, "-- %s = %s%s%s\n", key, numeric(st->kind) ? "" : "\"",
				st->arg ? st->arg : "", numeric(st->kind) ? "" : "\"");
		return;
	}
	if (numeric(st->kind))
		fprintf(out, "%s = %s\n", key, st->def);
	else
		fprintf(out, "%s = \"%s\"\n", key, st->def);
}

void options_print_example(FILE *out)
{
	fputs(head, out);
	for (int sec = 0; sec < N_SECTIONS; sec++) {
		int any = 0;
		for (size_t i = 0; i < n_settings; i++) {
			const struct setting *st = &settings[i];
			if (st->sec != (enum section)sec || st->kind == K_CLI)
				continue;
			if (!any++)
				fprintf(out, "\n-- ---- %s ----\n", section_title[sec]);
			example_row(out, st);
		}
	}
}
