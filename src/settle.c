/* settle.c - a request's end: what it tells the concurrency limit and the
 * breaker, and the log's fate (sent, retried, held, dead-lettered). */
#include "sender_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "latency.h"
#include "retry.h"
#include "util.h"

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

void sender_wait_slot(struct sender *s, struct slot *sl, int64_t due)
{
	if (sl->state != SLOT_WAITING)
		s->waiting++;
	sl->state = SLOT_WAITING;
	sl->due_ms = due;
}

/* The API will never take this log: into the dead-letter file, synced,
 * before it counts as settled. If the file cannot be written, the log stays
 * here and the write is tried again. */
void sender_dead_letter(struct sender *s, struct slot *sl)
{
	if (s->dead && deadletter_write(s->dead, sl->e.body, sl->e.len, sl->dl_status, sl->dl_error,
					sl->answer.data, sl->answer.len, sl->e.source, sl->e.line) != 0) {
		errlog_add(ERR_DEADLETTER, "cannot write to the dead-letter file %s: %s (the log is kept; "
			   "trying again)", s->dead->path, strerror(errno));
		sl->dl_pending = 1;
		sender_wait_slot(s, sl, now_mono_ms() + DEADLETTER_RETRY_MS);
		return;
	}
	told(s, sl, sl->dl_status, "dead-lettered");
	s->st->failed++;
	if (deadletter_enabled(s->dead)) {
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
	sender_dead_letter(s, sl);
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
	int quiet = now_mono_ms() - s->last_ok_ms >= sender_quiet_ms(s);
	if ((s->probing || (s->streak >= BREAKER_STREAK && quiet)) && now_mono_ms() >= s->hold_ms)
		sender_trip(s, retry_after_ms);
	if (s->max_retries >= 0 && sl->attempts > s->max_retries) {
		errlog_add(ERR_NETWORK, "gave up on a log after %ld retries (--max-retries)%s",
			   s->max_retries, deadletter_enabled(s->dead) ? ": dead-lettered" : "");
		give_up(s, sl, status, "%s (after %ld retries)", why, s->max_retries);
		return;
	}
	s->st->retried++;
	told(s, sl, status, "retry");
	sender_wait_slot(s, sl, now_mono_ms() + retry_delay_ms(sl->attempts, s->base_ms, s->cap_ms,
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
		sender_learn_protocol(s, easy);
		if (connects > 0 &&
		    (curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &conn) != CURLE_OK ||
		     curl_easy_getinfo(easy, CURLINFO_APPCONNECT_TIME_T, &tls) != CURLE_OK))
			conn = tls = 0;
	}
	curl_off_t setup = tls > conn ? tls : conn;
	conc_finished(&s->conc, sig, total > setup ? (int64_t)(total - setup) : 0, now_mono_us());
	sender_publish_limit(s);
}

/* What becomes of the logs held after a 401/403 or a wrong URL, said as it
 * is: a follower keeps them for SIGHUP; a one-shot run ends, and only a
 * state directory keeps what it did not send. */
static const char *held_fate(const struct sender *s)
{
	if (s->follows)
		return "Sending stopped, every log held (SIGHUP tries again)";
	if (s->keeps_unsent)
		return "The run ends; the state directory keeps what was not sent for the next run";
	return "The run ends; what was not sent is not kept (--state-dir keeps it for the next run)";
}

/* The URL, not the log, is what the API refuses: every log is held, as
 * after a 401/403, until SIGHUP (sender_resume). */
static void wrong_endpoint(struct sender *s, struct slot *sl, long status, const char *detail,
			   const char *how)
{
	if (!s->state.endpoint_failed) {
		char *to = NULL;
		if (status >= 300 && status < 400 &&
		    curl_easy_getinfo(sl->easy, CURLINFO_REDIRECT_URL, &to) != CURLE_OK)
			to = NULL;
		errlog_add(ERR_HTTP, "POST %s answered %ld%s%s%s: %s; check --url and --api-version. "
			   "%s", s->endpoint, status, how, to ? ", a redirect to " : "", to ? to : "",
			   detail, held_fate(s));
	}
	s->state.endpoint_failed = 1;
	told(s, sl, status, "held");
	sender_wait_slot(s, sl, HELD);
}

/* The URL's host name did not resolve. Under -F that is retried (DNS can
 * be down for a while); a one-shot run takes it for a typo in --url and
 * ends, as after a 404: at once if the API never answered, else once it
 * has lasted UNRESOLVED_END_MS. Returns 1 when the log is held for that. */
static int unresolved(struct sender *s, struct slot *sl)
{
	int64_t now = now_mono_ms();
	if (!s->state.unresolved)
		s->unresolved_since_ms = now;
	s->state.unresolved = 1;
	if (s->follows || (s->answered && now - s->unresolved_since_ms < UNRESOLVED_END_MS))
		return 0;
	if (!s->state.endpoint_failed)
		errlog_add(ERR_NETWORK, "cannot resolve %s: check --url. %s",
			   s->state.host, held_fate(s));
	s->state.endpoint_failed = 1;
	told(s, sl, 0, "held");
	sender_wait_slot(s, sl, HELD);
	return 1;
}

/* A request that got no answer: the network's fault, or the API's. */
static void no_answer(struct sender *s, struct slot *sl, CURLcode res)
{
	if (res == CURLE_COULDNT_RESOLVE_HOST) {
		if (unresolved(s, sl))
			return;
		char why[ERRLOG_TEXT];
		snprintf(why, sizeof why, "cannot resolve %s: check --url (retrying)",
			 s->state.host);
		errlog_add(ERR_NETWORK, "%s", why);
		retry_later(s, sl, 0, why, 0);
		return;
	}
	char why[ERRLOG_TEXT + 64];
	snprintf(why, sizeof why, "%s%s%s%s", curl_easy_strerror(res), sl->errbuf[0] ? ": " : "",
		 sl->errbuf,
		 res == CURLE_PEER_FAILED_VERIFICATION ? " (for an API behind a private CA, give --ca-file)"
						       : "");
	errlog_add(ERR_NETWORK, "%s", why);
	retry_later(s, sl, 0, why, 0);
}

/* A 2xx: delivered, if the answer carries the log's id. */
static void answered_ok(struct sender *s, struct slot *sl, long status, const struct answer *a)
{
	if (a->ok) {
		sender_recovered(s);
		s->seen_2xx = 1;
		s->rejected_streak = 0;
		s->st->sent++;
		s->st->last_sent = now_wall();
		s->st->bytes_sent += sl->e.len;
		s->st->by_level[sl->e.level >= 0 ? sl->e.level : 0]++;
		told(s, sl, status, "sent");
		release(s, sl, 1);
	} else if (s->max_retries < 0 && sl->attempts >= NO_ID_RETRIES) {
		/* The API broke its contract for this log: say so and keep the
		 * log, rather than retry it for ever. */
		errlog_add(ERR_HTTP, "HTTP %ld without a log id, %d times for one log: %s (%s)", status,
			   NO_ID_RETRIES + 1, a->detail,
			   deadletter_enabled(s->dead) ? "dead-lettered" : "not kept");
		give_up(s, sl, status, "HTTP %ld without a log id: %s (after %d retries)", status,
			a->detail, NO_ID_RETRIES);
	} else {
		char why[ERRLOG_TEXT + 64];
		snprintf(why, sizeof why, "HTTP %ld without a log id: %s", status, a->detail);
		errlog_add(ERR_HTTP, "%s (will retry)", why);
		retry_later(s, sl, status, why, 0);
	}
}

/* 429, 5xx, 408: the API may take it later, after Retry-After if it said. */
static void answered_busy(struct sender *s, struct slot *sl, long status, const struct answer *a)
{
	curl_off_t retry_after = 0;
	if (curl_easy_getinfo(sl->easy, CURLINFO_RETRY_AFTER, &retry_after) != CURLE_OK)
		retry_after = 0;
	if (retry_after > RETRY_AFTER_MAX_S)
		retry_after = RETRY_AFTER_MAX_S;
	char why[ERRLOG_TEXT + 64]; /* "HTTP 503: " and the answer's detail fit */
	snprintf(why, sizeof why, "HTTP %ld: %s", status, a->detail);
	errlog_add(ERR_HTTP, "%s (will retry)", why);
	retry_later(s, sl, status, why, (int64_t)retry_after * 1000);
}

/* 401 or 403: every log is held until new credentials come. */
static void answered_auth(struct sender *s, struct slot *sl, long status, const struct answer *a)
{
	errlog_add(ERR_AUTH,
		   "HTTP %ld: %s: the API refused the token or project id: fix CODEMASH_TOKEN (or "
		   "the --token-file) or --project-id. %s", status, a->detail, held_fate(s));
	s->state.auth_failed = 1;
	told(s, sl, status, "held");
	sender_wait_slot(s, sl, HELD); /* sent again after new credentials */
}

/* The API will not take this log: dead-lettered - unless a 400 to every
 * log says the URL is wrong, not the logs. */
static void answered_rejected(struct sender *s, struct slot *sl, long status,
			      const struct answer *a)
{
	if (status == 400 || status == 422) {
		if (++s->rejected_streak >= BREAKER_STREAK) {
			wrong_endpoint(s, sl, status, a->detail, " to every log");
			return;
		}
		if (!s->seen_2xx) {
			/* Before any answer 2xx nothing says the URL is right. */
			s->st->retried++;
			sl->attempts++;
			told(s, sl, status, "retry");
			sender_wait_slot(s, sl, now_mono_ms() + retry_delay_ms(sl->attempts, s->base_ms, s->cap_ms,
									retry_random(&s->rnd), 0));
			return;
		}
	}
	sender_recovered(s); /* the API is answering */
	errlog_add(ERR_HTTP, "HTTP %ld: %s (a log from %s was rejected%s)", status, a->detail,
		   sl->e.source, deadletter_enabled(s->dead) ? "; dead-lettered" : "; not kept");
	give_up(s, sl, status, "HTTP %ld: %s", status, a->detail);
}

/* A request ended: what it tells the limit, then the log's fate. */
void sender_settle(struct sender *s, struct slot *sl, CURLcode res)
{
	long status = 0;
	s->active--;
	sl->state = SLOT_FREE; /* until decided below */
	if (res == CURLE_OK && curl_easy_getinfo(sl->easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
		status = 0;
	curl_off_t took = -1;
	if (curl_easy_getinfo(sl->easy, CURLINFO_TOTAL_TIME_T, &took) != CURLE_OK)
		took = -1;
	int failed = res != CURLE_OK || status < 200 || status >= 300;
	if (sl->api_gen != s->api_gen && failed) {
		/* Sent before a reload changed the URL or credentials: its
		 * failure says nothing of the new ones, nor of their limit.
		 * Sent again with them. */
		told(s, sl, status, "retry");
		sender_wait_slot(s, sl, 0);
		return;
	}
	if (took >= 0 && failed)
		s->fail_ms = took / 1000;
	if (sl->api_gen == s->api_gen) /* an old API's round trip is not the new one's */
		tell_limit(s, sl->easy, res, status, took);
	if (res == CURLE_OK) {
		s->answered = 1;
		s->state.unresolved = 0;
	}
	if (res != CURLE_OK) {
		no_answer(s, sl, res);
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
		answered_ok(s, sl, status, &a);
		return;
	case OUTCOME_TRANSIENT:
		answered_busy(s, sl, status, &a);
		return;
	case OUTCOME_AUTH:
		answered_auth(s, sl, status, &a);
		return;
	case OUTCOME_ENDPOINT:
		wrong_endpoint(s, sl, status, a.detail, "");
		return;
	case OUTCOME_REJECTED:
		answered_rejected(s, sl, status, &a);
		return;
	}
}
