/* health.c - healthy, degraded or down, and why. */
#include "health.h"

#include <inttypes.h>
#include <stdio.h>

uint64_t health_bytes_behind(const struct snapshot *s)
{
	uint64_t bytes = s->spooled;
	for (size_t i = 0; i < s->n_sources; i++)
		bytes += source_behind(&s->sources[i]);
	return bytes;
}

/* Backing off: degraded at first, down once it has lasted
 * HEALTH_BACKOFF_SECONDS. */
static void backing_off(const struct snapshot *now, struct health *h)
{
	double for_s = now->send.backing_off ? now->taken - now->send.backoff_since : 0;
	h->level = for_s >= HEALTH_BACKOFF_SECONDS ? HEALTH_DOWN : HEALTH_DEGRADED;
}

void health_judge(const struct snapshot *now, const struct snapshot *prev, uint64_t max_behind,
		  struct health *h)
{
	const struct stats *st = &now->st;
	const struct sender_state *sd = &now->send;
	h->level = HEALTH_OK;
	snprintf(h->reason, sizeof h->reason, "%s", run_state_name[snapshot_state(now)]);
	if (sd->auth_failed) {
		h->level = HEALTH_DOWN;
		snprintf(h->reason, sizeof h->reason, "auth failed: the API refused the token or "
			 "project id; every log is kept until they are fixed and logmash reloaded");
		return;
	}
	if (sd->unresolved) {
		char state[80];
		snapshot_state_text(now, state, sizeof state);
		if (sd->endpoint_failed) {
			h->level = HEALTH_DOWN;
			snprintf(h->reason, sizeof h->reason, "%s: check --url; the run ends", state);
			return;
		}
		backing_off(now, h);
		snprintf(h->reason, sizeof h->reason, "%s: retrying with backoff (check --url if "
			 "it lasts)", state);
		return;
	}
	if (sd->endpoint_failed) {
		h->level = HEALTH_DOWN;
		snprintf(h->reason, sizeof h->reason, "wrong url: the API says %s is not its logs "
			 "endpoint; every log is kept until --url is fixed and logmash reloaded",
			 now->endpoint);
		return;
	}
	if (now->stopping) {
		h->level = HEALTH_DOWN;
		snprintf(h->reason, sizeof h->reason, "stopping: sending what was read, then exiting");
		return;
	}
	if (sd->backing_off) {
		backing_off(now, h);
		snprintf(h->reason, sizeof h->reason, "backing off for %.0f s: the API fails every "
			 "request; probing it every second", now->taken - sd->backoff_since);
		return;
	}
	if (sd->paused) {
		h->level = HEALTH_DEGRADED;
		snprintf(h->reason, sizeof h->reason, "paused by the operator");
		return;
	}
	uint64_t dead_before = prev ? prev->st.dead_lettered : 0;
	if (st->dead_lettered > dead_before) {
		h->level = HEALTH_DEGRADED;
		snprintf(h->reason, sizeof h->reason, "dead-lettering: %" PRIu64 " logs the API "
			 "rejected %s", st->dead_lettered - dead_before, prev ? "lately" : "since start");
		return;
	}
	uint64_t behind = health_bytes_behind(now);
	if (max_behind && behind > max_behind) {
		h->level = HEALTH_DEGRADED;
		snprintf(h->reason, sizeof h->reason, "behind: %" PRIu64 " bytes read from no log yet "
			 "(more than %" PRIu64 ")", behind, max_behind);
	}
}
