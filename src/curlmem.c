/* curlmem.c - libcurl's allocator, wiping what it frees (see curlmem.h). */
#include "curlmem.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void wiping_free(void *p)
{
	if (p) {
		wipe(p, malloc_usable_size(p));
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
