/* scratch.h - a unit test file's scratch folder: made before its tests,
 * removed after. Include once per test file (it defines static functions). */
#ifndef LOGMASH_TEST_SCRATCH_H
#define LOGMASH_TEST_SCRATCH_H

#include <stdio.h>
#include <stdlib.h>

#include "errlog.h"

static char dir[] = "/tmp/logmash-test-XXXXXX";

static int scratch_setup(void **state)
{
	(void)state;
	errlog_init(0); /* reports are counted, not printed */
	return mkdtemp(dir) ? 0 : -1;
}

static int scratch_teardown(void **state)
{
	(void)state;
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
