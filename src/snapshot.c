/* snapshot.c - publishing snapshots between threads. */
#include "snapshot.h"

#include <string.h>

int snapshot_box_init(struct snapshot_box *b)
{
	memset(&b->s, 0, sizeof b->s);
	b->version = 0;
	return pthread_mutex_init(&b->mu, NULL) == 0 ? 0 : -1;
}

void snapshot_box_free(struct snapshot_box *b)
{
	pthread_mutex_destroy(&b->mu);
}

void snapshot_publish(struct snapshot_box *b, const struct snapshot *s)
{
	pthread_mutex_lock(&b->mu);
	b->s = *s;
	b->version++;
	pthread_mutex_unlock(&b->mu);
}

uint64_t snapshot_read(struct snapshot_box *b, struct snapshot *out)
{
	pthread_mutex_lock(&b->mu);
	*out = b->s;
	uint64_t v = b->version;
	pthread_mutex_unlock(&b->mu);
	return v;
}

const char *snapshot_state(const struct snapshot *s)
{
	if (s->dry_run)
		return "dry run";
	if (s->send.auth_failed)
		return "auth failed";
	if (s->send.endpoint_failed)
		return "wrong url";
	if (s->stopping)
		return "draining";
	if (s->send.paused)
		return "paused";
	if (s->send.backing_off)
		return "backing off";
	/* A fast API answers between two snapshots: what was acknowledged
	 * lately counts as sending too, not only what is under way now. */
	if (s->st.in_flight || s->st.queued || s->st.waiting ||
	    (s->st.last_sent > 0 && s->taken - s->st.last_sent < SNAP_SENDING_SECONDS))
		return "sending";
	return "idle";
}
