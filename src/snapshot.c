/* snapshot.c - publishing snapshots between threads. */
#include "snapshot.h"

#include <stdio.h>
#include <string.h>

const char *const run_state_name[N_RUN_STATES] = {
	[RUN_SENDING] = "sending", [RUN_IDLE] = "idle", [RUN_BACKING_OFF] = "backing off",
	[RUN_PAUSED] = "paused", [RUN_AUTH_FAILED] = "auth failed", [RUN_WRONG_URL] = "wrong url",
	[RUN_UNRESOLVED] = "cannot resolve", [RUN_DRAINING] = "draining", [RUN_DRY_RUN] = "dry run",
	[RUN_FINISHED] = "finished",
};

const char *const source_state_name[N_SOURCE_STATES] = {
	[SOURCE_READING] = "reading", [SOURCE_FOLLOWING] = "following",
	[SOURCE_ROTATED] = "rotated", [SOURCE_WAITING] = "waiting", [SOURCE_CLOSED] = "closed",
	[SOURCE_NO_FD] = "no fd yet", [SOURCE_NO_MATCH] = "no match yet",
};

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

enum run_state snapshot_state(const struct snapshot *s)
{
	if (s->dry_run)
		return RUN_DRY_RUN;
	if (s->send.auth_failed)
		return RUN_AUTH_FAILED;
	if (s->send.unresolved)
		return RUN_UNRESOLVED;
	if (s->send.endpoint_failed)
		return RUN_WRONG_URL;
	if (s->finished)
		return RUN_FINISHED;
	if (s->stopping)
		return RUN_DRAINING;
	if (s->send.paused)
		return RUN_PAUSED;
	if (s->send.backing_off)
		return RUN_BACKING_OFF;
	/* A fast API answers between two snapshots: what was acknowledged
	 * lately counts as sending too, not only what is under way now. */
	if (s->st.in_flight || s->st.queued || s->st.waiting ||
	    (s->st.last_sent > 0 && s->taken - s->st.last_sent < SNAP_SENDING_SECONDS))
		return RUN_SENDING;
	return RUN_IDLE;
}

const char *snapshot_state_text(const struct snapshot *s, char *out, size_t n)
{
	enum run_state st = snapshot_state(s);
	if (st != RUN_UNRESOLVED) {
		snprintf(out, n, "%s", run_state_name[st]);
		return out;
	}
	snprintf(out, n, "%s %s", run_state_name[st], s->send.host);
	return out;
}
