// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Printing a policy: file syntax, a table like the requirement document's, JSON, an nfdump filter. */
#include <arpa/inet.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "policy.h"
#include "json.h"
#include "table.h"

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

/* Dotted quad of a (at least 16 bytes of buf): inet_ntop's text, without
 * its printf (an event line has two addresses) */
static void quad(const uint8_t a[4], char *buf)
{
	char *p = buf;

	for (int i = 0; i < 4; i++) {
		unsigned v = a[i];

		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 3 ? '.' : 0;
	}
}

int ta_addr_str(const uint8_t addr[16], char *buf, size_t len)
{
	if (is_mapped4(addr) && len >= INET_ADDRSTRLEN) {
		quad(addr + 12, buf);
		return 4;
	}
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
		if (r->nprefixes) { /* a rule of names only has no 'addr' line */
			fputs("    addr ", f);
			for (size_t j = 0; j < r->nprefixes; j++) {
				ta_prefix_str(&r->prefixes[j], buf, sizeof(buf));
				fprintf(f, " %s", buf);
			}
			fputc('\n', f);
		}
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

void ta_rule_ports_text(const struct ta_rule *r, const char *sep, char *buf, size_t len)
{
	FILE *m = fmemopen(buf, len - 1, "w");

	memset(buf, 0, len);
	if (!m)
		return;
	if (r->nranges)
		write_ports(r, m, sep);
	else
		fputs("-", m);
	fclose(m);
}

enum { PT_RULE, PT_PROTO, PT_PORTS, PT_DIR, PT_ADDRESSES, PT_NAMES, PT_MAX };
_Static_assert(PT_MAX == TA_POLICY_NCOLS, "policy.h's column count");
const struct ta_col ta_policy_cols[PT_MAX] = {
	[PT_RULE] = { "RULE" },
	[PT_PROTO] = { "PROTO" },
	[PT_PORTS] = { "PORTS", .wrap = true },
	[PT_DIR] = { "DIR" },
	[PT_ADDRESSES] = { "ADDRESSES", .wrap = true },
	[PT_NAMES] = { "NAMES", .help = "server names; without it, they go under the addresses", .wrap = true },
};

/* One end of a rule in nfdump's filter language: "proto udp and (src net
 * A or src net B) and (src port >= 1025 and src port <= 65535)" */
static void nfdump_end(FILE *f, const struct ta_rule *r, const char *end)
{
	char buf[64];

	fprintf(f, "(proto %s and (", r->pclass == TA_PC_ICMP ? "icmp" : ta_pclass_name(r->pclass));
	for (size_t j = 0; j < r->nprefixes; j++) {
		ta_prefix_str(&r->prefixes[j], buf, sizeof(buf));
		fprintf(f, "%s%s %s %s", j ? " or " : "", end, strchr(buf, '/') ? "net" : "host", buf);
	}
	fputc(')', f);
	if (r->pclass != TA_PC_ICMP && r->nranges) {
		fputs(" and (", f);
		for (size_t j = 0; j < r->nranges; j++) {
			if (r->ranges[j].lo == r->ranges[j].hi)
				fprintf(f, "%s%s port %u", j ? " or " : "", end, r->ranges[j].lo);
			else
				fprintf(f, "%s(%s port >= %u and %s port <= %u)", j ? " or " : "", end, r->ranges[j].lo,
					end, r->ranges[j].hi);
		}
		fputc(')', f);
	}
	fputc(')', f);
}

/* The records of unexpected traffic as nfdump sees them: to or from an
 * address of the policy, and no rule's protocol and port on that end.  A
 * record is one direction, without the flow's opener: the replies of an
 * outbound-only rule count as allowed (tokaudit's state), and so would an
 * inbound packet that looks like one. */
void ta_policy_write_nfdump(const struct ta_policy *p, FILE *f)
{
	char buf[64];
	bool first = true;

	fputc('(', f);
	for (size_t i = 0; i < p->nrules; i++)
		for (size_t j = 0; j < p->rules[i].nprefixes; j++) {
			bool seen = false; /* rules share blocks: each once */
			for (size_t a = 0; a <= i && !seen; a++)
				for (size_t b = 0; b < (a == i ? j : p->rules[a].nprefixes) && !seen; b++)
					seen = !memcmp(&p->rules[a].prefixes[b], &p->rules[i].prefixes[j],
						       sizeof(struct ta_prefix));
			if (seen)
				continue;
			ta_prefix_str(&p->rules[i].prefixes[j], buf, sizeof(buf));
			fprintf(f, "%s%s %s", first ? "" : " or ", strchr(buf, '/') ? "net" : "host", buf);
			first = false;
		}
	fputs(") and not (", f);
	for (size_t i = 0; i < p->nrules; i++) {
		fputs(i ? " or " : "", f);
		nfdump_end(f, &p->rules[i], "dst");
		fputs(" or ", f);
		nfdump_end(f, &p->rules[i], "src");
	}
	fputs(")\n", f);
}

/* Like the requirement document's table: a line per rule, its server
 * names on the lines below it, in the ADDRESSES column.  With --raw or a
 * NAMES column, one line per rule: lists comma-separated. */
static char *joined(const char *const *v, size_t n, bool raw)
{
	const char *sep = raw ? "," : ", ";
	size_t len = 1, at = 0;
	char *s;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 2;
	if (!(s = malloc(len)))
		return NULL;
	s[0] = 0;
	for (size_t i = 0; i < n; i++)
		at += (size_t)snprintf(s + at, len - at, "%s%s", i ? sep : "", v[i]);
	return s;
}

int ta_policy_write_table(const struct ta_policy *p, FILE *f, const struct ta_table_opts *o, char *err, size_t errlen)
{
	char ports[1024], buf[64];
	struct ta_table *t = ta_table_new(ta_policy_cols, PT_MAX, TA_POLICY_COLS_DEFAULT, o, err, errlen);

	if (!t)
		return -1;
	bool below = !o->raw && ta_table_shows(t, PT_ADDRESSES) && !ta_table_shows(t, PT_NAMES);
	char sep = o->raw ? ',' : ' ';
	bool spaced = !o->raw && isatty(STDOUT_FILENO); /* "80, 443": a terminal wraps between them */

	for (size_t i = 0; i < p->nrules; i++) {
		const struct ta_rule *r = &p->rules[i];
		size_t at = 0, alen = r->nprefixes * sizeof(buf) + 1;
		char *addrs = malloc(alen), *names = joined((const char *const *)r->names, r->nnames, !spaced);
		const char *cells[PT_MAX] = { r->label, ta_pclass_name(r->pclass), ports, ta_rdir_name(r->dir), addrs,
					      names };
		int bad;

		if (!addrs || !names) {
			free(addrs);
			free(names);
			goto fail;
		}
		ta_rule_ports_text(r, spaced ? ", " : ",", ports, sizeof(ports));
		addrs[0] = 0;
		for (size_t j = 0; j < r->nprefixes; j++) {
			ta_prefix_str(&r->prefixes[j], buf, sizeof(buf));
			at += (size_t)snprintf(addrs + at, alen - at, "%s%s", j ? (char[]){ sep, 0 } : "", buf);
		}
		size_t first = 0; /* names listed below the addresses; without any, from the rule's row */
		if (below && !r->nprefixes && r->nnames)
			cells[PT_ADDRESSES] = r->names[first++];
		bad = ta_table_row(t, cells);
		free(addrs);
		free(names);
		if (bad)
			goto fail;
		for (size_t j = first; below && j < r->nnames; j++) {
			const char *more[PT_MAX] = { [PT_ADDRESSES] = r->names[j] };
			if (ta_table_row(t, more))
				goto fail;
		}
	}
	return ta_table_print(t, f) ? -2 : 0;
fail:
	ta_table_free(t);
	snprintf(err, errlen, "out of memory");
	return -2;
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
