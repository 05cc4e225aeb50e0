/* sender.c - libcurl multi transfers, outcomes, retries, the breaker. */
#include "sender.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "answer.h"
#include "buf.h"
#include "concurrency.h"
#include "crash.h"
#include "errlog.h"
#include "retry.h"
#include "transport.h"
#include "util.h"

#define MAX_ANSWER ((size_t)64 * 1024) /* more of an answer than this is not read */
#define RETRY_AFTER_MAX_S 300  /* a typo'd day-long Retry-After would stall everything */
#define BREAKER_STREAK 8       /* failures in a row that stop the sender as a whole, */
				/* with no success for two round trips */
#define DEADLETTER_RETRY_MS 1000
#define NO_ID_RETRIES 5        /* a 2xx without a log id: retries, when --max-retries is -1 */
#define PROBE_EVERY_MS 1000    /* the breaker waits at most this long between probes */
#define HELD INT64_MAX         /* due time of a log held after a 401/403 */
#define GATHER_FROM_US 5000    /* answers gather across a round trip this long, */
#define GATHER_FROM_LIMIT 128  /* with this many requests allowed under way, */
#define GATHER_MAX_US 5000     /* for at most this long */
#define H2_CONNECTIONS 4       /* default --max-connections when the API speaks HTTP/2 */
#define H1_CONNECTIONS 128     /* ... and HTTP/1.1, where a request needs a connection */

enum slot_state { SLOT_FREE, SLOT_ACTIVE, SLOT_WAITING };

struct slot {
	CURL *easy;
	unsigned thread; /* the transport thread that carries its requests */
	enum slot_state state;
	struct qentry e;
	int attempts;
	int64_t due_ms;
	unsigned credentials;  /* the generation of the headers it was sent with */
	struct buf answer;
	char errbuf[CURL_ERROR_SIZE];
	/* A dead letter that could not be written yet: what to write. */
	int dl_pending;
	long dl_status;
	char dl_error[ERRLOG_TEXT + 128];
};

/* What each slot's handle is set up with, when the slot is first used. */
struct easy_setup {
	long timeout_ms, connect_timeout_ms;
	long http_version;
	int insecure;
	char *ca_file;
	char *proxy, *no_proxy;
};

struct sender {
	struct transport *tr;
	struct easy_setup setup;
	struct conc conc;
	long max_connections;  /* given, or 0 */
	long max_in_flight;
	int adaptive;
	int proto_known;       /* the API answered: its HTTP version is known */
	int64_t gather_us;     /* what the transport was told to gather answers for */
	struct transport_done *done; /* room for every slot */
	struct curl_slist *headers; /* holds the token: wiped at free */
	unsigned credentials;       /* their generation: one more at each change */
	struct curl_slist *stale;   /* the list before a reload, while requests still use it */
	CURLU *url;                 /* parsed once: libcurl 7.88 parses a string URL each request */
	struct slot *slots;
	size_t n_slots;
	size_t active, waiting;
	long max_retries;
	int64_t base_ms, cap_ms;
	uint32_t rnd;
	struct queue *q;
	struct stats *st;
	struct json_doc doc;
	struct deadletter *dead;
	void (*on_settled)(void *ctx, const struct qentry *e, int delivered);
	void (*on_answer)(void *ctx, const struct qentry *e, long status, const char *outcome);
	void *ctx;

	/* The breaker. */
	int streak;       /* transient failures in a row */
	int trips;        /* times it opened since the last success */
	int probing;      /* after a pause: one request at a time until one succeeds */
	int64_t hold_ms;  /* nothing starts before this */
	int64_t last_ok_ms; /* the last success (or the start) */
	int64_t fail_ms;    /* how long the last failed request took */
	char *endpoint;     /* for messages */
	int seen_2xx;       /* an answer 2xx since the start or SIGHUP: the URL works */
	int rejected_streak; /* 400 or 422 in a row */

	/* --rate-limit: a token bucket. */
	double rate, tokens;
	int64_t refilled_ms;
};

static size_t on_answer(char *p, size_t size, size_t n, void *ud)
{
	struct slot *sl = ud;
	size_t len = size * n;
	size_t room = sl->answer.len < MAX_ANSWER ? MAX_ANSWER - sl->answer.len : 0;
	buf_append(&sl->answer, p, len < room ? len : room);
	return len;
}

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

#define SETOPT(h, opt, val)                                                          \
	do {                                                                         \
		CURLcode rc_ = curl_easy_setopt((h), (opt), (val));                  \
		if (rc_ != CURLE_OK) {                                               \
			warnx_("libcurl refused %s: %s", #opt, curl_easy_strerror(rc_)); \
			return -1;                                                   \
		}                                                                    \
	} while (0)

static int setup_easy(struct sender *s, struct slot *sl)
{
	const struct easy_setup *o = &s->setup;
	CURL *h = sl->easy;
	SETOPT(h, CURLOPT_CURLU, s->url);
	SETOPT(h, CURLOPT_HTTPHEADER, s->headers);
	SETOPT(h, CURLOPT_POST, 1L);
	SETOPT(h, CURLOPT_WRITEFUNCTION, on_answer);
	SETOPT(h, CURLOPT_WRITEDATA, (void *)sl);
	SETOPT(h, CURLOPT_PRIVATE, (void *)sl);
	SETOPT(h, CURLOPT_ERRORBUFFER, sl->errbuf);
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

/* The slot's handle, made the first time the slot carries a request: a
 * limit that never grew past 30 costs 30 handles, not --max-in-flight. */
static int slot_easy(struct sender *s, struct slot *sl)
{
	if (sl->easy)
		return 0;
	sl->easy = curl_easy_init();
	if (!sl->easy || setup_easy(s, sl) != 0) {
		if (sl->easy)
			curl_easy_cleanup(sl->easy);
		sl->easy = NULL;
		return -1;
	}
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

static void free_headers(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next) {
		crash_forget(p->data);
		wipe(p->data, strlen(p->data));
	}
	curl_slist_free_all(l);
}

/* The request headers; NULL when out of memory. */
static struct curl_slist *make_headers(const char *token, const char *project_id)
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

/* Over HTTP/1.1 a request needs a connection: as many as the option says,
 * else H1_CONNECTIONS when the limit adapts, else (fixed) one a request. */
static long h1_connections(const struct sender *s)
{
	long n = s->max_connections ? s->max_connections
		 : s->adaptive      ? H1_CONNECTIONS
				    : s->max_in_flight;
	return n < s->max_in_flight ? n : s->max_in_flight;
}

/* What the operator sees of the limit; and the transport's gathering of
 * answers (transport_set_gather) across a network, with many requests under
 * way: a 16th of the round trip, at most GATHER_MAX_US, so that each wake
 * serves many answers. At loopback speed, where the CPU is the limit, or
 * with few requests, whose wakes cost little, it would only slow the
 * answers: there is none. (make bench: the remote, capacity and send rows.) */
static void publish_limit(struct sender *s)
{
	struct stats *st = s->st;
	int64_t g = s->conc.baseline_us >= GATHER_FROM_US && conc_limit(&s->conc) >= GATHER_FROM_LIMIT
			    ? s->conc.baseline_us / 16 : 0;
	if (g > GATHER_MAX_US)
		g = GATHER_MAX_US;
	if (g != s->gather_us) {
		s->gather_us = g;
		transport_set_gather(s->tr, (long)g);
	}
	st->conc_limit = conc_limit(&s->conc);
	st->rtt_baseline_us = s->conc.baseline_us;
	st->rtt_us = s->conc.last_rtt_us;
	memcpy(st->conc_reason, s->conc.reason, sizeof st->conc_reason);
}

/* The first answer tells the API's HTTP version: over HTTP/1.1 the
 * connections become H1_CONNECTIONS (or the option's), and they bound the
 * limit. */
static void learn_protocol(struct sender *s, CURL *easy)
{
	long v = 0;
	if (s->proto_known || curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &v) != CURLE_OK || !v)
		return;
	s->proto_known = 1;
	s->st->http_version = v >= CURL_HTTP_VERSION_2_0 ? 2 : 1;
	if (s->st->http_version == 1) {
		transport_set_connections(s->tr, h1_connections(s));
		conc_set_ceiling(&s->conc, (uint32_t)h1_connections(s));
	}
}

struct sender *sender_new(const struct sender_opts *o, struct queue *q, struct stats *st)
{
	struct sender *s = xcalloc(1, sizeof *s);
	s->q = q;
	s->st = st;
	s->max_retries = o->max_retries;
	s->base_ms = o->retry_base_ms > 0 ? o->retry_base_ms : 200;
	s->cap_ms = o->retry_cap_ms > s->base_ms ? o->retry_cap_ms : s->base_ms;
	s->dead = o->dead;
	s->on_settled = o->on_settled;
	s->on_answer = o->on_answer;
	s->ctx = o->ctx;
	s->rate = o->rate_limit;
	s->tokens = s->rate > 1 ? s->rate : 1;
	s->refilled_ms = now_mono_ms();
	s->last_ok_ms = s->refilled_ms;
	s->endpoint = xstrdup(o->endpoint);
	s->rnd = (uint32_t)now_mono_ms() ^ ((uint32_t)getpid() << 16) ^ 0x9E3779B9u;
	if (!s->rnd)
		s->rnd = 1;
	/* curl 7.88.0 and 7.88.1 (Debian 12's) break a reused HTTP/2 cleartext
	 * connection: every second request on it fails (curl issue 10634, fixed
	 * in 8.0.0). Refused here rather than retried forever. */
	unsigned cv = curl_version_info(CURLVERSION_NOW)->version_num;
	if (o->http2_prior_knowledge && cv >= 0x075800 && cv < 0x080000) {
		warnx_("--http2-prior-knowledge needs libcurl 8.0.0 or later: this libcurl (%s) "
		       "fails every reused HTTP/2 cleartext connection (curl issue 10634). Use an "
		       "https:// URL, where HTTP/2 is negotiated, or leave the option off",
		       curl_version_info(CURLVERSION_NOW)->version);
		sender_free(s);
		return NULL;
	}
	s->url = curl_url();
	if (!s->url) {
		warnx_("cannot start libcurl (out of memory)");
		sender_free(s);
		return NULL;
	}
	CURLUcode uc = curl_url_set(s->url, CURLUPART_URL, o->endpoint, 0);
	if (uc != CURLUE_OK) {
		warnx_("the API URL %s is not usable: %s (check --url)", o->endpoint,
		       curl_url_strerror(uc));
		sender_free(s);
		return NULL;
	}
	s->headers = make_headers(o->token, o->project_id);
	if (!s->headers) {
		warnx_("cannot start libcurl (out of memory)");
		sender_free(s);
		return NULL;
	}
	s->setup = (struct easy_setup){
		.timeout_ms = o->timeout_ms,
		.connect_timeout_ms = o->connect_timeout_ms,
		.http_version = o->http2_prior_knowledge ? (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE
							 : (long)CURL_HTTP_VERSION_2TLS,
		.insecure = o->insecure,
		.ca_file = o->ca_file ? xstrdup(o->ca_file) : NULL,
		.proxy = xstrdup(env_proxy(o->endpoint)),
		.no_proxy = xstrdup(env_no_proxy()),
	};
	s->n_slots = (size_t)o->max_in_flight;
	long threads = o->threads < 1 ? 1 : o->threads > o->max_in_flight ? o->max_in_flight : o->threads;
	long per_thread = (o->max_in_flight + threads - 1) / threads;
	/* Until the API answers, HTTP/2 is expected where it can be negotiated
	 * (https://, or prior knowledge); cleartext HTTP/1.1 needs its
	 * connections from the start. */
	int h2_expected = o->http2_prior_knowledge || strncasecmp(o->endpoint, "https:", 6) == 0;
	s->max_connections = o->max_connections;
	s->max_in_flight = o->max_in_flight;
	s->adaptive = o->adaptive;
	long conns = h2_expected ? (o->max_connections ? o->max_connections : H2_CONNECTIONS)
				 : h1_connections(s);
	s->tr = transport_new((unsigned)threads, per_thread, conns);
	if (!s->tr) {
		sender_free(s);
		return NULL;
	}
	s->done = xcalloc(s->n_slots, sizeof *s->done);
	s->slots = xcalloc(s->n_slots, sizeof *s->slots);
	for (size_t i = 0; i < s->n_slots; i++)
		s->slots[i].thread = (unsigned)(i % (size_t)threads);
	/* The first handle now: an option libcurl refuses is a start-up error. */
	if (slot_easy(s, &s->slots[0]) != 0) {
		warnx_("cannot set up libcurl transfers");
		sender_free(s);
		return NULL;
	}
	conc_init(&s->conc, o->adaptive, (uint32_t)o->max_in_flight, now_mono_us());
	if (!h2_expected)
		conc_set_ceiling(&s->conc, (uint32_t)h1_connections(s));
	publish_limit(s);
	return s;
}

void sender_free(struct sender *s)
{
	if (!s)
		return;
	transport_free(s->tr); /* first: its threads let go of the handles */
	for (size_t i = 0; i < s->n_slots; i++) {
		struct slot *sl = &s->slots[i];
		if (sl->easy)
			curl_easy_cleanup(sl->easy);
		if (sl->state != SLOT_FREE)
			free(sl->e.body);
		buf_free(&sl->answer);
	}
	free(s->slots);
	free(s->done);
	free(s->endpoint);
	free(s->setup.ca_file);
	free(s->setup.proxy);
	free(s->setup.no_proxy);
	curl_url_cleanup(s->url);
	free_headers(s->headers);
	free_headers(s->stale);
	json_doc_free(&s->doc);
	free(s);
}

/* The logs held after a 401/403 or a wrong URL are due again now. */
static void release_held(struct sender *s)
{
	for (size_t i = 0; i < s->n_slots; i++) {
		struct slot *sl = &s->slots[i];
		if (sl->state == SLOT_WAITING && sl->due_ms == HELD)
			sl->due_ms = 0;
	}
}

void sender_set_credentials(struct sender *s, const char *token, const char *project_id)
{
	struct curl_slist *h = make_headers(token, project_id);
	if (!h) {
		errlog_add(ERR_AUTH, "cannot use the new credentials (out of memory)");
		return;
	}
	release_held(s);
	/* Requests under way still read the old list: free it once they end. */
	free_headers(s->stale);
	s->stale = s->headers;
	s->headers = h;
	s->credentials++;
	s->st->auth_failed = 0;
	s->st->endpoint_failed = 0;
	s->rejected_streak = 0;
}

/* ---- the breaker and the rate limit ---- */

static void refill(struct sender *s, int64_t now)
{
	if (s->rate <= 0)
		return;
	double cap = s->rate > 1 ? s->rate : 1;
	s->tokens += s->rate * (double)(now - s->refilled_ms) / 1000.0;
	if (s->tokens > cap)
		s->tokens = cap;
	s->refilled_ms = now;
}

/* Whether a 401/403 or a wrong URL stopped sending until SIGHUP. */
static int stopped(const struct sender *s)
{
	return s->st->auth_failed || s->st->endpoint_failed;
}

/* Whether the breaker, a 401/403, a wrong URL or the rate limit holds every
 * request. */
static int held(const struct sender *s, int64_t now)
{
	return stopped(s) || now < s->hold_ms || s->probing ||
	       (s->rate > 0 && s->tokens < 1);
}

/* Whether one more request may start now. */
static int may_start(struct sender *s, int64_t now)
{
	if (stopped(s) || now < s->hold_ms)
		return 0;
	if (s->probing && s->active > 0)
		return 0;
	if (s->active >= conc_limit(&s->conc))
		return 0;
	if (s->rate > 0 && s->tokens < 1)
		return 0;
	return 1;
}

static void trip(struct sender *s, int64_t retry_after_ms)
{
	s->trips++;
	int64_t d = retry_delay_ms(s->trips, s->base_ms * 4, s->cap_ms, retry_random(&s->rnd),
				   retry_after_ms);
	if (d < s->base_ms)
		d = s->base_ms;
	/* A probe is one log: cheap enough to send every second while the
	 * API is down, so that sending resumes within a second of its return
	 * (unless it asked for longer with Retry-After). */
	if (d > PROBE_EVERY_MS && retry_after_ms < d)
		d = retry_after_ms > PROBE_EVERY_MS ? retry_after_ms : PROBE_EVERY_MS;
	s->hold_ms = now_mono_ms() + d;
	s->probing = 1;
	if (!s->st->backing_off)
		s->st->backoff_since = now_wall();
	s->st->backing_off = 1;
	s->st->backoff_until = now_wall() + (double)d / 1000;
	conc_outage(&s->conc);
	errlog_add(ERR_NETWORK, "the API failed %d requests in a row: all sending paused for %.1f s, "
		   "then one probe", s->streak, (double)d / 1000);
}

/* How long without a success, besides the failures in a row, before the
 * breaker opens: two round trips, the baseline's or the failures' own if
 * longer. A busy API answers some requests every round trip. */
static int64_t quiet_ms(const struct sender *s)
{
	int64_t rtt = s->conc.baseline_us / 1000;
	if (s->fail_ms > rtt)
		rtt = s->fail_ms;
	return rtt > 0 ? 2 * rtt : 1;
}

static void retry_waiting_now(struct sender *s);

static void recovered(struct sender *s)
{
	s->last_ok_ms = now_mono_ms();
	if (s->probing) {
		errlog_add(ERR_EVENT, "the API answers again: sending at full speed");
		/* The logs that waited out the outage go now, not when each
		 * one's own backoff (up to --retry-max) would end. */
		retry_waiting_now(s);
	}
	s->streak = 0;
	s->trips = 0;
	s->probing = 0;
	s->hold_ms = 0;
	s->st->backing_off = 0;
}

/* ---- a log's fate ---- */

static void start(struct sender *s, struct slot *sl)
{
	buf_clear(&sl->answer);
	sl->errbuf[0] = '\0';
	CURLcode rc = slot_easy(s, sl) == 0 ? CURLE_OK : CURLE_OUT_OF_MEMORY;
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(sl->easy, CURLOPT_HTTPHEADER, s->headers);
	sl->credentials = s->credentials;
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(sl->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)sl->e.len);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(sl->easy, CURLOPT_POSTFIELDS, sl->e.body);
	if (rc != CURLE_OK) {
		/* Cannot happen short of memory exhaustion: try again later. */
		errlog_add(ERR_NETWORK, "cannot start a request: %s", curl_easy_strerror(rc));
		if (sl->state != SLOT_WAITING)
			s->waiting++;
		sl->state = SLOT_WAITING;
		sl->due_ms = now_mono_ms() + s->base_ms;
		return;
	}
	if (sl->state == SLOT_WAITING)
		s->waiting--;
	sl->state = SLOT_ACTIVE;
	s->active++;
	conc_started(&s->conc, (uint32_t)s->active);
	transport_start(s->tr, sl->thread, sl->easy);
	if (s->rate > 0)
		s->tokens -= 1;
}

/* What became of a request, for `logmash tap`. */
static void told(struct sender *s, const struct slot *sl, long status, const char *outcome)
{
	if (s->on_answer)
		s->on_answer(s->ctx, &sl->e, status, outcome);
}

/* The log's fate is final: tell the input, free the slot. */
static void release(struct sender *s, struct slot *sl, int delivered)
{
	if (s->on_settled)
		s->on_settled(s->ctx, &sl->e, delivered);
	free(sl->e.body);
	memset(&sl->e, 0, sizeof sl->e);
	if (sl->state == SLOT_WAITING)
		s->waiting--;
	sl->state = SLOT_FREE;
	sl->attempts = 0;
	sl->dl_pending = 0;
}

static void wait_slot(struct sender *s, struct slot *sl, int64_t due)
{
	if (sl->state != SLOT_WAITING)
		s->waiting++;
	sl->state = SLOT_WAITING;
	sl->due_ms = due;
}

/* The API will never take this log: into the dead-letter file, synced,
 * before it counts as settled. If the file cannot be written, the log stays
 * here and the write is tried again. */
static void dead_letter(struct sender *s, struct slot *sl)
{
	if (s->dead && deadletter_write(s->dead, sl->e.body, sl->e.len, sl->dl_status, sl->dl_error,
					sl->answer.data, sl->answer.len, sl->e.source, sl->e.line) != 0) {
		errlog_add(ERR_INPUT, "cannot write to the dead-letter file %s: %s (the log is kept; "
			   "trying again)", s->dead->path, strerror(errno));
		sl->dl_pending = 1;
		wait_slot(s, sl, now_mono_ms() + DEADLETTER_RETRY_MS);
		return;
	}
	told(s, sl, sl->dl_status, "dead-lettered");
	s->st->failed++;
	if (s->dead && s->dead->fd >= 0) {
		s->st->dead_lettered++;
		s->st->dead_deleted = s->dead->deleted;
	}
	release(s, sl, 0);
}

static void give_up(struct sender *s, struct slot *sl, long status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void give_up(struct sender *s, struct slot *sl, long status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sl->dl_error, sizeof sl->dl_error, fmt, ap);
	va_end(ap);
	sl->dl_status = status;
	dead_letter(s, sl);
}

/* A failed probe tried the API for every log waiting behind it: each
 * counts it as one of its tries, so --max-retries still ends an outage's
 * backlog in about as many pauses as it allows retries. */
static void probe_failed(struct sender *s, const struct slot *probe, long status, const char *why)
{
	if (s->max_retries < 0)
		return;
	for (size_t i = 0; i < s->n_slots; i++) {
		struct slot *sl = &s->slots[i];
		if (sl == probe || sl->state != SLOT_WAITING || sl->dl_pending || sl->due_ms == HELD)
			continue;
		if (++sl->attempts > s->max_retries)
			give_up(s, sl, status, "%s (after %ld retries)", why, s->max_retries);
	}
}

static void retry_later(struct sender *s, struct slot *sl, long status, const char *why,
			int64_t retry_after_ms)
{
	sl->attempts++;
	s->streak++;
	if (s->probing && now_mono_ms() >= s->hold_ms)
		probe_failed(s, sl, status, why);
	/* A busy API refuses a whole burst at once while it still takes
	 * others, and the limit steps down for that; the breaker is for an API
	 * that has taken nothing for a while. */
	if (s->probing || (s->streak >= BREAKER_STREAK && now_mono_ms() - s->last_ok_ms >= quiet_ms(s)))
		if (now_mono_ms() >= s->hold_ms)
			trip(s, retry_after_ms);
	if (s->max_retries >= 0 && sl->attempts > s->max_retries) {
		errlog_add(ERR_NETWORK, "gave up on a log after %ld retries (--max-retries)%s",
			   s->max_retries, s->dead && s->dead->fd >= 0 ? ": dead-lettered" : "");
		give_up(s, sl, status, "%s (after %ld retries)", why, s->max_retries);
		return;
	}
	s->st->retried++;
	told(s, sl, status, "retry");
	wait_slot(s, sl, now_mono_ms() + retry_delay_ms(sl->attempts, s->base_ms, s->cap_ms,
							retry_random(&s->rnd), retry_after_ms));
}

/* What an ended request says about the API's load. */
static enum conc_signal load_signal(CURLcode res, long status)
{
	if (res == CURLE_OPERATION_TIMEDOUT || (res == CURLE_OK && (status == 408 || status == 504)))
		return CONC_TIMEOUT;
	if (res != CURLE_OK)
		return CONC_CONNECT;
	if (status == 429)
		return CONC_OVERLOAD_429;
	if (status == 503)
		return CONC_OVERLOAD_503;
	return status >= 200 && status < 300 ? CONC_OK : CONC_REJECTED;
}

/* The limit learns from every ended request. Its round trip is the whole
 * request less a new connection's set-up (TCP and TLS handshakes say
 * nothing of the API's load); a wait for a free connection or stream stays
 * in, since that is a queue the limit built too. (libcurl 7.88's pre-
 * transfer time comes after the request is sent over HTTP/2: no help.)
 * total is the request's whole time in µs, -1 when unknown. */
static void tell_limit(struct sender *s, CURL *easy, CURLcode res, long status, curl_off_t total)
{
	enum conc_signal sig = load_signal(res, status);
	curl_off_t conn = 0, tls = 0;
	long connects = 0;
	if (curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0)
		s->st->connects += (uint64_t)connects;
	if (sig == CONC_OK) {
		learn_protocol(s, easy);
		if (connects > 0 &&
		    (curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &conn) != CURLE_OK ||
		     curl_easy_getinfo(easy, CURLINFO_APPCONNECT_TIME_T, &tls) != CURLE_OK))
			conn = tls = 0;
	}
	curl_off_t setup = tls > conn ? tls : conn;
	conc_finished(&s->conc, sig, total > setup ? (int64_t)(total - setup) : 0, now_mono_us());
	publish_limit(s);
}

/* The URL, not the log, is what the API refuses: every log is held, as
 * after a 401/403, until SIGHUP (sender_resume). */
static void wrong_endpoint(struct sender *s, struct slot *sl, long status, const char *detail,
			   const char *how)
{
	if (!s->st->endpoint_failed) {
		char *to = NULL;
		if (status >= 300 && status < 400 &&
		    curl_easy_getinfo(sl->easy, CURLINFO_REDIRECT_URL, &to) != CURLE_OK)
			to = NULL;
		errlog_add(ERR_HTTP, "POST %s answered %ld%s%s%s: %s; check --url and --api-version. "
			   "Sending stopped, every log kept (SIGHUP tries again)", s->endpoint, status,
			   how, to ? ", a redirect to " : "", to ? to : "", detail);
	}
	s->st->endpoint_failed = 1;
	told(s, sl, status, "held");
	wait_slot(s, sl, HELD);
}

static void settle(struct sender *s, struct slot *sl, CURLcode res)
{
	long status = 0;
	curl_off_t retry_after = 0;
	char why[ERRLOG_TEXT + 64]; /* "HTTP 503: " and the answer's detail fit */
	s->active--;
	sl->state = SLOT_FREE; /* until decided below */
	if (res == CURLE_OK && curl_easy_getinfo(sl->easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
		status = 0;
	curl_off_t took = -1;
	if (curl_easy_getinfo(sl->easy, CURLINFO_TOTAL_TIME_T, &took) != CURLE_OK)
		took = -1;
	if (took >= 0 && (res != CURLE_OK || status < 200 || status >= 300))
		s->fail_ms = took / 1000;
	tell_limit(s, sl->easy, res, status, took);
	if (res != CURLE_OK) {
		snprintf(why, sizeof why, "%s%s%s%s", curl_easy_strerror(res),
			 sl->errbuf[0] ? ": " : "", sl->errbuf,
			 res == CURLE_PEER_FAILED_VERIFICATION
				 ? " (for an API behind a private CA, give --ca-file)" : "");
		errlog_add(ERR_NETWORK, "%s", why);
		retry_later(s, sl, 0, why, 0);
		return;
	}
	if (took >= 0) {
		latency_record(&s->st->latency, (uint64_t)took);
		s->st->latency_sum_us += (uint64_t)took;
	}
	struct answer a;
	answer_parse(status, sl->answer.data, sl->answer.len, &a, &s->doc);
	switch (retry_classify(status)) {
	case OUTCOME_OK:
		if (a.ok) {
			recovered(s);
			s->seen_2xx = 1;
			s->rejected_streak = 0;
			s->st->sent++;
			s->st->last_sent = now_wall();
			s->st->bytes_sent += sl->e.len;
			s->st->by_level[sl->e.level >= 0 ? sl->e.level : 0]++;
			told(s, sl, status, "sent");
			release(s, sl, 1);
		} else if (s->max_retries < 0 && sl->attempts >= NO_ID_RETRIES) {
			/* The API broke its contract for this log: say so and keep
			 * the log, rather than retry it for ever. */
			errlog_add(ERR_HTTP, "HTTP %ld without a log id, %d times for one log: %s (%s)",
				   status, NO_ID_RETRIES + 1, a.detail,
				   s->dead && s->dead->fd >= 0 ? "dead-lettered" : "not kept");
			give_up(s, sl, status, "HTTP %ld without a log id: %s (after %d retries)", status,
				a.detail, NO_ID_RETRIES);
		} else {
			snprintf(why, sizeof why, "HTTP %ld without a log id: %s", status, a.detail);
			errlog_add(ERR_HTTP, "%s (will retry)", why);
			retry_later(s, sl, status, why, 0);
		}
		return;
	case OUTCOME_TRANSIENT:
		if (curl_easy_getinfo(sl->easy, CURLINFO_RETRY_AFTER, &retry_after) != CURLE_OK)
			retry_after = 0;
		if (retry_after > RETRY_AFTER_MAX_S)
			retry_after = RETRY_AFTER_MAX_S;
		snprintf(why, sizeof why, "HTTP %ld: %s", status, a.detail);
		errlog_add(ERR_HTTP, "%s (will retry)", why);
		retry_later(s, sl, status, why, (int64_t)retry_after * 1000);
		return;
	case OUTCOME_AUTH:
		if (sl->credentials != s->credentials) {
			/* Sent before SIGHUP brought new credentials: says
			 * nothing of those. Sent again with them. */
			told(s, sl, status, "retry");
			wait_slot(s, sl, 0);
			return;
		}
		errlog_add(ERR_AUTH,
			   "HTTP %ld: %s: the API refused the token or project id; sending stopped, "
			   "every log kept. Fix CODEMASH_TOKEN (or the --token-file) or --project-id",
			   status, a.detail);
		s->st->auth_failed = 1;
		told(s, sl, status, "held");
		wait_slot(s, sl, HELD); /* sent again after new credentials */
		return;
	case OUTCOME_ENDPOINT:
		wrong_endpoint(s, sl, status, a.detail, "");
		return;
	case OUTCOME_REJECTED:
		if (status == 400 || status == 422) {
			/* A 400 to every log says the URL is wrong, not the logs;
			 * and before any answer 2xx nothing says otherwise yet. */
			if (++s->rejected_streak >= BREAKER_STREAK) {
				wrong_endpoint(s, sl, status, a.detail, " to every log");
				return;
			}
			if (!s->seen_2xx) {
				s->st->retried++;
				sl->attempts++;
				told(s, sl, status, "retry");
				wait_slot(s, sl, now_mono_ms() + retry_delay_ms(sl->attempts, s->base_ms, s->cap_ms,
										retry_random(&s->rnd), 0));
				return;
			}
		}
		recovered(s); /* the API is answering */
		errlog_add(ERR_HTTP, "HTTP %ld: %s (a log from %s was rejected%s)", status, a.detail,
			   sl->e.source, s->dead && s->dead->fd >= 0 ? "; dead-lettered" : "; not kept");
		give_up(s, sl, status, "HTTP %ld: %s", status, a.detail);
		return;
	}
}

void sender_step(struct sender *s)
{
	/* Finished transfers first: they free slots. */
	size_t n_done = transport_collect(s->tr, s->done, s->n_slots);
	for (size_t i = 0; i < n_done; i++) {
		struct slot *sl = NULL;
		if (curl_easy_getinfo(s->done[i].easy, CURLINFO_PRIVATE, (char **)&sl) == CURLE_OK && sl)
			settle(s, sl, s->done[i].result);
	}
	const char *err = transport_error(s->tr);
	if (err)
		errlog_add(ERR_NETWORK, "libcurl: %s", err);

	int64_t now = now_mono_ms();
	refill(s, now);
	if (s->st->paused) {
		/* The operator's pause: what is under way finishes, nothing
		 * starts; the queue fills and reading waits for it. */
		transport_flush(s->tr);
		goto counts;
	}
	/* Due retries first: they are older than anything queued. */
	for (size_t i = 0; i < s->n_slots && s->waiting; i++) {
		struct slot *sl = &s->slots[i];
		if (sl->state != SLOT_WAITING || sl->due_ms > now)
			continue;
		if (sl->dl_pending)
			dead_letter(s, sl);
		else if (may_start(s, now))
			start(s, sl);
	}
	/* Free slots take queued logs even while the breaker or the rate
	 * limit lets nothing start: they wait there (and a failed probe counts
	 * for them too). The concurrency limit leaves them in the queue. */
	for (size_t i = 0; i < s->n_slots && s->q->n; i++) {
		struct slot *sl = &s->slots[i];
		if (sl->state != SLOT_FREE)
			continue;
		int go = may_start(s, now);
		if (!go && !held(s, now) && s->active >= conc_limit(&s->conc))
			break;
		queue_pop(s->q, &sl->e);
		sl->attempts = 0;
		if (go)
			start(s, sl);
		else
			wait_slot(s, sl, stopped(s) ? HELD : now);
	}
	transport_flush(s->tr);
	if (s->stale && s->active == 0) {
		free_headers(s->stale);
		s->stale = NULL;
	}
counts:
	s->st->in_flight = s->active;
	s->st->waiting = s->waiting;
	s->st->queued = s->q->n;
}

int sender_fd(const struct sender *s)
{
	return transport_fd(s->tr);
}

long sender_timeout_ms(struct sender *s)
{
	long t = 1000; /* transfers have their own timers, on their threads */
	int64_t now = now_mono_ms();
	int64_t next = INT64_MAX; /* when something may start */
	if (s->st->paused)
		return t;
	/* Nothing may start until a transfer ends (the transport's eventfd
	 * wakes the loop then): waking for due retries would only spin. */
	int blocked = stopped(s) || (s->probing && s->active > 0) ||
		      s->active >= conc_limit(&s->conc);
	if (s->hold_ms > now)
		next = s->hold_ms;
	else if (s->rate > 0 && s->tokens < 1)
		next = now + (int64_t)((1 - s->tokens) * 1000 / s->rate) + 1;
	else if (!blocked && s->q->n && s->active + s->waiting < s->n_slots)
		next = now;
	for (size_t i = 0; i < s->n_slots && s->waiting; i++) {
		const struct slot *sl = &s->slots[i];
		if (sl->state == SLOT_WAITING && sl->due_ms != HELD && (sl->dl_pending || !blocked)) {
			int64_t due = sl->due_ms > s->hold_ms || sl->dl_pending ? sl->due_ms : s->hold_ms;
			if (due < next)
				next = due;
		}
	}
	if (next != INT64_MAX && next - now < t)
		t = next <= now ? 0 : (long)(next - now);
	return t;
}

static void retry_waiting_now(struct sender *s)
{
	int64_t now = now_mono_ms();
	for (size_t i = 0; i < s->n_slots; i++) {
		struct slot *sl = &s->slots[i];
		if (sl->state == SLOT_WAITING && sl->due_ms != HELD && sl->due_ms > now)
			sl->due_ms = now;
	}
}

void sender_retry_now(struct sender *s)
{
	if (s->hold_ms > now_mono_ms())
		s->hold_ms = now_mono_ms();
	retry_waiting_now(s);
	if (s->st->backing_off)
		s->st->backoff_until = now_wall();
}

void sender_resume(struct sender *s)
{
	if (!s->st->endpoint_failed)
		return;
	release_held(s);
	s->st->endpoint_failed = 0;
	s->rejected_streak = 0;
	s->seen_2xx = 0;
}

size_t sender_holding(const struct sender *s)
{
	return s->active + s->waiting;
}

size_t sender_active(const struct sender *s)
{
	return s->active;
}
