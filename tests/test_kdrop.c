// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Drop reasons come from the running kernel's BTF: every enumerator of
 * enum skb_drop_reason that bpftool reads from /sys/kernel/btf/vmlinux must
 * decode to its own name, and kallsyms must symbolise a known function.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "kdrop.h"

static void test_reasons_from_btf(void **state)
{
	FILE *p;
	char line[512];
	int n = 0, in_enum = 0;

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, "SKIP: this kernel has no BTF (/sys/kernel/btf/vmlinux)\n");
		skip();
	}
	p = popen("bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null", "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		char name[200];
		unsigned long val;

		if (strstr(line, "ENUM 'skb_drop_reason'")) {
			in_enum = 1;
			continue;
		}
		if (in_enum && line[0] == '[')
			break;
		if (in_enum && sscanf(line, " 'SKB_DROP_REASON_%199[^']' val=%lu", name, &val) == 2) {
			char buf[128];
			if (val == 0 || (val >> 16) || !strcmp(name, "SUBSYS_MASK") || !strcmp(name, "MAX"))
				continue;
			assert_string_equal(ta_drop_reason_name((uint32_t)val, buf, sizeof(buf)), name);
			n++;
		}
	}
	pclose(p);
	printf("%d drop reasons decoded as the kernel's BTF names them\n", n);
	assert_true(n > 10);
	assert_true(ta_drop_reason_value("NETFILTER_DROP") > 0);
	char buf[64];
	assert_string_equal(ta_drop_reason_name(0, buf, sizeof(buf)), "unknown");
}

static void test_kallsyms(void **state)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[256], buf[160];
	unsigned long long a = 0;
	char type, name[128];

	if (geteuid()) {
		fprintf(stderr, "SKIP: kallsyms addresses need root\n");
		skip();
	}
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %127s", &a, &type, name) == 3 && !strcmp(name, "kfree_skb_list_reason"))
			break;
	fclose(f);
	assert_true(a != 0);
	ta_ksym(a + 4, buf, sizeof(buf));
	assert_string_equal(buf, "kfree_skb_list_reason+0x4");
}

static void test_icmp_names(void **state)
{
	assert_string_equal(ta_icmp_name(4, 3, 13), "admin-prohibited");
	assert_string_equal(ta_icmp_name(4, 3, 3), "port-unreachable");
	assert_string_equal(ta_icmp_name(6, 1, 1), "admin-prohibited");
	assert_string_equal(ta_icmp_name(6, 2, 0), "packet-too-big");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reasons_from_btf),
		cmocka_unit_test(test_kallsyms),
		cmocka_unit_test(test_icmp_names),
	};

	return cmocka_run_group_tests_name("kdrop", tests, NULL, NULL);
}
