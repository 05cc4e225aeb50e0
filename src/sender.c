/* sender.c - when requests start: the slots, the breaker, the rate limit and
 * the concurrency limit; what an ended request means is settle.c's. */
#include "sender.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "concurrency.h"
#include "errlog.h"
#include "request.h"
#include "retry.h"
#include "sender_internal.h"
#include "transport.h"
#include "util.h"

#define MAX_ANSWER ((size_t)64 * 1024) /* more of an answer than this is not read */
#define PROBE_EVERY_MS 1000    /* the breaker waits at most this long between probes */
#define GATHER_FROM_US 5000    /* answers gather across a round trip this long, */
#define GATHER_FROM_LIMIT 128  /* with this many requests allowed under way, */
#define GATHER_MAX_US 5000     /* for at most this long */
#define H2_CONNECTIONS 4       /* default --max-connections when the API speaks HTTP/2 */
#define H1_CONNECTIONS 128     /* ... and HTTP/1.1, where a request needs a connection */

static size_t on_answer(char *p, size_t size, size_t n, void *ud)
{
	struct slot *sl = ud;
	size_t len = size * n;
	size_t room = sl->answer.len < MAX_ANSWER ? MAX_ANSWER - sl->answer.len : 0;
	buf_append(&sl->answer, p, len < room ? len : room);
	return len;
}

/* The slot's handle, made the first time the slot carries a request: a
 * limit that never grew past 30 costs 30 handles, not --max-in-flight. */
static int slot_easy(struct sender *s, struct slot *sl, struct buf *err)
{
	if (sl->easy && sl->setup_gen == s->setup_gen)
		return 0;
	if (sl->easy)
		curl_easy_reset(sl->easy); /* a reload's settings; its connections stay */
	else
		sl->easy = curl_easy_init();
	if (!sl->easy)
		buf_printf(err, "cannot make a libcurl transfer (out of memory)");
	sl->setup_gen = s->setup_gen;
	if (!sl->easy || request_easy_setup(sl->easy, &s->setup, s->url, s->headers, on_answer,
					    sl, sl->errbuf, err) != 0) {
		if (sl->easy)
			curl_easy_cleanup(sl->easy);
		sl->easy = NULL;
		return -1;
	}
	return 0;
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
void sender_publish_limit(struct sender *s)
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
	if (s->conc.changes != s->published_changes || !st->conc_reason_at) {
		s->published_changes = s->conc.changes;
		st->conc_reason_at = now_wall(); /* the reason's age is the operator's question */
	}
	st->rtt_baseline_us = s->conc.baseline_us;
	st->rtt_us = s->conc.last_rtt_us;
	memcpy(st->conc_reason, s->conc.reason, sizeof st->conc_reason);
}

/* The first answer tells the API's HTTP version: over HTTP/1.1 the
 * connections become H1_CONNECTIONS (or the option's), and they bound the
 * limit. */
void sender_learn_protocol(struct sender *s, CURL *easy)
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

/* The settings a reload may change as well: retries, the rate limit, the
 * limit's ceiling and the connections. */
static void take_limits(struct sender *s, const struct sender_opts *o)
{
	s->max_retries = o->max_retries;
	s->base_ms = o->retry_base_ms > 0 ? o->retry_base_ms : 200;
	s->cap_ms = o->retry_cap_ms > s->base_ms ? o->retry_cap_ms : s->base_ms;
	if (o->rate_limit != s->rate || !s->refilled_ms) {
		s->rate = o->rate_limit;
		s->tokens = s->rate > 1 ? s->rate : 1;
		s->refilled_ms = now_mono_ms();
	}
	s->max_connections = o->max_connections;
	s->max_in_flight = o->max_in_flight;
}

/* Until the API answers, HTTP/2 is expected where it can be negotiated
 * (https://, or prior knowledge); cleartext HTTP/1.1 needs its connections
 * from the start. */
static int h2_expected(const struct sender_opts *o)
{
	return o->http2_prior_knowledge || strncasecmp(o->endpoint, "https:", 6) == 0;
}

/* The connections to the API: over HTTP/2 a few carry every stream. */
static long connections(const struct sender *s, int h2)
{
	return h2 ? (s->max_connections ? s->max_connections : H2_CONNECTIONS) : h1_connections(s);
}

/* The sender's settings and starting values, from o. */
static struct sender *sender_alloc(const struct sender_opts *o, struct queue *q, struct stats *st)
{
	struct sender *s = xcalloc(1, sizeof *s);
	s->q = q;
	s->st = st;
	take_limits(s, o);
	s->dead = o->dead;
	s->on_settled = o->on_settled;
	s->on_answer = o->on_answer;
	s->ctx = o->ctx;
	s->last_ok_ms = s->refilled_ms;
	s->follows = o->follows;
	s->keeps_unsent = o->keeps_unsent;
	s->adaptive = o->adaptive;
	s->rnd = (uint32_t)now_mono_ms() ^ ((uint32_t)getpid() << 16) ^ 0x9E3779B9u;
	if (!s->rnd)
		s->rnd = 1;
	return s;
}

static void retire(struct sender *s, CURLU *url, struct curl_slist *headers);

/* The API's URL, parsed once (libcurl 7.88 parses a string URL each
 * request), and its host for messages; the URL before it, if any, is
 * retired (requests under way still read it). -1 with the reason in err,
 * nothing changed. */
static int set_endpoint(struct sender *s, const char *endpoint, struct buf *err)
{
	CURLU *u = curl_url();
	CURLUcode uc = u ? curl_url_set(u, CURLUPART_URL, endpoint, 0) : CURLUE_OUT_OF_MEMORY;
	if (uc != CURLUE_OK) {
		buf_printf(err, "the API URL %s is not usable: %s (check --url)", endpoint,
			   curl_url_strerror(uc));
		curl_url_cleanup(u);
		return -1;
	}
	char *host = NULL;
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		host = NULL;
	snprintf(s->state.host, sizeof s->state.host, "%s", host ? host : "the API's host");
	curl_free(host);
	if (s->url)
		retire(s, s->url, NULL);
	s->url = u;
	free(s->endpoint);
	s->endpoint = xstrdup(endpoint);
	return 0;
}

/* What can fail before any transfer: the URL, libcurl itself, the headers.
 * -1 with a message on stderr. */
static int sender_prepare(struct sender *s, const struct sender_opts *o, struct buf *err)
{
	/* curl 7.88.0 and 7.88.1 (Debian 12's) break a reused HTTP/2 cleartext
	 * connection: every second request on it fails (curl issue 10634, fixed
	 * in 8.0.0). Refused here rather than retried forever. */
	unsigned cv = curl_version_info(CURLVERSION_NOW)->version_num;
	if (o->http2_prior_knowledge && cv >= 0x075800 && cv < 0x080000) {
		buf_printf(err, "--http2-prior-knowledge needs libcurl 8.0.0 or later: this libcurl "
			   "(%s) fails every reused HTTP/2 cleartext connection (curl issue 10634). "
			   "Use an https:// URL, where HTTP/2 is negotiated, or leave the option off",
			   curl_version_info(CURLVERSION_NOW)->version);
		return -1;
	}
	if (set_endpoint(s, o->endpoint, err) != 0)
		return -1;
	s->headers = request_headers(o->token, o->project_id);
	if (!s->headers) {
		buf_printf(err, "cannot start libcurl (out of memory)");
		return -1;
	}
	request_setup_init(&s->setup, o->endpoint, o->timeout_ms, o->connect_timeout_ms,
			   o->http2_prior_knowledge, o->insecure, o->ca_file);
	return 0;
}

struct sender *sender_new(const struct sender_opts *o, struct queue *q, struct stats *st,
			  struct buf *err)
{
	struct sender *s = sender_alloc(o, q, st);
	if (sender_prepare(s, o, err) != 0) {
		sender_free(s);
		return NULL;
	}
	s->n_slots = (size_t)o->max_in_flight;
	long threads = o->threads < 1 ? 1 : o->threads > o->max_in_flight ? o->max_in_flight : o->threads;
	long per_thread = (o->max_in_flight + threads - 1) / threads;
	s->tr = transport_new((unsigned)threads, per_thread, connections(s, h2_expected(o)), err);
	if (!s->tr) {
		sender_free(s);
		return NULL;
	}
	s->done = xcalloc(s->n_slots, sizeof *s->done);
	s->slots = xcalloc(s->n_slots, sizeof *s->slots);
	for (size_t i = 0; i < s->n_slots; i++)
		s->slots[i].thread = (unsigned)(i % (size_t)threads);
	/* The first handle now: an option libcurl refuses is a start-up error. */
	if (slot_easy(s, &s->slots[0], err) != 0) {
		sender_free(s);
		return NULL;
	}
	conc_init(&s->conc, o->adaptive, (uint32_t)o->max_in_flight, now_mono_us());
	if (!h2_expected(o))
		conc_set_ceiling(&s->conc, (uint32_t)h1_connections(s));
	sender_publish_limit(s);
	return s;
}

/* Frees what only requests older than generation below used. */
static void free_retired(struct sender *s, unsigned below)
{
	for (struct retired **p = &s->retired; *p;) {
		struct retired *r = *p;
		if (r->api_gen >= below) {
			p = &r->next;
			continue;
		}
		*p = r->next;
		curl_url_cleanup(r->url);
		request_headers_free(r->headers);
		free(r);
	}
}

/* The oldest generation a request under way was started with. */
static unsigned oldest_active(const struct sender *s)
{
	unsigned oldest = s->api_gen;
	for (size_t i = 0; i < s->n_slots; i++)
		if (s->slots[i].state == SLOT_ACTIVE && s->slots[i].api_gen < oldest)
			oldest = s->slots[i].api_gen;
	return oldest;
}

/* Keeps url and headers (either may be NULL) until no request started
 * before now is under way. */
static void retire(struct sender *s, CURLU *url, struct curl_slist *headers)
{
	struct retired *r = xcalloc(1, sizeof *r);
	*r = (struct retired){s->retired, s->api_gen, url, headers};
	s->retired = r;
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
	request_setup_free(&s->setup);
	curl_url_cleanup(s->url);
	request_headers_free(s->headers);
	free_retired(s, UINT32_MAX);
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
	struct curl_slist *h = request_headers(token, project_id);
	if (!h) {
		errlog_add(ERR_AUTH, "cannot use the new credentials (out of memory)");
		return;
	}
	release_held(s);
	retire(s, NULL, s->headers); /* requests under way still read it */
	s->headers = h;
	s->api_gen++;
	s->state.auth_failed = 0;
	s->state.endpoint_failed = 0;
	s->rejected_streak = 0;
}

int sender_reconfigure(struct sender *s, const struct sender_opts *o, struct buf *err)
{
	if (o->max_in_flight > (long)s->n_slots) {
		buf_printf(err, "max_in_flight %ld is more than the %zu the run started with: "
			   "restart to raise it", o->max_in_flight, s->n_slots);
		return -1;
	}
	int url_changed = strcmp(o->endpoint, s->endpoint) != 0;
	if (url_changed) {
		if (set_endpoint(s, o->endpoint, err) != 0)
			return -1; /* parsed first: a URL libcurl refuses changes nothing */
		/* A new API: nothing known of it yet, as at the start. */
		s->seen_2xx = s->answered = 0;
		s->state.unresolved = 0;
		s->proto_known = 0;
		s->st->http_version = 0;
	}
	/* New headers also say what was held for the old URL or credentials
	 * is tried again. */
	sender_set_credentials(s, o->token, o->project_id);
	request_setup_free(&s->setup);
	request_setup_init(&s->setup, o->endpoint, o->timeout_ms, o->connect_timeout_ms,
			   o->http2_prior_knowledge, o->insecure, o->ca_file);
	s->setup_gen++;
	take_limits(s, o);
	if (url_changed || o->adaptive != s->adaptive) {
		/* Another API, or another way of choosing the limit: found
		 * again from the start. */
		s->adaptive = o->adaptive;
		conc_init(&s->conc, o->adaptive, (uint32_t)o->max_in_flight, now_mono_us());
	} else {
		conc_set_ceiling(&s->conc, (uint32_t)o->max_in_flight);
	}
	int h1 = s->proto_known ? s->st->http_version == 1 : !h2_expected(o);
	transport_set_connections(s->tr, connections(s, !h1));
	if (h1)
		conc_set_ceiling(&s->conc, (uint32_t)h1_connections(s));
	sender_publish_limit(s);
	return 0;
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
	return s->state.auth_failed || s->state.endpoint_failed;
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
	if (s->active >= conc_room(&s->conc))
		return 0;
	if (s->rate > 0 && s->tokens < 1)
		return 0;
	return 1;
}

void sender_trip(struct sender *s, int64_t retry_after_ms)
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
	if (!s->state.backing_off)
		s->state.backoff_since = now_wall();
	s->state.backing_off = 1;
	s->state.backoff_until = now_wall() + (double)d / 1000;
	conc_outage(&s->conc);
	sender_publish_limit(s); /* nothing ends while it holds: the status would show the old limit */
	errlog_add(ERR_NETWORK, "the API failed %d requests in a row: all sending paused for %.1f s, "
		   "then one probe", s->streak, (double)d / 1000);
}

/* How long without a success, besides the failures in a row, before the
 * breaker opens: two round trips, the baseline's or the failures' own if
 * longer. A busy API answers some requests every round trip. */
int64_t sender_quiet_ms(const struct sender *s)
{
	int64_t rtt = s->conc.baseline_us / 1000;
	if (s->fail_ms > rtt)
		rtt = s->fail_ms;
	return rtt > 0 ? 2 * rtt : 1;
}

void sender_recovered(struct sender *s)
{
	s->last_ok_ms = now_mono_ms();
	if (s->probing) {
		errlog_add(ERR_EVENT, "the API answers again: sending at full speed");
		/* The logs that waited out the outage go now, not when each
		 * one's own backoff (up to --retry-max) would end. */
		sender_retry_waiting_now(s);
	}
	s->streak = 0;
	s->trips = 0;
	s->probing = 0;
	s->hold_ms = 0;
	s->state.backing_off = 0;
}


static void start(struct sender *s, struct slot *sl)
{
	buf_clear(&sl->answer);
	sl->errbuf[0] = '\0';
	struct buf why = {0};
	CURLcode rc = slot_easy(s, sl, &why) == 0 ? CURLE_OK : CURLE_FAILED_INIT;
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(sl->easy, CURLOPT_HTTPHEADER, s->headers);
	sl->api_gen = s->api_gen;
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(sl->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)sl->e.len);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(sl->easy, CURLOPT_POSTFIELDS, sl->e.body);
	if (rc != CURLE_OK) {
		/* Cannot happen short of memory exhaustion: try again later. */
		errlog_add(ERR_NETWORK, "cannot start a request: %s",
			   why.len ? buf_cstr(&why) : curl_easy_strerror(rc));
		buf_free(&why);
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

void sender_step(struct sender *s)
{
	/* Finished transfers first: they free slots. */
	size_t n_done = transport_collect(s->tr, s->done, s->n_slots);
	for (size_t i = 0; i < n_done; i++) {
		struct slot *sl = NULL;
		if (curl_easy_getinfo(s->done[i].easy, CURLINFO_PRIVATE, (char **)&sl) == CURLE_OK && sl)
			sender_settle(s, sl, s->done[i].result);
	}
	const char *err = transport_error(s->tr);
	if (err)
		errlog_add(ERR_NETWORK, "libcurl: %s", err);

	int64_t now = now_mono_ms();
	refill(s, now);
	if (s->state.paused) {
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
			sender_dead_letter(s, sl);
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
		if (!go && !held(s, now) && s->active >= conc_room(&s->conc))
			break;
		queue_pop(s->q, &sl->e);
		sl->attempts = 0;
		if (go)
			start(s, sl);
		else
			sender_wait_slot(s, sl, stopped(s) ? HELD : now);
	}
	transport_flush(s->tr);
	if (s->retired)
		free_retired(s, oldest_active(s));
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
	if (s->state.paused)
		return t;
	/* Nothing may start until a transfer ends (the transport's eventfd
	 * wakes the loop then): waking for due retries would only spin. */
	int blocked = stopped(s) || (s->probing && s->active > 0) ||
		      s->active >= conc_room(&s->conc);
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

void sender_retry_waiting_now(struct sender *s)
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
	sender_retry_waiting_now(s);
	if (s->state.backing_off)
		s->state.backoff_until = now_wall();
}

void sender_resume(struct sender *s)
{
	if (!s->state.endpoint_failed)
		return;
	release_held(s);
	s->state.endpoint_failed = 0;
	s->state.unresolved = 0;
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

void sender_pause(struct sender *s, int on)
{
	s->state.paused = on;
}

struct sender_state sender_state(const struct sender *s)
{
	return s->state;
}
