/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Policy language: parsed model, parser, printer and compiler to map images. */
#ifndef TA_POLICY_H
#define TA_POLICY_H

#include <stddef.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include "tokaudit.h"
#include "table.h"

#define TA_LABEL_MAX           31
#define TA_MAX_NAMES_PER_RULE 256
#define TA_MAX_RANGES_PER_RULE 1024
#define TA_MAX_ERRORS 100           /* errors reported before giving up */

/* Direction bits of a rule */
#define TA_RDIR_IN (1u << TA_DIR_IN)
#define TA_RDIR_OUT (1u << TA_DIR_OUT)
#define TA_RDIR_BOTH (TA_RDIR_IN | TA_RDIR_OUT)

struct ta_range {
	uint16_t lo, hi;
};

/* A prefix in the 128-bit space: IPv4 as ::ffff:a.b.c.d with len 96 + n. */
struct ta_prefix {
	uint8_t addr[16];
	uint8_t len;      /* 0..128 in the mapped space */
	uint8_t family;   /* 4 or 6: how it was written */
};

struct ta_rule {
	char label[TA_LABEL_MAX + 1];
	int pclass;               /* enum ta_pclass, -1 until given */
	unsigned dir;             /* TA_RDIR_* bits, 0 until given */
	struct ta_range *ranges;
	size_t nranges;
	struct ta_prefix *prefixes;
	size_t nprefixes;
	char **names;
	size_t nnames;
	char **notes;             /* comment lines inside the rule block */
	size_t nnotes;
	int line;                 /* where 'rule' stands */
};

struct ta_policy {
	struct ta_rule *rules;
	size_t nrules;
	char **header;            /* comment lines before the first rule */
	size_t nheader;
};

struct ta_diag {
	int line, col;
	char msg[256];
};

struct ta_diags {
	const char *file;
	struct ta_diag *v;
	size_t n;
	size_t truncated; /* errors past TA_MAX_ERRORS */
};

/* Parse text (len bytes, need not be NUL-terminated); *diags is reset first.  Returns 0 and fills
 * *out, or the number of errors (> 0) with *out left empty: a broken policy
 * never half-loads.  Returns -ENOMEM on allocation failure. */
int ta_policy_parse(const char *text, size_t len, const char *fname, struct ta_policy *out,
		    struct ta_diags *diags);
/* Read and parse a file; "-" reads stdin.  On I/O error: -errno and one diag. */
int ta_policy_load(const char *path, struct ta_policy *out, struct ta_diags *diags);
/* The built-in OpenTok policy. */
int ta_policy_builtin(struct ta_policy *out);
const char *ta_policy_builtin_text(size_t *len);

void ta_policy_free(struct ta_policy *p);
void ta_diags_free(struct ta_diags *d);
void ta_diags_print(const struct ta_diags *d, FILE *f);

/* Output */
void ta_policy_write(const struct ta_policy *p, FILE *f);       /* file syntax */
void ta_rule_ports_text(const struct ta_rule *r, const char *sep, char *buf,
			size_t len); /* "80<sep>443", "-" for none */
/* The table (policy show --table): 0, -1 when o names an unknown column,
 * -2 when out of memory or writing failed; err says which. */
#define TA_POLICY_NCOLS 6
#define TA_POLICY_COLS_DEFAULT "RULE,PROTO,PORTS,DIR,ADDRESSES"
extern const struct ta_col ta_policy_cols[TA_POLICY_NCOLS];
int ta_policy_write_table(const struct ta_policy *p, FILE *f, const struct ta_table_opts *o, char *err, size_t errlen);
/* An nfdump filter of the records no rule allows (policy show --nfdump-filter) */
void ta_policy_write_nfdump(const struct ta_policy *p, FILE *f);
char *ta_policy_json(const struct ta_policy *p);                /* malloc'd */

/* Formatting helpers */
const char *ta_pclass_name(int pclass);
const char *ta_rdir_name(unsigned dir);
void ta_prefix_str(const struct ta_prefix *p, char *buf, size_t len);
int ta_addr_str(const uint8_t addr[16], char *buf, size_t len); /* mapped v4 printed as v4 */
/* Parse "ADDR" or "ADDR/LEN" (v4 or v6).  Returns 0, or -1 with a reason in err. */
int ta_prefix_parse(const char *s, struct ta_prefix *p, char *err, size_t errlen);
/* Is the (mapped) address a inside prefix p? */
bool ta_prefix_contains(const struct ta_prefix *p, const uint8_t a[16]);
/* Does a server name ("api.tokbox.com", a trailing dot or not, any case)
 * match a rule's pattern: letters as they are, a [a-b] / [abc] class for one
 * character, a leading "*." for one or more labels? */
bool ta_name_match(const char *pattern, const char *name);
/* Is the pattern a "*." wildcard (names to learn, none to enumerate)? */
bool ta_name_is_wildcard(const char *pattern);
/* Expand one pattern's [..] classes (at most 4096 names): fn for each name.
 * Returns how many. */
int ta_names_expand(const char *pat, void (*fn)(const char *name, void *arg), void *arg);
/* The datapath's hash of a dotted name of n characters: FNV-1a over its
 * lower-cased characters read from the end (so that every suffix of a name
 * is hashed on the way to the whole) */
uint64_t ta_name_hash(const char *name, size_t n);

/* ---- Compiled images of the maps ---- */
struct ta_lpm_entry {
	struct ta_prefix prefix;
	uint64_t rules;       /* folded: rules of this prefix and of every covering one */
};

/* A name key of the datapath (struct ta_name_key without the slot) */
struct ta_name_entry {
	uint32_t kind; /* TA_NAME_EXACT or TA_NAME_SUFFIX */
	uint64_t hash; /* ta_name_hash of the name, or of the suffix with its leading dot */
	uint64_t rules;
};

struct ta_compiled {
	struct ta_lpm_entry *lpm;
	size_t nlpm;
	struct ta_name_entry *names; /* sorted by kind, hash */
	size_t nnames;
	/* [pclass][dir][port] -> rule mask; TA_PC_MAX * TA_DIR_MAX * 65536 entries */
	uint64_t *ports;
};

#define TA_CPORT(c, pc, dir, port) ((c)->ports[((size_t)(pc) * TA_DIR_MAX + (dir)) * TA_PORTS + (port)])

int ta_policy_compile(const struct ta_policy *p, struct ta_compiled *c);
void ta_compiled_free(struct ta_compiled *c);
/* Rules whose name patterns match a name, by the compiled keys, as the
 * datapath finds them */
uint64_t ta_compiled_name_rules(const struct ta_compiled *c, const char *name);
/* Rules covering an address, by walking the image as the kernel's LPM would. */
uint64_t ta_compiled_lookup(const struct ta_compiled *c, const uint8_t addr[16]);

/* FILE, or the built-in policy when path is NULL, parsed; errors printed
 * (FILE:LINE:COL lines).  0 or -EINVAL. */
int ta_policy_get(const char *path, struct ta_policy *pol);
/* The same, compiled; who names the command in a compile error.  On error
 * nothing is left to free. */
int ta_policy_load_compiled(const char *who, const char *path, struct ta_policy *pol, struct ta_compiled *comp);
/* The installed policy file (SYSCONFDIR/tokaudit/opentok.policy: what the
 * package ships and the service judges by) */
const char *ta_policy_installed(void);
/* The policy a command judges by when none is given: $TOKAUDIT_POLICY (a
 * file, or "built-in"), else the installed file where it exists, else the
 * built-in policy (NULL) */
const char *ta_policy_default(void);

#endif
