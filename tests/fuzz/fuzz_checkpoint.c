/* fuzz_checkpoint.c - the checkpoint file reader (checkpoint.c). Promises:
 * any text is read as a table or refused with a reason; a table that reads
 * back (files and journal cursors) writes out as text that reads back to
 * the same table. */
#include <string.h>

#include "checkpoint.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_table t = {0}, t2 = {0};
	const char *why = NULL;
	if (checkpoint_parse((const char *)data, size, &t, &why) != 0) {
		PROMISE(why && *why, "a refusal says why");
		cp_table_free(&t);
		return 0;
	}
	struct buf out = {0}, out2 = {0};
	checkpoint_format(&t, &out);
	PROMISE(checkpoint_parse(out.data, out.len, &t2, &why) == 0, "what is written reads back");
	PROMISE(t2.n == t.n && t2.nj == t.nj, "as many entries read back");
	for (size_t i = 0; i < t.nj; i++)
		PROMISE(!strcmp(t.j[i].name, t2.j[i].name) && !strcmp(t.j[i].cursor, t2.j[i].cursor),
			"each journal's cursor reads back the same");
	for (size_t i = 0; i < t.n; i++)
		PROMISE(t.e[i].offset == t2.e[i].offset && !strcmp(t.e[i].path, t2.e[i].path) &&
				t.e[i].id.dev == t2.e[i].id.dev && t.e[i].id.ino == t2.e[i].id.ino &&
				t.e[i].id.fp_len == t2.e[i].id.fp_len &&
				t.e[i].id.fp_hash == t2.e[i].id.fp_hash,
			"each entry reads back the same");
	checkpoint_format(&t2, &out2);
	PROMISE(out.len == out2.len && !memcmp(out.data, out2.data, out.len), "the text is stable");
	buf_free(&out);
	buf_free(&out2);
	cp_table_free(&t);
	cp_table_free(&t2);
	return 0;
}
