/* input_rules.c - each input's reading rules (format, encoding,
 * multi-line, timers) resolved against the global settings, and which
 * input a path belongs to. */
#include "input.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input_internal.h"
#include "util.h"

static double or_global(double v, double global)
{
	return v < 0 ? global : v;
}

/* The multi-line rule of spec (its own, else the global one). */
static int rule_multiline(struct input_rule *r, const struct input_spec *sp,
			  const struct input_opts *o, struct buf *err)
{
	const char *name = input_spec_name(sp);
	struct buf what = {0};
	int rc = 0;
	r->dr.ml.max_lines = sp->multiline_max_lines > 0 ? (size_t)sp->multiline_max_lines
							 : o->multiline_max_lines;
	r->dr.ml.timeout = or_global(sp->multiline_timeout, o->multiline_timeout);
	if (sp->multiline || sp->multiline_start || sp->multiline_continues) {
		buf_printf(&what, "input %s: multiline", name);
		r->ml_pattern = sp->multiline ? sp->multiline
				: sp->multiline_start ? sp->multiline_start : sp->multiline_continues;
		if (sp->multiline)
			rc = multiline_compile(&r->dr.ml, multiline_preset(sp->multiline), NULL,
					       buf_cstr(&what), err);
		else if (sp->multiline_start)
			rc = multiline_compile(&r->dr.ml, MULTILINE_START, sp->multiline_start,
					       buf_cstr(&what), err);
		else
			rc = multiline_compile(&r->dr.ml, MULTILINE_CONTINUES,
					       sp->multiline_continues, buf_cstr(&what), err);
	} else if (o->multiline) {
		r->ml_pattern = o->multiline;
		rc = multiline_compile(&r->dr.ml, multiline_preset(o->multiline), NULL, "--multiline",
				       err);
	} else if (o->multiline_start) {
		r->ml_pattern = o->multiline_start;
		rc = multiline_compile(&r->dr.ml, MULTILINE_START, o->multiline_start,
				       "--multiline-start", err);
	}
	buf_free(&what);
	return rc;
}

static int rule_of(struct input_rule *r, const struct input_spec *sp, const struct input_opts *o,
		   struct buf *err)
{
	memset(r, 0, sizeof *r);
	r->spec = sp;
	r->name = input_spec_name(sp);
	const char *format = sp->format ? sp->format : o->format;
	if (format && decoder_format_parse(format, &r->dr.format) != 0) {
		buf_printf(err, "%s%s%sformat is lines, cri or docker, not '%s'", sp->format ? "input " : "--",
			   sp->format ? r->name : "", sp->format ? ": " : "", format);
		return -1;
	}
	r->dr.encoding = sp->encoding ? sp->encoding : o->encoding;
	char why[512];
	if (r->dr.encoding && transcode_check(r->dr.encoding, why, sizeof why) != 0) {
		buf_printf(err, "%s%s%s%s", sp->encoding ? "input " : "--", sp->encoding ? r->name : "",
			   sp->encoding ? ": " : "", why);
		return -1;
	}
	r->dr.max_bytes = o->max_line;
	if (rule_multiline(r, sp, o, err) != 0)
		return -1;
	r->from_start = sp->from_start >= 0 ? sp->from_start : o->from_start;
	r->rotate_wait = or_global(sp->rotate_wait, o->rotate_wait);
	r->close_inactive = or_global(sp->close_inactive, o->close_inactive);
	return 0;
}

void input_rules_free(struct input_rule *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		multiline_free(&r[i].dr.ml);
	free(r);
}

struct input_rule *input_rules_build(const struct input_opts *o, struct buf *err)
{
	struct input_rule *r = xcalloc(o->n ? o->n : 1, sizeof *r);
	for (size_t i = 0; i < o->n; i++)
		if (rule_of(&r[i], &o->specs[i], o, err) != 0) {
			input_rules_free(r, i);
			return NULL;
		}
	return r;
}

int input_decoder_rule(const struct input_opts *o, size_t i, struct decoder_rule *r,
		       struct buf *err)
{
	struct input_rule ir;
	if (rule_of(&ir, &o->specs[i], o, err) != 0)
		return -1;
	*r = ir.dr;
	return 0;
}

int input_check_rules(const struct input_opts *o, struct buf *err)
{
	struct input_rule *r = input_rules_build(o, err);
	if (!r)
		return -1;
	input_rules_free(r, o->n);
	return 0;
}

/* Whether the path or glob p names path. */
static int names(const char *p, const char *path)
{
	return strcmp(p, path) == 0 || (input_has_glob(p) && fnmatch(p, path, FNM_PATHNAME) == 0);
}

struct input_rule *input_rule_for(const struct input *in, const char *path)
{
	for (size_t i = 0; i < in->o.n; i++)
		for (size_t k = 0; k < in->o.specs[i].n_paths; k++)
			if (names(in->o.specs[i].paths[k], path))
				return &in->rules[i];
	return NULL;
}

static int same_text(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

int input_rule_same(const struct input_rule *a, const struct input_rule *b)
{
	return a->dr.format == b->dr.format && a->dr.ml.kind == b->dr.ml.kind &&
	       a->dr.ml.max_lines == b->dr.ml.max_lines && same_text(a->ml_pattern, b->ml_pattern) &&
	       same_text(a->dr.encoding, b->dr.encoding);
}

void input_rules_retire(struct input *in)
{
	for (size_t k = 0; k < in->n_retired;) {
		struct retired_rules *r = &in->retired[k];
		int used = 0;
		uintptr_t lo = (uintptr_t)r->rules, hi = (uintptr_t)(r->rules + r->n);
		for (size_t i = 0; i < in->n && !used; i++) {
			const struct source *s = in->src[i];
			used = s && (uintptr_t)s->dec.rule >= lo && (uintptr_t)s->dec.rule < hi;
		}
		if (used) {
			k++;
			continue;
		}
		input_rules_free(r->rules, r->n);
		in->retired[k] = in->retired[--in->n_retired];
	}
}
