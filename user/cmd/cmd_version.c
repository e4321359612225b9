// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* tokaudit version: what this binary is and what this kernel offers it */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf_version.h>
#include "commands.h"
#include "kfeatures.h"
#include "json.h"
#include "revision.h"
#include "tokaudit.h"

struct version_cfg {
	const char *iface;
	bool json;
};

static const struct ta_opt version_opts[] = {
	{ "interface", 'i', TA_OPT_STR, offsetof(struct version_cfg, iface), "IFACE",
	  "also say whether IFACE's driver runs XDP natively, and what is attached there" },
	{ "json", 'j', TA_OPT_FLAG, offsetof(struct version_cfg, json), NULL, "print JSON" },
	{ 0 },
};

static const char *tri(int v, const char *yes, const char *no, const char *unknown)
{
	return v == TA_YES ? yes : v == TA_NO ? no : unknown;
}

/* What was probed, for both printers */
struct version_facts {
	const char *iface;
	struct ta_features f;
	struct ta_xdp_support x;
	char xf[128], reasons[96], libbpf[64];
};

/* The variant of the programs that loads here, and what it lacks */
static json_object *programs_json(void)
{
	const struct ta_variant *vr = ta_variant();
	const char *loss[TA_LOSS_MAX];
	size_t n = ta_kernel_losses(loss);
	json_object *p = json_object_new_object(), *a = json_object_new_array();

	ta_jadd(p, "variant", ta_jstr(vr->compat ? "compat" : "full"));
	ta_jadd(p, "forced", ta_jbool(vr->forced));
	ta_jadd(p, "lacks", vr->probed ? ta_jstr(vr->missing_str) : NULL);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, ta_jstr(loss[i]));
	ta_jadd(p, "degraded", a);
	return p;
}

static void programs_plain(void)
{
	const struct ta_variant *vr = ta_variant();
	const char *loss[TA_LOSS_MAX];
	size_t n = ta_kernel_losses(loss);

	if (!vr->probed && !vr->forced)
		printf("  %-14s %s\n", "programs",
		       "full, unless the kernel lacks what it needs (probing needs CAP_BPF)");
	else if (vr->compat)
		printf("  %-14s %s\n", "programs", "compat (see degraded)");
	else
		printf("  %-14s %s\n", "programs", "full (bpf_loop, bpf_xdp_load_bytes, atomics, coarse clock)");
	for (size_t i = 0; i < n; i++)
		printf("  %-14s %s\n", i ? "" : "degraded", loss[i]);
}

static int version_json(const struct version_facts *v)
{
	const struct ta_features *f = &v->f;
	const struct ta_xdp_support *x = &v->x;
	json_object *o = json_object_new_object(), *k = json_object_new_object();

	ta_jadd(o, "version", ta_jstr(TA_VERSION));
	ta_jadd(o, "revision", ta_jstr(TA_GIT_REV));
	ta_jadd(o, "libbpf", ta_jstr(f->libbpf));
	ta_jadd(o, "kernel", ta_jstr(f->kernel));
	ta_jadd(k, "btf", ta_jbool(f->btf));
	ta_jadd(k, "ringbuf", f->ringbuf == TA_UNKNOWN ? NULL : ta_jbool(f->ringbuf == TA_YES));
	ta_jadd(k, "tp_btf", ta_jbool(f->tp_btf));
	ta_jadd(k, "drop_reasons", ta_ju64(f->drop_reasons));
	ta_jadd(k, "drop_rx_sk", ta_jbool(f->rx_sk));
	ta_jadd(k, "kallsyms", ta_jbool(f->kallsyms));
	ta_jadd(o, "kernel_features", k);
	ta_jadd(o, "programs", programs_json());
	ta_jadd(o, "missing_capabilities", ta_jstr(f->missing_caps));
	if (v->iface) {
		json_object *i = json_object_new_object();
		ta_jadd(i, "name", ta_jstr(v->iface));
		ta_jadd(i, "xdp_native", x->native == TA_UNKNOWN ? NULL : ta_jbool(x->native == TA_YES));
		ta_jadd(i, "xdp_features", x->native == TA_UNKNOWN ? NULL : ta_jstr(v->xf));
		ta_jadd(i, "xdp_prog_id", x->prog_id ? ta_ju64(x->prog_id) : NULL);
		ta_jadd(i, "xdp_attach_mode", x->prog_id ? ta_jstr(x->attach_mode) : NULL);
		ta_jadd(o, "interface", i);
	}
	return ta_jprint(stdout, o) ? TA_EXIT_FAIL : TA_EXIT_OK;
}

static void version_plain_iface(const struct version_facts *v)
{
	const struct ta_xdp_support *x = &v->x;
	char line[320];

	if (x->native == TA_UNKNOWN)
		snprintf(line, sizeof(line), "unknown: %s", x->why);
	else if (x->native == TA_YES)
		snprintf(line, sizeof(line), "yes (driver features: %s)", v->xf);
	else
		snprintf(line, sizeof(line), "no: the driver has no XDP; skb (generic) mode is used");
	printf("  %-14s %s: %s\n", "native XDP", v->iface, line);
	if (x->prog_id)
		printf("  %-14s %s: program %u (%s)\n", "XDP attached", v->iface, x->prog_id, x->attach_mode);
	else
		printf("  %-14s %s: none\n", "XDP attached", v->iface);
}

static int version_plain(const struct version_facts *v)
{
	const struct ta_features *f = &v->f;

	printf("tokaudit %s\n", TA_VERSION);
	printf("  %-14s %s\n", "revision", TA_GIT_REV);
	printf("  %-14s %s\n", "libbpf", v->libbpf);
	printf("  %-14s %s\n", "kernel", f->kernel);
	printf("  %-14s %s\n", "BTF",
	       f->btf ? "yes (/sys/kernel/btf/vmlinux)" : "no: drops traced by the plain tracepoint");
	printf("  %-14s %s\n", "ring buffer",
	       tri(f->ringbuf, "yes", "no: the programs cannot load (Linux 5.8+ has it)",
		   "unknown (probing needs CAP_BPF)"));
	printf("  %-14s %s\n", "tp_btf",
	       f->tp_btf ? (f->rx_sk ? "yes: kfree_skb, with the receiving socket" : "yes: kfree_skb")
			 : "no: drops traced by the plain kfree_skb tracepoint");
	printf("  %-14s %s\n", "drop reasons", v->reasons);
	printf("  %-14s %s\n", "drop places",
	       f->kallsyms ? "symbolised (kallsyms)"
			   : "addresses only (kallsyms hidden: needs CAP_SYSLOG or kptr_restrict=0)");
	programs_plain();
	if (f->missing_caps[0])
		printf("  %-14s missing %s (attaching needs CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON)\n", "privileges",
		       f->missing_caps);
	else
		printf("  %-14s %s\n", "privileges", "CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON held");
	if (v->iface)
		version_plain_iface(v);
	return TA_EXIT_OK;
}

static int do_version(void *vcfg)
{
	struct version_cfg *cfg = vcfg;
	struct version_facts v = { .iface = cfg->iface };

	ta_features_probe(&v.f);
	if (cfg->iface && ta_xdp_support(cfg->iface, &v.x)) {
		ta_err("version: no interface '%s' here", cfg->iface);
		return TA_EXIT_FAIL;
	}
	snprintf(v.libbpf, sizeof(v.libbpf), "%s (built with %d.%d)", v.f.libbpf, LIBBPF_MAJOR_VERSION,
		 LIBBPF_MINOR_VERSION);
	if (v.f.drop_reasons)
		snprintf(v.reasons, sizeof(v.reasons), "%zu named", v.f.drop_reasons);
	else
		snprintf(v.reasons, sizeof(v.reasons), "none named (drops show as 'unknown')");
	if (cfg->iface)
		ta_xdp_features_str(v.x.xdp_features, v.xf, sizeof(v.xf));
	return cfg->json ? version_json(&v) : version_plain(&v);
}

const struct ta_cmd ta_cmd_version = {
	.name = "version",
	.brief = "The version, the revision and the kernel's features",
	.examples = "tokaudit version\twhat this kernel offers tokaudit\n"
		    "tokaudit version -i eth0 --json\twith the driver's native XDP support\n",
	.summary = "Print the version, the git revision, libbpf's version and the kernel's features.",
	.details = "Kernel features: BTF, ring buffer, tp_btf for kfree_skb, named drop reasons,\n"
		   "symbolised drop places, the variant of the programs this kernel verifies\n"
		   "(full, or compat where bpf_loop, bpf_xdp_load_bytes or atomics beyond add\n"
		   "are missing: Linux 5.10 to 5.17) and what it cannot give (degraded), the\n"
		   "capabilities held; with -i, whether the\n"
		   "interface's driver runs XDP natively (as the kernel reports it, Linux 6.3+)\n"
		   "and what XDP program is attached there. Nothing is attached or changed.",
	.opts = version_opts,
	.cfg_size = sizeof(struct version_cfg),
	.run = do_version,
};
