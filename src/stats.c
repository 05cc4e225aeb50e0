/* stats.c - the exit summary. */
#include "stats.h"

#include <inttypes.h>

uint64_t stats_undelivered(const struct stats *s)
{
	uint64_t done = s->sent + s->failed;
	return s->kept > done ? s->kept - done : 0;
}

void stats_print_summary(const struct stats *s, FILE *out, int dry_run)
{
	if (dry_run) {
		fprintf(out,
			"logmash: read %" PRIu64 ", dropped %" PRIu64 ", written %" PRIu64
			" (dry run: nothing sent), script errors %" PRIu64 ", lines cut %" PRIu64
			", empty lines %" PRIu64 "\n",
			s->read, s->dropped, s->kept, s->script_errors, s->truncated, s->empty);
		return;
	}
	/* Failed logs that no dead-letter file kept are gone: say so. */
	char lost[96] = "";
	int n = 0;
	if (s->failed > s->dead_lettered)
		n = snprintf(lost, sizeof lost, ", lost %" PRIu64, s->failed - s->dead_lettered);
	if (s->dead_deleted)
		snprintf(lost + n, sizeof lost - (size_t)n, ", deleted by rotation %" PRIu64,
			 s->dead_deleted);
	fprintf(out,
		"logmash: read %" PRIu64 ", dropped %" PRIu64 ", sent %" PRIu64 ", failed %" PRIu64
		" (dead-lettered %" PRIu64 "%s), not delivered %" PRIu64 ", retries %" PRIu64
		", script errors %" PRIu64 ", lines cut %" PRIu64 ", empty lines %" PRIu64 "\n",
		s->read, s->dropped, s->sent, s->failed, s->dead_lettered, lost, stats_undelivered(s),
		s->retried, s->script_errors, s->truncated, s->empty);
	if (s->sent)
		fprintf(out,
			"logmash: sent by level: Information %" PRIu64 ", Warning %" PRIu64
			", Error %" PRIu64 ", none %" PRIu64 "\n",
			s->by_level[LEVEL_INFORMATION], s->by_level[LEVEL_WARNING],
			s->by_level[LEVEL_ERROR], s->by_level[LEVEL_NONE]);
}
