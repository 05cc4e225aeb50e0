/* input_spec.c - an input as the config gives it: kept, copied, compared
 * (a reload applies only what changed). */
#include "input.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

const char *input_spec_name(const struct input_spec *spec)
{
	if (spec->name)
		return spec->name;
	if (spec->journal)
		return "journal";
	return spec->n_paths ? spec->paths[0] : "-";
}

void input_spec_init(struct input_spec *spec)
{
	memset(spec, 0, sizeof *spec);
	spec->from_start = -1;
	spec->multiline_timeout = -1;
	spec->close_inactive = -1;
	spec->rotate_wait = -1;
}

void input_spec_add_path(struct input_spec *spec, const char *path)
{
	spec->paths = xrealloc(spec->paths, (spec->n_paths + 1) * sizeof *spec->paths);
	spec->paths[spec->n_paths++] = xstrdup(path);
}

void input_spec_add_item(struct input_spec *spec, const char *key, const char *val)
{
	spec->item_keys = xrealloc(spec->item_keys, (spec->n_items + 1) * sizeof *spec->item_keys);
	spec->item_vals = xrealloc(spec->item_vals, (spec->n_items + 1) * sizeof *spec->item_vals);
	spec->item_keys[spec->n_items] = xstrdup(key);
	spec->item_vals[spec->n_items++] = xstrdup(val);
}

void input_spec_add_journal_match(struct input_spec *spec, const char *match)
{
	spec->journal_matches = xrealloc(spec->journal_matches,
					 (spec->n_journal_matches + 1) * sizeof *spec->journal_matches);
	spec->journal_matches[spec->n_journal_matches++] = xstrdup(match);
}

void input_spec_free(struct input_spec *spec)
{
	free(spec->name);
	free(spec->journal_directory);
	for (size_t i = 0; i < spec->n_journal_matches; i++)
		free(spec->journal_matches[i]);
	free(spec->journal_matches);
	for (size_t i = 0; i < spec->n_paths; i++)
		free(spec->paths[i]);
	free(spec->paths);
	free(spec->format);
	free(spec->multiline);
	free(spec->multiline_start);
	free(spec->multiline_continues);
	free(spec->encoding);
	for (size_t i = 0; i < spec->n_items; i++) {
		free(spec->item_keys[i]);
		free(spec->item_vals[i]);
	}
	free(spec->item_keys);
	free(spec->item_vals);
	for (size_t i = 0; i < spec->n_scripts; i++)
		free((char *)spec->scripts[i].path);
	free(spec->scripts);
	input_spec_init(spec);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void input_spec_copy(struct input_spec *dst, const struct input_spec *src)
{
	*dst = *src;
	dst->name = dup_or_null(src->name);
	dst->format = dup_or_null(src->format);
	dst->multiline = dup_or_null(src->multiline);
	dst->multiline_start = dup_or_null(src->multiline_start);
	dst->multiline_continues = dup_or_null(src->multiline_continues);
	dst->encoding = dup_or_null(src->encoding);
	dst->journal_directory = dup_or_null(src->journal_directory);
	dst->journal_matches = NULL;
	dst->n_journal_matches = 0;
	for (size_t i = 0; i < src->n_journal_matches; i++)
		input_spec_add_journal_match(dst, src->journal_matches[i]);
	dst->paths = NULL;
	dst->n_paths = 0;
	for (size_t i = 0; i < src->n_paths; i++)
		input_spec_add_path(dst, src->paths[i]);
	dst->item_keys = dst->item_vals = NULL;
	dst->n_items = 0;
	for (size_t i = 0; i < src->n_items; i++)
		input_spec_add_item(dst, src->item_keys[i], src->item_vals[i]);
	size_t n = src->n_scripts;
	struct script_spec *sc = n ? xcalloc(n, sizeof *sc) : NULL;
	for (size_t i = 0; sc && i < n; i++) {
		sc[i].kind = src->scripts[i].kind;
		sc[i].path = xstrdup(src->scripts[i].path);
	}
	dst->scripts = sc;
	dst->n_scripts = n;
}

static int same_text(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int same_spec(const struct input_spec *a, const struct input_spec *b)
{
	if (!same_text(a->name, b->name) || !same_text(a->format, b->format) ||
	    !same_text(a->multiline, b->multiline) ||
	    !same_text(a->multiline_start, b->multiline_start) ||
	    !same_text(a->multiline_continues, b->multiline_continues) ||
	    !same_text(a->encoding, b->encoding) || a->multiline_max_lines != b->multiline_max_lines ||
	    a->multiline_timeout != b->multiline_timeout || a->from_start != b->from_start ||
	    a->close_inactive != b->close_inactive || a->rotate_wait != b->rotate_wait ||
	    a->n_paths != b->n_paths || a->n_items != b->n_items || a->journal != b->journal ||
	    !same_text(a->journal_directory, b->journal_directory) ||
	    a->n_journal_matches != b->n_journal_matches)
		return 0;
	for (size_t i = 0; i < a->n_journal_matches; i++)
		if (strcmp(a->journal_matches[i], b->journal_matches[i]) != 0)
			return 0;
	for (size_t i = 0; i < a->n_paths; i++)
		if (strcmp(a->paths[i], b->paths[i]) != 0)
			return 0;
	for (size_t i = 0; i < a->n_items; i++)
		if (strcmp(a->item_keys[i], b->item_keys[i]) != 0 ||
		    strcmp(a->item_vals[i], b->item_vals[i]) != 0)
			return 0;
	return script_specs_same(a->scripts, a->n_scripts, b->scripts, b->n_scripts);
}

int input_specs_same(const struct input_spec *a, size_t na, const struct input_spec *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (!same_spec(&a[i], &b[i]))
			return 0;
	return 1;
}
