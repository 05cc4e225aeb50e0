/* multiline.c - the multi-line rules and the presets. */
#include "multiline.h"

#include <ctype.h>
#include <string.h>

const char multiline_presets[] = "java, python, go";
const char *const multiline_preset_names[MULTILINE_PRESETS] = {"java", "python", "go"};
static const enum multiline_kind preset_kinds[MULTILINE_PRESETS] = {
	MULTILINE_JAVA, MULTILINE_PYTHON, MULTILINE_GO};

enum multiline_kind multiline_preset(const char *name)
{
	for (size_t i = 0; i < MULTILINE_PRESETS; i++)
		if (!strcmp(name, multiline_preset_names[i]))
			return preset_kinds[i];
	return MULTILINE_NONE;
}

int multiline_compile(struct multiline_rule *r, enum multiline_kind kind, const char *pattern,
		      const char *what, struct buf *err)
{
	r->kind = kind;
	if (kind != MULTILINE_START && kind != MULTILINE_CONTINUES)
		return 0;
	int rc = regcomp(&r->re, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc == 0)
		return 0;
	char msg[256];
	regerror(rc, &r->re, msg, sizeof msg);
	buf_printf(err, "%s: bad regular expression '%s': %s", what, pattern, msg);
	r->kind = MULTILINE_NONE;
	return -1;
}

void multiline_free(struct multiline_rule *r)
{
	if (r->kind == MULTILINE_START || r->kind == MULTILINE_CONTINUES)
		regfree(&r->re);
	r->kind = MULTILINE_NONE;
}

static int matches(const struct multiline_rule *r, struct multiline_state *s, const char *line,
		   size_t len)
{
	/* REG_STARTEND, as lines may hold NULs. glibc then reads no further
	 * than len, but the sanitizers' regexec wrappers still measure the
	 * string with strlen: a terminated copy keeps them within bounds. */
	buf_clear(&s->line);
	buf_append(&s->line, line, len);
	regmatch_t m = {.rm_so = 0, .rm_eo = (regoff_t)len};
	return regexec(&r->re, buf_cstr(&s->line), 1, &m, REG_STARTEND) == 0;
}

static int starts(const char *line, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && !memcmp(line, prefix, n);
}

/* Past leading blanks. */
static size_t blanks(const char *line, size_t len)
{
	size_t i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i;
}

static int ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$';
}

/* "java.lang.IllegalStateException: no stock", "com.x.Y$BadError": a
 * qualified class name (a dot at least) ending in Exception, Error or
 * Throwable, then the end or ':'. */
static int java_exception_line(const char *line, size_t len)
{
	size_t i = 0, dots = 0, seg = 0;
	for (; i < len && (ident_char(line[i]) || line[i] == '.'); i++) {
		if (line[i] == '.') {
			if (i == seg)
				return 0; /* an empty segment */
			dots++;
			seg = i + 1;
		}
	}
	if (!dots || i == seg || (i < len && line[i] != ':'))
		return 0;
	static const char *const ends[] = {"Exception", "Error", "Throwable"};
	for (size_t k = 0; k < 3; k++) {
		size_t n = strlen(ends[k]);
		if (i >= n && !memcmp(line + i - n, ends[k], n))
			return 1;
	}
	return 0;
}

static int java_joins(const char *line, size_t len)
{
	if (len && line[0] == '\t')
		return 1;
	size_t b = blanks(line, len);
	const char *p = line + b;
	size_t n = len - b;
	if (b && starts(p, n, "at "))
		return 1;
	if (starts(p, n, "Caused by: ") || starts(p, n, "Suppressed: "))
		return 1;
	if (starts(p, n, "... ") && n > 4 && isdigit((unsigned char)p[4]))
		return 1; /* "... 12 more", "... 5 common frames omitted" */
	return java_exception_line(line, len);
}

enum { PY_NONE, PY_TRACE, PY_GROUP, PY_AFTER, PY_CHAIN };

static int py_traceback(const char *line, size_t len)
{
	return starts(line, len, "Traceback (most recent call last):");
}

/* The lines of a Python traceback: the log line before it (as
 * logging.exception writes one) and the traceback join; after its last
 * line, a chained one ("During handling ...") joins too. */
static int python_joins(struct multiline_state *s, const char *line, size_t len, int pending)
{
	size_t b = blanks(line, len);
	switch (s->phase) {
	case PY_TRACE: /* indented frames, then the exception's line */
		if (!b)
			s->phase = PY_AFTER;
		return 1;
	case PY_GROUP: /* an exception group's trace is all indented */
		if (b)
			return 1;
		break;
	case PY_AFTER:
		if (b)
			return 1; /* the exception's message, on more lines */
		if (starts(line, len, "During handling of the above exception") ||
		    starts(line, len, "The above exception was the direct cause")) {
			s->phase = PY_CHAIN;
			return 1;
		}
		break;
	case PY_CHAIN:
		if (py_traceback(line, len) || (b && starts(line + b, len - b, "+ Exception Group"))) {
			s->phase = py_traceback(line, len) ? PY_TRACE : PY_GROUP;
			return 1;
		}
		break;
	default:
		break;
	}
	s->phase = PY_NONE;
	if (py_traceback(line, len)) {
		s->phase = PY_TRACE;
		return pending;
	}
	if (b && starts(line + b, len - b, "+ Exception Group Traceback")) {
		s->phase = PY_GROUP;
		return pending;
	}
	return 0;
}

/* "main.main()", "net/http.(*conn).serve(0xc000, {0x6e, 0xc0})",
 * "panic({0x4a3d40?, 0xc0?})": a function and its arguments. */
static int go_frame(const char *line, size_t len)
{
	if (!len || line[len - 1] != ')' || !(isalpha((unsigned char)line[0]) || line[0] == '_'))
		return 0;
	const char *paren = memchr(line, '(', len);
	if (!paren)
		return 0;
	for (const char *p = line; p < paren; p++)
		if (*p == ' ')
			return 0;
	return 1;
}

enum { GO_NONE, GO_TRACE };

/* A panic or fatal error and the goroutines' stacks after it. */
static int go_joins(struct multiline_state *s, const char *line, size_t len)
{
	if (s->phase == GO_TRACE) {
		if (starts(line, len, "exit status ")) { /* go run's last word on it */
			s->phase = GO_NONE;
			return 1;
		}
		if ((len && line[0] == '\t') || starts(line, len, "goroutine ") ||
		    starts(line, len, "created by ") || starts(line, len, "[signal ") ||
		    starts(line, len, "runtime stack:") || starts(line, len, "runtime: ") ||
		    starts(line, len, "...additional frames elided...") || go_frame(line, len))
			return 1;
		s->phase = GO_NONE;
	}
	if (starts(line, len, "panic: ") || starts(line, len, "fatal error: "))
		s->phase = GO_TRACE;
	return 0;
}

int multiline_joins(const struct multiline_rule *r, struct multiline_state *s, const char *line,
		    size_t len, int pending)
{
	switch (r->kind) {
	case MULTILINE_START:
		return pending && !matches(r, s, line, len);
	case MULTILINE_CONTINUES:
		return pending && matches(r, s, line, len);
	case MULTILINE_JAVA:
		return pending && java_joins(line, len);
	case MULTILINE_PYTHON:
		return python_joins(s, line, len, pending) && pending;
	case MULTILINE_GO:
		return go_joins(s, line, len) && pending;
	default:
		return 0;
	}
}
