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

/* Settings that both the command line (--rate-limit) and the config file
 * (rate_limit) take: one row each, so that their parsing and bounds cannot
 * drift apart. The config key is the option's name with '_' for '-'. */
/* K_SECONDS_OFF: seconds, or 0 for "never". */
enum kind { K_FLAG, K_STRING, K_PATH, K_SIZE, K_LONG, K_SECONDS, K_SECONDS_OFF, K_RATE };

struct setting {
	const char *name;
	enum kind kind;
	size_t off;      /* the field in struct options */
	double min, max; /* for numbers */
};

#define SETTING(name, kind, field, min, max) {name, kind, offsetof(struct options, field), min, max}
static const struct setting settings[] = {
	SETTING("url", K_STRING, url, 0, 0),
	SETTING("api-version", K_STRING, api_version, 0, 0),
	SETTING("project-id", K_STRING, project_id, 0, 0),
	SETTING("script-memory", K_SIZE, script_memory, 1 << 20, 17179869184.0),
	SETTING("unsafe-scripts", K_FLAG, unsafe_scripts, 0, 0),
	SETTING("script-budget", K_LONG, script_budget, 0, 1000000000000.0),
	SETTING("max-line-bytes", K_SIZE, max_line_bytes, 1, 1073741824.0),
	SETTING("max-in-flight", K_LONG, max_in_flight, 1, 4096),
	SETTING("concurrency", K_STRING, concurrency, 0, 0),
	SETTING("max-connections", K_LONG, max_connections, 0, 4096),
	SETTING("send-threads", K_LONG, send_threads, 0, 64),
	SETTING("max-retries", K_LONG, max_retries, -1, 1000000),
	SETTING("timeout", K_SECONDS, timeout, 0, 86400),
	SETTING("connect-timeout", K_SECONDS, connect_timeout, 0, 86400),
	SETTING("drain-timeout", K_SECONDS, drain_timeout, 0, 86400),
	SETTING("follow", K_FLAG, follow, 0, 0),
	SETTING("from-start", K_FLAG, from_start, 0, 0),
	SETTING("state-dir", K_PATH, state_dir, 0, 0),
	SETTING("rotate-wait", K_SECONDS, rotate_wait, 0, 86400),
	SETTING("close-inactive", K_SECONDS, close_inactive, 0, 86400),
	SETTING("flush-partial", K_SECONDS, flush_partial, 0, 86400),
	SETTING("multiline-start", K_STRING, multiline_start, 0, 0),
	SETTING("multiline-timeout", K_SECONDS, multiline_timeout, 0, 86400),
	SETTING("multiline-max-lines", K_LONG, multiline_max_lines, 1, 100000),
	SETTING("retry-base", K_SECONDS, retry_base, 0, 86400),
	SETTING("retry-max", K_SECONDS, retry_max, 0, 86400),
	SETTING("rate-limit", K_RATE, rate_limit, 0, 10000000),
	SETTING("http2-prior-knowledge", K_FLAG, http2_prior_knowledge, 0, 0),
	SETTING("ca-file", K_PATH, ca_file, 0, 0),
	SETTING("insecure", K_FLAG, insecure, 0, 0),
	SETTING("dead-letter", K_PATH, dead_letter, 0, 0),
	SETTING("dead-letter-max-bytes", K_SIZE, dead_letter_max_bytes, 0, 1099511627776.0),
	SETTING("dead-letter-keep", K_LONG, dead_letter_keep, 1, 1000),
	SETTING("queue-max", K_LONG, queue_max, 1, 10000000),
	SETTING("queue-max-bytes", K_SIZE, queue_max_bytes, 65536, 17179869184.0),
	SETTING("spool-max-bytes", K_SIZE, spool_max_bytes, 1048576, 1099511627776.0),
	SETTING("no-tui", K_FLAG, no_tui, 0, 0),
	SETTING("status-interval", K_SECONDS_OFF, status_interval, 0, 86400),
	SETTING("status-format", K_STRING, status_format, 0, 0),
	SETTING("control-socket", K_PATH, control_socket, 0, 0),
	SETTING("control-group", K_STRING, control_group, 0, 0),
	SETTING("metrics-listen", K_STRING, metrics_listen, 0, 0),
};

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

static struct option long_opts[ARRAY_LEN(settings) + ARRAY_LEN(cli_only) + 1];

static void build_long_opts(void)
{
	size_t k = 0;
	for (size_t i = 0; i < ARRAY_LEN(settings); i++)
		long_opts[k++] = (struct option){settings[i].name,
						 settings[i].kind == K_FLAG ? no_argument : required_argument,
						 NULL, OPT_SETTING + (int)i};
	for (size_t i = 0; i < ARRAY_LEN(cli_only); i++)
		long_opts[k++] = cli_only[i];
	long_opts[k] = (struct option){NULL, 0, NULL, 0};
}

static _Noreturn void usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "logmash: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'logmash --help' for more information.\n");
	exit(EXIT_USAGE);
}

int parse_size(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	unsigned long long mul = 1;
	if (*end) {
		switch (*end) {
		case 'k': case 'K': mul = 1ULL << 10; break;
		case 'm': case 'M': mul = 1ULL << 20; break;
		case 'g': case 'G': mul = 1ULL << 30; break;
		default: return -1;
		}
		end++;
		if (strcasecmp(end, "") != 0 && strcasecmp(end, "b") != 0 &&
		    strcasecmp(end, "ib") != 0)
			return -1;
	}
	if (v > SIZE_MAX / mul)
		return -1;
	*out = (size_t)(v * mul);
	return 0;
}

/* The parsers of option values: 0 with *out set, or -1 with the reason in
 * why (the command line prints it and exits; a config file's loader adds
 * the file's name). */
static int parse_long_opt(const char *name, const char *s, long min, long max, long *out,
			  char *why, size_t n)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		snprintf(why, n, "--%s wants a whole number from %ld to %ld, not '%s'", name, min,
			 max, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_seconds_opt(const char *name, const char *s, int zero_ok, double *out,
			     char *why, size_t n)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0 || (zero_ok && v == 0)) || v > 86400) {
		snprintf(why, n, "--%s wants seconds (%s, at most 86400), not '%s'", name,
			 zero_ok ? "0 for none, or above 0" : "above 0", s);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_rate_opt(const char *name, const char *s, double max, double *out, char *why,
			  size_t n)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > max) {
		snprintf(why, n, "--%s wants requests a second (above 0, at most %g), not '%s'",
			 name, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_size_opt(const char *name, const char *s, size_t min, size_t max, size_t *out,
			  char *why, size_t n)
{
	size_t v;
	if (parse_size(s, &v) != 0 || v < min || v > max) {
		snprintf(why, n, "--%s wants a size from %zu to %zu bytes (K, M, G suffixes "
			 "allowed), not '%s'", name, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

static void add_script(struct options *o, enum script_kind k, const char *path)
{
	o->scripts = xrealloc(o->scripts, (o->n_scripts + 1) * sizeof *o->scripts);
	o->scripts[o->n_scripts].kind = k;
	o->scripts[o->n_scripts].path = xstrdup(path);
	o->n_scripts++;
}

void options_free_scripts(struct script_spec *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)s[i].path);
	free(s);
}

static void clear_scripts(struct options *o)
{
	options_free_scripts(o->scripts, o->n_scripts);
	o->scripts = NULL;
	o->n_scripts = 0;
}

static void add_input(struct options *o, const char *path)
{
	o->inputs = xrealloc(o->inputs, (o->n_inputs + 1) * sizeof *o->inputs);
	o->inputs[o->n_inputs++] = xstrdup(path);
}

static void clear_inputs(struct options *o)
{
	for (size_t i = 0; i < o->n_inputs; i++)
		free(o->inputs[i]);
	free(o->inputs);
	o->inputs = NULL;
	o->n_inputs = 0;
}

/* ---- the config file ---- */

/* A path in the config file is relative to the config file's folder. */
static char *config_path(const char *config, const char *p)
{
	const char *slash = strrchr(config, '/');
	if (p[0] == '/' || strcmp(p, "-") == 0 || !slash)
		return xstrdup(p);
	struct buf b = {0};
	buf_printf(&b, "%.*s/%s", (int)(slash - config), config, p);
	return buf_cstr(&b);
}

/* The config's values are checked under lua_pcall (apply_config): a wrong
 * one raises a Lua error that options_load_config returns. */
static _Noreturn void config_error(lua_State *L, const char *file, const char *key,
				   const char *want)
{
	luaL_error(L, "%s: '%s' must be %s", file, key, want);
	abort(); /* luaL_error does not return */
}

static const char *cfg_string(lua_State *L, const char *file, const char *key)
{
	if (lua_type(L, -1) != LUA_TSTRING)
		config_error(L, file, key, "a string");
	return lua_tostring(L, -1);
}

static const char *cfg_scalar(lua_State *L, const char *file, const char *key)
{
	if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
		config_error(L, file, key, "a number or a string");
	return lua_tostring(L, -1);
}

static int cfg_bool(lua_State *L, const char *file, const char *key)
{
	if (!lua_isboolean(L, -1))
		config_error(L, file, key, "true or false");
	return lua_toboolean(L, -1);
}

#define SCRIPTS_WANT "a list like { {filter = \"a.lua\"}, {enrich = \"b.lua\"} }"

/* The chain in the config's scripts value (on top of L's stack), appended to
 * o; -1 if it has the wrong shape (o then holds part of it). */
static int scripts_from_table(lua_State *L, struct options *o, const char *file)
{
	if (!lua_istable(L, -1))
		return -1;
	lua_Integer n = luaL_len(L, -1);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_geti(L, -1, i);
		if (!lua_istable(L, -1))
			return -1;
		int found = 0;
		static const char *kinds[] = {"filter", "enrich"};
		for (int k = 0; k < 2; k++) {
			lua_getfield(L, -1, kinds[k]);
			if (lua_type(L, -1) == LUA_TSTRING) {
				char *p = config_path(file, lua_tostring(L, -1));
				add_script(o, k == 0 ? SCRIPT_FILTER : SCRIPT_ENRICH, p);
				free(p);
				found++;
			} else if (!lua_isnil(L, -1)) {
				return -1;
			}
			lua_pop(L, 1);
		}
		if (found != 1)
			return -1;
		lua_pop(L, 1);
	}
	return 0;
}

static void cfg_scripts(lua_State *L, struct options *o, const char *file)
{
	if (scripts_from_table(L, o, file) != 0)
		config_error(L, file, "scripts", SCRIPTS_WANT);
}

static void cfg_inputs(lua_State *L, struct options *o, const char *file)
{
	if (lua_type(L, -1) == LUA_TSTRING) {
		char *p = config_path(file, lua_tostring(L, -1));
		add_input(o, p);
		free(p);
		return;
	}
	if (!lua_istable(L, -1))
		config_error(L, file, "inputs", "a path or a list of paths");
	lua_Integer n = luaL_len(L, -1);
	for (lua_Integer i = 1; i <= n; i++) {
		if (lua_geti(L, -1, i) != LUA_TSTRING)
			config_error(L, file, "inputs", "a path or a list of paths");
		char *p = config_path(file, lua_tostring(L, -1));
		add_input(o, p);
		free(p);
		lua_pop(L, 1);
	}
}

/* Sets one setting from its text; config names the file it came from (for
 * relative paths), or is NULL on the command line. 0, or -1 with the
 * reason in why for a bad value. */
static int apply(struct options *o, const struct setting *st, const char *val, const char *config,
		 char *why, size_t n)
{
	char *field = (char *)o + st->off;
	switch (st->kind) {
	case K_FLAG:
		*(int *)(void *)field = 1;
		return 0;
	case K_STRING:
		set_str((char **)(void *)field, val);
		return 0;
	case K_PATH: {
		char *p = config ? config_path(config, val) : xstrdup(val);
		free(*(char **)(void *)field);
		*(char **)(void *)field = p;
		return 0;
	}
	case K_SIZE:
		return parse_size_opt(st->name, val, (size_t)st->min, (size_t)st->max,
				      (size_t *)(void *)field, why, n);
	case K_LONG:
		return parse_long_opt(st->name, val, (long)st->min, (long)st->max,
				      (long *)(void *)field, why, n);
	case K_SECONDS:
	case K_SECONDS_OFF:
		return parse_seconds_opt(st->name, val, st->kind == K_SECONDS_OFF,
					 (double *)(void *)field, why, n);
	case K_RATE:
		return parse_rate_opt(st->name, val, st->max, (double *)(void *)field, why, n);
	}
	return 0;
}

/* The setting whose config key (the option's name, '_' for '-') is key. */
static const struct setting *setting_for_key(const char *key)
{
	for (size_t i = 0; i < ARRAY_LEN(settings); i++) {
		const char *n = settings[i].name, *k = key;
		while (*n && (*n == *k || (*n == '-' && *k == '_')))
			n++, k++;
		if (!*n && !*k)
			return &settings[i];
	}
	return NULL;
}

/* A config file is settings written in Lua. Its chunk sees only the table
 * its assignments land in, so no library is within its reach (string
 * methods work, through the strings' metatable); it runs within
 * CONFIG_MEMORY bytes and CONFIG_BUDGET instructions, so that a mistaken
 * one fails at start rather than hanging. */
#define CONFIG_MEMORY ((size_t)64 << 20)
#define CONFIG_BUDGET 10000000
#define CONFIG_HOOK_STEP 10000

struct config_run {
	struct luamem mem;
	long counted;
};

static void config_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	struct config_run *r = *(struct config_run **)lua_getextraspace(L);
	r->counted += CONFIG_HOOK_STEP;
	if (r->counted >= CONFIG_BUDGET)
		luaL_error(L, "it runs too long (over %d Lua instructions): a config file only "
			   "sets values", CONFIG_BUDGET);
}

/* Runs the config file in a fresh Lua state, within the bounds above; its
 * assignments land in the table at stack index 1. NULL with the reason in
 * why. */
static lua_State *run_config(const char *file, struct config_run *r, char *why, size_t n)
{
	r->mem.limit = CONFIG_MEMORY;
	lua_State *L = lua_newstate(luamem_alloc, &r->mem);
	if (!L) {
		snprintf(why, n, "out of memory reading %s", file);
		return NULL;
	}
	*(struct config_run **)lua_getextraspace(L) = r;
	lua_sethook(L, config_hook, LUA_MASKCOUNT, CONFIG_HOOK_STEP);
	luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 0);
	lua_pop(L, 1);
	lua_newtable(L);
	if (luaL_loadfilex(L, file, "t") != LUA_OK) {
		snprintf(why, n, "cannot load config: %s", lua_tostring(L, -1));
		lua_close(L);
		return NULL;
	}
	lua_pushvalue(L, 1);
	lua_setupvalue(L, -2, 1);
	if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
		snprintf(why, n, "config error: %s", luaL_tolstring(L, -1, NULL));
		lua_close(L);
		return NULL;
	}
	/* The file has run: what its callers do next is logmash's, and must
	 * not meet the file's bounds outside lua_pcall. */
	lua_sethook(L, NULL, 0, 0);
	r->mem.limit = SIZE_MAX;
	return L;
}

/* Under lua_pcall: applies the settings in the table at index 2 to the
 * options at index 1 (light userdata), the file's name at 3. */
static int apply_config(lua_State *L)
{
	struct options *o = lua_touserdata(L, 1);
	const char *file = lua_tostring(L, 3);
	const int env = 2;
	char why[512];
	lua_pushnil(L);
	while (lua_next(L, env)) {
		if (lua_type(L, -2) != LUA_TSTRING)
			return luaL_error(L, "%s: settings are names, not %s", file,
					  luaL_typename(L, -2));
		const char *k = lua_tostring(L, -2);
		if (lua_isfunction(L, -1)) {
			lua_pop(L, 1); /* helper functions the file defined for itself */
			continue;
		}
		const struct setting *st = setting_for_key(k);
		int bad = 0;
		if (st && st->kind == K_FLAG)
			*(int *)(void *)((char *)o + st->off) = cfg_bool(L, file, k);
		else if (st && (st->kind == K_STRING || st->kind == K_PATH))
			bad = apply(o, st, cfg_string(L, file, k), file, why, sizeof why);
		else if (st)
			bad = apply(o, st, cfg_scalar(L, file, k), file, why, sizeof why);
		else if (!strcmp(k, "token_file")) {
			char *p = config_path(file, cfg_string(L, file, k));
			free(o->token_file);
			o->token_file = p;
		} else if (!strcmp(k, "token"))
			return luaL_error(L, "%s: a token does not belong in the config file; put it "
					  "in a file of its own (mode 600) and set token_file, or set "
					  "CODEMASH_TOKEN", file);
		else if (!strcmp(k, "scripts"))
			cfg_scripts(L, o, file);
		else if (!strcmp(k, "inputs"))
			cfg_inputs(L, o, file);
		else
			return luaL_error(L, "%s: unknown setting '%s' (see docs/configuration.md, "
					  "'Config file')", file, k);
		if (bad)
			return luaL_error(L, "%s: %s", file, why);
		lua_pop(L, 1);
	}
	return 0;
}

int options_load_config(struct options *o, const char *file, char *why, size_t n)
{
	struct config_run r = {0};
	lua_State *L = run_config(file, &r, why, n);
	if (!L)
		return -1;
	lua_pushcfunction(L, apply_config);
	lua_pushlightuserdata(L, o);
	lua_pushvalue(L, 1);
	lua_pushstring(L, file);
	int rc = lua_pcall(L, 3, 0, 0);
	if (rc != LUA_OK)
		snprintf(why, n, "%s", lua_tostring(L, -1));
	lua_close(L);
	return rc == LUA_OK ? 0 : -1;
}

static void load_config(struct options *o, const char *file)
{
	char why[PATH_MAX + 512];
	if (options_load_config(o, file, why, sizeof why) != 0)
		die(EXIT_USAGE, "%s", why);
}

/* ---- the token ---- */

/* The token in path, or NULL with the reason in why. */
static char *load_token(const char *path, char *why, size_t whylen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(why, whylen, "cannot read token file %s: %s", path, strerror(errno));
		return NULL;
	}
	/* Unbuffered: stdio's buffer would keep a copy in freed memory. */
	if (setvbuf(f, NULL, _IONBF, 0) != 0) {
		snprintf(why, whylen, "cannot read token file %s: %s", path, strerror(errno));
		fclose(f);
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & S_IROTH))
		warnx_("warning: token file %s is readable by every user; run: chmod 600 %s",
		       path, path);
	char tok[4096];
	size_t n = fread(tok, 1, sizeof tok - 1, f);
	int err = ferror(f);
	fclose(f);
	tok[n] = '\0';
	while (n && strchr(" \t\r\n", tok[n - 1]))
		tok[--n] = '\0';
	char *t = NULL;
	if (err)
		snprintf(why, whylen, "cannot read token file %s", path);
	else if (n == 0)
		snprintf(why, whylen, "token file %s is empty", path);
	else if (strpbrk(tok, "\r\n"))
		snprintf(why, whylen, "token file %s has more than one line; it should hold the "
			 "token only", path);
	else
		t = xstrdup(tok);
	wipe(tok, sizeof tok);
	return t;
}

static char *read_token_file(const char *path)
{
	char why[600];
	char *t = load_token(path, why, sizeof why);
	if (!t)
		die(EXIT_USAGE, "%s", why);
	return t;
}

int options_config_scripts(const struct options *o, struct script_spec **out, size_t *n,
			   char *why, size_t wn)
{
	if (!o->config_file || o->scripts_from_cli)
		return 0;
	struct config_run r = {0};
	lua_State *L = run_config(o->config_file, &r, why, wn);
	if (!L)
		return -1;
	lua_getfield(L, 1, "scripts");
	struct options tmp = {0};
	int rc = lua_isnil(L, -1) ? 0 : scripts_from_table(L, &tmp, o->config_file);
	lua_close(L);
	if (rc != 0) {
		snprintf(why, wn, "%s: 'scripts' must be %s", o->config_file, SCRIPTS_WANT);
		clear_scripts(&tmp);
		return -1;
	}
	*out = tmp.scripts;
	*n = tmp.n_scripts;
	return 1;
}

void options_set_scripts(struct options *o, struct script_spec *s, size_t n)
{
	clear_scripts(o);
	o->scripts = s;
	o->n_scripts = n;
}

int options_reload_token(struct options *o, char *why, size_t n)
{
	if (!o->token_file) {
		snprintf(why, n, "the token comes from CODEMASH_TOKEN, which cannot change while "
			 "logmash runs: use --token-file to reload it, or restart logmash");
		return -1;
	}
	char *t = load_token(o->token_file, why, n);
	if (!t)
		return -1;
	if (o->token) {
		crash_forget(o->token);
		wipe(o->token, strlen(o->token));
		free(o->token);
	}
	o->token = t;
	crash_secret(t, strlen(t));
	return 0;
}

void options_parse(struct options *o, int argc, char **argv)
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

	build_long_opts();

	/* getopt names the program by argv[0] in its messages: "logmash:",
	 * as every other message says, not the path it was started by. */
	argv[0] = "logmash";
	/* First pass: --help, --version and --config, which the rest builds on. */
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
			set_str(&o->config_file, optarg);
		}
	}
	if (o->config_file)
		load_config(o, o->config_file);

	const char *env_pid = getenv("CODEMASH_PROJECT_ID");
	if (env_pid && *env_pid)
		set_str(&o->project_id, env_pid);

	/* Second pass: everything, over the config file. */
	opterr = 1;
	optind = 0;
	char *cli_token_file = NULL;
	char why[PATH_MAX + 128];
	while ((c = getopt_long(argc, argv, "c:f:e:hVF", long_opts, NULL)) != -1) {
		switch (c) {
		case 'c': case 'h': case 'V': break;
		case OPT_TOKEN_FILE: set_str(&cli_token_file, optarg); break;
		case OPT_TOKEN:
			usage_error("%sthe token is never taken as an argument, where any user could "
				    "read it with ps: set CODEMASH_TOKEN or use --token-file FILE", "");
		case 'f': case 'e':
			if (!o->scripts_from_cli) {
				clear_scripts(o); /* the command line's chain replaces the file's */
				o->scripts_from_cli = 1;
			}
			add_script(o, c == 'f' ? SCRIPT_FILTER : SCRIPT_ENRICH, optarg);
			break;
		case OPT_DRY_RUN: o->dry_run = 1; break;
		case OPT_REPLAY: set_str(&o->replay, optarg); break;
		case 'F': o->follow = 1; break;
		default:
			if (c >= OPT_SETTING && c < OPT_SETTING + (int)ARRAY_LEN(settings)) {
				if (apply(o, &settings[c - OPT_SETTING], optarg, NULL, why,
					  sizeof why) != 0)
					die(EXIT_USAGE, "%s", why);
				break;
			}
			fprintf(stderr, "Try 'logmash --help' for more information.\n");
			exit(EXIT_USAGE);
		}
	}
	if (optind < argc || o->replay)
		clear_inputs(o); /* the command line's inputs replace the file's */
	if (o->replay) {
		if (optind < argc)
			usage_error("%s--replay sends a dead-letter file: give no other inputs", "");
		add_input(o, o->replay);
		o->follow = 0;
	}
	for (int i = optind; i < argc; i++)
		add_input(o, argv[i]);
	if (o->n_inputs == 0)
		add_input(o, "-");
	size_t stdin_count = 0;
	for (size_t i = 0; i < o->n_inputs; i++)
		stdin_count += strcmp(o->inputs[i], "-") == 0;
	if (stdin_count > 1)
		usage_error("%sstandard input (-) can be given only once", "");

	/* The token: --token-file, else CODEMASH_TOKEN, else the config's file. */
	/* A dry run sends nothing: it needs no token. */
	char *env_tok = getenv("CODEMASH_TOKEN");
	if (cli_token_file)
		set_str(&o->token_file, cli_token_file);
	if (o->dry_run)
		; /* nothing to read */
	else if (!cli_token_file && env_tok && *env_tok)
		o->token = xstrdup(env_tok);
	else if (o->token_file) /* --token-file's, or the config file's */
		o->token = read_token_file(o->token_file);
	free(cli_token_file);
	if (o->token)
		crash_secret(o->token, strlen(o->token));
	/* Copied or not needed: /proc/PID/environ (and a core dump) show the
	 * environment as it is in memory now. */
	if (env_tok)
		wipe(env_tok, strlen(env_tok));

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
	if (!o->dry_run) {
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
			snprintf(why, sizeof why, "cannot read --ca-file %s: %s", o->ca_file,
				 strerror(errno));
			usage_error("%s", why);
		}
	}
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
	clear_scripts(o);
	clear_inputs(o);
	memset(o, 0, sizeof *o);
}
