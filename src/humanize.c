/* humanize.c - short forms of counts, sizes and times. */
#include "humanize.h"

#include <stdio.h>

char *human_count(char *out, size_t n, double v)
{
	static const char unit[] = " kMGTP";
	int u = 0;
	while (v >= 999.5 && u < 5) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(out, n, "%.0f", v);
	else
		snprintf(out, n, v < 9.95 ? "%.1f%c" : "%.0f%c", v, unit[u]);
	return out;
}

char *human_bytes(char *out, size_t n, uint64_t v)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double d = (double)v;
	int u = 0;
	while (d >= 1023.5 && u < 4) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, n, "%llu B", (unsigned long long)v);
	else
		snprintf(out, n, d < 9.95 ? "%.1f %s" : "%.0f %s", d, unit[u]);
	return out;
}

char *human_uptime(char *out, size_t n, double secs)
{
	unsigned long long s = secs > 0 ? (unsigned long long)secs : 0;
	unsigned long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, x = s % 60;
	if (d)
		snprintf(out, n, "%llud %02llu:%02llu", d, h, m);
	else if (h)
		snprintf(out, n, "%llu:%02llu:%02llu", h, m, x);
	else
		snprintf(out, n, "%llu:%02llu", m, x);
	return out;
}

char *human_latency(char *out, size_t n, uint64_t us)
{
	if (us < 1000)
		snprintf(out, n, "%llu us", (unsigned long long)us);
	else if (us < 10000)
		snprintf(out, n, "%.1f ms", (double)us / 1000);
	else if (us < 1000000)
		snprintf(out, n, "%.0f ms", (double)us / 1000);
	else
		snprintf(out, n, "%.2f s", (double)us / 1e6);
	return out;
}
