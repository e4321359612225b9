// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include "units.h"

/* v scaled by 1000 with a unit prefix: one decimal under 10, none above */
static const char *scaled(char *buf, size_t len, double v, const char *unit, const char *const *pre)
{
	int i = 0;

	while (v >= 999.95 && pre[i + 1]) {
		v /= 1000;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%.0f%s%s", v, *unit ? " " : "", unit);
	else
		snprintf(buf, len, v < 9.995 ? "%.1f %s%s" : "%.0f %s%s", v, pre[i], unit);
	return buf;
}

const char *ta_fmt_bytes(char *buf, size_t len, uint64_t bytes)
{
	static const char *const pre[] = { "", "k", "M", "G", "T", "P", NULL };

	return scaled(buf, len, (double)bytes, "B", pre);
}

const char *ta_fmt_bits(char *buf, size_t len, double bytes_per_s)
{
	static const char *const pre[] = { "", "k", "M", "G", "T", NULL };

	return scaled(buf, len, bytes_per_s * 8, "b/s", pre);
}

const char *ta_fmt_count(char *buf, size_t len, double n)
{
	static const char *const pre[] = { "", "k", "M", "G", "T", NULL };
	int i = 0;

	while (n >= 999.95 && pre[i + 1]) {
		n /= 1000;
		i++;
	}
	snprintf(buf, len, i == 0 ? "%.0f" : n < 9.995 ? "%.1f%s" : "%.0f%s", n, pre[i]);
	return buf;
}

const char *ta_fmt_dur(char *buf, size_t len, double s)
{
	unsigned long long t = s < 0 ? 0 : (unsigned long long)(s + 0.5);

	if (t < 60)
		snprintf(buf, len, "%llus", t);
	else if (t < 3600)
		snprintf(buf, len, "%llum%02llus", t / 60, t % 60);
	else if (t < 86400)
		snprintf(buf, len, "%lluh%02llum", t / 3600, t % 3600 / 60);
	else
		snprintf(buf, len, "%llud%02lluh", t / 86400, t % 86400 / 3600);
	return buf;
}
