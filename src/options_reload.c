/* options_reload.c - a reload's settings (SIGHUP): the config file read
 * again under the command line, and what of it the running process takes. */
#include "options.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crash.h"
#include "settings.h"
#include "util.h"

static void note(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct buf *b, const char *fmt, ...)
{
	if (b->len)
		buf_putc(b, '\n');
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

/* A reload's token: CODEMASH_TOKEN's stays (the environment no longer has
 * it); a token file, the command line's or the config's, is read again. */
static int reload_token(const struct options *cur, struct options *next, char *why, size_t n)
{
	if (cur->token_file && (cur->token_file_from_cli || !cur->config_file)) {
		options_set_str(&next->token_file, cur->token_file);
		next->token_file_from_cli = cur->token_file_from_cli;
	}
	if (cur->dry_run)
		return 0;
	if (cur->token_from_env) {
		next->token = xstrdup(cur->token);
		next->token_from_env = 1;
	} else if (next->token_file) {
		next->token = token_load(next->token_file, why, n);
		if (!next->token)
			return -1;
	}
	if (next->token)
		crash_secret(next->token, strlen(next->token));
	return 0;
}

int options_reload(const struct options *cur, struct options *next, struct buf *notes, char *why,
		   size_t n)
{
	options_defaults(next);
	if (cur->config_file) {
		next->config_file = xstrdup(cur->config_file);
		if (options_load_config(next, cur->config_file, why, n) != 0)
			goto fail;
	}
	const char *env_pid = getenv("CODEMASH_PROJECT_ID");
	if (env_pid && *env_pid)
		options_set_str(&next->project_id, env_pid);
	/* The command line wins over the file, as at the start: said where
	 * the file now says otherwise. */
	for (size_t i = 0; i < n_settings; i++) {
		const struct setting *st = &settings[i];
		uint64_t bit = (uint64_t)1 << i;
		if (cur->config_file && !(cur->cli_given & bit))
			continue; /* without a config file, everything is the command line's */
		if ((next->cfg_given & bit) && !setting_same(st, cur, next)) {
			char key[64], v[256];
			setting_key(st, key, sizeof key);
			setting_text(st, cur, v, sizeof v);
			note(notes, "%s in %s is overridden by --%s on the command line (still %s)", key,
			     cur->config_file, st->name, v);
		}
		setting_copy(st, next, cur);
	}
	next->cli_given = cur->cli_given;
	next->dry_run = cur->dry_run;
	if (cur->scripts_from_cli || !cur->config_file) {
		options_clear_scripts(next);
		for (size_t i = 0; i < cur->n_scripts; i++)
			options_add_script(next, cur->scripts[i].kind, cur->scripts[i].path);
		next->scripts_from_cli = 1;
	}
	if (cur->template_masks_from_cli || !cur->config_file) {
		options_clear_template_masks(next);
		for (size_t i = 0; i < cur->n_template_masks; i++)
			options_add_template_mask(next, cur->template_masks[i]);
		next->template_masks_from_cli = 1;
	}
	if (cur->inputs_from_cli || !cur->config_file) {
		options_clear_inputs(next);
		for (size_t i = 0; i < cur->n_inputs; i++)
			input_spec_copy(options_add_spec(next), &cur->inputs[i]);
		next->inputs_from_cli = 1;
	}
	if (reload_token(cur, next, why, n) != 0 || options_check(next, why, n) != 0)
		goto fail;
	return 0;
fail:
	options_free(next);
	return -1;
}

/* Takes "-" out of o's inputs (and an input left with no path). */
static void drop_stdin(struct options *o)
{
	for (size_t i = 0; i < o->n_inputs; i++) {
		struct input_spec *sp = &o->inputs[i];
		for (size_t k = 0; k < sp->n_paths; k++)
			if (strcmp(sp->paths[k], "-") == 0) {
				free(sp->paths[k]);
				memmove(sp->paths + k, sp->paths + k + 1, (sp->n_paths - k - 1) * sizeof *sp->paths);
				sp->n_paths--;
				break;
			}
		if (!sp->n_paths && !sp->journal) {
			input_spec_free(sp);
			memmove(o->inputs + i, o->inputs + i + 1, (o->n_inputs - i - 1) * sizeof *o->inputs);
			o->n_inputs--;
			return;
		}
	}
}

static int same_scripts(const struct options *a, const struct options *b)
{
	return script_specs_same(a->scripts, a->n_scripts, b->scripts, b->n_scripts);
}

static int same_template_masks(const struct options *a, const struct options *b)
{
	if (a->n_template_masks != b->n_template_masks)
		return 0;
	for (size_t i = 0; i < a->n_template_masks; i++)
		if (strcmp(a->template_masks[i], b->template_masks[i]) != 0)
			return 0;
	return 1;
}

#define SWAP(T, x, y) do { T t_ = (x); (x) = (y); (y) = t_; } while (0)

unsigned options_adopt(struct options *cur, struct options *next, long max_in_flight_cap,
		       struct buf *changed, struct buf *notes)
{
	unsigned parts = 0;
	for (size_t i = 0; i < n_settings; i++) {
		const struct setting *st = &settings[i];
		if (st->kind == K_CLI || setting_same(st, cur, next))
			continue;
		char key[64], was[256], now[256];
		setting_key(st, key, sizeof key);
		setting_text(st, cur, was, sizeof was);
		setting_text(st, next, now, sizeof now);
		if (st->restart || (st->off == offsetof(struct options, max_in_flight) &&
				    next->max_in_flight > max_in_flight_cap)) {
			note(notes, "%s changed in %s to %s: restart to apply it (still %s)", key,
			     cur->config_file, now, was);
			continue;
		}
		setting_swap(st, cur, next);
		buf_printf(changed, "%s%s %s", changed->len ? ", " : "", key, now);
		parts |= st->sec == SEC_SCRIPTS ? ADOPT_SCRIPTS
		       : st->sec == SEC_INPUT   ? ADOPT_INPUT
		       : strncmp(st->name, "dead-letter", 11) == 0 ? ADOPT_DEAD_LETTERS
		       : ADOPT_SENDER;
	}
	/* The templates known were masked by the old ones: kept, as
	 * template_max is. */
	if (!same_template_masks(cur, next)) {
		char was[32];
		snprintf(was, sizeof was, "%zu", cur->n_template_masks);
		note(notes, "template_masks changed in %s: restart to apply them (still the %s "
		     "masks it started with)%s%s", cur->config_file, was, "", "");
	}
	if (options_reads_stdin(cur) != options_reads_stdin(next)) {
		note(notes, "%s%s%s%s", options_reads_stdin(cur) ? "standard input is no longer an input in "
						       : "standard input is a new input in ",
		     cur->config_file, ": that takes a restart (still ",
		     options_reads_stdin(cur) ? "read)" : "not read)");
		if (options_reads_stdin(cur))
			options_add_input(next, "-");
		else
			drop_stdin(next);
	}
	/* Always moved, as the scripts are: the chains of the inputs' own
	 * scripts, loaded from next, point at its paths. */
	if (!input_specs_same(cur->inputs, cur->n_inputs, next->inputs, next->n_inputs)) {
		buf_printf(changed, "%sinputs", changed->len ? ", " : "");
		parts |= ADOPT_INPUT;
	}
	SWAP(struct input_spec *, cur->inputs, next->inputs);
	SWAP(size_t, cur->n_inputs, next->n_inputs);
	/* Always moved: the caller's new chain points at next's paths. */
	if (!same_scripts(cur, next))
		buf_printf(changed, "%sscripts", changed->len ? ", " : "");
	SWAP(struct script_spec *, cur->scripts, next->scripts);
	SWAP(size_t, cur->n_scripts, next->n_scripts);
	int token_changed = (cur->token || next->token) &&
			    (!cur->token || !next->token || strcmp(cur->token, next->token) != 0);
	if (token_changed) {
		SWAP(char *, cur->token, next->token);
		buf_printf(changed, "%stoken", changed->len ? ", " : "");
		parts |= ADOPT_SENDER | ADOPT_TOKEN;
	}
	SWAP(char *, cur->token_file, next->token_file);
	return parts;
}
