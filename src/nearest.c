/* nearest.c - the word a typo was meant to be. */
#include "nearest.h"

#include <string.h>

#define MAX_WORD 40 /* longer words are compared with nothing */

/* Optimal string alignment distance (Damerau-Levenshtein without repeated
 * edits of one substring). */
static size_t edit_distance(const char *a, size_t n, const char *b, size_t m)
{
	size_t d[MAX_WORD + 1][MAX_WORD + 1];
	if (n > MAX_WORD || m > MAX_WORD)
		return (size_t)-1;
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t best = d[i - 1][j - 1] + cost;
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[n][m];
}

const char *nearest_word(const char *s, size_t len, const char *const *words, size_t n)
{
	const char *near = NULL;
	size_t best = 3;
	for (size_t i = 0; i < n; i++) {
		size_t wl = strlen(words[i]);
		size_t d = edit_distance(s, len, words[i], wl);
		if (d < best && d < wl)
			best = d, near = words[i];
	}
	return near;
}
