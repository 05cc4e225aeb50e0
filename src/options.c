/* options.c - command line, config file and environment. */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <lauxlib.h>
#include <lualib.h>
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
#include "settings.h"
#include "crash.h"
#include "luamem.h"
#include "util.h"

static const char usage_text[] =
"Usage: logmash [OPTION]... [INPUT]...\n"
"  or:  logmash check [SCRIPT]... < SAMPLE   (try scripts: logmash check --help)\n"
"  or:  logmash top|status|tap [--state-dir DIR | --socket PATH]  (watch a running one)\n"
"Ship log lines to the CodeMash Logs API through Lua filter and enrich scripts.\n"
"\n"
"INPUT is a file path, a glob such as '/var/log/app/*.log' (quoted), or - for\n"
"standard input (the default when no input is given). Inputs are read to\n"
"their end, or followed with -F; every line is one log.\n"
"\n"
"API:\n"
"      --url URL              API base URL (default https://api.codemash.io)\n"
"      --api-version V        API version in the path (default v1)\n"
"      --project-id ID        CodeMash project id (or CODEMASH_PROJECT_ID)\n"
"      --token-file FILE      read the API token from FILE (or set CODEMASH_TOKEN;\n"
"                             the token is never taken as an argument)\n"
"Scripts (run in the order given):\n"
"  -f, --filter FILE          Lua script defining filter(log); false/nil drops\n"
"  -e, --enrich FILE          Lua script defining enrich(log); edits the log\n"
"      --script-memory SIZE   memory limit of the Lua state (default 64M)\n"
"      --unsafe-scripts       lift the sandbox (os.execute, io.popen, C modules)\n"
"      --script-budget N      Lua instructions a script call may run once it has\n"
"                             taken a millisecond; then it fails for that log\n"
"                             (default 100000; 0: no limit)\n"
"Input:\n"
"  -F, --follow               follow the inputs as they grow and rotate, like\n"
"                             tail -F, until stopped\n"
"      --from-start           read files seen for the first time from their\n"
"                             start (with -F they start at their end)\n"
"      --state-dir DIR        keep each file's checkpoint in DIR: a restart\n"
"                             resumes after the last acknowledged log\n"
"      --rotate-wait SECS     keep reading a rotated file until it is quiet\n"
"                             this long (default 5)\n"
"      --close-inactive SECS  close files idle this long; reopen on growth\n"
"                             (default 300)\n"
"      --flush-partial SECS   send a last line without its newline after this\n"
"                             long without growth (default 5)\n"
"      --multiline-start RE   a line matching RE (POSIX extended) starts a\n"
"                             record; other lines join the one before\n"
"      --multiline-timeout SECS  end a record after this long without a line\n"
"                             (default 2)\n"
"      --multiline-max-lines N   end a record at N lines (default 500)\n"
"      --max-line-bytes SIZE  cut longer lines (and records) there (default 1M)\n"
"Sending:\n"
"      --concurrency MODE     adaptive: the requests under way follow the API's\n"
"                             answers and round trip, up to --max-in-flight;\n"
"                             fixed: always --max-in-flight (default adaptive)\n"
"      --max-in-flight N      requests under way at once, at most (default 1024)\n"
"      --max-connections N    connections to the API, at most (default 0: 4 when\n"
"                             it speaks HTTP/2, 128 when HTTP/1.1)\n"
"      --send-threads N       threads carrying the requests (default 0: one a\n"
"                             CPU core, at most 2)\n"
"      --max-retries N        retries of a transient failure before giving up\n"
"                             (default -1: retry until it succeeds)\n"
"      --timeout SECS         whole-request timeout (default 30)\n"
"      --connect-timeout SECS connection timeout (default 10)\n"
"      --drain-timeout SECS   on SIGINT/SIGTERM, time to finish sending what\n"
"                             was read (default 10)\n"
"      --dry-run              write each request body as a JSON line to stdout\n"
"                             and send nothing\n"
"      --rate-limit N         at most N requests a second (default: no limit)\n"
"      --retry-base SECS      first retry waits up to this long (default 0.2)\n"
"      --retry-max SECS       retries wait at most this long (default 30)\n"
"      --http2-prior-knowledge  speak HTTP/2 to a cleartext (http://) server\n"
"      --ca-file FILE         trust the certificate authorities in FILE (PEM)\n"
"                             instead of the system's\n"
"      --insecure             do not verify the API's TLS certificate (unsafe)\n"
"      --dead-letter FILE     logs the API rejects for good, as JSON lines\n"
"                             (default: STATE_DIR/dead-letters.jsonl)\n"
"      --dead-letter-max-bytes SIZE  rotate it past SIZE (default 64M; 0: never)\n"
"      --dead-letter-keep N   rotated dead-letter files kept (default 4); an\n"
"                             older one is deleted, reported and counted\n"
"      --replay FILE          send the logs of a dead-letter file again\n"
"      --queue-max N          logs waiting to be sent, at most (default 8192)\n"
"      --queue-max-bytes SIZE their bytes, at most (default 32M)\n"
"      --spool-max-bytes SIZE standard input not yet sent, kept on disk in\n"
"                             STATE_DIR/spool, at most (default 256M)\n"
"Console:\n"
"      --no-tui               no dashboard, even on a terminal (it is on when\n"
"                             stdout is a terminal and not a --dry-run)\n"
"      --status-interval SECS without the dashboard, a status line on stderr\n"
"                             this often (default 60; 0: none)\n"
"      --status-format FMT    text or json (default text)\n"
"Watching (logmash top, status, tap; see docs/dashboard.md):\n"
"      --control-socket PATH  serve top, status and tap on this Unix socket\n"
"                             (default STATE_DIR/control.sock; none: off)\n"
"      --control-group GROUP  let GROUP's members use it too (mode 0660)\n"
"      --metrics-listen ADDR:PORT  serve Prometheus /metrics and /health there\n"
"                             (off by default; bind 127.0.0.1 unless a\n"
"                             firewall guards the port)\n"
"General:\n"
"  -c, --config FILE          Lua config file; options given here override it\n"
"  -h, --help                 show this help and exit\n"
"  -V, --version              show the version and exit\n"
"\n"
"SIZE takes a K, M or G suffix. Exit status: 0 nothing lost (delivered, or kept\n"
"for the next start), 1 some logs not delivered, 2 usage or config error or a\n"
"fatal system error, 3 the API refused the token or project id, 4 the API's URL\n"
"is wrong (404, 405, a redirect, 400 to every log).\n"
"Manual: man logmash; README.md and docs/ in the source or the installed docs.\n";

/* Options of the command line only. */
enum { OPT_TOKEN_FILE = 256, OPT_TOKEN, OPT_DRY_RUN, OPT_REPLAY, OPT_SETTING = 512 };
static const struct option cli_only[] = {
	{"token-file", required_argument, NULL, OPT_TOKEN_FILE},
	{"token", optional_argument, NULL, OPT_TOKEN},
	{"filter", required_argument, NULL, 'f'},
	{"enrich", required_argument, NULL, 'e'},
	{"dry-run", no_argument, NULL, OPT_DRY_RUN},
	{"replay", required_argument, NULL, OPT_REPLAY},
	{"config", required_argument, NULL, 'c'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
};

/* getopt's table: every setting, then the command line's own. */
static struct option *build_long_opts(void)
{
	struct option *long_opts = xcalloc(n_settings + ARRAY_LEN(cli_only) + 1, sizeof *long_opts);
	size_t k = 0;
	for (size_t i = 0; i < n_settings; i++)
		long_opts[k++] = (struct option){settings[i].name,
						 settings[i].kind == K_FLAG ? no_argument : required_argument,
						 NULL, OPT_SETTING + (int)i};
	for (size_t i = 0; i < ARRAY_LEN(cli_only); i++)
		long_opts[k++] = cli_only[i];
	long_opts[k] = (struct option){NULL, 0, NULL, 0};
	return long_opts;
}

static _Noreturn void usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "logmash: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'logmash --help' for more information.\n");
	exit(EXIT_USAGE);
}

void options_set_scripts(struct options *o, struct script_spec *s, size_t n)
{
	options_clear_scripts(o);
	o->scripts = s;
	o->n_scripts = n;
}

static void set_defaults(struct options *o)
{
	memset(o, 0, sizeof *o);
	o->url = xstrdup("https://api.codemash.io");
	o->api_version = xstrdup("v1");
	o->max_line_bytes = (size_t)1 << 20;
	o->max_in_flight = 1024;
	o->concurrency = xstrdup("adaptive");
	o->max_retries = -1;
	o->timeout = 30;
	o->connect_timeout = 10;
	o->drain_timeout = 10;
	o->script_memory = SCRIPT_MEMORY_DEFAULT;
	o->script_budget = 100000;
	o->rotate_wait = 5;
	o->close_inactive = 300;
	o->flush_partial = 5;
	o->multiline_timeout = 2;
	o->multiline_max_lines = 500;
	o->retry_base = 0.2;
	o->retry_max = 30;
	o->queue_max = 8192;
	o->queue_max_bytes = (size_t)32 << 20;
	o->spool_max_bytes = (size_t)256 << 20;
	o->dead_letter_max_bytes = (size_t)64 << 20;
	o->dead_letter_keep = 4;
	o->status_interval = 60;
	o->status_format = xstrdup("text");
}

/* First pass: --help, --version and --config, which the rest builds on. */
static void first_pass(struct options *o, int argc, char **argv, const struct option *long_opts)
{
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "c:f:e:hVF", long_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
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

/* Second pass: everything, over the config file. Returns --token-file's
 * value, or NULL. */
static char *second_pass(struct options *o, int argc, char **argv, const struct option *long_opts)
{
	opterr = 1;
	optind = 0;
	char *cli_token_file = NULL;
	char why[PATH_MAX + 128];
	int c;
	while ((c = getopt_long(argc, argv, "c:f:e:hVF", long_opts, NULL)) != -1) {
		switch (c) {
		case 'c': case 'h': case 'V': break;
		case OPT_TOKEN_FILE: options_set_str(&cli_token_file, optarg); break;
		case OPT_TOKEN:
			usage_error("%sthe token is never taken as an argument, where any user could "
				    "read it with ps: set CODEMASH_TOKEN or use --token-file FILE", "");
		case 'f': case 'e':
			if (!o->scripts_from_cli) {
				options_clear_scripts(o); /* the command line's chain replaces the file's */
				o->scripts_from_cli = 1;
			}
			options_add_script(o, c == 'f' ? SCRIPT_FILTER : SCRIPT_ENRICH, optarg);
			break;
		case OPT_DRY_RUN: o->dry_run = 1; break;
		case OPT_REPLAY: options_set_str(&o->replay, optarg); break;
		case 'F': o->follow = 1; break;
		default:
			if (c >= OPT_SETTING && c < OPT_SETTING + (int)n_settings) {
				if (setting_apply(o, &settings[c - OPT_SETTING], optarg, NULL, why,
						  sizeof why) != 0)
					die(EXIT_USAGE, "%s", why);
				break;
			}
			fprintf(stderr, "Try 'logmash --help' for more information.\n");
			exit(EXIT_USAGE);
		}
	}
	return cli_token_file;
}

/* The inputs: the command line's replace the config file's. */
static void take_inputs(struct options *o, int argc, char **argv)
{
	if (optind < argc || o->replay)
		options_clear_inputs(o);
	if (o->replay) {
		if (optind < argc)
			usage_error("%s--replay sends a dead-letter file: give no other inputs", "");
		options_add_input(o, o->replay);
		o->follow = 0;
	}
	for (int i = optind; i < argc; i++)
		options_add_input(o, argv[i]);
	if (o->n_inputs == 0)
		options_add_input(o, "-");
	size_t stdin_count = 0;
	for (size_t i = 0; i < o->n_inputs; i++)
		stdin_count += strcmp(o->inputs[i], "-") == 0;
	if (stdin_count > 1)
		usage_error("%sstandard input (-) can be given only once", "");
}

/* The token: --token-file, else CODEMASH_TOKEN, else the config's file. A
 * dry run sends nothing: it needs no token. */
static void take_token(struct options *o, char *cli_token_file)
{
	char *env_tok = getenv("CODEMASH_TOKEN");
	if (cli_token_file)
		options_set_str(&o->token_file, cli_token_file);
	if (o->dry_run)
		; /* nothing to read */
	else if (!cli_token_file && env_tok && *env_tok)
		o->token = xstrdup(env_tok);
	else if (o->token_file) /* --token-file's, or the config file's */
		o->token = token_read_or_die(o->token_file);
	free(cli_token_file);
	if (o->token)
		crash_secret(o->token, strlen(o->token));
	/* Copied or not needed: /proc/PID/environ (and a core dump) show the
	 * environment as it is in memory now. */
	if (env_tok)
		wipe(env_tok, strlen(env_tok));
}

/* What no single setting's bounds can say. */
static void check_together(struct options *o)
{
	if (strncmp(o->url, "http://", 7) != 0 && strncmp(o->url, "https://", 8) != 0)
		usage_error("--url must start with http:// or https://, not '%s'", o->url);
	size_t ul = strlen(o->url);
	while (ul > 8 && o->url[ul - 1] == '/')
		o->url[--ul] = '\0';
	if (strcmp(o->status_format, "text") != 0 && strcmp(o->status_format, "json") != 0)
		usage_error("--status-format is text or json, not '%s'", o->status_format);
	if (strcmp(o->concurrency, "adaptive") != 0 && strcmp(o->concurrency, "fixed") != 0)
		usage_error("--concurrency is adaptive or fixed, not '%s'", o->concurrency);
	if (!*o->api_version || strchr(o->api_version, '/'))
		usage_error("--api-version is a path segment such as v1 or v2, not '%s'", o->api_version);
	if (o->dry_run)
		return;
	if (!o->token)
		usage_error("%sno API token: set CODEMASH_TOKEN or use --token-file FILE "
			    "(or --dry-run to try scripts without sending)", "");
	if (!o->project_id || !*o->project_id)
		usage_error("%sno project id: use --project-id ID or set CODEMASH_PROJECT_ID "
			    "(or --dry-run to try scripts without sending)", "");
	if (strpbrk(o->token, "\r\n") || strpbrk(o->project_id, "\r\n"))
		usage_error("%sthe token and project id must be one line each", "");
	if (o->insecure)
		warnx_("warning: --insecure: the API's TLS certificate is not verified, so "
		       "whoever can reach the network path can read the token and the logs; "
		       "for a private CA give --ca-file FILE instead");
	if (o->ca_file && access(o->ca_file, R_OK) != 0) {
		char why[PATH_MAX + 128];
		snprintf(why, sizeof why, "cannot read --ca-file %s: %s", o->ca_file, strerror(errno));
		usage_error("%s", why);
	}
}

void options_parse(struct options *o, int argc, char **argv)
{
	set_defaults(o);
	struct option *long_opts = build_long_opts();
	/* getopt names the program by argv[0] in its messages: "logmash:",
	 * as every other message says, not the path it was started by. */
	argv[0] = "logmash";
	first_pass(o, argc, argv, long_opts);
	if (o->config_file)
		options_load_config_or_die(o, o->config_file);
	const char *env_pid = getenv("CODEMASH_PROJECT_ID");
	if (env_pid && *env_pid)
		options_set_str(&o->project_id, env_pid);
	char *cli_token_file = second_pass(o, argc, argv, long_opts);
	free(long_opts);
	take_inputs(o, argc, argv);
	take_token(o, cli_token_file);
	check_together(o);
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
	free(o->dead_letter);
	free(o->ca_file);
	free(o->replay);
	options_clear_scripts(o);
	options_clear_inputs(o);
	memset(o, 0, sizeof *o);
}
