/* fuzz_spool.c - the spool's reading of its folder (spool_segment_seq): a
 * name is taken for a segment exactly when it is one that spool_path
 * writes, so the segment read back is the file found. (What a segment
 * holds is read back through the framer: fuzz_framer.) */
#include <inttypes.h>
#include <string.h>

#include "fuzz.h"
#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[64];
	if (size >= sizeof name)
		return 0;
	memcpy(name, data, size);
	name[size] = '\0';
	uint64_t seq;
	int taken = spool_segment_seq(name, &seq) == 0;
	/* The reference: 16 lowercase hex digits and ".seg", not all f. */
	int is_segment = strlen(name) == 20 && strcmp(name + 16, ".seg") == 0 &&
			 strspn(name, "0123456789abcdef") == 16 &&
			 strncmp(name, "ffffffffffffffff", 16) != 0;
	PROMISE(taken == is_segment, "a name is taken exactly when it is a segment's");
	if (taken) {
		char back[32];
		snprintf(back, sizeof back, "%016" PRIx64 ".seg", seq);
		PROMISE(strcmp(back, name) == 0, "its number names the same file");
	}
	return 0;
}
