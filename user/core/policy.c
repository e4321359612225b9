// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Policy language parser (the grammar, its diagnostics
 * and the built-in policy's text).
 *
 *   # comment
 *   rule LABEL
 *       proto udp|tcp|icmp
 *       ports 80, 443, 1025-65535        (en dash accepted: 1025–65535)
 *       dir   in|out|both
 *       addr  70.42.47.64/26 216.151.209.20 2001:db8::/32
 *       names mantis40[1-8]-oak.tokbox.com
 *
 * Line oriented: a keyword and its values on one line; 'ports', 'addr' and
 * 'names' may repeat and add up.  Values are separated by blanks or commas.
 * Every error is collected with file:line:column, and a policy with any error
 * is discarded whole.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "policy.h"

#define EN_DASH "\xe2\x80\x93"

#define SEEN_PROTO 1u
#define SEEN_PORTS 2u
#define SEEN_DIR 4u
#define SEEN_ADDR 8u
#define SEEN_NAMES 16u

struct parser {
	const char *fname;
	struct ta_policy *pol;
	struct ta_diags *d;
	struct ta_rule *cur;
	size_t nprefixes;  /* addresses in the whole policy so far */
	const char *line;  /* start of the current line */
	int lineno;
	unsigned seen;     /* SEEN_* keywords of the current rule */
	int nomem;
	int errors;
};

/* Column of a byte position, counted in characters (UTF-8 aware). */
static int col_of(const struct parser *ps, const char *at)
{
	int col = 1;

	for (const char *s = ps->line; s < at; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			col++;
	return col;
}

static void diag(struct parser *ps, const char *at, const char *fmt, ...)
{
	struct ta_diags *d = ps->d;
	va_list ap;

	ps->errors++;
	if (!d)
		return;
	if (d->n >= TA_MAX_ERRORS) {
		d->truncated++;
		return;
	}
	struct ta_diag *nv = realloc(d->v, (d->n + 1) * sizeof(*nv));
	if (!nv) {
		ps->nomem = 1;
		return;
	}
	d->v = nv;
	nv[d->n].line = ps->lineno;
	nv[d->n].col = at ? col_of(ps, at) : 0;
	va_start(ap, fmt);
	vsnprintf(nv[d->n].msg, sizeof(nv[d->n].msg), fmt, ap);
	va_end(ap);
	d->n++;
}

/* The same for arrays that grow long (a rule's addresses, ports) and are
 * appended to only here: capacity doubles at each power of two, so 100 000
 * addresses are not 100 000 copies of a growing array. */
static int push_many(void **arr, size_t *n, size_t size, const void *item)
{
	if (!(*n & (*n - 1))) {
		void *nv = realloc(*arr, (*n ? *n * 2 : 1) * size);

		if (!nv)
			return -1;
		*arr = nv;
	}
	memcpy((char *)*arr + *n * size, item, size);
	(*n)++;
	return 0;
}

static int push(void **arr, size_t *n, size_t size, const void *item)
{
	void *nv = realloc(*arr, (*n + 1) * size);

	if (!nv)
		return -1;
	memcpy((char *)nv + *n * size, item, size);
	*arr = nv;
	(*n)++;
	return 0;
}

static int push_str(char ***arr, size_t *n, const char *s, size_t len)
{
	char *c = strndup(s, len);

	if (!c)
		return -1;
	if (push((void **)arr, n, sizeof(char *), &c)) {
		free(c);
		return -1;
	}
	return 0;
}

static int is_sep(char c)
{
	return c == ' ' || c == '\t' || c == ',' || c == '\r';
}

/* Next blank/comma separated word in [*p, end). */
static int next_word(const char **p, const char *end, const char **w, size_t *wl)
{
	const char *s = *p;

	while (s < end && is_sep(*s))
		s++;
	if (s >= end)
		return 0;
	*w = s;
	while (s < end && !is_sep(*s))
		s++;
	*wl = s - *w;
	*p = s;
	return 1;
}

static int word_is(const char *w, size_t wl, const char *kw)
{
	return strlen(kw) == wl && !memcmp(w, kw, wl);
}

/* ---- ports ---- */

static const char *skip_blank(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r'))
		s++;
	return s;
}

/* Read a decimal number at s; *v gets it (capped), returns the end or NULL if none. */
static const char *read_num(const char *s, const char *end, unsigned long *v)
{
	const char *b = s;

	*v = 0;
	while (s < end && isdigit((unsigned char)*s)) {
		if (*v < 1000000)
			*v = *v * 10 + (*s - '0');
		s++;
	}
	return s == b ? NULL : s;
}

static int is_dash(const char *s, const char *end, size_t *dl)
{
	if (s < end && *s == '-') {
		*dl = 1;
		return 1;
	}
	if (end - s >= 3 && !memcmp(s, EN_DASH, 3)) {
		*dl = 3;
		return 1;
	}
	return 0;
}

static void parse_ports(struct parser *ps, const char *s, const char *end, const char *kw)
{
	struct ta_rule *r = ps->cur;
	int seen = 0;

	for (;;) {
		unsigned long lo, hi;
		const char *at, *hiat, *e;
		size_t dl;

		while (s < end && is_sep(*s))
			s++;
		if (s >= end)
			break;
		seen++;
		at = s;
		e = read_num(s, end, &lo);
		if (!e) {
			const char *w = s;
			while (s < end && !is_sep(*s))
				s++;
			diag(ps, at, "expected a port number or range, found '%.*s'", (int)(s - w), w);
			return;
		}
		s = e;
		hi = lo;
		hiat = at;
		const char *t = skip_blank(s, end);
		if (is_dash(t, end, &dl)) {
			t = skip_blank(t + dl, end);
			hiat = t;
			e = read_num(t, end, &hi);
			if (!e) {
				diag(ps, t, "expected the end of the port range after '-'");
				return;
			}
			s = e;
		}
		if (s < end && !is_sep(*s)) {
			const char *w = at;
			while (s < end && !is_sep(*s))
				s++;
			diag(ps, at, "expected a port number or range, found '%.*s'", (int)(s - w), w);
			return;
		}
		if (lo > 65535) {
			diag(ps, at, "port %lu out of range (ports are 0-65535)", lo);
			continue;
		}
		if (hi > 65535) {
			diag(ps, hiat, "port %lu out of range (ports are 0-65535)", hi);
			continue;
		}
		if (hi < lo) {
			diag(ps, at, "inverted port range %lu-%lu (the first port must not exceed the last)",
			     lo, hi);
			continue;
		}
		if (r->nranges >= TA_MAX_RANGES_PER_RULE) {
			diag(ps, at, "too many port ranges in rule '%s' (at most %d)", r->label,
			     TA_MAX_RANGES_PER_RULE);
			return;
		}
		struct ta_range rg = { (uint16_t)lo, (uint16_t)hi };
		if (push_many((void **)&r->ranges, &r->nranges, sizeof(rg), &rg))
			ps->nomem = 1;
	}
	if (!seen)
		diag(ps, end, "empty port set: expected at least one port or range after '%s'", kw);
}

/* ---- addresses ---- */

int ta_prefix_parse(const char *s, struct ta_prefix *p, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	unsigned long plen;
	int v6, maxlen;

	if (strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "not an IPv4 or IPv6 address");
		return -1;
	}
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = 0;
	memset(p, 0, sizeof(*p));
	v6 = strchr(buf, ':') != NULL;
	if (v6) {
		if (inet_pton(AF_INET6, buf, p->addr) != 1) {
			snprintf(err, errlen, "not a valid IPv6 address");
			return -1;
		}
		maxlen = 128;
		p->family = 6;
	} else {
		struct in_addr a;
		if (inet_pton(AF_INET, buf, &a) != 1) {
			snprintf(err, errlen, "not a valid IPv4 address");
			return -1;
		}
		p->addr[10] = p->addr[11] = 0xff;
		memcpy(p->addr + 12, &a, 4);
		maxlen = 32;
		p->family = 4;
	}
	plen = maxlen;
	if (slash) {
		char *e;
		if (!*slash || !isdigit((unsigned char)*slash)) {
			snprintf(err, errlen, "expected a prefix length after '/'");
			return -1;
		}
		errno = 0;
		plen = strtoul(slash, &e, 10);
		if (*e || errno || plen > (unsigned long)maxlen) {
			snprintf(err, errlen, "prefix length /%s out of range (0-%d for IPv%d)", slash,
				 maxlen, v6 ? 6 : 4);
			return -1;
		}
	}
	p->len = (uint8_t)(plen + (v6 ? 0 : 96));
	/* host bits must be zero */
	for (int bit = p->len; bit < 128; bit++) {
		if (p->addr[bit / 8] & (0x80 >> (bit % 8))) {
			struct ta_prefix net = *p;
			char nb[64];

			for (int b = p->len; b < 128; b++)
				net.addr[b / 8] &= ~(0x80 >> (b % 8));
			ta_prefix_str(&net, nb, sizeof(nb));
			snprintf(err, errlen, "host bits set; the network address is %s", nb);
			return -1;
		}
	}
	return 0;
}

static void parse_addrs(struct parser *ps, const char *s, const char *end, const char *kw)
{
	struct ta_rule *r = ps->cur;
	const char *w;
	size_t wl;
	int count = 0;

	while (next_word(&s, end, &w, &wl)) {
		char tok[80], err[160];
		struct ta_prefix p;

		count++;
		if (wl >= sizeof(tok)) {
			diag(ps, w, "'%.40s...' is not an IPv4 or IPv6 address", w);
			continue;
		}
		memcpy(tok, w, wl);
		tok[wl] = 0;
		if (ta_prefix_parse(tok, &p, err, sizeof(err))) {
			diag(ps, w, "bad address '%s': %s", tok, err);
			continue;
		}
		if (++ps->nprefixes > TA_MAX_PREFIXES) {
			if (ps->nprefixes == TA_MAX_PREFIXES + 1)
				diag(ps, w, "too many addresses: at most %d per policy", TA_MAX_PREFIXES);
			continue;
		}
		if (push_many((void **)&r->prefixes, &r->nprefixes, sizeof(p), &p))
			ps->nomem = 1;
	}
	if (!count)
		diag(ps, end, "expected at least one address or CIDR after '%s'", kw);
}

/* ---- server-name patterns ---- */

/* Validate a pattern: DNS characters, [a-b] / [abc] classes, and a leading
 * "*." label wildcard. */
static int check_name(const char *w, size_t wl, char *err, size_t errlen, size_t *badat)
{
	if (wl > TA_NAME_MAX) {
		snprintf(err, errlen, "name longer than %d characters", TA_NAME_MAX);
		*badat = 0;
		return -1;
	}
	for (size_t i = 0; i < wl; i++) {
		if (w[i] == '*' && (i || wl < 3 || w[1] != '.')) {
			snprintf(err, errlen, "'*' stands only as the first label: '*.example.com'");
			*badat = i;
			return -1;
		}
		char c = w[i];

		if (c == '[') {
			size_t j = i + 1, n = 0;
			while (j < wl && w[j] != ']') {
				if (!isalnum((unsigned char)w[j]) && w[j] != '-') {
					snprintf(err, errlen, "unexpected '%c' in a [...] class", w[j]);
					*badat = j;
					return -1;
				}
				if (w[j] == '-' && (n == 0 || j + 1 >= wl || w[j + 1] == ']' ||
						    w[j + 1] < w[j - 1])) {
					snprintf(err, errlen, "bad range in a [...] class");
					*badat = j;
					return -1;
				}
				j++;
				n++;
			}
			if (j >= wl) {
				snprintf(err, errlen, "'[' without a closing ']'");
				*badat = i;
				return -1;
			}
			if (n == 0) {
				snprintf(err, errlen, "empty [] class");
				*badat = i;
				return -1;
			}
			i = j;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-' && c != '.' && c != '*') {
			snprintf(
				err, errlen,
				"unexpected character '%c' (names use letters, digits, '-', '.', '*' and [a-b] classes)",
				c);
			*badat = i;
			return -1;
		}
	}
	return 0;
}

static void parse_names(struct parser *ps, const char *s, const char *end, const char *kw)
{
	struct ta_rule *r = ps->cur;
	const char *w;
	size_t wl;
	int count = 0;

	while (next_word(&s, end, &w, &wl)) {
		char err[160];
		size_t bad;

		count++;
		if (check_name(w, wl, err, sizeof(err), &bad)) {
			diag(ps, w + bad, "bad server name '%.*s': %s", (int)(wl > 80 ? 80 : wl), w, err);
			continue;
		}
		if (r->nnames >= TA_MAX_NAMES_PER_RULE) {
			diag(ps, w, "too many server names in rule '%s' (at most %d)", r->label,
			     TA_MAX_NAMES_PER_RULE);
			return;
		}
		if (push_str(&r->names, &r->nnames, w, wl))
			ps->nomem = 1;
	}
	if (!count)
		diag(ps, end, "expected at least one server name after '%s'", kw);
}

/* ---- rules ---- */

static void finish_rule(struct parser *ps)
{
	struct ta_rule *r = ps->cur;
	int saved = ps->lineno;

	if (!r)
		return;
	ps->lineno = r->line;
	/* a keyword given with a bad value has its error already */
	if (!(ps->seen & SEEN_PROTO))
		diag(ps, NULL, "rule '%s' has no 'proto' line (expected udp, tcp or icmp)", r->label);
	if (!(ps->seen & SEEN_DIR))
		diag(ps, NULL, "rule '%s' has no 'dir' line (expected in, out or both)", r->label);
	if (!(ps->seen & (SEEN_ADDR | SEEN_NAMES)))
		diag(ps, NULL, "rule '%s' has no 'addr' or 'names' line: a rule needs an address or a server name",
		     r->label);
	if ((r->pclass == TA_PC_TCP || r->pclass == TA_PC_UDP) && !(ps->seen & SEEN_PORTS))
		diag(ps, NULL, "rule '%s' has an empty port set: %s rules need a 'ports' line",
		     r->label, ta_pclass_name(r->pclass));
	ps->lineno = saved;
	ps->cur = NULL;
}

static void start_rule(struct parser *ps, const char *s, const char *end, const char *kwat)
{
	struct ta_policy *pol = ps->pol;
	const char *w, *w2;
	size_t wl, wl2;
	struct ta_rule r;

	finish_rule(ps);
	if (!next_word(&s, end, &w, &wl)) {
		diag(ps, end, "expected a label after 'rule'");
		w = "?";
		wl = 1;
	} else if (next_word(&s, end, &w2, &wl2)) {
		diag(ps, w2, "unexpected '%.*s' after the rule label (one label per 'rule' line)",
		     (int)wl2, w2);
	}
	memset(&r, 0, sizeof(r));
	ps->seen = 0;
	r.pclass = -1;
	r.line = ps->lineno;
	if (wl > TA_LABEL_MAX) {
		diag(ps, w, "label '%.*s' is longer than %d characters", (int)wl, w, TA_LABEL_MAX);
		wl = TA_LABEL_MAX;
	}
	for (size_t i = 0; i < wl; i++) {
		if (!isalnum((unsigned char)w[i]) && w[i] != '_' && w[i] != '-') {
			diag(ps, w + i, "label '%.*s' may only use letters, digits, '_' and '-'",
			     (int)wl, w);
			break;
		}
	}
	memcpy(r.label, w, wl);
	for (size_t i = 0; i < pol->nrules; i++) {
		if (!strcmp(pol->rules[i].label, r.label)) {
			diag(ps, w, "duplicate rule label '%s' (first defined at line %d)", r.label,
			     pol->rules[i].line);
			break;
		}
	}
	if (pol->nrules >= TA_MAX_RULES) {
		diag(ps, kwat, "too many rules: at most %d rules per policy", TA_MAX_RULES);
		ps->cur = NULL;
		return;
	}
	if (push((void **)&pol->rules, &pol->nrules, sizeof(r), &r)) {
		ps->nomem = 1;
		return;
	}
	ps->cur = &pol->rules[pol->nrules - 1];
}

static void one_value(struct parser *ps, const char *s, const char *end, const char *kw,
		      const char **w, size_t *wl)
{
	const char *x;
	size_t xl;

	if (!next_word(&s, end, w, wl)) {
		diag(ps, end, "expected a value after '%s'", kw);
		*w = NULL;
		return;
	}
	if (next_word(&s, end, &x, &xl))
		diag(ps, x, "unexpected '%.*s': '%s' takes one value", (int)xl, x, kw);
}

/* A comment line: before the first rule it heads the policy, inside a rule
 * it is kept as the rule's notes */
static void keep_comment(struct parser *ps, const char *hash, const char *end)
{
	const char *t = hash + 1;
	size_t tl;

	while (t < end && *t == ' ')
		t++;
	tl = end - t;
	while (tl && (t[tl - 1] == '\r' || t[tl - 1] == ' '))
		tl--;
	if (ps->cur) {
		if (push_str(&ps->cur->notes, &ps->cur->nnotes, t, tl))
			ps->nomem = 1;
	} else if (!ps->pol->nrules) {
		if (push_str(&ps->pol->header, &ps->pol->nheader, t, tl))
			ps->nomem = 1;
	}
}

/* One word of a small set, as its index in values (NULL-terminated), or -1 */
static int word_index(const char *w, size_t wl, const char *const *values)
{
	for (int i = 0; values[i]; i++)
		if (word_is(w, wl, values[i]))
			return i;
	return -1;
}

/* The value of a line that takes one word of a set: its index, -1 when it
 * is none of them, -2 when the line has its error already */
static int kw_choice(struct parser *ps, const char *kw, const char *s, const char *end, const char *name,
		     bool given, const char *const *values, const char *what, const char *expect, const char **w)
{
	size_t wl;
	int i;

	one_value(ps, s, end, name, w, &wl);
	if (!*w)
		return -2;
	if (given) {
		diag(ps, kw, "'%s' given twice in rule '%s'", name, ps->cur->label);
		return -2;
	}
	if ((i = word_index(*w, wl, values)) < 0)
		diag(ps, *w, "unknown %s '%.*s' (expected %s)", what, (int)wl, *w, expect);
	return i;
}

static void kw_proto(struct parser *ps, const char *kw, const char *s, const char *end)
{
	static const char *const names[] = { "udp", "tcp", "icmp", NULL };
	static const int pclass[] = { TA_PC_UDP, TA_PC_TCP, TA_PC_ICMP };
	struct ta_rule *r = ps->cur;
	const char *w;
	int i = kw_choice(ps, kw, s, end, "proto", r->pclass >= 0, names, "protocol", "udp, tcp or icmp", &w);

	if (i == -2)
		return;
	if (i >= 0)
		r->pclass = pclass[i];
	if (r->pclass == TA_PC_ICMP && r->nranges)
		diag(ps, w, "icmp rules take no ports (rule '%s' has a 'ports' line)", r->label);
}

static void kw_dir(struct parser *ps, const char *kw, const char *s, const char *end)
{
	static const char *const names[] = { "in", "out", "both", NULL };
	static const int dirs[] = { TA_RDIR_IN, TA_RDIR_OUT, TA_RDIR_BOTH };
	const char *w;
	int i = kw_choice(ps, kw, s, end, "dir", ps->cur->dir != 0, names, "direction", "in, out or both", &w);

	if (i >= 0)
		ps->cur->dir = dirs[i];
}

static void kw_ports(struct parser *ps, const char *kw, const char *s, const char *end)
{
	if (ps->cur->pclass == TA_PC_ICMP) {
		diag(ps, kw, "icmp rules take no ports");
		return;
	}
	parse_ports(ps, s, end, "ports");
}

static void kw_addr(struct parser *ps, const char *kw, const char *s, const char *end)
{
	parse_addrs(ps, s, end, "addr");
}

static void kw_names(struct parser *ps, const char *kw, const char *s, const char *end)
{
	parse_names(ps, s, end, "names");
}

/* The keywords of a rule's lines, in the order the error message lists them */
static const struct keyword {
	const char *name;
	unsigned seen; /* SEEN_* */
	void (*parse)(struct parser *ps, const char *kw, const char *s, const char *end);
} keywords[] = {
	{ "proto", SEEN_PROTO, kw_proto }, { "ports", SEEN_PORTS, kw_ports }, { "dir", SEEN_DIR, kw_dir },
	{ "addr", SEEN_ADDR, kw_addr },    { "names", SEEN_NAMES, kw_names },
};
#define NKEYWORDS (sizeof(keywords) / sizeof(*keywords))

static void unknown_keyword(struct parser *ps, const char *kw, size_t kl)
{
	char list[80] = "rule";

	for (size_t i = 0; i < NKEYWORDS; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 i + 1 < NKEYWORDS ? ", " : " or ", keywords[i].name);
	diag(ps, kw, "unknown keyword '%.*s' (expected %s)", (int)(kl > 40 ? 40 : kl), kw, list);
}

static void parse_line(struct parser *ps, const char *s, const char *end)
{
	const char *kw, *hash = memchr(s, '#', end - s);
	const struct keyword *k = NULL;
	size_t kl;

	if (hash) {
		if (skip_blank(s, hash) == hash) {
			keep_comment(ps, hash, end);
			return;
		}
		end = hash;
	}
	if (!next_word(&s, end, &kw, &kl))
		return;
	if (word_is(kw, kl, "rule")) {
		start_rule(ps, s, end, kw);
		return;
	}
	for (size_t i = 0; i < NKEYWORDS && !k; i++)
		if (word_is(kw, kl, keywords[i].name))
			k = &keywords[i];
	if (!k) {
		unknown_keyword(ps, kw, kl);
		return;
	}
	if (!ps->cur) {
		/* a rule that failed to start already has its error */
		if (!ps->pol->nrules || ps->pol->nrules < TA_MAX_RULES)
			diag(ps, kw, "'%s' outside a rule (start one with 'rule LABEL')", k->name);
		return;
	}
	ps->seen |= k->seen;
	k->parse(ps, kw, s, end);
}

void ta_policy_free(struct ta_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nrules; i++) {
		struct ta_rule *r = &p->rules[i];
		for (size_t j = 0; j < r->nnames; j++)
			free(r->names[j]);
		for (size_t j = 0; j < r->nnotes; j++)
			free(r->notes[j]);
		free(r->names);
		free(r->notes);
		free(r->ranges);
		free(r->prefixes);
	}
	for (size_t j = 0; j < p->nheader; j++)
		free(p->header[j]);
	free(p->header);
	free(p->rules);
	memset(p, 0, sizeof(*p));
}

void ta_diags_free(struct ta_diags *d)
{
	free(d->v);
	d->v = NULL;
	d->n = 0;
	d->truncated = 0;
}

void ta_diags_print(const struct ta_diags *d, FILE *f)
{
	for (size_t i = 0; i < d->n; i++) {
		if (d->v[i].col)
			fprintf(f, "%s:%d:%d: error: %s\n", d->file, d->v[i].line, d->v[i].col,
				d->v[i].msg);
		else if (d->v[i].line)
			fprintf(f, "%s:%d: error: %s\n", d->file, d->v[i].line, d->v[i].msg);
		else
			fprintf(f, "%s: error: %s\n", d->file, d->v[i].msg);
	}
	if (d->truncated)
		fprintf(f, "%s: %zu more errors not shown\n", d->file, d->truncated);
}

int ta_policy_parse(const char *text, size_t len, const char *fname, struct ta_policy *out,
		    struct ta_diags *diags)
{
	struct parser ps = { .fname = fname, .pol = out, .d = diags };
	const char *s = text, *end = text + len;

	memset(out, 0, sizeof(*out));
	if (diags) {
		memset(diags, 0, sizeof(*diags));
		diags->file = fname;
	}
	if (memchr(text, 0, len)) {
		ps.lineno = 1;
		for (const char *t = text; t < (const char *)memchr(text, 0, len); t++)
			if (*t == '\n')
				ps.lineno++;
		diag(&ps, NULL, "NUL byte in the policy: not a text file");
		return ps.errors;
	}
	/* a UTF-8 byte-order mark, as Notepad writes one: not part of the text */
	if (len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		s += 3;
	while (s < end && !ps.nomem) {
		const char *nl = memchr(s, '\n', end - s);
		const char *le = nl ? nl : end;

		ps.lineno++;
		ps.line = s;
		parse_line(&ps, s, le);
		s = nl ? nl + 1 : end;
	}
	ps.lineno++;
	finish_rule(&ps);
	if (!ps.nomem && !ps.errors && !out->nrules) {
		ps.lineno = 0;
		diag(&ps, NULL, "the policy has no rules");
	}
	if (ps.nomem) {
		ta_policy_free(out);
		return -ENOMEM;
	}
	if (ps.errors) {
		ta_policy_free(out);
		return ps.errors;
	}
	return 0;
}

int ta_policy_load(const char *path, struct ta_policy *out, struct ta_diags *diags)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int err;

	memset(out, 0, sizeof(*out));
	memset(diags, 0, sizeof(*diags));
	diags->file = path;
	if (!f) {
		err = -errno;
		struct ta_diag dg = { 0, 0, "" };
		snprintf(dg.msg, sizeof(dg.msg), "cannot open policy: %s", strerror(errno));
		push((void **)&diags->v, &diags->n, sizeof(dg), &dg);
		return err;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > (64u << 20)) {
				struct ta_diag dg = { 0, 0, "policy file larger than 64 MiB" };
				push((void **)&diags->v, &diags->n, sizeof(dg), &dg);
				free(buf);
				if (f != stdin)
					fclose(f);
				return -EFBIG;
			}
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				if (f != stdin)
					fclose(f);
				return -ENOMEM;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		struct ta_diag dg = { 0, 0, "" };
		err = -EIO;
		snprintf(dg.msg, sizeof(dg.msg), "cannot read policy: %s", strerror(errno));
		push((void **)&diags->v, &diags->n, sizeof(dg), &dg);
		free(buf);
		if (f != stdin)
			fclose(f);
		return err;
	}
	if (f != stdin)
		fclose(f);
	err = ta_policy_parse(buf ? buf : "", len, path, out, diags);
	free(buf);
	return err;
}

extern const char ta_builtin_policy_start[];
extern const char ta_builtin_policy_end[];

const char *ta_policy_builtin_text(size_t *len)
{
	*len = ta_builtin_policy_end - ta_builtin_policy_start;
	return ta_builtin_policy_start;
}

int ta_policy_builtin(struct ta_policy *out)
{
	size_t len;
	const char *t = ta_policy_builtin_text(&len);

	return ta_policy_parse(t, len, "<built-in>", out, NULL);
}

/* One character of a pattern at *p (a letter, or a [...] class) against c;
 * *p moves past it */
static bool char_match(const char **p, char c)
{
	char lc = (char)tolower((unsigned char)c);
	bool in = false;

	if (**p != '[')
		return (char)tolower((unsigned char)*(*p)++) == lc;
	for ((*p)++; **p && **p != ']'; (*p)++) {
		char lo = (char)tolower((unsigned char)**p), hi = lo;

		if ((*p)[1] == '-' && (*p)[2] && (*p)[2] != ']') {
			hi = (char)tolower((unsigned char)(*p)[2]);
			*p += 2;
		}
		in |= lc >= lo && lc <= hi;
	}
	if (**p == ']')
		(*p)++;
	return in;
}

/* A pattern without '*' against exactly the n characters of name */
static bool plain_match(const char *p, const char *name, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!*p || !char_match(&p, name[i]))
			return false;
	return !*p;
}

bool ta_name_is_wildcard(const char *pattern)
{
	return pattern[0] == '*' && pattern[1] == '.';
}

#define MAX_EXPAND 4096

int ta_names_expand(const char *pat, void (*fn)(const char *name, void *arg), void *arg)
{
	char out[TA_NAME_MAX + 1];
	const char *b = strchr(pat, '[');
	int n = 0;

	if (!b) {
		fn(pat, arg);
		return 1;
	}
	const char *e = strchr(b, ']');
	if (!e)
		return 0;
	for (const char *c = b + 1; c < e; c++) {
		char lo = *c, hi = *c;

		if (c + 2 < e && c[1] == '-') {
			hi = c[2];
			c += 2;
		}
		for (char ch = lo; ch <= hi && n < MAX_EXPAND; ch++) {
			int pl = (int)(b - pat);
			snprintf(out, sizeof(out), "%.*s%c%s", pl, pat, ch, e + 1);
			n += ta_names_expand(out, fn, arg);
		}
	}
	return n;
}

uint64_t ta_name_hash(const char *name, size_t n)
{
	uint64_t h = TA_FNV_BASIS;

	while (n--)
		h = ta_fnv_step(h, (uint8_t)tolower((unsigned char)name[n]));
	return h;
}

bool ta_name_match(const char *pattern, const char *name)
{
	size_t n = strlen(name);

	if (n && name[n - 1] == '.')
		n--;
	if (!ta_name_is_wildcard(pattern))
		return plain_match(pattern, name, n);
	/* one or more labels, then the rest of the pattern */
	for (size_t k = 1; k + 1 < n; k++)
		if (name[k] == '.' && plain_match(pattern + 2, name + k + 1, n - k - 1))
			return true;
	return false;
}

bool ta_prefix_contains(const struct ta_prefix *p, const uint8_t a[16])
{
	for (int bit = 0; bit < p->len; bit++)
		if ((p->addr[bit / 8] ^ a[bit / 8]) & (0x80 >> (bit % 8)))
			return false;
	return true;
}
