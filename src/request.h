/* request.h - what every request to the API carries, set once: the
 * handle's options (timeouts, TLS, HTTP version, the proxy the environment
 * names) and the headers with the credentials. The sender (sender.c)
 * decides when requests go; this only describes them. */
#ifndef LOGMASH_REQUEST_H
#define LOGMASH_REQUEST_H

#include <curl/curl.h>

#include "buf.h"

struct request_setup {
	long timeout_ms, connect_timeout_ms;
	long http_version;
	int insecure;
	char *ca_file;          /* NULL: the system's authorities */
	char *proxy, *no_proxy; /* read from the environment once */
};

/* Fills r for requests to endpoint. Strings are copied. */
void request_setup_init(struct request_setup *r, const char *endpoint, long timeout_ms,
			long connect_timeout_ms, int http2_prior_knowledge, int insecure,
			const char *ca_file);
void request_setup_free(struct request_setup *r);

/* Sets a new handle up for POSTs to url with headers, writing the answer
 * through write(ud) and keeping ud as its private pointer and errbuf
 * (CURL_ERROR_SIZE bytes) for libcurl's message. -1, with the reason in
 * err, if libcurl refuses an option. */
int request_easy_setup(CURL *h, const struct request_setup *r, CURLU *url,
		       struct curl_slist *headers, curl_write_callback write, void *ud, char *errbuf,
		       struct buf *err);

/* The request headers (the token among them, registered with crash.h as a
 * secret); NULL when out of memory. request_headers_free wipes them. */
struct curl_slist *request_headers(const char *token, const char *project_id);
void request_headers_free(struct curl_slist *l);

#endif
