/* status.h - the headless status line: what the dashboard shows, in one
 * line on stderr every --status-interval seconds, as text or as JSON. */
#ifndef LOGMASH_STATUS_H
#define LOGMASH_STATUS_H

#include "buf.h"
#include "snapshot.h"

/* Appends one line (with its newline) describing now; rates and latency
 * percentiles are over the time since prev (NULL: since the start). */
void status_line(struct buf *out, const struct snapshot *now, const struct snapshot *prev,
		 int json);

/* The same as one JSON object (with its newline). */
void status_json(struct buf *out, const struct snapshot *now, const struct snapshot *prev);

/* Its fields alone, "key":value,... without the braces: for a caller that
 * adds its own (logmash status --json). */
void status_json_fields(struct buf *out, const struct snapshot *now, const struct snapshot *prev);

/* Appends systemd's STATUS= text (no newline): one short line for
 * `systemctl status`, "sending 2.3k/s, queued 12, behind 0 B, 0 errors". */
void status_systemd(struct buf *out, const struct snapshot *now, const struct snapshot *prev);

/* Why the concurrency limit last moved, and how long ago ("503 from the
 * API, 12s ago"); said when the round trip that moved it is back near its
 * baseline. */
void status_limit_reason(struct buf *out, const struct snapshot *now);

/* How far behind: "200 logs undelivered, 1.2 KiB unread". */
void status_behind(struct buf *out, const struct snapshot *now);

/* The last reload: "last reload 2m ago: url https://b; some take a
 * restart", or nothing when there was none. */
void status_reload(struct buf *out, const struct snapshot *now);

/* For `logmash status`: the scripts with their volume helpers' answers, and
 * the templates (the top 20 by rate; in text, the first n). */
void status_json_scripts(struct buf *out, const struct snapshot *now);
void status_json_templates(struct buf *out, const struct snapshot *now);
void status_templates_text(struct buf *out, const struct snapshot *now, size_t n);

#endif
