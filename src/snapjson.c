/* snapjson.c - a snapshot to JSON and back, one table of fields for both. */
#include "snapjson.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "encoder.h"

enum ftype { F_U64, F_U32, F_INT, F_I64, F_DBL };

struct field {
	const char *name;
	enum ftype type;
	size_t off;
};

#define STAT(name, type) {#name, type, offsetof(struct stats, name)}
static const struct field stat_fields[] = {
	STAT(read, F_U64), STAT(truncated, F_U64), STAT(empty, F_U64), STAT(not_format, F_U64),
	STAT(invalid_encoding, F_U64), STAT(dropped, F_U64),
	STAT(script_errors, F_U64), STAT(script_reloads, F_U64), STAT(reload_failures, F_U64),
	STAT(reload_at, F_DBL), STAT(kept, F_U64),
	STAT(sent, F_U64), STAT(failed, F_U64), STAT(retried, F_U64),
	STAT(dead_lettered, F_U64), STAT(dead_deleted, F_U64), STAT(in_flight, F_U64),
	STAT(waiting, F_U64), STAT(queued, F_U64), STAT(input_errors, F_U64),
	STAT(bytes_sent, F_U64), STAT(latency_sum_us, F_U64), STAT(last_sent, F_DBL),
	STAT(connects, F_U64), STAT(conc_limit, F_U32), STAT(http_version, F_INT),
	STAT(rtt_baseline_us, F_I64), STAT(rtt_us, F_I64), STAT(conc_reason_at, F_DBL),
};

#define SNAP(name, type) {#name, type, offsetof(struct snapshot, name)}
#define SEND(name, type) {#name, type, offsetof(struct snapshot, send.name)}
static const struct field snap_fields[] = {
	SNAP(taken, F_DBL), SNAP(started, F_DBL), SNAP(stopping, F_INT), SNAP(finished, F_INT), SNAP(dry_run, F_INT),
	SNAP(insecure, F_INT), SNAP(spooled, F_U64),
	SEND(auth_failed, F_INT), SEND(endpoint_failed, F_INT), SEND(unresolved, F_INT),
	SEND(paused, F_INT),
	SEND(backing_off, F_INT), SEND(backoff_until, F_DBL), SEND(backoff_since, F_DBL),
};

/* The strings a snapshot points to rather than holds: read back as the
 * same constants. */
static const char *const script_kinds[] = {"filter", "enrich"};
static const enum errkind kinds[] = {ERR_HTTP, ERR_NETWORK, ERR_SCRIPT, ERR_INPUT,
				     ERR_AUTH, ERR_SCRIPT_LOG, ERR_WARNING, ERR_EVENT,
				     ERR_OUTPUT, ERR_DEADLETTER, ERR_CHECKPOINT, ERR_SPOOL,
				     ERR_SYSTEM};

static void put_str(struct buf *out, const char *key, const char *s)
{
	buf_printf(out, "\"%s\":", key);
	encode_string(out, s ? s : "", s ? strlen(s) : 0);
}

static void put_template_list(struct buf *out, const char *key, const struct template_view *v,
			      size_t n)
{
	buf_printf(out, ",\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		buf_puts(out, i ? ",{" : "{");
		put_str(out, "id", v[i].id);
		buf_putc(out, ',');
		put_str(out, "template", v[i].text);
		buf_putc(out, ',');
		put_str(out, "example", v[i].example);
		buf_printf(out, ",\"total\":%" PRIu64 ",\"kept\":%" PRIu64 ",\"dropped\":%" PRIu64
			   ",\"rate\":%.3f,\"last_seen\":%.6f}", v[i].total, v[i].kept, v[i].dropped,
			   v[i].rate, v[i].last_seen);
	}
	buf_putc(out, ']');
}

/* The miner's totals and its top templates, each way. */
static void put_templates(struct buf *out, const struct template_top *t)
{
	buf_printf(out, ",\"templates\":{\"known\":%" PRIu64 ",\"created\":%" PRIu64
		   ",\"evicted\":%" PRIu64 ",\"mined\":%" PRIu64 ",\"memory\":%zu",
		   t->totals.groups, t->totals.created, t->totals.evicted, t->totals.mined,
		   t->totals.memory);
	put_template_list(out, "by_rate", t->by_rate, t->n_rate);
	put_template_list(out, "by_total", t->by_total, t->n_total);
	buf_putc(out, '}');
}

static void put_fields(struct buf *out, const void *base, const struct field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *p = (const char *)base + f[i].off;
		buf_printf(out, "%s\"%s\":", i ? "," : "", f[i].name);
		switch (f[i].type) {
		case F_U64: { uint64_t v; memcpy(&v, p, sizeof v); buf_printf(out, "%" PRIu64, v); break; }
		case F_U32: { uint32_t v; memcpy(&v, p, sizeof v); buf_printf(out, "%" PRIu32, v); break; }
		case F_INT: { int v; memcpy(&v, p, sizeof v); buf_printf(out, "%d", v); break; }
		case F_I64: { int64_t v; memcpy(&v, p, sizeof v); buf_printf(out, "%" PRId64, v); break; }
		case F_DBL: { double v; memcpy(&v, p, sizeof v); buf_printf(out, "%.6f", v); break; }
		}
	}
}

static void put_entries(struct buf *out, const char *key, const struct errlog_entry *e, size_t n)
{
	buf_printf(out, ",\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		buf_puts(out, i ? ",{" : "{");
		put_str(out, "kind", errkind_name(e[i].kind));
		buf_putc(out, ',');
		put_str(out, "text", e[i].text);
		buf_putc(out, ',');
		put_str(out, "detail", e[i].detail);
		buf_printf(out, ",\"count\":%" PRIu64 ",\"first\":%.6f,\"last\":%.6f}", e[i].count,
			   e[i].first, e[i].last);
	}
	buf_putc(out, ']');
}

void snapjson_write(struct buf *out, const struct snapshot *s)
{
	buf_putc(out, '{');
	put_fields(out, s, snap_fields, sizeof snap_fields / sizeof *snap_fields);
	buf_putc(out, ',');
	put_str(out, "endpoint", s->endpoint);
	buf_putc(out, ',');
	put_str(out, "project", s->project);
	buf_putc(out, ',');
	put_str(out, "host", s->send.host);
	buf_puts(out, ",\"stats\":{");
	put_fields(out, &s->st, stat_fields, sizeof stat_fields / sizeof *stat_fields);
	buf_putc(out, ',');
	put_str(out, "conc_reason", s->st.conc_reason);
	buf_putc(out, ',');
	put_str(out, "reload_result", s->st.reload_result);
	buf_puts(out, ",\"by_level\":[");
	for (size_t i = 0; i < 4; i++)
		buf_printf(out, "%s%" PRIu64, i ? "," : "", s->st.by_level[i]);
	/* Only the buckets in use: most of the 128 are empty. */
	buf_puts(out, "],\"latency\":[");
	int first = 1;
	for (size_t b = 0; b < LATENCY_BUCKETS; b++) {
		if (!s->st.latency.count[b])
			continue;
		buf_printf(out, "%s[%zu,%" PRIu64 "]", first ? "" : ",", b, s->st.latency.count[b]);
		first = 0;
	}
	buf_puts(out, "]},\"scripts\":[");
	for (size_t i = 0; i < s->n_scripts; i++) {
		const struct script_view *v = &s->scripts[i];
		buf_puts(out, i ? ",{" : "{");
		put_str(out, "path", v->path);
		buf_putc(out, ',');
		if (*v->input) {
			put_str(out, "input", v->input);
			buf_putc(out, ',');
		}
		put_str(out, "kind", v->kind);
		buf_printf(out, ",\"calls\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"errors\":%" PRIu64
			   ",\"volume_kept\":%" PRIu64 ",\"volume_dropped\":%" PRIu64 "}",
			   v->calls, v->dropped, v->errors, v->volume_kept, v->volume_dropped);
	}
	buf_puts(out, "],\"sources\":[");
	for (size_t i = 0; i < s->n_sources; i++) {
		const struct source_view *v = &s->sources[i];
		buf_puts(out, i ? ",{" : "{");
		put_str(out, "path", v->path);
		buf_putc(out, ',');
		put_str(out, "input", v->input);
		buf_putc(out, ',');
		put_str(out, "state", source_state_name[v->state]);
		buf_printf(out, ",\"pos\":%" PRIu64 ",\"size\":%" PRIu64 ",\"lines\":%" PRIu64
			   ",\"sent\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"errors\":%" PRIu64
			   ",\"oldest_unsent\":%.6f}",
			   v->pos, v->size, v->lines, v->sent, v->dropped, v->errors, v->oldest_unsent);
	}
	buf_putc(out, ']');
	put_templates(out, &s->templates);
	put_entries(out, "errors", s->errors, s->n_errors);
	put_entries(out, "notes", s->notes, s->n_notes);
	buf_putc(out, '}');
}

/* ---- reading ---- */

static int get_fields(const struct json_doc *d, int obj, void *base, const struct field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int t = json_get(d, obj, f[i].name);
		if (t < 0)
			continue;
		char *p = (char *)base + f[i].off;
		uint64_t u = 0;
		double x = 0;
		if (f[i].type == F_DBL || f[i].type == F_I64 || f[i].type == F_INT) {
			if (json_number(d, t, &x) != 0)
				return -1;
		} else if (json_uint(d, t, &u) != 0) {
			return -1;
		}
		switch (f[i].type) {
		case F_U64: memcpy(p, &u, sizeof u); break;
		case F_U32: { uint32_t v = u > UINT32_MAX ? UINT32_MAX : (uint32_t)u; memcpy(p, &v, sizeof v); break; }
		case F_INT: { int v = x > 1e9 ? 1000000000 : x < -1e9 ? -1000000000 : (int)x; memcpy(p, &v, sizeof v); break; }
		case F_I64: { int64_t v = x > 9e18 ? INT64_MAX : x < -9e18 ? INT64_MIN : (int64_t)x; memcpy(p, &v, sizeof v); break; }
		case F_DBL: memcpy(p, &x, sizeof x); break;
		}
	}
	return 0;
}

/* Member key of obj as a string into out[n] (cut to fit); missing: "". */
static int get_str(const struct json_doc *d, int obj, const char *key, char *out, size_t n,
		   struct buf *tmp)
{
	out[0] = '\0';
	int t = json_get(d, obj, key);
	if (t < 0)
		return 0;
	if (json_string(d, t, tmp) != 0)
		return -1;
	snprintf(out, n, "%s", buf_cstr(tmp));
	return 0;
}

static const char *constant(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return list[i];
	return list[0];
}

static uint64_t get_u64(const struct json_doc *d, int obj, const char *key)
{
	uint64_t v = 0;
	int t = json_get(d, obj, key);
	if (t >= 0 && json_uint(d, t, &v) != 0)
		v = 0;
	return v;
}

static double get_dbl(const struct json_doc *d, int obj, const char *key)
{
	double v = 0;
	int t = json_get(d, obj, key);
	if (t >= 0 && json_number(d, t, &v) != 0)
		v = 0;
	return v;
}

/* The array member key of obj: its first element's token and its size. */
static int array(const struct json_doc *d, int obj, const char *key, int *n)
{
	int t = json_get(d, obj, key);
	*n = 0;
	if (t < 0)
		return -1;
	if (d->tok[t].type != JSMN_ARRAY)
		return -2;
	*n = d->tok[t].size;
	return t + 1;
}

static int get_template_list(const struct json_doc *d, int obj, const char *key,
			     struct template_view *out, size_t *count, struct buf *tmp)
{
	int n, t = array(d, obj, key, &n);
	*count = 0;
	if (t == -2)
		return -1;
	for (int i = 0; i < n && *count < SNAP_TEMPLATES; i++, t = json_skip(d, t)) {
		if (d->tok[t].type != JSMN_OBJECT)
			return -1;
		struct template_view *v = &out[(*count)++];
		if (get_str(d, t, "id", v->id, sizeof v->id, tmp) != 0 ||
		    get_str(d, t, "template", v->text, sizeof v->text, tmp) != 0 ||
		    get_str(d, t, "example", v->example, sizeof v->example, tmp) != 0)
			return -1;
		v->total = get_u64(d, t, "total");
		v->kept = get_u64(d, t, "kept");
		v->dropped = get_u64(d, t, "dropped");
		v->rate = get_dbl(d, t, "rate");
		v->last_seen = get_dbl(d, t, "last_seen");
	}
	return 0;
}

/* "templates": missing (an older logmash) leaves them empty. */
static int get_templates(const struct json_doc *d, int obj, struct template_top *t,
			 struct buf *tmp)
{
	memset(t, 0, sizeof *t);
	int o = json_get(d, obj, "templates");
	if (o < 0)
		return 0;
	if (d->tok[o].type != JSMN_OBJECT)
		return -1;
	t->totals.groups = get_u64(d, o, "known");
	t->totals.created = get_u64(d, o, "created");
	t->totals.evicted = get_u64(d, o, "evicted");
	t->totals.mined = get_u64(d, o, "mined");
	t->totals.memory = (size_t)get_u64(d, o, "memory");
	if (get_template_list(d, o, "by_rate", t->by_rate, &t->n_rate, tmp) != 0 ||
	    get_template_list(d, o, "by_total", t->by_total, &t->n_total, tmp) != 0)
		return -1;
	return 0;
}

static int get_entries(const struct json_doc *d, int obj, const char *key, struct errlog_entry *out,
		       size_t *count, struct buf *tmp)
{
	int n, t = array(d, obj, key, &n);
	*count = 0;
	if (t == -2)
		return -1;
	for (int i = 0; i < n && *count < ERRLOG_KEEP; i++, t = json_skip(d, t)) {
		if (d->tok[t].type != JSMN_OBJECT)
			return -1;
		struct errlog_entry *e = &out[(*count)++];
		char kind[32];
		if (get_str(d, t, "kind", kind, sizeof kind, tmp) != 0 ||
		    get_str(d, t, "text", e->text, sizeof e->text, tmp) != 0 ||
		    get_str(d, t, "detail", e->detail, sizeof e->detail, tmp) != 0)
			return -1;
		e->kind = ERR_WARNING;
		for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
			if (strcmp(errkind_name(kinds[k]), kind) == 0)
				e->kind = kinds[k];
		e->count = get_u64(d, t, "count");
		e->first = get_dbl(d, t, "first");
		e->last = get_dbl(d, t, "last");
	}
	return 0;
}

int snapjson_read(const struct json_doc *d, int obj, struct snapshot *s)
{
	memset(s, 0, sizeof *s);
	if (obj < 0 || obj >= d->ntok || d->tok[obj].type != JSMN_OBJECT)
		return -1;
	struct buf tmp = {0};
	int rc = -1;
	if (get_fields(d, obj, s, snap_fields, sizeof snap_fields / sizeof *snap_fields) != 0 ||
	    get_str(d, obj, "endpoint", s->endpoint, sizeof s->endpoint, &tmp) != 0 ||
	    get_str(d, obj, "project", s->project, sizeof s->project, &tmp) != 0 ||
	    get_str(d, obj, "host", s->send.host, sizeof s->send.host, &tmp) != 0)
		goto out;
	int st = json_get(d, obj, "stats");
	if (st >= 0) {
		if (d->tok[st].type != JSMN_OBJECT ||
		    get_fields(d, st, &s->st, stat_fields, sizeof stat_fields / sizeof *stat_fields) != 0 ||
		    get_str(d, st, "conc_reason", s->st.conc_reason, sizeof s->st.conc_reason, &tmp) != 0 ||
		    get_str(d, st, "reload_result", s->st.reload_result, sizeof s->st.reload_result,
			    &tmp) != 0)
			goto out;
		int n, t = array(d, st, "by_level", &n);
		for (int i = 0; t >= 0 && i < n; i++, t = json_skip(d, t))
			if (i < 4 && json_uint(d, t, &s->st.by_level[i]) != 0)
				goto out;
		t = array(d, st, "latency", &n);
		for (int i = 0; t >= 0 && i < n; i++, t = json_skip(d, t)) {
			uint64_t b, c;
			if (d->tok[t].type != JSMN_ARRAY || d->tok[t].size != 2 ||
			    json_uint(d, t + 1, &b) != 0 || json_uint(d, t + 2, &c) != 0)
				goto out;
			if (b < LATENCY_BUCKETS)
				s->st.latency.count[b] = c;
		}
	}
	int n, t = array(d, obj, "scripts", &n);
	for (int i = 0; t >= 0 && i < n; i++, t = json_skip(d, t)) {
		if (d->tok[t].type != JSMN_OBJECT)
			goto out;
		if (s->n_scripts == SNAP_SCRIPTS)
			continue;
		struct script_view *v = &s->scripts[s->n_scripts++];
		char kind[16];
		if (get_str(d, t, "path", v->path, sizeof v->path, &tmp) != 0 ||
		    get_str(d, t, "input", v->input, sizeof v->input, &tmp) != 0 ||
		    get_str(d, t, "kind", kind, sizeof kind, &tmp) != 0)
			goto out;
		v->kind = constant(script_kinds, sizeof script_kinds / sizeof *script_kinds, kind);
		v->calls = get_u64(d, t, "calls");
		v->dropped = get_u64(d, t, "dropped");
		v->errors = get_u64(d, t, "errors");
		v->volume_kept = get_u64(d, t, "volume_kept");
		v->volume_dropped = get_u64(d, t, "volume_dropped");
	}
	if (get_templates(d, obj, &s->templates, &tmp) != 0)
		goto out;
	t = array(d, obj, "sources", &n);
	for (int i = 0; t >= 0 && i < n; i++, t = json_skip(d, t)) {
		if (d->tok[t].type != JSMN_OBJECT)
			goto out;
		if (s->n_sources == SNAP_SOURCES)
			continue;
		struct source_view *v = &s->sources[s->n_sources++];
		char state[32];
		if (get_str(d, t, "path", v->path, sizeof v->path, &tmp) != 0 ||
		    get_str(d, t, "input", v->input, sizeof v->input, &tmp) != 0 ||
		    get_str(d, t, "state", state, sizeof state, &tmp) != 0)
			goto out;
		v->state = SOURCE_READING; /* a name this version does not know */
		for (int k = 0; k < N_SOURCE_STATES; k++)
			if (strcmp(source_state_name[k], state) == 0)
				v->state = (enum source_view_state)k;
		v->pos = get_u64(d, t, "pos");
		v->size = get_u64(d, t, "size");
		v->lines = get_u64(d, t, "lines");
		v->sent = get_u64(d, t, "sent");
		v->dropped = get_u64(d, t, "dropped");
		v->errors = get_u64(d, t, "errors");
		v->oldest_unsent = get_dbl(d, t, "oldest_unsent");
	}
	if (s->sources_total < s->n_sources)
		s->sources_total = s->n_sources;
	if (get_entries(d, obj, "errors", s->errors, &s->n_errors, &tmp) != 0 ||
	    get_entries(d, obj, "notes", s->notes, &s->n_notes, &tmp) != 0)
		goto out;
	rc = 0;
out:
	buf_free(&tmp);
	return rc;
}
