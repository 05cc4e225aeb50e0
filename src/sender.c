/* sender.c - libcurl multi transfers, outcomes and retries. */
#include "sender.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "answer.h"
#include "buf.h"
#include "errlog.h"
#include "retry.h"
#include "util.h"

#define MAX_ANSWER (64 * 1024) /* more of an answer than this is not read */
#define RETRY_BASE_MS 200
#define RETRY_CAP_MS 30000
#define RETRY_AFTER_MAX_S 300

enum slot_state { SLOT_FREE, SLOT_ACTIVE, SLOT_WAITING };

struct slot {
	CURL *easy;
	enum slot_state state;
	struct qentry e;
	int attempts;
	int64_t due_ms;
	struct buf answer;
	char errbuf[CURL_ERROR_SIZE];
};

struct sender {
	CURLM *multi;
	struct curl_slist *headers; /* holds the token: wiped at free */
	struct slot *slots;
	size_t n_slots;
	size_t active, waiting;
	long max_retries;
	uint32_t rnd;
	struct queue *q;
	struct stats *st;
	struct json_doc doc;
	void (*on_settled)(void *ctx, const struct qentry *e);
	void *ctx;
};

static size_t on_answer(char *p, size_t size, size_t n, void *ud)
{
	struct slot *sl = ud;
	size_t len = size * n;
	size_t room = sl->answer.len < MAX_ANSWER ? MAX_ANSWER - sl->answer.len : 0;
	buf_append(&sl->answer, p, len < room ? len : room);
	return len;
}

#define SETOPT(h, opt, val)                                                          \
	do {                                                                         \
		CURLcode rc_ = curl_easy_setopt((h), (opt), (val));                  \
		if (rc_ != CURLE_OK) {                                               \
			warnx_("libcurl refused %s: %s", #opt, curl_easy_strerror(rc_)); \
			return -1;                                                   \
		}                                                                    \
	} while (0)

static int setup_easy(struct sender *s, struct slot *sl, const struct sender_opts *o)
{
	CURL *h = sl->easy;
	SETOPT(h, CURLOPT_URL, o->endpoint);
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
	SETOPT(h, CURLOPT_PIPEWAIT, 1L); /* wait for an HTTP/2 connection to multiplex on */
	SETOPT(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	SETOPT(h, CURLOPT_USERAGENT, "logmash/" LOGMASH_VERSION);
	SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
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

struct sender *sender_new(const struct sender_opts *o, struct queue *q, struct stats *st)
{
	struct sender *s = xcalloc(1, sizeof *s);
	s->q = q;
	s->st = st;
	s->max_retries = o->max_retries;
	s->on_settled = o->on_settled;
	s->ctx = o->ctx;
	s->rnd = (uint32_t)now_mono_ms() ^ ((uint32_t)getpid() << 16) ^ 0x9E3779B9u;
	if (!s->rnd)
		s->rnd = 1;

	struct buf h = {0};
	buf_printf(&h, "Authorization: Bearer %s", o->token);
	s->headers = add_header(NULL, buf_cstr(&h));
	wipe(h.data, h.len);
	buf_clear(&h);
	buf_printf(&h, "x-cm-projectid: %s", o->project_id);
	if (s->headers)
		s->headers = add_header(s->headers, buf_cstr(&h));
	if (s->headers)
		s->headers = add_header(s->headers, "Content-Type: application/json");
	if (s->headers)
		s->headers = add_header(s->headers, "Accept: application/json");
	if (s->headers)
		s->headers = add_header(s->headers, "Expect:"); /* no 100-continue round trip */
	buf_free(&h);

	s->multi = curl_multi_init();
	if (!s->headers || !s->multi) {
		warnx_("cannot start libcurl (out of memory)");
		sender_free(s);
		return NULL;
	}
	if (curl_multi_setopt(s->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX) != CURLM_OK ||
	    curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, o->max_in_flight) != CURLM_OK ||
	    curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, o->max_in_flight) != CURLM_OK) {
		warnx_("libcurl refused the multi handle's options");
		sender_free(s);
		return NULL;
	}
	s->n_slots = (size_t)o->max_in_flight;
	s->slots = xcalloc(s->n_slots, sizeof *s->slots);
	for (size_t i = 0; i < s->n_slots; i++) {
		s->slots[i].easy = curl_easy_init();
		if (!s->slots[i].easy || setup_easy(s, &s->slots[i], o) != 0) {
			warnx_("cannot set up libcurl transfers");
			sender_free(s);
			return NULL;
		}
	}
	return s;
}

void sender_free(struct sender *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_slots; i++) {
		struct slot *sl = &s->slots[i];
		if (sl->state == SLOT_ACTIVE)
			curl_multi_remove_handle(s->multi, sl->easy);
		if (sl->easy)
			curl_easy_cleanup(sl->easy);
		if (sl->state != SLOT_FREE)
			free(sl->e.body);
		buf_free(&sl->answer);
	}
	free(s->slots);
	if (s->multi)
		curl_multi_cleanup(s->multi);
	for (struct curl_slist *l = s->headers; l; l = l->next)
		wipe(l->data, strlen(l->data));
	curl_slist_free_all(s->headers);
	json_doc_free(&s->doc);
	free(s);
}

static void start(struct sender *s, struct slot *sl)
{
	buf_clear(&sl->answer);
	sl->errbuf[0] = '\0';
	CURLcode rc = curl_easy_setopt(sl->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)sl->e.len);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(sl->easy, CURLOPT_POSTFIELDS, sl->e.body);
	CURLMcode mc = rc == CURLE_OK ? curl_multi_add_handle(s->multi, sl->easy) : CURLM_OK;
	if (rc != CURLE_OK || mc != CURLM_OK) {
		/* Cannot happen short of memory exhaustion: try again later. */
		errlog_add(ERR_NETWORK, "cannot start a request: %s",
			   rc != CURLE_OK ? curl_easy_strerror(rc) : curl_multi_strerror(mc));
		if (sl->state == SLOT_ACTIVE)
			s->active--;
		if (sl->state != SLOT_WAITING)
			s->waiting++;
		sl->state = SLOT_WAITING;
		sl->due_ms = now_mono_ms() + RETRY_BASE_MS;
		return;
	}
	if (sl->state == SLOT_WAITING)
		s->waiting--;
	sl->state = SLOT_ACTIVE;
	s->active++;
}

/* The log's fate is final: tell the input, free the slot. */
static void release(struct sender *s, struct slot *sl)
{
	if (s->on_settled)
		s->on_settled(s->ctx, &sl->e);
	free(sl->e.body);
	memset(&sl->e, 0, sizeof sl->e);
	sl->state = SLOT_FREE;
	sl->attempts = 0;
}

static void retry_later(struct sender *s, struct slot *sl, int64_t retry_after_ms)
{
	sl->attempts++;
	if (s->max_retries >= 0 && sl->attempts > s->max_retries) {
		errlog_add(ERR_NETWORK, "gave up on a log after %ld retries (--max-retries)",
			   s->max_retries);
		s->st->failed++;
		release(s, sl);
		return;
	}
	s->st->retried++;
	sl->due_ms = now_mono_ms() + retry_delay_ms(sl->attempts, RETRY_BASE_MS, RETRY_CAP_MS,
						    retry_random(&s->rnd), retry_after_ms);
	sl->state = SLOT_WAITING;
	s->waiting++;
}

static void settle(struct sender *s, struct slot *sl, CURLcode res)
{
	long status = 0;
	curl_off_t retry_after = 0;
	curl_multi_remove_handle(s->multi, sl->easy);
	s->active--;
	sl->state = SLOT_FREE; /* until decided below */
	if (res != CURLE_OK) {
		errlog_add(ERR_NETWORK, "%s%s%s", curl_easy_strerror(res), sl->errbuf[0] ? ": " : "",
			   sl->errbuf);
		retry_later(s, sl, 0);
		return;
	}
	if (curl_easy_getinfo(sl->easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
		status = 0;
	struct answer a;
	answer_parse(status, sl->answer.data, sl->answer.len, &a, &s->doc);
	switch (retry_classify(status)) {
	case OUTCOME_OK:
		if (a.ok) {
			s->st->sent++;
			s->st->bytes_sent += sl->e.len;
			s->st->by_level[sl->e.level >= 0 ? sl->e.level : 0]++;
			release(s, sl);
		} else {
			errlog_add(ERR_HTTP, "HTTP %ld: %s", status, a.detail);
			retry_later(s, sl, 0);
		}
		return;
	case OUTCOME_TRANSIENT:
		if (curl_easy_getinfo(sl->easy, CURLINFO_RETRY_AFTER, &retry_after) != CURLE_OK)
			retry_after = 0;
		if (retry_after > RETRY_AFTER_MAX_S)
			retry_after = RETRY_AFTER_MAX_S; /* a typo'd day-long wait would stall a slot */
		errlog_add(ERR_HTTP, "HTTP %ld: %s (will retry)", status, a.detail);
		retry_later(s, sl, (int64_t)retry_after * 1000);
		return;
	case OUTCOME_AUTH:
		errlog_add(ERR_AUTH,
			   "HTTP %ld: %s: the API refused the token or project id; sending stopped. "
			   "Check CODEMASH_TOKEN (or --token-file) and --project-id", status, a.detail);
		s->st->auth_failed = 1;
		sl->state = SLOT_WAITING; /* kept, never sent again in this run */
		s->waiting++;
		return;
	case OUTCOME_REJECTED:
		errlog_add(ERR_HTTP, "HTTP %ld: %s (a log from %s was rejected; not retried)",
			   status, a.detail, sl->e.source);
		s->st->failed++;
		release(s, sl);
		return;
	}
}

void sender_step(struct sender *s)
{
	int64_t now = now_mono_ms();
	if (!s->st->auth_failed) {
		for (size_t i = 0; i < s->n_slots && s->waiting; i++) {
			struct slot *sl = &s->slots[i];
			if (sl->state == SLOT_WAITING && sl->due_ms <= now)
				start(s, sl);
		}
		for (size_t i = 0; i < s->n_slots && s->q->n; i++) {
			struct slot *sl = &s->slots[i];
			if (sl->state != SLOT_FREE)
				continue;
			queue_pop(s->q, &sl->e);
			sl->attempts = 0;
			start(s, sl);
		}
	}
	int running;
	CURLMcode mc = curl_multi_perform(s->multi, &running);
	if (mc != CURLM_OK)
		errlog_add(ERR_NETWORK, "libcurl: %s", curl_multi_strerror(mc));
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(s->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct slot *sl = NULL;
		if (curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&sl) != CURLE_OK || !sl)
			continue;
		settle(s, sl, m->data.result);
	}
	s->st->in_flight = s->active;
	s->st->queued = s->q->n;
}

int sender_wait(struct sender *s, struct curl_waitfd *extra, unsigned n, int timeout_ms)
{
	CURLMcode mc = curl_multi_poll(s->multi, extra, n, timeout_ms, NULL);
	if (mc != CURLM_OK) {
		errlog_add(ERR_NETWORK, "libcurl: %s", curl_multi_strerror(mc));
		return -1;
	}
	return 0;
}

long sender_timeout_ms(struct sender *s)
{
	long t = -1;
	if (curl_multi_timeout(s->multi, &t) != CURLM_OK || t < 0)
		t = 1000;
	if (!s->st->auth_failed) {
		if (s->q->n && s->active + s->waiting < s->n_slots)
			return 0;
		int64_t now = now_mono_ms();
		for (size_t i = 0; i < s->n_slots && s->waiting; i++) {
			const struct slot *sl = &s->slots[i];
			if (sl->state == SLOT_WAITING) {
				int64_t d = sl->due_ms - now;
				if (d < t)
					t = d < 0 ? 0 : (long)d;
			}
		}
	}
	return t;
}

size_t sender_holding(const struct sender *s)
{
	return s->active + s->waiting;
}

size_t sender_active(const struct sender *s)
{
	return s->active;
}
