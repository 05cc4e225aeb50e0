/* transport.h - the threads that carry HTTP transfers.
 *
 * Moving bytes through libcurl costs about six times what reading a log,
 * running its scripts and encoding it does (make bench), so transfers run on
 * threads of their own and the event loop keeps one core for the pipeline.
 * Each thread owns one libcurl multi handle, hence its own connection cache
 * (keep-alive, HTTP/2 streams). A thread only moves bytes: the owner sets up
 * each easy handle, hands it over with transport_start, and gets it back
 * from transport_collect once the transfer ended; every decision about a
 * log (retry, settle, dead letter) stays on the owner's thread.
 *
 * Between transport_start and the easy handle's return, the owner must not
 * touch the handle or anything its callbacks write. */
#ifndef LOGMASH_TRANSPORT_H
#define LOGMASH_TRANSPORT_H

#include <curl/curl.h>
#include <stddef.h>

#include "buf.h"

struct transport_done {
	CURL *easy;
	CURLcode result;
};

struct transport;

/* threads threads, each keeping up to per_thread transfers at once, over
 * connections to the host in all (shared out among the threads, at least
 * one each; HTTP/2 multiplexes up to per_thread streams on each). NULL with
 * the reason in err if they cannot start. */
struct transport *transport_new(unsigned threads, long per_thread, long connections, struct buf *err);

/* Another number of connections to the host in all (the threads take it
 * before their next transfers). */
void transport_set_connections(struct transport *t, long connections);

/* Stops the threads; transfers under way are abandoned (their handles are
 * the owner's again). */
void transport_free(struct transport *t);

/* Hands easy to thread (0 .. threads-1), which starts it soon. */
void transport_start(struct transport *t, unsigned thread, CURL *easy);

/* Wakes the threads that were handed new transfers since the last call.
 * Call once after a batch of transport_start. */
void transport_flush(struct transport *t);

/* After a wake that finished transfers, a thread waits this long before it
 * polls again, so that the answers arriving meanwhile are served in one
 * wake: libcurl 7.88 visits every transfer on each. 0: none. */
void transport_set_gather(struct transport *t, long us);

/* Up to max finished transfers, into out; returns how many. */
size_t transport_collect(struct transport *t, struct transport_done *out, size_t max);

/* Readable while finished transfers wait to be collected (poll it). */
int transport_fd(const struct transport *t);

/* The last libcurl multi error a thread met since the previous call, or
 * NULL. */
const char *transport_error(struct transport *t);

#endif
