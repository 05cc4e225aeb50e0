/* curlmem.h - libcurl's allocator, wiping what it frees.
 *
 * libcurl builds each request, token included, in buffers of its own and
 * frees them as they are: the token would linger in freed memory (and so
 * in a core dump) after logmash wiped its own copies. */
#ifndef LOGMASH_CURLMEM_H
#define LOGMASH_CURLMEM_H

#include <curl/curl.h>

/* curl_global_init with the wiping allocator. */
CURLcode curlmem_global_init(void);

#endif
