/* container.c - CRI and json-file lines, kubelet's paths. */
#include "container.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

const char *container_stream_name(enum container_stream s)
{
	return s == CONTAINER_STDERR ? "stderr" : "stdout";
}

/* "2026-11-26T10:00:00.123456789Z", "...+01:00": RFC 3339, loosely (the
 * runtime wrote it; the shape is what tells a CRI line from another). */
static int rfc3339(const char *s, size_t n)
{
	if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':')
		return 0;
	for (size_t i = 0; i < 4; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

int container_parse_cri(const char *line, size_t len, struct container_line *out)
{
	const char *sp = memchr(line, ' ', len);
	if (!sp || !rfc3339(line, (size_t)(sp - line)))
		return -1;
	const char *p = sp + 1, *end = line + len;
	if (end - p >= 7 && !memcmp(p, "stdout ", 7))
		out->stream = CONTAINER_STDOUT;
	else if (end - p >= 7 && !memcmp(p, "stderr ", 7))
		out->stream = CONTAINER_STDERR;
	else
		return -1;
	p += 7;
	if (p == end || (*p != 'F' && *p != 'P'))
		return -1;
	out->partial = *p == 'P';
	p++;
	if (p < end && *p != ' ')
		return -1; /* tags are one letter here; "F:..." is not CRI */
	if (p < end)
		p++;
	out->content = p;
	out->len = (size_t)(end - p);
	return 0;
}

int container_parse_docker(const char *line, size_t len, struct container_line *out,
			   struct json_doc *doc, struct buf *scratch)
{
	if (!len || line[0] != '{' || json_parse(doc, line, len, 64) != 0)
		return -1;
	int lg = json_get(doc, 0, "log");
	if (lg < 0 || doc->tok[lg].type != JSMN_STRING || json_string(doc, lg, scratch) != 0)
		return -1;
	out->stream = CONTAINER_STDOUT;
	int st = json_get(doc, 0, "stream");
	if (st >= 0 && doc->tok[st].type == JSMN_STRING &&
	    doc->tok[st].end - doc->tok[st].start == 6 && !memcmp(line + doc->tok[st].start, "stderr", 6))
		out->stream = CONTAINER_STDERR;
	out->content = scratch->data ? scratch->data : "";
	out->len = scratch->len;
	out->partial = !out->len || out->content[out->len - 1] != '\n';
	if (!out->partial) {
		out->len--;
		if (out->len && out->content[out->len - 1] == '\r')
			out->len--;
	}
	return 0;
}

/* Copies s[0..n) into out (size sz) when it fits and is not empty. */
static int take(char *out, size_t sz, const char *s, size_t n)
{
	if (!n || n >= sz)
		return 0;
	memcpy(out, s, n);
	out[n] = '\0';
	return 1;
}

/* The path's last k components: starts[i] and lens[i], the last at k-1.
 * 1 when the path has k components after a folder named dir. */
static int tail_after(const char *path, const char *dir, const char **starts, size_t *lens, int k)
{
	const char *end = path + strlen(path);
	for (int i = k - 1; i >= 0; i--) {
		const char *slash = end;
		while (slash > path && slash[-1] != '/')
			slash--;
		if (slash == path)
			return 0;
		starts[i] = slash;
		lens[i] = (size_t)(end - slash);
		end = slash - 1;
	}
	const char *d = end;
	while (d > path && d[-1] != '/')
		d--;
	return (size_t)(end - d) == strlen(dir) && !memcmp(d, dir, strlen(dir));
}

int container_meta_of(const char *path, struct container_meta *m)
{
	memset(m, 0, sizeof *m);
	const char *c[3];
	size_t l[3];
	/* pods/NAMESPACE_POD_UID/CONTAINER/N.log: names cannot hold '_'. */
	if (tail_after(path, "pods", c, l, 3)) {
		const char *u1 = memchr(c[0], '_', l[0]);
		const char *u2 = u1 ? memchr(u1 + 1, '_', (size_t)(c[0] + l[0] - u1 - 1)) : NULL;
		if (u2 && take(m->namespace_, sizeof m->namespace_, c[0], (size_t)(u1 - c[0])) &&
		    take(m->pod, sizeof m->pod, u1 + 1, (size_t)(u2 - u1 - 1)) &&
		    take(m->container, sizeof m->container, c[1], l[1]))
			return 1;
		memset(m, 0, sizeof *m);
	}
	/* containers/POD_NAMESPACE_CONTAINER-ID.log */
	if (tail_after(path, "containers", c, l, 1) && l[0] > 4 &&
	    !memcmp(c[0] + l[0] - 4, ".log", 4)) {
		const char *s = c[0], *e = c[0] + l[0] - 4;
		const char *u1 = memchr(s, '_', (size_t)(e - s));
		const char *u2 = u1 ? memchr(u1 + 1, '_', (size_t)(e - u1 - 1)) : NULL;
		const char *dash = e;
		while (u2 && dash > u2 && dash[-1] != '-')
			dash--;
		if (u2 && dash > u2 + 1 && take(m->pod, sizeof m->pod, s, (size_t)(u1 - s)) &&
		    take(m->namespace_, sizeof m->namespace_, u1 + 1, (size_t)(u2 - u1 - 1)) &&
		    take(m->container, sizeof m->container, u2 + 1, (size_t)(dash - 1 - u2 - 1)))
			return 1;
		memset(m, 0, sizeof *m);
	}
	return 0;
}
