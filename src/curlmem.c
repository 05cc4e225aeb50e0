/* curlmem.c - libcurl's allocator, wiping what it frees (see curlmem.h). */
#include "curlmem.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Where libcurl keeps the token, it is near the start of a block: the
 * header list's copies (a few dozen bytes), the request buffer (request
 * line, Host, then our headers, Authorization first). Its large buffers
 * (16 KiB for answers, 64 KiB for uploads) hold bodies; wiping all of them
 * on every free cost a quarter of the sending rate (make bench, send), so
 * only each block's first WIPE_HEAD bytes are wiped. */
#define WIPE_HEAD 4096

static void wiping_free(void *p)
{
	if (p) {
		size_t n = malloc_usable_size(p);
		wipe(p, n < WIPE_HEAD ? n : WIPE_HEAD);
		free(p);
	}
}

/* A moved block is wiped too, so realloc always moves: libcurl grows its
 * buffers by doubling, which makes the copies rare. */
static void *wiping_realloc(void *p, size_t n)
{
	if (!p)
		return malloc(n);
	if (n == 0) {
		wiping_free(p);
		return NULL;
	}
	void *q = malloc(n);
	if (!q)
		return NULL;
	size_t old = malloc_usable_size(p);
	memcpy(q, p, old < n ? old : n);
	wiping_free(p);
	return q;
}

static char *wiping_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

CURLcode curlmem_global_init(void)
{
	return curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, wiping_free, wiping_realloc,
				    wiping_strdup, calloc);
}
