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

/* Settings that both the command line (--rate-limit) and the config file
 * (rate_limit) take: one row each, so that their parsing and bounds cannot
 * drift apart. The config key is the option's name with '_' for '-'. */
#define SETTING(name, kind, field, min, max) {name, kind, offsetof(struct options, field), min, max}
const struct setting settings[] = {
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

const size_t n_settings = ARRAY_LEN(settings);

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

void options_add_input(struct options *o, const char *path)
{
	o->inputs = xrealloc(o->inputs, (o->n_inputs + 1) * sizeof *o->inputs);
	o->inputs[o->n_inputs++] = xstrdup(path);
}

void options_clear_inputs(struct options *o)
{
	for (size_t i = 0; i < o->n_inputs; i++)
		free(o->inputs[i]);
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

/* The setting whose config key (the option's name, '_' for '-') is key. */
const struct setting *setting_for_key(const char *key)
{
	for (size_t i = 0; i < n_settings; i++) {
		const char *n = settings[i].name, *k = key;
		while (*n && (*n == *k || (*n == '-' && *k == '_')))
			n++, k++;
		if (!*n && !*k)
			return &settings[i];
	}
	return NULL;
}

