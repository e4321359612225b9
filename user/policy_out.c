// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Printing a policy: file syntax, JSON (the table: cmd_policy.c). */
#include <arpa/inet.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include "policy.h"
#include "json.h"

const char *ta_pclass_name(int pclass)
{
	switch (pclass) {
	case TA_PC_TCP: return "tcp";
	case TA_PC_UDP: return "udp";
	case TA_PC_ICMP: return "icmp";
	default: return "?";
	}
}

const char *ta_rdir_name(unsigned dir)
{
	switch (dir) {
	case TA_RDIR_IN: return "in";
	case TA_RDIR_OUT: return "out";
	case TA_RDIR_BOTH: return "both";
	default: return "?";
	}
}

static int is_mapped4(const uint8_t a[16])
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, pfx, 12);
}

int ta_addr_str(const uint8_t addr[16], char *buf, size_t len)
{
	if (is_mapped4(addr))
		return inet_ntop(AF_INET, addr + 12, buf, len) ? 4 : -1;
	return inet_ntop(AF_INET6, addr, buf, len) ? 6 : -1;
}

void ta_prefix_str(const struct ta_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (p->family == 4) {
		inet_ntop(AF_INET, p->addr + 12, a, sizeof(a));
		if (p->len == 128)
			snprintf(buf, len, "%s", a);
		else
			snprintf(buf, len, "%s/%d", a, p->len - 96);
	} else {
		inet_ntop(AF_INET6, p->addr, a, sizeof(a));
		if (p->len == 128)
			snprintf(buf, len, "%s", a);
		else
			snprintf(buf, len, "%s/%d", a, p->len);
	}
}

static void write_ports(const struct ta_rule *r, FILE *f, const char *sep)
{
	for (size_t i = 0; i < r->nranges; i++) {
		if (i)
			fputs(sep, f);
		if (r->ranges[i].lo == r->ranges[i].hi)
			fprintf(f, "%u", r->ranges[i].lo);
		else
			fprintf(f, "%u-%u", r->ranges[i].lo, r->ranges[i].hi);
	}
}

void ta_policy_write(const struct ta_policy *p, FILE *f)
{
	char buf[64];

	for (size_t i = 0; i < p->nheader; i++)
		fprintf(f, "# %s\n", p->header[i]);
	for (size_t i = 0; i < p->nrules; i++) {
		const struct ta_rule *r = &p->rules[i];

		fprintf(f, "%srule %s\n", i || p->nheader ? "\n" : "", r->label);
		for (size_t j = 0; j < r->nnotes; j++)
			fprintf(f, "    # %s\n", r->notes[j]);
		fprintf(f, "    proto %s\n", ta_pclass_name(r->pclass));
		if (r->nranges) {
			fputs("    ports ", f);
			write_ports(r, f, ", ");
			fputc('\n', f);
		}
		fprintf(f, "    dir   %s\n", ta_rdir_name(r->dir));
		fputs("    addr ", f);
		for (size_t j = 0; j < r->nprefixes; j++) {
			ta_prefix_str(&r->prefixes[j], buf, sizeof(buf));
			fprintf(f, " %s", buf);
		}
		fputc('\n', f);
		/* names, a few to a line: 'names' lines add up */
		for (size_t j = 0, col = 0; j < r->nnames; j++) {
			if (!col)
				col = fprintf(f, "    names");
			col += fprintf(f, " %s", r->names[j]);
			if (col > 72 || j + 1 == r->nnames) {
				fputc('\n', f);
				col = 0;
			}
		}
	}
}

void ta_rule_ports_text(const struct ta_rule *r, char *buf, size_t len)
{
	FILE *m = fmemopen(buf, len - 1, "w");

	memset(buf, 0, len);
	if (!m)
		return;
	if (r->nranges)
		write_ports(r, m, ",");
	else
		fputs("-", m);
	fclose(m);
}

char *ta_policy_json(const struct ta_policy *p)
{
	json_object *root = json_object_new_object(), *rules = json_object_new_array();
	char buf[64];
	char *out;

	for (size_t i = 0; i < p->nrules; i++) {
		const struct ta_rule *r = &p->rules[i];
		json_object *o = json_object_new_object(), *a;

		json_object_object_add(o, "label", ta_jstr(r->label));
		json_object_object_add(o, "index", json_object_new_int((int)i));
		json_object_object_add(o, "proto", ta_jstr(ta_pclass_name(r->pclass)));
		json_object_object_add(o, "dir", ta_jstr(ta_rdir_name(r->dir)));
		a = json_object_new_array();
		for (size_t j = 0; j < r->nranges; j++) {
			json_object *rg = json_object_new_array();
			json_object_array_add(rg, json_object_new_int(r->ranges[j].lo));
			json_object_array_add(rg, json_object_new_int(r->ranges[j].hi));
			json_object_array_add(a, rg);
		}
		json_object_object_add(o, "ports", a);
		a = json_object_new_array();
		for (size_t j = 0; j < r->nprefixes; j++) {
			ta_prefix_str(&r->prefixes[j], buf, sizeof(buf));
			json_object_array_add(a, ta_jstr(buf));
		}
		json_object_object_add(o, "addr", a);
		a = json_object_new_array();
		for (size_t j = 0; j < r->nnames; j++)
			json_object_array_add(a, ta_jstr(r->names[j]));
		json_object_object_add(o, "names", a);
		a = json_object_new_array();
		for (size_t j = 0; j < r->nnotes; j++)
			json_object_array_add(a, ta_jstr(r->notes[j]));
		json_object_object_add(o, "notes", a);
		json_object_object_add(o, "line", json_object_new_int(r->line));
		json_object_array_add(rules, o);
	}
	json_object_object_add(root, "rules", rules);
	out = strdup(ta_jtext_pretty(root));
	json_object_put(root);
	return out;
}
