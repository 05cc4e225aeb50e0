/* plain_curl.c - the bench's floor for sending: the plainest libcurl multi
 * loop, posting one body COUNT times over CONNECTIONS keep-alive connections.
 * It reads nothing, runs no script and keeps no state, so the gap between it
 * and wrk is what libcurl itself costs a request on this machine.
 *
 * usage: plain_curl URL BODY_FILE COUNT CONNECTIONS [CA_FILE]
 * With CA_FILE, HTTPS with HTTP/2 as logmash sends it across a network:
 * CONNECTIONS requests in flight as streams of at most 4 connections.
 * prints: "<requests> requests, <failed> failed" on stderr; exit 1 on failure. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>

static size_t discard(char *p, size_t size, size_t n, void *u)
{
	(void)p;
	(void)u;
	return size * n;
}

static const char *ca_file;

static CURL *new_post(const char *url, struct curl_slist *headers, const char *body, long len)
{
	CURL *e = curl_easy_init();
	if (e && ca_file &&
	    (curl_easy_setopt(e, CURLOPT_CAINFO, ca_file) != CURLE_OK ||
	     curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L) != CURLE_OK ||
	     curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS) != CURLE_OK)) {
		fprintf(stderr, "plain_curl: cannot set up TLS\n");
		exit(1);
	}
	if (!e || curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, len) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard) != CURLE_OK) {
		fprintf(stderr, "plain_curl: cannot set up a request\n");
		exit(1);
	}
	return e;
}

int main(int argc, char **argv)
{
	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: plain_curl URL BODY_FILE COUNT CONNECTIONS [CA_FILE]\n");
		return 1;
	}
	ca_file = argc == 6 ? argv[5] : NULL;
	const char *url = argv[1];
	long count = atol(argv[3]);
	int conns = atoi(argv[4]);
	static char body[65536];
	FILE *f = fopen(argv[2], "rb");
	if (!f) {
		perror(argv[2]);
		return 1;
	}
	long len = (long)fread(body, 1, sizeof body - 1, f);
	fclose(f);
	if (count <= 0 || conns <= 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;

	CURLM *m = curl_multi_init();
	struct curl_slist *h = NULL;
	const char *hdr[] = {"Content-Type: application/json", "Authorization: Bearer bench-token",
			     "x-cm-projectid: bench", "Expect:"};
	for (size_t i = 0; i < sizeof hdr / sizeof *hdr; i++)
		h = curl_slist_append(h, hdr[i]);
	if (!m || !h || curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, ca_file ? 4L : (long)conns) != CURLM_OK ||
	    curl_multi_setopt(m, CURLMOPT_MAX_CONCURRENT_STREAMS, (long)conns) != CURLM_OK)
		return 1;

	long started = 0, done = 0, failed = 0;
	for (; started < count && started < conns; started++)
		curl_multi_add_handle(m, new_post(url, h, body, len));
	while (done < count) {
		int running;
		if (curl_multi_perform(m, &running) != CURLM_OK)
			return 1;
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			CURL *e = msg->easy_handle;
			long code = 0;
			curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
			failed += msg->data.result != CURLE_OK || code != 200;
			done++;
			curl_multi_remove_handle(m, e);
			if (started < count) { /* the same handle again: its connection stays open */
				started++;
				curl_multi_add_handle(m, e);
			} else {
				curl_easy_cleanup(e);
			}
		}
		if (done < count && curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK)
			return 1;
	}
	fprintf(stderr, "%ld requests, %ld failed\n", done, failed);
	curl_multi_cleanup(m);
	curl_slist_free_all(h);
	curl_global_cleanup();
	return failed ? 1 : 0;
}
