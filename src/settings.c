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

/* Every option, one row each: the settings, which the config file takes
 * too (rate_limit for --rate-limit), and the command line's own (CLI). The
 * rows' order within a section is --help's; the defaults are applied by
 * options_defaults through the same parsers as a value given. */
#define SETTING(name, kind, field, min, max, def, arg, sec, help) \
	{name, 0, kind, offsetof(struct options, field), min, max, def, arg, sec, help, 0}
/* A setting a reload cannot change (it is named, and its value stays). */
#define RESTART(name, kind, field, min, max, def, arg, sec, help) \
	{name, 0, kind, offsetof(struct options, field), min, max, def, arg, sec, help, 1}
#define CLI(name, short, arg, sec, help) {name, short, K_CLI, 0, 0, 0, NULL, arg, sec, help, 0}
const struct setting settings[] = {
	SETTING("url", K_STRING, url, 0, 0, "https://api.codemash.io", "URL", SEC_API,
		"API base URL; logs are posted to URL/VERSION/logs"),
	SETTING("api-version", K_STRING, api_version, 0, 0, "v1", "V", SEC_API,
		"API version in the path"),
	SETTING("project-id", K_STRING, project_id, 0, 0, NULL, "ID", SEC_API,
		"CodeMash project id (or CODEMASH_PROJECT_ID)"),
	CLI("token-file", OPT_TOKEN_FILE, "FILE", SEC_API,
	    "read the API token from FILE (or set CODEMASH_TOKEN; the token is never taken as "
	    "an argument)"),
	CLI("token", OPT_TOKEN, "[TOKEN]", SEC_API, NULL), /* refused, saying why; not in --help */
	CLI("filter", 'f', "FILE", SEC_SCRIPTS, "Lua script defining filter(log); true keeps, false drops"),
	CLI("enrich", 'e', "FILE", SEC_SCRIPTS, "Lua script defining enrich(log); edits the log"),
	SETTING("script-memory", K_SIZE, script_memory, 1 << 20, 17179869184.0, "64M", "SIZE",
		SEC_SCRIPTS, "memory limit of the Lua state"),
	SETTING("unsafe-scripts", K_FLAG, unsafe_scripts, 0, 0, NULL, NULL, SEC_SCRIPTS,
		"lift the sandbox (writing files, os.execute, io.popen, C modules)"),
	SETTING("script-budget", K_LONG, script_budget, 0, 1000000000000.0, "100000", "N",
		SEC_SCRIPTS, "Lua instructions a script call may run once it has taken a "
		"millisecond; then it fails for that log (0: no limit)"),
	SETTING("volume-keys-max", K_LONG, volume_keys_max, 1, 100000000, "100000", "N", SEC_SCRIPTS,
		"keys each script's logmash.throttle, sample and dedupe keep; the least recently "
		"used goes past that"),
	RESTART("template-max", K_LONG, template_max, 1, 10000000, "10000", "N", SEC_SCRIPTS,
		"templates logmash.template keeps; the least recently seen goes past that"),
	CLI("template-mask", OPT_TEMPLATE_MASK, "REGEX", SEC_SCRIPTS,
	    "what the PCRE2 REGEX matches in a message is a variable part of its template "
	    "(repeatable)"),
	{"follow", 'F', K_FLAG, offsetof(struct options, follow), 0, 0, NULL, NULL, SEC_INPUT,
	 "follow the inputs as they grow and rotate, like tail -F, until stopped", 1},
	CLI("journal", OPT_JOURNAL, NULL, SEC_INPUT,
	    "read this host's systemd journal, as an input named journal"),
	CLI("journal-directory", OPT_JOURNAL_DIRECTORY, "DIR", SEC_INPUT,
	    "read the journal files in DIR instead (a container's, another host's)"),
	CLI("journal-match", OPT_JOURNAL_MATCH, "MATCH", SEC_INPUT,
	    "read only the journal's entries that MATCH, FIELD=VALUE (repeatable: the same "
	    "field twice ORs, different fields AND, as journalctl's)"),
	RESTART("from-start", K_FLAG, from_start, 0, 0, NULL, NULL, SEC_INPUT,
		"read files seen for the first time from their start (with -F they start at "
		"their end)"),
	RESTART("state-dir", K_PATH, state_dir, 0, 0, NULL, "DIR", SEC_INPUT,
		"keep each file's checkpoint in DIR: a restart resumes after the last "
		"acknowledged log"),
	SETTING("rotate-wait", K_SECONDS, rotate_wait, 0, 86400, "5", "SECS", SEC_INPUT,
		"keep reading a rotated file until it is quiet this long"),
	SETTING("close-inactive", K_SECONDS, close_inactive, 0, 86400, "300", "SECS", SEC_INPUT,
		"close files idle this long; reopen on growth"),
	SETTING("flush-partial", K_SECONDS, flush_partial, 0, 86400, "5", "SECS", SEC_INPUT,
		"send a last line without its newline after this long without growth"),
	SETTING("format", K_STRING, format, 0, 0, "lines", "FORMAT", SEC_INPUT,
		"what the inputs' lines are: lines, cri (Kubernetes nodes: containerd, CRI-O) or "
		"docker (Docker's json-file driver); an input of the config may set its own"),
	SETTING("multiline", K_STRING, multiline, 0, 0, NULL, "PRESET", SEC_INPUT,
		"join the traces of a runtime into one log: java, python or go"),
	SETTING("encoding", K_STRING, encoding, 0, 0, NULL, "NAME", SEC_INPUT,
		"the inputs' encoding, converted to UTF-8: utf-8 (the default), latin1, "
		"windows-1252, or another that iconv knows"),
	SETTING("multiline-start", K_STRING, multiline_start, 0, 0, NULL, "REGEX", SEC_INPUT,
		"a line matching REGEX (POSIX extended) starts a record; other lines join the one "
		"before"),
	SETTING("multiline-timeout", K_SECONDS, multiline_timeout, 0, 86400, "2", "SECS", SEC_INPUT,
		"end a record after this long without a line"),
	SETTING("multiline-max-lines", K_LONG, multiline_max_lines, 1, 100000, "500", "N", SEC_INPUT,
		"end a record at N lines"),
	RESTART("max-line-bytes", K_SIZE, max_line_bytes, 1, 1073741824.0, "1M", "SIZE", SEC_INPUT,
		"cut longer lines (and records) there"),
	SETTING("concurrency", K_STRING, concurrency, 0, 0, "adaptive", "MODE", SEC_SENDING,
		"adaptive: the requests under way follow the API's answers and round trip, up "
		"to --max-in-flight; fixed: always --max-in-flight"),
	SETTING("max-in-flight", K_LONG, max_in_flight, 1, 4096, "1024", "N", SEC_SENDING,
		"requests under way at once, at most"),
	SETTING("max-connections", K_LONG, max_connections, 0, 4096, "0", "N", SEC_SENDING,
		"connections to the API, at most (0: 4 when it speaks HTTP/2, 128 when HTTP/1.1)"),
	RESTART("send-threads", K_LONG, send_threads, 0, 64, "0", "N", SEC_SENDING,
		"threads carrying the requests (0: one a CPU core, at most 2)"),
	SETTING("max-retries", K_LONG, max_retries, -1, 1000000, "-1", "N", SEC_SENDING,
		"retries of a transient failure before giving up (-1: retry until it succeeds)"),
	SETTING("timeout", K_SECONDS, timeout, 0, 86400, "30", "SECS", SEC_SENDING,
		"whole-request timeout"),
	SETTING("connect-timeout", K_SECONDS, connect_timeout, 0, 86400, "10", "SECS", SEC_SENDING,
		"connection timeout"),
	SETTING("drain-timeout", K_SECONDS, drain_timeout, 0, 86400, "10", "SECS", SEC_SENDING,
		"on SIGINT/SIGTERM, time to finish sending what was read"),
	CLI("dry-run", OPT_DRY_RUN, NULL, SEC_SENDING,
	    "write each request body as a JSON line to stdout and send nothing"),
	SETTING("rate-limit", K_RATE, rate_limit, 0, 10000000, NULL, "N", SEC_SENDING,
		"at most N requests a second (default: no limit)"),
	SETTING("retry-base", K_SECONDS, retry_base, 0, 86400, "0.2", "SECS", SEC_SENDING,
		"first retry waits up to this long"),
	SETTING("retry-max", K_SECONDS, retry_max, 0, 86400, "30", "SECS", SEC_SENDING,
		"retries wait at most this long"),
	SETTING("http2-prior-knowledge", K_FLAG, http2_prior_knowledge, 0, 0, NULL, NULL,
		SEC_SENDING, "speak HTTP/2 to a cleartext (http://) server"),
	SETTING("ca-file", K_PATH, ca_file, 0, 0, NULL, "FILE", SEC_SENDING,
		"trust the certificate authorities in FILE (PEM) instead of the system's"),
	SETTING("insecure", K_FLAG, insecure, 0, 0, NULL, NULL, SEC_SENDING,
		"do not verify the API's TLS certificate (unsafe)"),
	RESTART("dead-letter", K_PATH, dead_letter, 0, 0, NULL, "FILE", SEC_SENDING,
		"logs the API rejects for good, as JSON lines (default: "
		"STATE_DIR/dead-letters.jsonl)"),
	SETTING("dead-letter-max-bytes", K_SIZE, dead_letter_max_bytes, 0, 1099511627776.0, "64M",
		"SIZE", SEC_SENDING, "rotate it past SIZE (0: never)"),
	SETTING("dead-letter-keep", K_LONG, dead_letter_keep, 1, 1000, "4", "N", SEC_SENDING,
		"rotated dead-letter files kept; an older one is deleted, reported and counted"),
	CLI("replay", OPT_REPLAY, "FILE", SEC_SENDING, "send the logs of a dead-letter file again"),
	RESTART("queue-max", K_LONG, queue_max, 1, 10000000, "8192", "N", SEC_SENDING,
		"logs waiting to be sent, at most"),
	RESTART("queue-max-bytes", K_SIZE, queue_max_bytes, 65536, 17179869184.0, "32M", "SIZE",
		SEC_SENDING, "their bytes, at most"),
	RESTART("spool-max-bytes", K_SIZE, spool_max_bytes, 1048576, 1099511627776.0, "256M", "SIZE",
		SEC_SENDING, "standard input not yet sent, kept on disk in STATE_DIR/spool, at most"),
	RESTART("no-tui", K_FLAG, no_tui, 0, 0, NULL, NULL, SEC_CONSOLE,
		"no dashboard, even on a terminal (it is on when stdout is a terminal and not a "
		"--dry-run)"),
	RESTART("status-interval", K_SECONDS_OFF, status_interval, 0, 86400, "60", "SECS",
		SEC_CONSOLE, "without the dashboard, a status line on stderr this often (0: none)"),
	RESTART("status-format", K_STRING, status_format, 0, 0, "text", "FMT", SEC_CONSOLE,
		"text or json"),
	RESTART("control-socket", K_PATH, control_socket, 0, 0, NULL, "PATH", SEC_WATCHING,
		"serve top, status and tap on this Unix socket (default STATE_DIR/control.sock; "
		"none: off)"),
	RESTART("control-group", K_STRING, control_group, 0, 0, NULL, "GROUP", SEC_WATCHING,
		"let GROUP's members use it too (mode 0660)"),
	RESTART("metrics-listen", K_STRING, metrics_listen, 0, 0, NULL, "ADDR:PORT", SEC_WATCHING,
		"serve Prometheus /metrics and /health there (off by default; bind 127.0.0.1 "
		"unless a firewall guards the port)"),
	CLI("config", 'c', "FILE", SEC_GENERAL, "Lua config file; options given here override it"),
	CLI("help", 'h', NULL, SEC_GENERAL, "show this help and exit"),
	CLI("version", 'V', NULL, SEC_GENERAL, "show the version and exit"),
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

