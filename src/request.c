/* request.c - what every request carries: the handle's options and the
 * headers (request.h). */
#include "request.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "crash.h"
#include "util.h"

/* The first of the variables that is set and not empty, else NULL. */
static const char *env_first(const char *a, const char *b)
{
	const char *p = getenv(a);
	if ((!p || !*p) && b)
		p = getenv(b);
	return p && *p ? p : NULL;
}

/* The proxy the environment names for url, as libcurl 7.88 picks it
 * (http_proxy is lower-case only; others either case; then all_proxy), or
 * "" for none. Read once here: left to libcurl, it reads the environment
 * again for every request. */
static const char *env_proxy(const char *url)
{
	const char *p = strncasecmp(url, "https:", 6) == 0 ? env_first("https_proxy", "HTTPS_PROXY")
							    : env_first("http_proxy", NULL);
	if (!p)
		p = env_first("all_proxy", "ALL_PROXY");
	return p ? p : "";
}

static const char *env_no_proxy(void)
{
	const char *p = env_first("no_proxy", "NO_PROXY");
	return p ? p : "";
}

void request_setup_init(struct request_setup *r, const char *endpoint, long timeout_ms,
			long connect_timeout_ms, int http2_prior_knowledge, int insecure,
			const char *ca_file)
{
	*r = (struct request_setup){
		.timeout_ms = timeout_ms,
		.connect_timeout_ms = connect_timeout_ms,
		.http_version = http2_prior_knowledge ? (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE
						      : (long)CURL_HTTP_VERSION_2TLS,
		.insecure = insecure,
		.ca_file = ca_file ? xstrdup(ca_file) : NULL,
		.proxy = xstrdup(env_proxy(endpoint)),
		.no_proxy = xstrdup(env_no_proxy()),
	};
}

void request_setup_free(struct request_setup *r)
{
	free(r->ca_file);
	free(r->proxy);
	free(r->no_proxy);
}

#define SETOPT(h, opt, val)                                                          \
	do {                                                                         \
		CURLcode rc_ = curl_easy_setopt((h), (opt), (val));                  \
		if (rc_ != CURLE_OK) {                                               \
			buf_printf(err, "libcurl refused %s: %s", #opt,              \
				   curl_easy_strerror(rc_));                         \
			return -1;                                                   \
		}                                                                    \
	} while (0)

int request_easy_setup(CURL *h, const struct request_setup *o, CURLU *url,
		       struct curl_slist *headers, curl_write_callback write, void *ud, char *errbuf,
		       struct buf *err)
{
	SETOPT(h, CURLOPT_CURLU, url);
	SETOPT(h, CURLOPT_HTTPHEADER, headers);
	SETOPT(h, CURLOPT_POST, 1L);
	SETOPT(h, CURLOPT_WRITEFUNCTION, write);
	SETOPT(h, CURLOPT_WRITEDATA, ud);
	SETOPT(h, CURLOPT_PRIVATE, ud);
	SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(h, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_TCP_KEEPALIVE, 1L);
	SETOPT(h, CURLOPT_TCP_NODELAY, 1L);
	/* Each handle keeps its buffers, and 1,024 may be under way. An answer
	 * is a few hundred bytes, a body rarely more than a few KiB: the
	 * smallest buffers libcurl takes, not its 16 KiB and 64 KiB (peak RSS
	 * at 1,024 in flight, make bench remote: 41.5 MB before, 33.8 MB). */
	SETOPT(h, CURLOPT_BUFFERSIZE, 1024L);
	SETOPT(h, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
	/* No CURLOPT_PIPEWAIT: with libcurl 7.88, transfers waiting to multiplex
	 * on a connection whose first request fails (a reset) stay pending
	 * until their timeout, 30 s with nothing sent (make faults: sendto
	 * ECONNRESET). Without it a start may open a few more connections,
	 * within --max-connections. */
	SETOPT(h, CURLOPT_HTTP_VERSION, o->http_version);
	SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (o->ca_file)
		SETOPT(h, CURLOPT_CAINFO, o->ca_file);
	if (o->insecure) {
		SETOPT(h, CURLOPT_SSL_VERIFYPEER, 0L);
		SETOPT(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	SETOPT(h, CURLOPT_PROXY, o->proxy);
	SETOPT(h, CURLOPT_NOPROXY, o->no_proxy);
	return 0;
}

static struct curl_slist *add_header(struct curl_slist *l, const char *h)
{
	struct curl_slist *n = curl_slist_append(l, h);
	if (!n) {
		curl_slist_free_all(l);
		return NULL;
	}
	return n;
}

void request_headers_free(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next) {
		crash_forget(p->data);
		wipe(p->data, strlen(p->data));
	}
	curl_slist_free_all(l);
}

/* The request headers; NULL when out of memory. */
struct curl_slist *request_headers(const char *token, const char *project_id)
{
	struct buf h = {0};
	buf_printf(&h, "Authorization: Bearer %s", token);
	struct curl_slist *l = add_header(NULL, buf_cstr(&h));
	if (l)
		crash_secret(l->data, strlen(l->data));
	wipe(h.data, h.len);
	buf_clear(&h);
	buf_printf(&h, "x-cm-projectid: %s", project_id);
	if (l)
		l = add_header(l, buf_cstr(&h));
	if (l)
		l = add_header(l, "Content-Type: application/json");
	if (l)
		l = add_header(l, "Accept: application/json");
	/* Here rather than CURLOPT_USERAGENT, which libcurl 7.88 formats twice
	 * a request: formatting headers is a fifth of the CPU a log costs. */
	if (l)
		l = add_header(l, "User-Agent: logmash/" LOGMASH_VERSION);
	if (l)
		l = add_header(l, "Expect:"); /* no 100-continue round trip */
	buf_free(&h);
	return l;
}
