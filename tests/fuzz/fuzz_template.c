/* fuzz_template.c - the template miner (template.c, template_mask.c). The
 * input's lines are mined in order by a miner of at most 32 groups (so that
 * eviction runs), the first byte choosing whether an extra mask is on.
 * Promises:
 * - an id is 10 lower-case hex digits, the same for a message mined twice
 *   in a row, and so is its template;
 * - a template holds no line break, and is valid UTF-8 when the message
 *   was;
 * - the groups stay within the bound;
 * - the saved form reads back into a fresh miner, as many groups;
 * - the shape cache changes no answer: without the extra mask, every id
 *   and template is the one a miner without the cache gives (a mask that
 *   never matches turns it off). */
#include <string.h>

#include "fuzz.h"
#include "template.h"

#define MAX 32

static void check_info(const struct template_info *in, const char *msg, size_t n)
{
	PROMISE(strlen(in->id) == TEMPLATE_ID_LEN, "an id has 10 digits");
	for (size_t i = 0; i < TEMPLATE_ID_LEN; i++)
		PROMISE((in->id[i] >= '0' && in->id[i] <= '9') || (in->id[i] >= 'a' && in->id[i] <= 'f'),
			"an id is lower-case hex");
	PROMISE(strlen(in->text) == in->text_len, "the template's length is told");
	PROMISE(!memchr(in->text, '\n', in->text_len), "a template holds no line break");
	if (valid_utf8((const unsigned char *)msg, n))
		PROMISE(valid_utf8((const unsigned char *)in->text, in->text_len),
			"a template of valid UTF-8 is valid UTF-8");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct template_miner *m = template_miner_new(MAX);
	struct buf err = {0};
	struct template_miner *ref = NULL;
	if (data[0] & 1) {
		PROMISE(template_miner_add_mask(m, "req-[a-z0-9]+", &err) == 0, "a good mask compiles");
	} else {
		ref = template_miner_new(MAX);
		PROMISE(template_miner_add_mask(ref, "(?!)", &err) == 0, "a good mask compiles");
	}
	const char *s = (const char *)data + 1, *end = (const char *)data + size;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		const struct template_info *a = template_mine(m, s, n, 1.0);
		check_info(a, s, n);
		char id[TEMPLATE_ID_LEN + 1];
		memcpy(id, a->id, sizeof id);
		struct buf text = {0};
		buf_append(&text, a->text, a->text_len);
		if (ref) {
			const struct template_info *r = template_mine(ref, s, n, 1.0);
			PROMISE(strcmp(id, r->id) == 0, "the shape cache changes no id");
			PROMISE(strcmp(buf_cstr(&text), r->text) == 0, "...nor template");
			(void)template_mine(ref, s, n, 1.0);
		}
		const struct template_info *b = template_mine(m, s, n, 1.0);
		PROMISE(strcmp(id, b->id) == 0, "a message mined twice keeps its id");
		PROMISE(strcmp(buf_cstr(&text), b->text) == 0, "...and its template");
		buf_free(&text);
		s += n + 1;
	}
	struct template_totals t;
	template_totals(m, &t);
	PROMISE(t.groups <= MAX, "the groups stay within the bound");
	struct buf saved = {0};
	template_format(m, &saved);
	struct template_miner *back = template_miner_new(MAX);
	PROMISE(template_parse(back, saved.data, saved.len, &err) == 0, "the saved form reads back");
	struct template_totals u;
	template_totals(back, &u);
	PROMISE(u.groups == t.groups, "...with as many groups");
	buf_free(&saved);
	buf_free(&err);
	template_miner_free(back);
	template_miner_free(ref);
	template_miner_free(m);
	return 0;
}
