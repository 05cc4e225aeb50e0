/* answer.h - what the Logs API answered, in words for the operator.
 *
 * A 2xx answer must carry {"result": "LOG_ID"}. An error answer is a
 * ServiceStack body {"responseStatus": {"errorCode", "message", "errors"}}:
 * the operator sees errorCode and message, never raw bytes. */
#ifndef LOGMASH_ANSWER_H
#define LOGMASH_ANSWER_H

#include <stddef.h>

#include "json.h"

struct answer {
	int ok;           /* a 2xx with a log id */
	char id[128];     /* the log id when ok */
	char detail[512]; /* otherwise, what went wrong: printable UTF-8 */
};

/* Reads an HTTP answer. scratch is reused between calls to save allocations. */
void answer_parse(long status, const char *body, size_t len, struct answer *a,
		  struct json_doc *scratch);

#endif
