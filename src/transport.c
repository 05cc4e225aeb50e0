/* transport.c - the threads that carry HTTP transfers.
 *
 * Each thread runs curl_multi_perform and sleeps in curl_multi_poll. In
 * libcurl 7.88 that visits every transfer on every wake, with a poll() of
 * its socket each; curl_multi_socket_action on an epoll set was measured
 * too (make bench, remote and h2 rows): 8% less CPU a log across a 50 ms
 * round trip, but 30% fewer logs a second over HTTP/2 at loopback speed,
 * so this form stayed. Across a network the visits are cut instead by
 * gathering: after a wake that finished transfers, a thread waits for
 * answers to pile up before it polls again (transport_set_gather). */
#include "transport.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

struct worker {
	struct transport *t;
	pthread_t thread;
	int started;
	CURLM *multi;
	long cap;

	/* Shared with the owner, under mu. */
	pthread_mutex_t mu;
	CURL **inbox;
	long n_in;
	long conns;   /* connections to the host: set by the owner, taken by the thread */
	long conns_set; /* what the multi handle has */
	int sleeping; /* in curl_multi_poll: new work needs a wakeup */
	int wake;     /* handed work while sleeping, not woken yet */
	int stop;

	/* The thread's own. */
	CURL **running;
	long n_running;
	CURL **taken;
	struct transport_done *finished;
};

struct transport {
	struct worker *w;
	unsigned n;
	_Atomic long gather_us; /* transport_set_gather */
	_Atomic(const char *) error;

	/* Under mu. efd is readable exactly while done is not empty: both
	 * change together, under the lock (a syscall only when the list goes
	 * from empty to not, or back). */
	pthread_mutex_t mu;
	int efd;
	int signaled;
	struct transport_done *done;
	size_t n_done, cap_done;
};

static void lock(pthread_mutex_t *m)
{
	int rc = pthread_mutex_lock(m);
	if (rc != 0)
		fatal("pthread_mutex_lock: %s", strerror(rc));
}

static void unlock(pthread_mutex_t *m)
{
	int rc = pthread_mutex_unlock(m);
	if (rc != 0)
		fatal("pthread_mutex_unlock: %s", strerror(rc));
}

static void multi_failed(struct worker *w, CURLMcode mc)
{
	atomic_store(&w->t->error, curl_multi_strerror(mc));
}

/* Hands finished transfers back; wakes the owner if it may be asleep. */
static void hand_back(struct worker *w, long n)
{
	struct transport *t = w->t;
	lock(&t->mu);
	/* A handle is in one place at a time, and done holds room for every
	 * handle of every thread: more would be a bug, not a load. */
	if (t->n_done + (size_t)n > t->cap_done)
		fatal("internal error: more finished transfers than handles");
	memcpy(t->done + t->n_done, w->finished, (size_t)n * sizeof *w->finished);
	t->n_done += (size_t)n;
	if (!t->signaled) {
		uint64_t one = 1;
		ssize_t wr;
		while ((wr = write(t->efd, &one, sizeof one)) < 0 && errno == EINTR)
			;
		if (wr < 0 && errno != EAGAIN) /* EAGAIN: the counter is set already */
			fatal("cannot wake the event loop (eventfd): %s", strerror(errno));
		t->signaled = 1;
	}
	unlock(&t->mu);
}

static void forget_running(struct worker *w, const CURL *easy)
{
	for (long i = 0; i < w->n_running; i++)
		if (w->running[i] == easy) {
			w->running[i] = w->running[--w->n_running];
			return;
		}
}

/* The connection cap (CURLMOPT_MAX_HOST_CONNECTIONS) and the cache that
 * keeps them alive (CURLMOPT_MAXCONNECTS) are the same number. */
static CURLMcode set_connections(CURLM *multi, long conns)
{
	CURLMcode mc = curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, conns);
	if (mc == CURLM_OK)
		mc = curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, conns);
	return mc;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	for (;;) {
		lock(&w->mu);
		if (w->stop) {
			unlock(&w->mu);
			break;
		}
		long n_new = w->n_in;
		memcpy(w->taken, w->inbox, (size_t)n_new * sizeof *w->inbox);
		w->n_in = 0;
		long conns = w->conns;
		unlock(&w->mu);
		if (conns != w->conns_set) {
			CURLMcode mc = set_connections(w->multi, conns);
			if (mc != CURLM_OK)
				multi_failed(w, mc);
			w->conns_set = conns;
		}

		long n_fin = 0;
		for (long i = 0; i < n_new; i++) {
			CURLMcode mc = curl_multi_add_handle(w->multi, w->taken[i]);
			if (mc == CURLM_OK) {
				w->running[w->n_running++] = w->taken[i];
			} else {
				multi_failed(w, mc);
				w->finished[n_fin++] = (struct transport_done){w->taken[i], CURLE_OUT_OF_MEMORY};
			}
		}
		int still;
		CURLMcode mc = curl_multi_perform(w->multi, &still);
		if (mc != CURLM_OK)
			multi_failed(w, mc);
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(w->multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			CURL *easy = m->easy_handle;
			CURLcode res = m->data.result; /* m is invalid after the removal */
			curl_multi_remove_handle(w->multi, easy);
			forget_running(w, easy);
			w->finished[n_fin++] = (struct transport_done){easy, res};
		}
		if (n_fin)
			hand_back(w, n_fin);

		lock(&w->mu);
		int sleep = w->n_in == 0 && !w->stop;
		w->sleeping = sleep;
		unlock(&w->mu);
		if (!sleep)
			continue;
		/* Answers that come while this sleeps are handled in one wake. */
		long gather = atomic_load(&w->t->gather_us);
		if (gather > 0 && n_fin) {
			struct timespec ts = {0, gather * 1000};
			nanosleep(&ts, NULL);
		}
		/* Sleeps until a socket is ready, curl's next timer, or a wakeup. */
		mc = curl_multi_poll(w->multi, NULL, 0, 1000, NULL);
		if (mc != CURLM_OK)
			multi_failed(w, mc);
		lock(&w->mu);
		w->sleeping = 0;
		unlock(&w->mu);
	}
	for (long i = 0; i < w->n_running; i++)
		curl_multi_remove_handle(w->multi, w->running[i]);
	w->n_running = 0;
	wipe_stack(); /* joined threads' stacks stay mapped, cached for reuse */
	return NULL;
}

static long share(long connections, unsigned threads)
{
	long each = (connections + (long)threads - 1) / (long)threads;
	return each < 1 ? 1 : each;
}

struct transport *transport_new(unsigned threads, long per_thread, long connections, struct buf *err)
{
	struct transport *t = xcalloc(1, sizeof *t);
	t->efd = -1;
	atomic_init(&t->error, NULL);
	atomic_init(&t->gather_us, 0);
	int rc = pthread_mutex_init(&t->mu, NULL);
	if (rc != 0)
		fatal("pthread_mutex_init: %s", strerror(rc));
	t->cap_done = (size_t)threads * (size_t)per_thread;
	t->done = xcalloc(t->cap_done, sizeof *t->done);
	t->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (t->efd < 0) {
		buf_printf(err, "cannot create an eventfd: %s", strerror(errno));
		transport_free(t);
		return NULL;
	}
	t->w = xcalloc(threads, sizeof *t->w);
	for (unsigned i = 0; i < threads; i++) {
		struct worker *w = &t->w[i];
		w->t = t;
		w->cap = per_thread;
		w->conns = w->conns_set = share(connections, threads);
		rc = pthread_mutex_init(&w->mu, NULL);
		if (rc != 0)
			fatal("pthread_mutex_init: %s", strerror(rc));
		t->n++;
		w->inbox = xcalloc((size_t)per_thread, sizeof *w->inbox);
		w->taken = xcalloc((size_t)per_thread, sizeof *w->taken);
		w->running = xcalloc((size_t)per_thread, sizeof *w->running);
		w->finished = xcalloc((size_t)per_thread, sizeof *w->finished);
		w->multi = curl_multi_init();
		if (!w->multi ||
		    curl_multi_setopt(w->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX) != CURLM_OK ||
		    /* libcurl's own default is 100 streams a connection */
		    curl_multi_setopt(w->multi, CURLMOPT_MAX_CONCURRENT_STREAMS, per_thread) != CURLM_OK ||
		    set_connections(w->multi, w->conns) != CURLM_OK) {
			buf_printf(err, "cannot set up a libcurl multi handle");
			transport_free(t);
			return NULL;
		}
		/* Signals belong to the event loop's signalfd: the threads start
		 * with every signal blocked, or a SIGHUP could kill the process. */
		sigset_t all, old;
		sigfillset(&all);
		rc = pthread_sigmask(SIG_SETMASK, &all, &old);
		if (rc == 0) {
			rc = pthread_create(&w->thread, NULL, worker_main, w);
			int rc2 = pthread_sigmask(SIG_SETMASK, &old, NULL);
			if (rc2 != 0)
				fatal("pthread_sigmask: %s", strerror(rc2));
		}
		if (rc != 0) {
			buf_printf(err, "cannot start a sending thread: %s", strerror(rc));
			transport_free(t);
			return NULL;
		}
		w->started = 1;
	}
	return t;
}

void transport_free(struct transport *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < t->n; i++) {
		struct worker *w = &t->w[i];
		if (w->started) {
			lock(&w->mu);
			w->stop = 1;
			unlock(&w->mu);
			curl_multi_wakeup(w->multi);
			int rc = pthread_join(w->thread, NULL);
			if (rc != 0)
				fatal("pthread_join: %s", strerror(rc));
		}
		if (w->multi)
			curl_multi_cleanup(w->multi);
		pthread_mutex_destroy(&w->mu);
		free(w->inbox);
		free(w->taken);
		free(w->running);
		free(w->finished);
	}
	free(t->w);
	free(t->done);
	pthread_mutex_destroy(&t->mu);
	if (t->efd >= 0)
		close(t->efd);
	free(t);
}

void transport_set_connections(struct transport *t, long connections)
{
	for (unsigned i = 0; i < t->n; i++) {
		struct worker *w = &t->w[i];
		lock(&w->mu);
		w->conns = share(connections, t->n);
		if (w->sleeping)
			w->wake = 1;
		unlock(&w->mu);
	}
	transport_flush(t);
}

void transport_start(struct transport *t, unsigned thread, CURL *easy)
{
	struct worker *w = &t->w[thread];
	lock(&w->mu);
	/* The owner has at most cap handles for this thread. */
	if (w->n_in == w->cap)
		fatal("internal error: more transfers than a thread's slots");
	w->inbox[w->n_in++] = easy;
	if (w->sleeping)
		w->wake = 1;
	unlock(&w->mu);
}

void transport_flush(struct transport *t)
{
	for (unsigned i = 0; i < t->n; i++) {
		struct worker *w = &t->w[i];
		lock(&w->mu);
		int wake = w->wake;
		w->wake = 0;
		unlock(&w->mu);
		if (wake) {
			CURLMcode mc = curl_multi_wakeup(w->multi);
			if (mc != CURLM_OK)
				multi_failed(w, mc);
		}
	}
}

size_t transport_collect(struct transport *t, struct transport_done *out, size_t max)
{
	lock(&t->mu);
	size_t n = t->n_done < max ? t->n_done : max;
	memcpy(out, t->done, n * sizeof *out);
	memmove(t->done, t->done + n, (t->n_done - n) * sizeof *t->done);
	t->n_done -= n;
	if (t->n_done == 0 && t->signaled) {
		uint64_t count;
		ssize_t r;
		while ((r = read(t->efd, &count, sizeof count)) < 0 && errno == EINTR)
			;
		if (r < 0 && errno != EAGAIN) /* EAGAIN: nothing to clear */
			fatal("cannot read the event loop's eventfd: %s", strerror(errno));
		t->signaled = 0;
	}
	unlock(&t->mu);
	return n;
}

int transport_fd(const struct transport *t)
{
	return t->efd;
}

const char *transport_error(struct transport *t)
{
	return atomic_exchange(&t->error, NULL);
}

void transport_set_gather(struct transport *t, long us)
{
	atomic_store(&t->gather_us, us);
}
