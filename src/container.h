/* container.h - the lines container runtimes write, and what a container
 * log's path says.
 *
 * CRI (containerd, CRI-O; what kubelet reads): "TIME STREAM TAG CONTENT",
 * TIME RFC 3339 with nanoseconds, STREAM stdout or stderr, TAG F for a
 * line's last part or P for a part the runtime cut (at 16 KiB) and
 * continues in the stream's next line. Docker's json-file driver:
 * {"log":"...\n","stream":"stdout","time":"..."}, a log without its
 * final newline continuing in the stream's next line. */
#ifndef LOGMASH_CONTAINER_H
#define LOGMASH_CONTAINER_H

#include <stddef.h>

#include "buf.h"
#include "json.h"

enum container_stream { CONTAINER_STDOUT, CONTAINER_STDERR };

struct container_line {
	enum container_stream stream;
	int partial;          /* continues in the stream's next line */
	const char *content;  /* into the line, or into the caller's scratch */
	size_t len;
};

/* 0 with *out set, or -1 when line is not in the format. */
int container_parse_cri(const char *line, size_t len, struct container_line *out);

/* The same for a json-file line: the log's text is unescaped into
 * scratch, through doc (both reused from line to line). */
int container_parse_docker(const char *line, size_t len, struct container_line *out,
			   struct json_doc *doc, struct buf *scratch);

/* What the path of a container's log names, kubelet's way:
 * .../pods/NAMESPACE_POD_UID/CONTAINER/N.log and
 * .../containers/POD_NAMESPACE_CONTAINER-ID.log. Empty strings where it
 * says nothing. */
struct container_meta {
	char namespace_[64];
	char pod[256];
	char container[64];
};

/* 1 when the path names a pod's container (m filled), else 0. */
int container_meta_of(const char *path, struct container_meta *m);

const char *container_stream_name(enum container_stream s);

#endif
