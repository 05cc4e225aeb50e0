/* fuzz_encoder.c - the JSON request body (encoder.c).
 *
 * The input is a message, an item key and an item value, split at the
 * first two 0xFF bytes (which are themselves invalid UTF-8 and so still
 * reach the encoder inside the parts when there are more). Promises:
 * - the body parses as exactly one JSON value (jsmn, as the API would);
 * - it is valid UTF-8 and holds no raw control byte;
 * - the message and the item read back as they went in when they were
 *   valid UTF-8, and as valid UTF-8 of their own when they were not. */
#include <string.h>

#include "encoder.h"
#include "fuzz.h"
#include "json.h"

static void reads_back(const struct json_doc *d, int tok, const char *in, size_t n, const char *what)
{
	struct buf got = {0};
	PROMISE(tok >= 0 && json_string(d, tok, &got) == 0, what);
	PROMISE(valid_utf8((const unsigned char *)got.data, got.len), "what reads back is valid UTF-8");
	if (valid_utf8((const unsigned char *)in, n))
		PROMISE(got.len == n && (!n || !memcmp(got.data, in, n)), "valid UTF-8 round-trips");
	buf_free(&got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *parts[3] = {s, "", ""};
	size_t len[3] = {size, 0, 0};
	const char *a = memchr(s, 0xFF, size);
	if (a) {
		len[0] = (size_t)(a - s);
		parts[1] = a + 1;
		len[1] = size - len[0] - 1;
		const char *b = memchr(parts[1], 0xFF, len[1]);
		if (b) {
			len[1] = (size_t)(b - parts[1]);
			parts[2] = b + 1;
			len[2] = size - len[0] - len[1] - 2;
		}
	}
	struct item it = {parts[1], len[1], parts[2], len[2]};
	struct record r = {.message = parts[0], .message_len = len[0], .level = LEVEL_ERROR,
			   .items = &it, .n_items = a != NULL};
	struct buf body = {0};
	encode_body(&body, &r);

	PROMISE(valid_utf8((const unsigned char *)body.data, body.len), "the body is valid UTF-8");
	for (size_t i = 0; i < body.len; i++)
		PROMISE((unsigned char)body.data[i] >= 0x20, "the body holds no raw control byte");
	struct json_doc d = {0};
	PROMISE(json_parse(&d, body.data, body.len, 64) == 0 && d.tok[0].type == JSMN_OBJECT,
		"the body is one JSON object");
	reads_back(&d, json_get(&d, 0, "message"), parts[0], len[0], "the message is a string");
	if (r.n_items) {
		int items = json_get(&d, 0, "items");
		PROMISE(items >= 0 && d.tok[items].type == JSMN_OBJECT && d.tok[items].size == 1,
			"items is an object of one member");
		reads_back(&d, items + 1, parts[1], len[1], "the item's key is a string");
		reads_back(&d, items + 2, parts[2], len[2], "the item's value is a string");
	}
	json_doc_free(&d);
	buf_free(&body);
	return 0;
}
