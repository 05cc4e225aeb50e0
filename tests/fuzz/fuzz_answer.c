/* fuzz_answer.c - the API's answers (answer.c over json.c and jsmn). The
 * first byte picks a status. Promises: a 2xx is ok only with a log id; what
 * the operator is shown (the id or the detail) is printable, valid UTF-8,
 * and never empty when the answer is not ok. */
#include <string.h>

#include "answer.h"
#include "fuzz.h"

static void printable(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	PROMISE(n < cap, "the text is terminated within its buffer");
	PROMISE(valid_utf8((const unsigned char *)s, n), "the text is valid UTF-8");
	for (size_t i = 0; i < n; i++)
		PROMISE((unsigned char)s[i] >= 0x20 && s[i] != 0x7F, "the text holds no control byte");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = {200, 201, 204, 400, 401, 403, 404, 408, 413, 422, 429, 500, 503};
	if (size < 1)
		return 0;
	long status = statuses[data[0] % (sizeof statuses / sizeof *statuses)];
	struct answer a;
	struct json_doc d = {0};
	answer_parse(status, (const char *)data + 1, size - 1, &a, &d);
	printable(a.id, sizeof a.id);
	printable(a.detail, sizeof a.detail);
	PROMISE(!a.ok || (status < 300 && a.id[0]), "ok means a 2xx with a log id");
	PROMISE(a.ok || a.detail[0], "a failure says what went wrong");
	json_doc_free(&d);
	return 0;
}
