/* options.c - command line, config file and environment. */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <limits.h>
#include <unistd.h>

#include <curl/curl.h>
#include <curses.h>

#include "buf.h"
#include "decoder.h"
#include "journal.h"
#include "nearest.h"
#include "settings.h"
#include "crash.h"
#include "luamem.h"
#include "util.h"

static const char usage_head[] =
"Usage: logmash [OPTION]... [INPUT]...\n"
"  or:  logmash check [SCRIPT]... < SAMPLE   (try scripts: logmash check --help)\n"
"  or:  logmash top|status|tap [--state-dir DIR | --socket PATH]  (watch a running one)\n"
"  or:  logmash example-config   (a config file with every setting and its default)\n"
"Ship log lines to the CodeMash Logs API through Lua filter and enrich scripts.\n"
"\n"
"INPUT is a file path, a glob such as '/var/log/app/*.log' (quoted), or - for\n"
"standard input (the default when no input is given). Inputs are read to\n"
"their end, or followed with -F; every line is one log.\n";

static const char usage_tail[] =
"\n"
"SIZE takes a K, M or G suffix. Exit status: 0 nothing lost (delivered, or kept\n"
"for the next start), 1 some logs not delivered, 2 usage or config error or a\n"
"fatal system error, 3 the API refused the token or project id, 4 the API's URL\n"
"is wrong (404, 405, a redirect, 400 to every log).\n"
"Manual: man logmash; README.md and docs/ in the source or the installed docs.\n";

/* --help: the options from the table, section by section. */
static void usage(FILE *out)
{
	fputs(usage_head, out);
	for (int sec = 0; sec < N_SECTIONS; sec++) {
		fprintf(out, "%s%s:\n", sec ? "" : "\n", section_title[sec]);
		for (size_t i = 0; i < n_settings; i++)
			if (settings[i].sec == (enum section)sec && settings[i].help)
				setting_help(out, &settings[i]);
	}
	fputs(usage_tail, out);
}

void options_help(FILE *out, const char *name)
{
	const struct setting *st = setting_named(name);
	if (st)
		setting_help(out, st);
}

/* getopt's value for row i: its short letter (or K_CLI value), else
 * OPT_SETTING + i. */
static int opt_value(size_t i)
{
	return settings[i].short_opt ? settings[i].short_opt : OPT_SETTING + (int)i;
}

static const struct setting *row_for_value(int c)
{
	if (c >= OPT_SETTING && c < OPT_SETTING + (int)n_settings)
		return &settings[c - OPT_SETTING];
	for (size_t i = 0; i < n_settings; i++)
		if (settings[i].short_opt == c)
			return &settings[i];
	return NULL;
}

/* getopt's table and short options, from the settings table. */
static struct option *build_long_opts(char *shorts, size_t n_shorts)
{
	struct option *long_opts = xcalloc(n_settings + 1, sizeof *long_opts);
	size_t k = 0;
	for (size_t i = 0; i < n_settings; i++) {
		const struct setting *st = &settings[i];
		int has = !st->arg ? no_argument : st->arg[0] == '[' ? optional_argument
								     : required_argument;
		long_opts[i] = (struct option){st->name, has, NULL, opt_value(i)};
		if (st->short_opt > 0 && st->short_opt < 128 && k + 3 < n_shorts) {
			shorts[k++] = (char)st->short_opt;
			if (has == required_argument)
				shorts[k++] = ':';
		}
	}
	shorts[k] = '\0';
	long_opts[n_settings] = (struct option){NULL, 0, NULL, 0};
	return long_opts;
}

static _Noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static _Noreturn void usage_error(const char *fmt, ...)
{
	fprintf(stderr, "logmash: ");
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'logmash --help' for more information.\n");
	exit(EXIT_USAGE);
}

void options_defaults(struct options *o)
{
	memset(o, 0, sizeof *o);
	if (n_settings > 64)
		die(EXIT_USAGE, "internal error: %zu settings do not fit cli_given's 64 bits", n_settings);
	char why[256];
	for (size_t i = 0; i < n_settings; i++)
		if (settings[i].def && setting_apply(o, &settings[i], settings[i].def, NULL, why,
						     sizeof why) != 0)
			die(EXIT_USAGE, "internal error: the default of --%s: %s", settings[i].name, why);
}

int options_set(struct options *o, const char *name, const char *val, char *why, size_t n)
{
	const struct setting *st = setting_named(name);
	if (!st || st->kind == K_CLI) {
		snprintf(why, n, "--%s is not a setting", name);
		return -1;
	}
	return setting_apply(o, st, val, NULL, why, n);
}

/* First pass: --help, --version and --config, which the rest builds on. */
static void first_pass(struct options *o, int argc, char **argv, const struct option *long_opts,
		       const char *shorts)
{
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, shorts, long_opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		} else if (c == 'V') {
			printf("logmash %s (Lua %s.%s, libcurl %s, ncurses %s)\n", LOGMASH_VERSION,
			       LUA_VERSION_MAJOR, LUA_VERSION_MINOR, curl_version_info(CURLVERSION_NOW)->version,
			       NCURSES_VERSION);
			exit(0);
		} else if (c == 'c') {
			options_set_str(&o->config_file, optarg);
		}
	}
}

/* --journal, --journal-directory DIR, --journal-match FIELD=VALUE. */
static void take_journal(struct options *o, int c, const char *arg)
{
	if (!o->cli_journal) {
		o->cli_journal = xmalloc(sizeof *o->cli_journal);
		input_spec_init(o->cli_journal);
		o->cli_journal->journal = 1;
	}
	struct input_spec *sp = o->cli_journal;
	if (c == OPT_JOURNAL_MATCH) {
		struct buf err = {0};
		if (journal_match_check(arg, &err) != 0)
			usage_error("--journal-match: %s", buf_cstr(&err));
		input_spec_add_journal_match(sp, arg);
		return;
	}
	o->cli_journal_named = 1;
	if (c == OPT_JOURNAL_DIRECTORY) {
		free(sp->journal_directory);
		sp->journal_directory = xstrdup(arg);
	}
}

/* Second pass: everything, over the config file. Returns --token-file's
 * value, or NULL. */
static char *second_pass(struct options *o, int argc, char **argv, const struct option *long_opts,
			 const char *shorts)
{
	opterr = 1;
	optind = 0;
	char *cli_token_file = NULL;
	char why[PATH_MAX + 128];
	int c;
	while ((c = getopt_long(argc, argv, shorts, long_opts, NULL)) != -1) {
		const struct setting *st = row_for_value(c);
		if (st && st->kind != K_CLI) {
			if (setting_apply(o, st, optarg, NULL, why, sizeof why) != 0)
				die(EXIT_USAGE, "%s", why);
			o->cli_given |= (uint64_t)1 << (st - settings);
			continue;
		}
		switch (c) {
		case 'c': case 'h': case 'V': break;
		case OPT_TOKEN_FILE: options_set_str(&cli_token_file, optarg); break;
		case OPT_TOKEN:
			usage_error("the token is never taken as an argument, where any user could "
				    "read it with ps: set CODEMASH_TOKEN or use --token-file FILE");
		case 'f': case 'e':
			if (!o->scripts_from_cli) {
				options_clear_scripts(o); /* the command line's chain replaces the file's */
				o->scripts_from_cli = 1;
			}
			options_add_script(o, c == 'f' ? SCRIPT_FILTER : SCRIPT_ENRICH, optarg);
			break;
		case OPT_TEMPLATE_MASK:
			if (!o->template_masks_from_cli) {
				options_clear_template_masks(o); /* the command line's replace the file's */
				o->template_masks_from_cli = 1;
			}
			options_add_template_mask(o, optarg);
			break;
		case OPT_JOURNAL: case OPT_JOURNAL_DIRECTORY: case OPT_JOURNAL_MATCH:
			take_journal(o, c, optarg);
			break;
		case OPT_DRY_RUN: o->dry_run = 1; break;
		case OPT_REPLAY: options_set_str(&o->replay, optarg); break;
		default:
			fprintf(stderr, "Try 'logmash --help' for more information.\n");
			exit(EXIT_USAGE);
		}
	}
	return cli_token_file;
}

/* The inputs: the command line's replace the config file's. */
static void take_inputs(struct options *o, int argc, char **argv)
{
	if (o->cli_journal && !o->cli_journal_named)
		usage_error("--journal-match chooses entries of a journal: give --journal (or "
			    "--journal-directory DIR) too");
	if (o->cli_journal && o->replay)
		usage_error("--replay sends a dead-letter file: give no journal");
	if (optind < argc || o->replay || o->cli_journal) {
		options_clear_inputs(o);
		o->inputs_from_cli = 1;
	}
	if (o->replay) {
		if (optind < argc)
			usage_error("--replay sends a dead-letter file: give no other inputs");
		options_add_input(o, o->replay);
		o->follow = 0;
	}
	if (o->cli_journal) {
		input_spec_copy(options_add_spec(o), o->cli_journal);
		input_spec_free(o->cli_journal);
		free(o->cli_journal);
		o->cli_journal = NULL;
	}
	for (int i = optind; i < argc; i++)
		options_add_input(o, argv[i]);
}

/* What the inputs must be, wherever they came from. */
static int check_inputs(struct options *o, char *why, size_t n)
{
	if (o->n_inputs == 0)
		options_add_input(o, "-");
	size_t stdin_count = 0;
	for (size_t i = 0; i < o->n_inputs; i++)
		for (size_t k = 0; k < o->inputs[i].n_paths; k++)
			stdin_count += strcmp(o->inputs[i].paths[k], "-") == 0;
	if (stdin_count > 1) {
		snprintf(why, n, "standard input (-) can be given only once");
		return -1;
	}
	return 0;
}

/* The token: --token-file, else CODEMASH_TOKEN, else the config's file. A
 * dry run sends nothing: it needs no token. */
static void take_token(struct options *o, char *cli_token_file)
{
	char *env_tok = getenv("CODEMASH_TOKEN");
	if (cli_token_file) {
		options_set_str(&o->token_file, cli_token_file);
		o->token_file_from_cli = 1;
	}
	if (o->dry_run)
		; /* nothing to read */
	else if (!cli_token_file && env_tok && *env_tok) {
		o->token = xstrdup(env_tok);
		o->token_from_env = 1;
	} else if (o->token_file) { /* --token-file's, or the config file's */
		char why[PATH_MAX + 128];
		o->token = token_load(o->token_file, why, sizeof why);
		if (!o->token && !o->checking)
			die(EXIT_USAGE, "%s", why);
	}
	free(cli_token_file);
	if (o->token)
		crash_secret(o->token, strlen(o->token));
	/* Copied or not needed: /proc/PID/environ (and a core dump) show the
	 * environment as it is in memory now. */
	if (env_tok)
		wipe(env_tok, strlen(env_tok));
}

#define FAIL(...) do { snprintf(why, n, __VA_ARGS__); return -1; } while (0)

/* The inputs' reading rules: each input's (its format, multi-line rule and
 * encoding, resolved against the global ones) is what the input stage will
 * build; built here once to say what is wrong before anything starts. */
static int check_reading(struct options *o, char *why, size_t n)
{
	enum input_format f;
	if (decoder_format_parse(o->format, &f) != 0)
		FAIL("--format is lines, cri or docker, not '%s'", o->format);
	const char *near = o->multiline ? nearest_word(o->multiline, strlen(o->multiline),
						       multiline_preset_names, MULTILINE_PRESETS)
					: NULL;
	if (o->multiline && multiline_preset(o->multiline) == MULTILINE_NONE)
		FAIL("--multiline is a preset: %s, not '%s'%s%s%s (a regex of your own: "
		     "--multiline-start)", multiline_presets, o->multiline, near ? " (did you mean " : "",
		     near ? near : "", near ? "?)" : "");
	if (o->multiline && o->multiline_start)
		FAIL("--multiline and --multiline-start both say how lines join: give one");
	struct input_opts io = options_input_opts(o);
	struct buf err = {0};
	int rc = input_check_rules(&io, &err);
	if (rc != 0)
		snprintf(why, n, "%s", buf_cstr(&err));
	buf_free(&err);
	return rc;
}

struct input_opts options_input_opts(const struct options *o)
{
	return (struct input_opts){
		.specs = o->inputs,
		.n = o->n_inputs,
		.max_line = o->max_line_bytes,
		.follow = o->follow,
		.from_start = o->from_start,
		.rotate_wait = o->rotate_wait,
		.close_inactive = o->close_inactive,
		.flush_partial = o->flush_partial,
		.format = o->format,
		.multiline = o->multiline,
		.multiline_start = o->multiline_start,
		.encoding = o->encoding,
		.multiline_timeout = o->multiline_timeout,
		.multiline_max_lines = (size_t)o->multiline_max_lines,
	};
}

/* What no single setting's bounds can say. 0, or -1 with the reason in why. */
static int check_together(struct options *o, char *why, size_t n)
{
	if (strncmp(o->url, "http://", 7) != 0 && strncmp(o->url, "https://", 8) != 0)
		FAIL("--url must start with http:// or https://, not '%s'", o->url);
	size_t ul = strlen(o->url);
	while (ul > 8 && o->url[ul - 1] == '/')
		o->url[--ul] = '\0';
	if (strcmp(o->status_format, "text") != 0 && strcmp(o->status_format, "json") != 0)
		FAIL("--status-format is text or json, not '%s'", o->status_format);
	if (strcmp(o->concurrency, "adaptive") != 0 && strcmp(o->concurrency, "fixed") != 0)
		FAIL("--concurrency is adaptive or fixed, not '%s'", o->concurrency);
	if (!*o->api_version || strchr(o->api_version, '/'))
		FAIL("--api-version is a path segment such as v1 or v2, not '%s'", o->api_version);
	CURLU *u = curl_url();
	CURLUcode uc = u ? curl_url_set(u, CURLUPART_URL, o->url, 0) : CURLUE_OUT_OF_MEMORY;
	curl_url_cleanup(u);
	if (uc != CURLUE_OK)
		FAIL("--url %s is not usable: %s", o->url, curl_url_strerror(uc));
	if (check_reading(o, why, n) != 0)
		return -1;
	if (o->dry_run || o->checking)
		return 0;
	if (!o->token)
		FAIL("no API token: set CODEMASH_TOKEN or use --token-file FILE "
		     "(or --dry-run to try scripts without sending)");
	if (!o->project_id || !*o->project_id)
		FAIL("no project id: use --project-id ID or set CODEMASH_PROJECT_ID "
		     "(or --dry-run to try scripts without sending)");
	if (strpbrk(o->token, "\r\n") || strpbrk(o->project_id, "\r\n"))
		FAIL("the token and project id must be one line each");
	if (o->ca_file && access(o->ca_file, R_OK) != 0)
		FAIL("cannot read --ca-file %s: %s", o->ca_file, strerror(errno));
	return 0;
}

static void warn_insecure(const struct options *o)
{
	if (o->insecure && !o->dry_run)
		warnx_("warning: --insecure: the API's TLS certificate is not verified, so "
		       "whoever can reach the network path can read the token and the logs; "
		       "for a private CA give --ca-file FILE instead");
}

void options_parse(struct options *o, int argc, char **argv, int checking)
{
	options_defaults(o);
	o->checking = checking;
	char shorts[32];
	struct option *long_opts = build_long_opts(shorts, sizeof shorts);
	/* getopt names the program by argv[0] in its messages: "logmash:",
	 * as every other message says, not the path it was started by. */
	argv[0] = "logmash";
	first_pass(o, argc, argv, long_opts, shorts);
	char why[PATH_MAX + 512];
	if (o->config_file && options_load_config(o, o->config_file, why, sizeof why) != 0)
		die(EXIT_USAGE, "%s", why);
	const char *env_pid = getenv("CODEMASH_PROJECT_ID");
	if (env_pid && *env_pid)
		options_set_str(&o->project_id, env_pid);
	char *cli_token_file = second_pass(o, argc, argv, long_opts, shorts);
	free(long_opts);
	take_inputs(o, argc, argv);
	take_token(o, cli_token_file);
	char bad[PATH_MAX + 128];
	if (options_check(o, bad, sizeof bad) != 0)
		usage_error("%s", bad);
	warn_insecure(o);
}

int options_check(struct options *o, char *why, size_t n)
{
	return check_inputs(o, why, n) != 0 || check_together(o, why, n) != 0 ? -1 : 0;
}

int options_reads_stdin(const struct options *o)
{
	for (size_t i = 0; i < o->n_inputs; i++)
		for (size_t k = 0; k < o->inputs[i].n_paths; k++)
			if (strcmp(o->inputs[i].paths[k], "-") == 0)
				return 1;
	return 0;
}

void options_describe(struct buf *b, const struct options *o)
{
	buf_printf(b, "logmash %s: sending to %s/%s/logs, project %s", LOGMASH_VERSION, o->url,
		   o->api_version, o->project_id ? o->project_id : "(none)");
	buf_puts(b, "; scripts: ");
	for (size_t i = 0; i < o->n_scripts; i++)
		buf_printf(b, "%s%s %s", i ? ", " : "",
			   o->scripts[i].kind == SCRIPT_AUTO ? "script" : script_kind_name(o->scripts[i].kind),
			   o->scripts[i].path);
	if (!o->n_scripts || o->replay)
		buf_puts(b, o->replay ? "none (a replay sends bodies as they are)" : "none");
	buf_puts(b, "; sources: ");
	for (size_t i = 0; i < o->n_inputs; i++) {
		const struct input_spec *sp = &o->inputs[i];
		if (sp->name)
			buf_printf(b, "%s%s (", i ? ", " : "", sp->name);
		if (sp->journal)
			buf_printf(b, "%s%s%s", (i && !sp->name) ? ", " : "",
				   sp->journal_directory ? "the journal in " : "the system journal",
				   sp->journal_directory ? sp->journal_directory : "");
		for (size_t i2 = 0; sp->journal && i2 < sp->n_journal_matches; i2++)
			buf_printf(b, "%s%s", i2 ? ", " : " matching ", sp->journal_matches[i2]);
		for (size_t k = 0; k < sp->n_paths; k++)
			buf_printf(b, "%s%s", (k || (i && !sp->name)) ? ", " : "",
				   strcmp(sp->paths[k], "-") == 0 ? "standard input" : sp->paths[k]);
		if (sp->name)
			buf_putc(b, ')');
	}
	buf_printf(b, "%s; state dir %s", o->follow ? " (followed)" : "",
		   o->replay ? "none (a replay's record: FILE.replayed)"
			     : o->state_dir ? o->state_dir : "none (nothing kept across runs)");
}

void options_add_template_mask(struct options *o, const char *regex)
{
	o->template_masks = xrealloc(o->template_masks,
				     (o->n_template_masks + 1) * sizeof *o->template_masks);
	o->template_masks[o->n_template_masks++] = xstrdup(regex);
}

void options_clear_template_masks(struct options *o)
{
	for (size_t i = 0; i < o->n_template_masks; i++)
		free(o->template_masks[i]);
	free(o->template_masks);
	o->template_masks = NULL;
	o->n_template_masks = 0;
}

void options_free(struct options *o)
{
	if (o->token) {
		crash_forget(o->token);
		wipe(o->token, strlen(o->token));
		free(o->token);
	}
	free(o->url);
	free(o->api_version);
	free(o->status_format);
	free(o->concurrency);
	free(o->project_id);
	free(o->token_file);
	free(o->config_file);
	free(o->state_dir);
	free(o->control_socket);
	free(o->control_group);
	free(o->metrics_listen);
	free(o->multiline_start);
	free(o->format);
	free(o->multiline);
	free(o->encoding);
	free(o->dead_letter);
	free(o->ca_file);
	free(o->replay);
	options_clear_scripts(o);
	options_clear_inputs(o);
	options_clear_template_masks(o);
	memset(o, 0, sizeof *o);
}
