/* settings.c - the settings both the command line and the config file
 * take: one row each, how each parses, and where it lands in the options. */
#include "settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "util.h"

#define OFF(field) offsetof(struct options, field)

/* Every option, one row each: the settings, which the config file takes
 * too (rate_limit for --rate-limit), and the command line's own (K_CLI,
 * acted on in options.c). The rows' order within a section is --help's;
 * the defaults are applied by options_defaults through the same parsers as
 * a value given. .restart: a reload cannot change it (it is named, and its
 * value stays). */
const struct setting settings[] = {
	{.name = "url", .kind = K_STRING, .off = OFF(url), .def = "https://api.codemash.io",
	 .arg = "URL", .sec = SEC_API,
	 .help = "API base URL; logs are posted to URL/VERSION/logs"},
	{.name = "api-version", .kind = K_STRING, .off = OFF(api_version), .def = "v1", .arg = "V",
	 .sec = SEC_API,
	 .help = "API version in the path"},
	{.name = "project-id", .kind = K_STRING, .off = OFF(project_id), .arg = "ID",
	 .sec = SEC_API,
	 .help = "CodeMash project id (or CODEMASH_PROJECT_ID)"},
	{.name = "token-file", .short_opt = OPT_TOKEN_FILE, .kind = K_CLI, .arg = "FILE",
	 .sec = SEC_API,
	 .help = "read the API token from FILE (or set CODEMASH_TOKEN; the token is never taken as "
		 "an argument)"},
	/* refused, saying why; not in --help */
	{.name = "token", .short_opt = OPT_TOKEN, .kind = K_CLI, .arg = "[TOKEN]", .sec = SEC_API},
	{.name = "filter", .short_opt = 'f', .kind = K_CLI, .arg = "FILE", .sec = SEC_SCRIPTS,
	 .help = "Lua script defining filter(log); true keeps, false drops"},
	{.name = "enrich", .short_opt = 'e', .kind = K_CLI, .arg = "FILE", .sec = SEC_SCRIPTS,
	 .help = "Lua script defining enrich(log); edits the log"},
	{.name = "script-memory", .kind = K_SIZE, .off = OFF(script_memory), .min = 1 << 20,
	 .max = 17179869184.0, .def = "64M", .arg = "SIZE", .sec = SEC_SCRIPTS,
	 .help = "memory limit of the Lua state"},
	{.name = "unsafe-scripts", .kind = K_FLAG, .off = OFF(unsafe_scripts), .sec = SEC_SCRIPTS,
	 .help = "lift the sandbox (writing files, os.execute, io.popen, C modules)"},
	{.name = "script-budget", .kind = K_LONG, .off = OFF(script_budget), .max = 1000000000000.0,
	 .def = "100000", .arg = "N", .sec = SEC_SCRIPTS,
	 .help = "Lua instructions a script call may run once it has taken a "
		 "millisecond; then it fails for that log (0: no limit)"},
	{.name = "volume-keys-max", .kind = K_LONG, .off = OFF(volume_keys_max), .min = 1,
	 .max = 100000000, .def = "100000", .arg = "N", .sec = SEC_SCRIPTS,
	 .help = "keys each script's logmash.throttle, sample and dedupe keep; the least recently "
		 "used goes past that"},
	{.name = "template-max", .kind = K_LONG, .off = OFF(template_max), .min = 1,
	 .max = 10000000, .def = "10000", .arg = "N", .sec = SEC_SCRIPTS, .restart = 1,
	 .help = "templates logmash.template keeps; the least recently seen goes past that"},
	{.name = "template-mask", .short_opt = OPT_TEMPLATE_MASK, .kind = K_CLI, .arg = "REGEX",
	 .sec = SEC_SCRIPTS,
	 .help = "what the PCRE2 REGEX matches in a message is a variable part of its template "
		 "(repeatable)"},
	{.name = "follow", .short_opt = 'F', .kind = K_FLAG, .off = OFF(follow), .sec = SEC_INPUT,
	 .restart = 1,
	 .help = "follow the inputs as they grow and rotate, like tail -F, until stopped"},
	{.name = "journal", .short_opt = OPT_JOURNAL, .kind = K_CLI, .sec = SEC_INPUT,
	 .help = "read this host's systemd journal, as an input named journal"},
	{.name = "journal-directory", .short_opt = OPT_JOURNAL_DIRECTORY, .kind = K_CLI,
	 .arg = "DIR", .sec = SEC_INPUT,
	 .help = "read the journal files in DIR instead (a container's, another host's)"},
	{.name = "journal-match", .short_opt = OPT_JOURNAL_MATCH, .kind = K_CLI, .arg = "MATCH",
	 .sec = SEC_INPUT,
	 .help = "read only the journal's entries that MATCH, FIELD=VALUE (repeatable: the same "
		 "field twice ORs, different fields AND, as journalctl's)"},
	{.name = "from-start", .kind = K_FLAG, .off = OFF(from_start), .sec = SEC_INPUT,
	 .restart = 1,
	 .help = "read files seen for the first time from their start (with -F they start at "
		 "their end)"},
	{.name = "state-dir", .kind = K_PATH, .off = OFF(state_dir), .arg = "DIR", .sec = SEC_INPUT,
	 .restart = 1,
	 .help = "keep each file's checkpoint in DIR: a restart resumes after the last "
		 "acknowledged log"},
	{.name = "rotate-wait", .kind = K_SECONDS, .off = OFF(rotate_wait), .max = 86400,
	 .def = "5", .arg = "SECS", .sec = SEC_INPUT,
	 .help = "keep reading a rotated file until it is quiet this long"},
	{.name = "close-inactive", .kind = K_SECONDS, .off = OFF(close_inactive), .max = 86400,
	 .def = "300", .arg = "SECS", .sec = SEC_INPUT,
	 .help = "close files idle this long; reopen on growth"},
	{.name = "flush-partial", .kind = K_SECONDS, .off = OFF(flush_partial), .max = 86400,
	 .def = "5", .arg = "SECS", .sec = SEC_INPUT,
	 .help = "send a last line without its newline after this long without growth"},
	{.name = "format", .kind = K_STRING, .off = OFF(format), .def = "lines", .arg = "FORMAT",
	 .sec = SEC_INPUT,
	 .help = "what the inputs' lines are: lines, cri (Kubernetes nodes: containerd, CRI-O) or "
		 "docker (Docker's json-file driver); an input of the config may set its own"},
	{.name = "multiline", .kind = K_STRING, .off = OFF(multiline), .arg = "PRESET",
	 .sec = SEC_INPUT,
	 .help = "join the traces of a runtime into one log: java, python or go"},
	{.name = "encoding", .kind = K_STRING, .off = OFF(encoding), .arg = "NAME",
	 .sec = SEC_INPUT,
	 .help = "the inputs' encoding, converted to UTF-8: utf-8 (the default), latin1, "
		 "windows-1252, or another that iconv knows"},
	{.name = "multiline-start", .kind = K_STRING, .off = OFF(multiline_start), .arg = "REGEX",
	 .sec = SEC_INPUT,
	 .help = "a line matching REGEX (POSIX extended) starts a record; other lines join the one "
		 "before"},
	{.name = "multiline-timeout", .kind = K_SECONDS, .off = OFF(multiline_timeout),
	 .max = 86400, .def = "2", .arg = "SECS", .sec = SEC_INPUT,
	 .help = "end a record after this long without a line"},
	{.name = "multiline-max-lines", .kind = K_LONG, .off = OFF(multiline_max_lines), .min = 1,
	 .max = 100000, .def = "500", .arg = "N", .sec = SEC_INPUT,
	 .help = "end a record at N lines"},
	{.name = "max-line-bytes", .kind = K_SIZE, .off = OFF(max_line_bytes), .min = 1,
	 .max = 1073741824.0, .def = "1M", .arg = "SIZE", .sec = SEC_INPUT, .restart = 1,
	 .help = "cut longer lines (and records) there"},
	{.name = "concurrency", .kind = K_STRING, .off = OFF(concurrency), .def = "adaptive",
	 .arg = "MODE", .sec = SEC_SENDING,
	 .help = "adaptive: the requests under way follow the API's answers and round trip, up "
		 "to --max-in-flight; fixed: always --max-in-flight"},
	{.name = "max-in-flight", .kind = K_LONG, .off = OFF(max_in_flight), .min = 1, .max = 4096,
	 .def = "1024", .arg = "N", .sec = SEC_SENDING,
	 .help = "requests under way at once, at most"},
	{.name = "max-connections", .kind = K_LONG, .off = OFF(max_connections), .max = 4096,
	 .def = "0", .arg = "N", .sec = SEC_SENDING,
	 .help = "connections to the API, at most (0: 4 when it speaks HTTP/2, 128 when HTTP/1.1)"},
	{.name = "send-threads", .kind = K_LONG, .off = OFF(send_threads), .max = 64, .def = "0",
	 .arg = "N", .sec = SEC_SENDING, .restart = 1,
	 .help = "threads carrying the requests (0: one a CPU core, at most 2)"},
	{.name = "max-retries", .kind = K_LONG, .off = OFF(max_retries), .min = -1, .max = 1000000,
	 .def = "-1", .arg = "N", .sec = SEC_SENDING,
	 .help = "retries of a transient failure before giving up (-1: retry until it succeeds)"},
	{.name = "timeout", .kind = K_SECONDS, .off = OFF(timeout), .max = 86400, .def = "30",
	 .arg = "SECS", .sec = SEC_SENDING,
	 .help = "whole-request timeout"},
	{.name = "connect-timeout", .kind = K_SECONDS, .off = OFF(connect_timeout), .max = 86400,
	 .def = "10", .arg = "SECS", .sec = SEC_SENDING,
	 .help = "connection timeout"},
	{.name = "drain-timeout", .kind = K_SECONDS, .off = OFF(drain_timeout), .max = 86400,
	 .def = "10", .arg = "SECS", .sec = SEC_SENDING,
	 .help = "on SIGINT/SIGTERM, time to finish sending what was read"},
	{.name = "dry-run", .short_opt = OPT_DRY_RUN, .kind = K_CLI, .sec = SEC_SENDING,
	 .help = "write each request body as a JSON line to stdout and send nothing"},
	{.name = "rate-limit", .kind = K_RATE, .off = OFF(rate_limit), .max = 10000000, .arg = "N",
	 .sec = SEC_SENDING,
	 .help = "at most N requests a second (default: no limit)"},
	{.name = "retry-base", .kind = K_SECONDS, .off = OFF(retry_base), .max = 86400,
	 .def = "0.2", .arg = "SECS", .sec = SEC_SENDING,
	 .help = "first retry waits up to this long"},
	{.name = "retry-max", .kind = K_SECONDS, .off = OFF(retry_max), .max = 86400, .def = "30",
	 .arg = "SECS", .sec = SEC_SENDING,
	 .help = "retries wait at most this long"},
	{.name = "http2-prior-knowledge", .kind = K_FLAG, .off = OFF(http2_prior_knowledge),
	 .sec = SEC_SENDING,
	 .help = "speak HTTP/2 to a cleartext (http://) server"},
	{.name = "ca-file", .kind = K_PATH, .off = OFF(ca_file), .arg = "FILE", .sec = SEC_SENDING,
	 .help = "trust the certificate authorities in FILE (PEM) instead of the system's"},
	{.name = "insecure", .kind = K_FLAG, .off = OFF(insecure), .sec = SEC_SENDING,
	 .help = "do not verify the API's TLS certificate (unsafe)"},
	{.name = "dead-letter", .kind = K_PATH, .off = OFF(dead_letter), .arg = "FILE",
	 .sec = SEC_SENDING, .restart = 1,
	 .help = "logs the API rejects for good, as JSON lines (default: "
		 "STATE_DIR/dead-letters.jsonl)"},
	{.name = "dead-letter-max-bytes", .kind = K_SIZE, .off = OFF(dead_letter_max_bytes),
	 .max = 1099511627776.0, .def = "64M", .arg = "SIZE", .sec = SEC_SENDING,
	 .help = "rotate it past SIZE (0: never)"},
	{.name = "dead-letter-keep", .kind = K_LONG, .off = OFF(dead_letter_keep), .min = 1,
	 .max = 1000, .def = "4", .arg = "N", .sec = SEC_SENDING,
	 .help = "rotated dead-letter files kept; an older one is deleted, reported and counted"},
	{.name = "replay", .short_opt = OPT_REPLAY, .kind = K_CLI, .arg = "FILE",
	 .sec = SEC_SENDING,
	 .help = "send the logs of a dead-letter file again"},
	{.name = "queue-max", .kind = K_LONG, .off = OFF(queue_max), .min = 1, .max = 10000000,
	 .def = "8192", .arg = "N", .sec = SEC_SENDING, .restart = 1,
	 .help = "logs waiting to be sent, at most"},
	{.name = "queue-max-bytes", .kind = K_SIZE, .off = OFF(queue_max_bytes), .min = 65536,
	 .max = 17179869184.0, .def = "32M", .arg = "SIZE", .sec = SEC_SENDING, .restart = 1,
	 .help = "their bytes, at most"},
	{.name = "spool-max-bytes", .kind = K_SIZE, .off = OFF(spool_max_bytes), .min = 1048576,
	 .max = 1099511627776.0, .def = "256M", .arg = "SIZE", .sec = SEC_SENDING, .restart = 1,
	 .help = "standard input not yet sent, kept on disk in STATE_DIR/spool, at most"},
	{.name = "no-tui", .kind = K_FLAG, .off = OFF(no_tui), .sec = SEC_CONSOLE, .restart = 1,
	 .help = "no dashboard, even on a terminal (it is on when stdout is a terminal and not a "
		 "--dry-run)"},
	{.name = "status-interval", .kind = K_SECONDS_OFF, .off = OFF(status_interval),
	 .max = 86400, .def = "60", .arg = "SECS", .sec = SEC_CONSOLE, .restart = 1,
	 .help = "without the dashboard, a status line on stderr this often (0: none)"},
	{.name = "status-format", .kind = K_STRING, .off = OFF(status_format), .def = "text",
	 .arg = "FMT", .sec = SEC_CONSOLE, .restart = 1,
	 .help = "text or json"},
	{.name = "control-socket", .kind = K_PATH, .off = OFF(control_socket), .arg = "PATH",
	 .sec = SEC_WATCHING, .restart = 1,
	 .help = "serve top, status and tap on this Unix socket (default STATE_DIR/control.sock; "
		 "none: off)"},
	{.name = "control-group", .kind = K_STRING, .off = OFF(control_group), .arg = "GROUP",
	 .sec = SEC_WATCHING, .restart = 1,
	 .help = "let GROUP's members use it too (mode 0660)"},
	{.name = "control-stall", .kind = K_SECONDS, .off = OFF(control_stall), .min = 0.1,
	 .max = 86400, .def = "10", .arg = "SECS", .sec = SEC_WATCHING, .restart = 1,
	 .help = "drop a client of the control socket that took nothing this long"},
	{.name = "metrics-listen", .kind = K_STRING, .off = OFF(metrics_listen), .arg = "ADDR:PORT",
	 .sec = SEC_WATCHING, .restart = 1,
	 .help = "serve Prometheus /metrics and /health there (off by default; bind 127.0.0.1 "
		 "unless a firewall guards the port)"},
	{.name = "config", .short_opt = 'c', .kind = K_CLI, .arg = "FILE", .sec = SEC_GENERAL,
	 .help = "Lua config file; options given here override it"},
	{.name = "help", .short_opt = 'h', .kind = K_CLI, .sec = SEC_GENERAL,
	 .help = "show this help and exit"},
	{.name = "version", .short_opt = 'V', .kind = K_CLI, .sec = SEC_GENERAL,
	 .help = "show the version and exit"},
};

const size_t n_settings = ARRAY_LEN(settings);

const char *const section_title[N_SECTIONS] = {
	[SEC_API] = "API",
	[SEC_SCRIPTS] = "Scripts (run in the order given)",
	[SEC_INPUT] = "Input",
	[SEC_SENDING] = "Sending",
	[SEC_CONSOLE] = "Console",
	[SEC_WATCHING] = "Watching (logmash top, status, tap; see docs/dashboard.md)",
	[SEC_GENERAL] = "General",
};

const struct setting *setting_named(const char *name)
{
	for (size_t i = 0; i < n_settings; i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

#define HELP_COLUMN 29 /* where the help text starts */
#define HELP_WIDTH 79

void setting_help(FILE *out, const struct setting *st)
{
	char lead[96];
	int has_short = st->short_opt > 0 && st->short_opt < 128;
	int n = snprintf(lead, sizeof lead, "  %c%c%s--%s%s%s", has_short ? '-' : ' ',
			 has_short ? st->short_opt : ' ', has_short ? ", " : "  ", st->name,
			 st->arg ? " " : "", st->arg ? st->arg : "");
	struct buf text = {0};
	buf_puts(&text, st->help);
	/* "(0: none)" and a default become "(0: none; default 60)". */
	if (st->def && text.len && text.data[text.len - 1] == ')') {
		text.len--;
		buf_printf(&text, "; default %s)", st->def);
	} else if (st->def) {
		buf_printf(&text, " (default %s)", st->def);
	}
	/* The text from HELP_COLUMN, or two spaces past a long lead; words
	 * wrapped at HELP_WIDTH onto lines indented to HELP_COLUMN. */
	fputs(lead, out);
	int col = n < HELP_COLUMN - 1 ? HELP_COLUMN : n + 2;
	fprintf(out, "%*s", col - n, "");
	const char *w = buf_cstr(&text);
	int at_start = 1;
	while (*w) {
		size_t len = strcspn(w, " ");
		if (!at_start && col + 1 + (int)len > HELP_WIDTH) {
			fprintf(out, "\n%*s", HELP_COLUMN, "");
			col = HELP_COLUMN;
			at_start = 1;
		}
		if (!at_start) {
			fputc(' ', out);
			col++;
		}
		fwrite(w, 1, len, out);
		col += (int)len;
		at_start = 0;
		w += len;
		w += strspn(w, " ");
	}
	fputc('\n', out);
	buf_free(&text);
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

void options_set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

void options_add_script(struct options *o, enum script_kind k, const char *path)
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

void options_clear_scripts(struct options *o)
{
	options_free_scripts(o->scripts, o->n_scripts);
	o->scripts = NULL;
	o->n_scripts = 0;
}

struct input_spec *options_add_spec(struct options *o)
{
	o->inputs = xrealloc(o->inputs, (o->n_inputs + 1) * sizeof *o->inputs);
	struct input_spec *sp = &o->inputs[o->n_inputs++];
	input_spec_init(sp);
	return sp;
}

void options_add_input(struct options *o, const char *path)
{
	input_spec_add_path(options_add_spec(o), path);
}

void options_clear_inputs(struct options *o)
{
	for (size_t i = 0; i < o->n_inputs; i++)
		input_spec_free(&o->inputs[i]);
	free(o->inputs);
	o->inputs = NULL;
	o->n_inputs = 0;
}

/* A path in the config file is relative to the config file's folder. */
char *settings_path(const char *config, const char *p)
{
	const char *slash = strrchr(config, '/');
	if (p[0] == '/' || strcmp(p, "-") == 0 || !slash)
		return xstrdup(p);
	struct buf b = {0};
	buf_printf(&b, "%.*s/%s", (int)(slash - config), config, p);
	return buf_cstr(&b);
}

/* Sets one setting from its text; config names the file it came from (for
 * relative paths), or is NULL on the command line. 0, or -1 with the
 * reason in why for a bad value. */
int setting_apply(struct options *o, const struct setting *st, const char *val, const char *config,
		 char *why, size_t n)
{
	char *field = (char *)o + st->off;
	switch (st->kind) {
	case K_CLI:
		return 0; /* options.c's to act on */
	case K_FLAG:
		*(int *)(void *)field = 1;
		return 0;
	case K_STRING:
		options_set_str((char **)(void *)field, val);
		return 0;
	case K_PATH: {
		char *p = config ? settings_path(config, val) : xstrdup(val);
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

static int is_string(enum kind k)
{
	return k == K_STRING || k == K_PATH;
}

int setting_same(const struct setting *st, const struct options *a, const struct options *b)
{
	const char *fa = (const char *)a + st->off, *fb = (const char *)b + st->off;
	switch (st->kind) {
	case K_CLI:
		return 1;
	case K_FLAG:
		return *(const int *)(const void *)fa == *(const int *)(const void *)fb;
	case K_STRING:
	case K_PATH: {
		const char *sa = *(char *const *)(const void *)fa, *sb = *(char *const *)(const void *)fb;
		return sa == sb || (sa && sb && strcmp(sa, sb) == 0);
	}
	case K_SIZE:
		return *(const size_t *)(const void *)fa == *(const size_t *)(const void *)fb;
	case K_LONG:
		return *(const long *)(const void *)fa == *(const long *)(const void *)fb;
	case K_SECONDS:
	case K_SECONDS_OFF:
	case K_RATE:
		return *(const double *)(const void *)fa == *(const double *)(const void *)fb;
	}
	return 1;
}

/* The bytes of st's field. */
static size_t field_size(enum kind k)
{
	switch (k) {
	case K_FLAG: return sizeof(int);
	case K_STRING: case K_PATH: return sizeof(char *);
	case K_SIZE: return sizeof(size_t);
	case K_LONG: return sizeof(long);
	case K_SECONDS: case K_SECONDS_OFF: case K_RATE: return sizeof(double);
	case K_CLI: return 0;
	}
	return 0;
}

void setting_swap(const struct setting *st, struct options *a, struct options *b)
{
	unsigned char tmp[16]; /* any field: at most 8 bytes */
	size_t n = field_size(st->kind);
	if (n > sizeof tmp)
		abort(); /* a new kind of field */
	memcpy(&tmp, (char *)a + st->off, n);
	memcpy((char *)a + st->off, (char *)b + st->off, n);
	memcpy((char *)b + st->off, &tmp, n);
}

void setting_copy(const struct setting *st, struct options *dst, const struct options *src)
{
	if (is_string(st->kind)) {
		char **d = (char **)(void *)((char *)dst + st->off);
		const char *s = *(char *const *)(const void *)((const char *)src + st->off);
		free(*d);
		*d = s ? xstrdup(s) : NULL;
		return;
	}
	memcpy((char *)dst + st->off, (const char *)src + st->off, field_size(st->kind));
}

void setting_text(const struct setting *st, const struct options *o, char *out, size_t n)
{
	const char *f = (const char *)o + st->off;
	switch (st->kind) {
	case K_CLI:
		snprintf(out, n, "-");
		break;
	case K_FLAG:
		snprintf(out, n, "%s", *(const int *)(const void *)f ? "true" : "false");
		break;
	case K_STRING:
	case K_PATH: {
		const char *s = *(char *const *)(const void *)f;
		snprintf(out, n, "%s", s ? s : "unset");
		break;
	}
	case K_SIZE:
		snprintf(out, n, "%zu", *(const size_t *)(const void *)f);
		break;
	case K_LONG:
		snprintf(out, n, "%ld", *(const long *)(const void *)f);
		break;
	case K_SECONDS:
	case K_SECONDS_OFF:
	case K_RATE: {
		double v = *(const double *)(const void *)f;
		if (st->kind == K_RATE && v == 0)
			snprintf(out, n, "(no limit)");
		else
			snprintf(out, n, "%g", v);
		break;
	}
	}
}

void setting_key(const struct setting *st, char *out, size_t n)
{
	snprintf(out, n, "%s", st->name);
	for (char *c = out; *c; c++)
		if (*c == '-')
			*c = '_';
}

/* The setting whose config key (the option's name, '_' for '-') is key. */
const struct setting *setting_for_key(const char *key)
{
	for (size_t i = 0; i < n_settings; i++) {
		if (settings[i].kind == K_CLI)
			continue;
		const char *n = settings[i].name, *k = key;
		while (*n && (*n == *k || (*n == '-' && *k == '_')))
			n++, k++;
		if (!*n && !*k)
			return &settings[i];
	}
	return NULL;
}

