/* level.c - level aliases to the API's three levels. */
#include "level.h"

#include <ctype.h>
#include <string.h>

/* The API's spelling, by enum level. */
static const char *const names[] = {
	[LEVEL_INFORMATION] = "Information",
	[LEVEL_WARNING] = "Warning",
	[LEVEL_ERROR] = "Error",
};

static const struct {
	const char *alias;
	enum level level;
} aliases[] = {
	/* The API's own names first: the common case. */
	{"information", LEVEL_INFORMATION},
	{"warning", LEVEL_WARNING},
	{"error", LEVEL_ERROR},
	/* Everything below Warning is Information to the API. */
	{"info", LEVEL_INFORMATION},
	{"inf", LEVEL_INFORMATION},
	{"informational", LEVEL_INFORMATION},
	{"notice", LEVEL_INFORMATION},
	{"debug", LEVEL_INFORMATION},
	{"dbg", LEVEL_INFORMATION},
	{"trace", LEVEL_INFORMATION},
	{"verbose", LEVEL_INFORMATION},
	{"fine", LEVEL_INFORMATION},
	{"finer", LEVEL_INFORMATION},
	{"finest", LEVEL_INFORMATION},
	{"config", LEVEL_INFORMATION},
	{"i", LEVEL_INFORMATION}, /* Android logcat: V D I W E F */
	{"d", LEVEL_INFORMATION},
	{"v", LEVEL_INFORMATION},
	{"warn", LEVEL_WARNING},
	{"wrn", LEVEL_WARNING},
	{"w", LEVEL_WARNING},
	{"err", LEVEL_ERROR},
	{"e", LEVEL_ERROR},
	{"f", LEVEL_ERROR},
	{"fatal", LEVEL_ERROR},
	{"critical", LEVEL_ERROR},
	{"crit", LEVEL_ERROR},
	{"severe", LEVEL_ERROR},
	{"alert", LEVEL_ERROR},
	{"emerg", LEVEL_ERROR},
	{"emergency", LEVEL_ERROR},
	{"panic", LEVEL_ERROR},
	{"failure", LEVEL_ERROR},
};

enum level level_parse(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || n > 13) /* longer than the longest alias */
		return LEVEL_INVALID;
	/* Fast path: scripts mostly set the API's own spelling. */
	for (enum level l = LEVEL_INFORMATION; l <= LEVEL_ERROR; l++) {
		if (strlen(names[l]) == n && memcmp(names[l], s, n) == 0)
			return l;
	}
	char low[16];
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
		if (strlen(aliases[i].alias) == n && memcmp(aliases[i].alias, low, n) == 0)
			return aliases[i].level;
	}
	return LEVEL_INVALID;
}

const char *level_name(enum level l)
{
	return l >= LEVEL_INFORMATION && l <= LEVEL_ERROR ? names[l] : NULL;
}
