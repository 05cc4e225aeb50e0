/* template_speed.c - the template miner alone, on one core: FILE's lines
 * mined in order, REPEAT times over (a fresh miner), and the baseline, each
 * line hashed (FNV-1a), over the same lines. Prints
 * "MINED_PER_S HASHED_PER_S GROUPS MEMORY_BYTES". Built by tests/bench.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hash.h"
#include "template.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: template_speed FILE LINES\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	size_t want = strtoul(argv[2], NULL, 10), n = 0, cap = 0;
	char **lines = NULL;
	size_t *lens = NULL;
	char *l = NULL;
	size_t lcap = 0;
	ssize_t got;
	while ((got = getline(&l, &lcap, f)) > 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			lines = realloc(lines, cap * sizeof *lines);
			lens = realloc(lens, cap * sizeof *lens);
			if (!lines || !lens)
				return 1;
		}
		lens[n] = (size_t)got - (l[got - 1] == '\n');
		lines[n] = malloc(lens[n] + 1);
		if (!lines[n])
			return 1;
		memcpy(lines[n], l, lens[n]);
		n++;
	}
	free(l);
	fclose(f);
	if (n == 0)
		return 1;
	struct template_miner *m = template_miner_new(0);
	double t0 = now();
	for (size_t i = 0; i < want; i++)
		(void)template_mine(m, lines[i % n], lens[i % n], 0);
	double mined = now() - t0;
	uint64_t sink = 0;
	t0 = now();
	for (size_t i = 0; i < want; i++)
		sink ^= fnv1a64(lines[i % n], lens[i % n]);
	double hashed = now() - t0;
	struct template_totals t;
	template_totals(m, &t);
	printf("%.0f %.0f %llu %zu %llu\n", (double)want / mined, (double)want / hashed,
	       (unsigned long long)t.groups, t.memory, (unsigned long long)(sink & 1));
	template_miner_free(m);
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	free(lens);
	return 0;
}
