/* sender_internal.h - what sender.c (when requests start) and settle.c
 * (what an ended request means) share: the slots and the sender's state.
 * Nothing else includes it. */
#ifndef LOGMASH_SENDER_INTERNAL_H
#define LOGMASH_SENDER_INTERNAL_H

#include <curl/curl.h>
#include <stdint.h>

#include "buf.h"
#include "concurrency.h"
#include "errlog.h"
#include "json.h"
#include "request.h"
#include "sender.h"
#include "transport.h"

#define RETRY_AFTER_MAX_S 300  /* a typo'd day-long Retry-After would stall everything */
#define BREAKER_STREAK 8       /* failures in a row that stop the sender as a whole, */
				/* with no success for two round trips */
#define DEADLETTER_RETRY_MS 1000
#define NO_ID_RETRIES 5        /* a 2xx without a log id: retries, when --max-retries is -1 */
#define HELD INT64_MAX         /* due time of a log held after a 401/403 */
#define UNRESOLVED_END_MS 5000 /* a one-shot run that had answers: DNS failing this long ends it */

enum slot_state { SLOT_FREE, SLOT_ACTIVE, SLOT_WAITING };

struct slot {
	CURL *easy;
	unsigned thread; /* the transport thread that carries its requests */
	enum slot_state state;
	struct qentry e;
	int attempts;
	int64_t due_ms;
	unsigned api_gen;      /* the URL and credentials it was sent with (sender.api_gen) */
	unsigned setup_gen;    /* the options its handle was set up with (sender.setup_gen) */
	struct buf answer;
	char errbuf[CURL_ERROR_SIZE];
	/* A dead letter that could not be written yet: what to write. */
	int dl_pending;
	long dl_status;
	char dl_error[ERRLOG_TEXT + 128];
};

/* A reload's old URL and headers: a transfer reads them until it ends, so
 * they are freed once no request started with them is under way. */
struct retired {
	struct retired *next;
	unsigned api_gen;           /* requests of this generation and older use them */
	CURLU *url;
	struct curl_slist *headers;
};

struct sender {
	struct transport *tr;
	struct request_setup setup; /* what each slot's handle is set up with */
	struct conc conc;
	long max_connections;  /* given, or 0 */
	long max_in_flight;
	int adaptive;
	int proto_known;       /* the API answered: its HTTP version is known */
	int64_t gather_us;     /* what the transport was told to gather answers for */
	uint64_t published_changes; /* conc.changes when the limit was last published */
	struct transport_done *done; /* room for every slot */
	struct curl_slist *headers; /* holds the token: wiped at free */
	unsigned api_gen;           /* one more at each new URL or credentials (a reload) */
	unsigned setup_gen;         /* one more at each new request_setup or URL */
	struct retired *retired;    /* what requests started before a reload still use */
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

	struct sender_state state; /* what holds it back (sender_state.h) */

	/* The breaker. */
	int streak;       /* transient failures in a row */
	int trips;        /* times it opened since the last success */
	int probing;      /* after a pause: one request at a time until one succeeds */
	int64_t hold_ms;  /* nothing starts before this */
	int64_t last_ok_ms; /* the last success (or the start) */
	int64_t fail_ms;    /* how long the last failed request took */
	char *endpoint;     /* for messages */
	int seen_2xx;       /* an answer 2xx since the start or SIGHUP: the URL works */
	int answered;       /* the API answered anything since the start */
	int64_t unresolved_since_ms; /* the first of the resolve failures in a row */
	int follows, keeps_unsent; /* what becomes of held logs (sender_opts) */
	int rejected_streak; /* 400 or 422 in a row */

	/* --rate-limit: a token bucket. */
	double rate, tokens;
	int64_t refilled_ms;
};

/* Each function shared here carries the stage's prefix, sender_, so that
 * a call says it is the send stage's (sender.c or settle.c). */

/* sender.c: the breaker and the limit. */
void sender_trip(struct sender *s, int64_t retry_after_ms);
int64_t sender_quiet_ms(const struct sender *s);
void sender_recovered(struct sender *s);
void sender_retry_waiting_now(struct sender *s);
void sender_publish_limit(struct sender *s);
void sender_learn_protocol(struct sender *s, CURL *easy);

/* settle.c: a request ended, with res; the log's fate follows. */
void sender_settle(struct sender *s, struct slot *sl, CURLcode res);
/* The slot waits until due (HELD: until new credentials or a reload). */
void sender_wait_slot(struct sender *s, struct slot *sl, int64_t due);
/* Writes the slot's log to the dead-letter file (or tries again later). */
void sender_dead_letter(struct sender *s, struct slot *sl);

#endif
