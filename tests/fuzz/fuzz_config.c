/* fuzz_config.c - the config file loader (options_load_config). Promises:
 * any text is loaded or refused with a reason, within the loader's memory
 * and instruction bounds (an endless or greedy file is refused, not run
 * for ever); what was set is freed (ASan's leak check). */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The loader reads a file: the input becomes one, in memory. */
	int fd = memfd_create("config", MFD_CLOEXEC);
	PROMISE(fd >= 0, "memfd_create works");
	PROMISE(write(fd, data, size) == (ssize_t)size, "the input is written");
	char path[64], why[4096];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct options o;
	memset(&o, 0, sizeof o);
	why[0] = '\0';
	int rc = options_load_config(&o, path, why, sizeof why);
	PROMISE(rc == 0 || rc == -1, "loaded or refused");
	if (rc != 0)
		PROMISE(why[0] != '\0', "a refusal says why");
	for (size_t i = 0; i < o.n_scripts; i++)
		PROMISE(o.scripts[i].path && o.scripts[i].path[0], "a script has a path");
	options_free(&o);
	close(fd);
	return 0;
}
