/* sender.h - posts queued logs to the Logs API, many at once.
 *
 * The requests run on transport threads (transport.h: long-lived libcurl
 * multi handles, whose connection caches are the keep-alive; HTTP/2 streams
 * are multiplexed where the server offers it); every decision is made here,
 * on the event loop's thread, over a pool of max_in_flight slots, of which
 * at most the concurrency limit (concurrency.h) have a request under way. A
 * slot holds its log until the API acknowledges it, rejects it for good (it
 * goes to the dead-letter file), or its retries run out (the same); a
 * transient failure keeps the slot while it waits out its backoff, so
 * memory stays bounded. A slot's libcurl handle is made the first time the
 * slot is used, so the pool costs memory only as far as the limit grew.
 *
 * Connections: over HTTP/2 the requests share at most 4 (max_connections),
 * as many streams on each as the server allows; over HTTP/1.1 each request
 * needs a connection of its own, so the limit's ceiling becomes 128 (the
 * same option) once the API has answered over HTTP/1.1.
 *
 * When requests fail in a row (at least 8) and none succeeded for two round
 * trips (a busy API refuses a burst while it still takes others), the
 * sender stops as a whole, waits (exponential backoff
 * with jitter), then sends a single probe; it opens up
 * again when a probe succeeds. After a 401 or 403 nothing more is sent and
 * every log is kept, until sender_set_credentials; the same after answers
 * that say the URL is wrong (404, 405, a redirect, or 400 to 8 logs in a row,
 * and to any log before a first answer 2xx), until sender_resume. A host
 * name that does not resolve is retried with backoff when the process
 * follows (DNS can be down for a while); in a one-shot run it is a wrong
 * URL, at once before the API ever answered, else after UNRESOLVED_END_MS. */
#ifndef LOGMASH_SENDER_H
#define LOGMASH_SENDER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "deadletter.h"
#include "queue.h"
#include "sender_state.h"
#include "stats.h"

struct sender_opts {
	const char *endpoint;   /* {url}/{version}/logs */
	const char *token;
	const char *project_id;
	long max_in_flight;     /* the adaptive limit's ceiling, or the fixed limit */
	int adaptive;           /* the limit follows the API (concurrency.h) */
	long max_connections;   /* 0: 4 over HTTP/2, 128 over HTTP/1.1 */
	long threads;           /* transport threads; slots are spread over them */
	long max_retries;       /* -1: unlimited */
	long timeout_ms;
	long connect_timeout_ms;
	int64_t retry_base_ms;  /* first backoff ceiling */
	int64_t retry_cap_ms;   /* largest backoff */
	double rate_limit;      /* requests a second at most; 0: no limit */
	int http2_prior_knowledge;
	int insecure;           /* verify neither the certificate nor the host name */
	const char *ca_file;    /* NULL: the system's certificate authorities */
	int follows;            /* the process stays (-F): held logs wait for SIGHUP */
	int keeps_unsent;       /* a state directory keeps what is not sent for the next run */
	struct deadletter *dead; /* where rejected logs go (fd -1: counted only) */
	/* Called once a log's fate is final: acknowledged (delivered 1), or
	 * dead-lettered (not after a 401/403, which keeps the log). */
	void (*on_settled)(void *ctx, const struct qentry *e, int delivered);
	/* Called after each request with the API's status (0: no answer) and
	 * what becomes of the log: "sent", "retry", "dead-lettered", "held"
	 * (401/403 or a wrong URL). NULL: not told. */
	void (*on_answer)(void *ctx, const struct qentry *e, long status, const char *outcome);
	void *ctx;
};

struct sender;

/* Returns NULL with the reason in err when libcurl cannot start. */
struct sender *sender_new(const struct sender_opts *o, struct queue *q, struct stats *st,
			  struct buf *err);
void sender_free(struct sender *s);

/* Settles finished transfers and starts what can start. */
void sender_step(struct sender *s);

/* Readable when finished transfers wait for sender_step (poll it). */
int sender_fd(const struct sender *s);

/* How long the caller may sleep before sender_step is due again (ms). */
long sender_timeout_ms(struct sender *s);

/* Logs held by slots: in flight, waiting to retry, or held after a 401/403. */
size_t sender_holding(const struct sender *s);

/* Requests under way now (not counting those waiting). */
size_t sender_active(const struct sender *s);

/* SIGHUP after a wrong URL (404, 405, a redirect, 400 to every log): the
 * logs held since are sent again. */
void sender_resume(struct sender *s);

/* Ends a backoff now (the operator asks): the breaker's pause and the
 * retries' waits are over; what waits is tried again at once. */
void sender_retry_now(struct sender *s);

/* The operator's pause: what is under way finishes, nothing starts, the
 * queue fills and reading waits for it. */
void sender_pause(struct sender *s, int on);

/* What holds the sender back now, for the operator's view. */
struct sender_state sender_state(const struct sender *s);

/* A reload's settings, in the fields sender_new took them from (not the
 * callbacks, threads, follows, keeps_unsent or dead). Requests under way
 * finish where they started; every request started from now on goes with
 * the new ones, and what was held after a 401/403 or a wrong URL is sent
 * again. A new URL or --concurrency starts the limit afresh. 0, or -1 with
 * the reason in err and nothing changed: a URL libcurl refuses, or a
 * max_in_flight above the slots the run started with. */
int sender_reconfigure(struct sender *s, const struct sender_opts *o, struct buf *err);

/* New credentials (a reload): logs held after a 401/403 are sent again. */
void sender_set_credentials(struct sender *s, const char *token, const char *project_id);

#endif
