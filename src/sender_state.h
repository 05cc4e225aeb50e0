/* sender_state.h - what holds the sender back, beyond its counters: the
 * flags the operator's view (snapshot.h) and health (health.h) read. The
 * sender owns them (sender_state(), sender_pause()); nothing else sets
 * them. */
#ifndef LOGMASH_SENDER_STATE_H
#define LOGMASH_SENDER_STATE_H

struct sender_state {
	int auth_failed;        /* the API refused the credentials */
	int endpoint_failed;    /* the URL is wrong: 404, 405, a redirect, 400 to every log, */
				/* or a host name that does not resolve in a one-shot run */
	int unresolved;         /* the URL's host name did not resolve, lately */
	int paused;             /* the operator paused sending */
	int backing_off;        /* the breaker paused all sending */
	double backoff_until;   /* ... until then (wall clock) */
	double backoff_since;   /* ... since then: the outage's start (wall clock) */
	char host[128];         /* the URL's host (or "the API's host"), for messages */
};

#endif
