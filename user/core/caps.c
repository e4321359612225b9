// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include "caps.h"

uint64_t ta_caps_effective(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long v = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

const char *ta_caps_missing_to_load(char *buf, size_t len)
{
	static const struct { int cap; const char *name; } need[] = {
		{ TA_CAP_BPF, "CAP_BPF" }, { TA_CAP_PERFMON, "CAP_PERFMON" }, { TA_CAP_NET_ADMIN, "CAP_NET_ADMIN" },
	};
	const char *miss[3];
	uint64_t eff = ta_caps_effective();
	size_t n = 0;

	/* the kernel takes CAP_SYS_ADMIN in place of each of them */
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!(eff & (1ULL << need[i].cap)) && !(eff & (1ULL << TA_CAP_SYS_ADMIN)))
			miss[n++] = need[i].name;
	if (n == 0)
		snprintf(buf, len, "%s", "");
	else if (n == 1)
		snprintf(buf, len, "%s", miss[0]);
	else if (n == 2)
		snprintf(buf, len, "%s and %s", miss[0], miss[1]);
	else
		snprintf(buf, len, "%s, %s and %s", miss[0], miss[1], miss[2]);
	return buf;
}
