/* history.c - rates, percentiles and the sparkline from snapshots. */
#include "history.h"

#include <string.h>

void history_init(struct history *h)
{
	memset(h, 0, sizeof *h);
}

static void counters(const struct snapshot *s, uint64_t *c)
{
	c[C_READ] = s->st.read;
	c[C_DROPPED] = s->st.dropped;
	c[C_SENT] = s->st.sent;
	c[C_FAILED] = s->st.failed;
	c[C_RETRIED] = s->st.retried;
	c[C_DEAD] = s->st.dead_lettered;
}

static const struct history_sample *newest(const struct history *h)
{
	return &h->win[(h->win_head + RATE_WINDOW) % (RATE_WINDOW + 1)];
}

static const struct history_sample *oldest(const struct history *h)
{
	size_t cap = RATE_WINDOW + 1;
	return &h->win[(h->win_head + cap - h->win_n) % cap];
}

static void push_second(struct history *h, uint32_t v)
{
	if (h->sent_n == HISTORY_SECONDS) {
		memmove(h->sent, h->sent + 1, (HISTORY_SECONDS - 1) * sizeof *h->sent);
		h->sent_n--;
	}
	h->sent[h->sent_n++] = v;
}

void history_add(struct history *h, const struct snapshot *s)
{
	if (h->win_n && s->taken - h->last_t < 1.0)
		return;
	uint64_t c[N_COUNTERS];
	counters(s, c);
	if (h->win_n) {
		const struct history_sample *prev = newest(h);
		/* Whole seconds since the last sample share its sends evenly;
		 * a gap longer than the sparkline is only its last part. */
		double dt = s->taken - prev->t;
		size_t secs = dt < HISTORY_SECONDS ? (size_t)(dt + 0.5) : HISTORY_SECONDS;
		if (secs == 0)
			secs = 1;
		uint64_t sent = c[C_SENT] >= prev->c[C_SENT] ? c[C_SENT] - prev->c[C_SENT] : 0;
		for (size_t i = 0; i < secs; i++)
			push_second(h, (uint32_t)(sent / secs));
	}
	struct history_sample *x = &h->win[h->win_head];
	x->t = s->taken;
	memcpy(x->c, c, sizeof c);
	x->lat = s->st.latency;
	h->win_head = (h->win_head + 1) % (RATE_WINDOW + 1);
	if (h->win_n < RATE_WINDOW + 1)
		h->win_n++;
	h->last_t = s->taken;
}

double history_rate(const struct history *h, enum counter c)
{
	if (h->win_n < 2)
		return 0;
	const struct history_sample *a = oldest(h), *b = newest(h);
	double dt = b->t - a->t;
	if (dt <= 0 || b->c[c] < a->c[c])
		return 0;
	return (double)(b->c[c] - a->c[c]) / dt;
}

uint64_t history_latency(const struct history *h, double q)
{
	if (h->win_n == 0)
		return 0;
	const struct history_sample *b = newest(h);
	return latency_quantile(&b->lat, h->win_n > 1 ? &oldest(h)->lat : NULL, q);
}

size_t history_sends(const struct history *h, uint32_t *out, size_t n)
{
	size_t k = h->sent_n < n ? h->sent_n : n;
	memcpy(out, h->sent + h->sent_n - k, k * sizeof *out);
	return k;
}
