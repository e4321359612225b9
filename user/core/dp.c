// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The BPF object wrapper: open, configure and load the
 * programs (or open the pinned maps alone), install policies, run frames
 * through BPF_PROG_TEST_RUN, and read the maps.  Nothing above it touches
 * the skeleton.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "caps.h"
#include "clock.h"
#include "log.h"
#include "dp.h"
#include "media.h"
#include "hooks.h"
#include "kdrop.h"
#include "kfeatures.h"
#include "tokaudit.skel.h"
#include "tokaudit_compat.skel.h"
#include "util.h"

static int map_ports(struct ta_dp *dp);
static struct bpf_map *map_of(struct tokaudit *skel, int m);

static int ta_print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !ta_verbose)
		return 0;
	if (!ta_verbose)
		return 0; /* errors are reported by the caller, in one line */
	return vfprintf(stderr, fmt, ap);
}

void ta_dp_quiet_libbpf(void)
{
	libbpf_set_print(ta_print_libbpf);
}

static const char *hint(int err)
{
	static char buf[160];
	char miss[64];

	if ((err == -EPERM || err == -EACCES) && *ta_caps_missing_to_load(miss, sizeof(miss))) {
		snprintf(buf, sizeof(buf), " (missing %s: run as root, or with CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN)",
			 miss);
		return buf;
	}
	if (err == -EPERM || err == -EACCES)
		return " (is a security module or sysctl kernel.unprivileged_bpf_disabled refusing it?)";
	if (err == -ENOMEM)
		return " (not enough locked memory for the maps: lower --flows?)";
	if (err == -EINVAL || err == -EOPNOTSUPP || err == -E2BIG)
		return " (this kernel lacks a feature tokaudit needs: Linux 5.10 or newer with BTF; -v shows the verifier log)";
	return "";
}

/* Size a map like its pin, so that libbpf can reuse it. */
static void size_like_pin(struct bpf_map *map, const char *path)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		bpf_map__set_max_entries(map, info.max_entries);
	close(fd);
}

/* Every map but .rodata (configuration, set per load) is pinned in dir. */
static int set_pins(struct tokaudit *skel, const char *dir)
{
	struct bpf_map *map;
	char path[256];

	bpf_object__for_each_map(map, skel->obj) {
		const char *name = bpf_map__name(map);
		const char *dot = strrchr(name, '.');

		if (dot && !strcmp(dot, ".rodata"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, dot ? dot + 1 : name);
		if (map == skel->maps.ta_flows || map == skel->maps.ta_frags || map == skel->maps.ta_frags4 ||
		    map == skel->maps.ta_flows6 || map == skel->maps.ta_fcold || map == skel->maps.ta_learned)
			size_like_pin(map, path);
		int err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	return 0;
}

/* The skeleton of the variant this kernel verifies: the compat ELF opens
 * in the full variant's skeleton (the same maps, programs and global data,
 * found by name; the build checks that their layouts match) */
static struct tokaudit *skel_open(void)
{
	struct tokaudit *s;
	int err;

	if (!ta_variant()->compat)
		return tokaudit__open();
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	err = tokaudit__create_skeleton(s);
	if (!err) {
		s->skeleton->data = (void *)tokaudit_compat__elf_bytes(&s->skeleton->data_sz);
		err = bpf_object__open_skeleton(s->skeleton, NULL);
	}
	if (err) {
		tokaudit__destroy(s);
		errno = -err;
		return NULL;
	}
	return s;
}

static void set_packet_progs(struct tokaudit *skel, unsigned mask)
{
	bpf_program__set_autoload(skel->progs.tokaudit_xdp, mask & TA_PROG_BIT(TA_P_XDP));
	bpf_program__set_autoload(skel->progs.tokaudit_tc, mask & TA_PROG_BIT(TA_P_TC));
	bpf_program__set_autoload(skel->progs.tokaudit_tc_in, mask & TA_PROG_BIT(TA_P_TC_IN));
}

int ta_dp_open(struct ta_dp *dp, const struct ta_dp_opts *o)
{
	struct tokaudit *skel;
	int err;

	memset(dp, 0, sizeof(*dp));
	skel = skel_open();
	if (!skel) {
		err = -errno;
		ta_err("BPF object: cannot open it: %s", strerror(-err));
		return err;
	}
	skel->rodata->cfg_xdp_dir_mode = o->xdp_dir_mode;
	skel->rodata->cfg_tc_dir_mode = o->tc_dir_mode;
	skel->rodata->cfg_tc_in_dir_mode = o->tc_in_dir_mode;
	skel->rodata->cfg_enforce = o->enforce;
	skel->rodata->cfg_events_allowed = o->events_allowed;
	skel->rodata->cfg_record_last = o->record_last;
	skel->rodata->cfg_events = !o->no_events;
	skel->rodata->cfg_capture = o->capture;
	skel->rodata->cfg_other_mask = (o->other_sample ? o->other_sample : TA_OTHER_SAMPLE) - 1;
	skel->rodata->cfg_carry_mask = (o->carry_every ? o->carry_every : TA_CARRY_EVERY) - 1;
	uint32_t nflows = o->flow_entries ? o->flow_entries : TA_DEFAULT_FLOWS;
	bpf_map__set_max_entries(skel->maps.ta_flows, nflows);
	bpf_map__set_max_entries(skel->maps.ta_flows6, nflows / TA_FLOWS6_DIV > TA_FLOWS_MIN ? nflows / TA_FLOWS6_DIV
											   : TA_FLOWS_MIN);
	bpf_map__set_max_entries(skel->maps.ta_fcold, nflows / TA_FCOLD_DIV > TA_FLOWS_MIN ? nflows / TA_FCOLD_DIV
											 : TA_FLOWS_MIN);
	uint32_t nfrags = o->frag_entries ? o->frag_entries : TA_DEFAULT_FRAGS; /* each of IPv4's and the others' */
	bpf_map__set_max_entries(skel->maps.ta_frags, nfrags);
	bpf_map__set_max_entries(skel->maps.ta_frags4, nfrags);
	bpf_map__set_max_entries(skel->maps.ta_learned, o->learned_entries ? o->learned_entries : TA_DEFAULT_LEARNED);
	skel->rodata->cfg_dns_ttl_min = o->dns_ttl_min ? o->dns_ttl_min : TA_DNS_TTL_MIN;
	skel->rodata->cfg_dns_ttl_max = o->dns_ttl_max ? o->dns_ttl_max : TA_DNS_TTL_MAX;
	/* drop tracing: tp_btf where the kernel has BTF, the plain tracepoint else
	 * (TOKAUDIT_KFREE_TRACEPOINT=1 forces the latter, so it can be tested here) */
	const char *force_tp = getenv("TOKAUDIT_KFREE_TRACEPOINT");
	bool btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0 &&
		   !(force_tp && *force_tp && strcmp(force_tp, "0"));
	bpf_program__set_autoload(skel->progs.tokaudit_kfree_skb, o->drops && btf);
	skel->rodata->cfg_drop_rx_sk = o->drops && btf && ta_kfree_skb_has_rx_sk();
	skel->rodata->cfg_drop_reason = o->drops && btf && ta_kfree_skb_has_reason();
	bpf_program__set_autoload(skel->progs.tokaudit_kfree_skb_tp, o->drops && !btf);
	set_packet_progs(skel, o->progs ? o->progs : TA_PROG_BIT(TA_P_MAX) - 1);
	if (o->pin_dir && (err = set_pins(skel, o->pin_dir))) {
		tokaudit__destroy(skel);
		return err;
	}

	err = tokaudit__load(skel);
	if (err) {
		if (o->pin_dir && err == -EINVAL)
			ta_err("%s: the pinned maps do not fit this version of tokaudit: "
			       "run 'tokaudit detach' for that interface, then attach again",
			       o->pin_dir);
		else
			ta_err("BPF programs: the kernel refused them: %s%s", strerror(-err), hint(err));
		tokaudit__destroy(skel);
		return err;
	}
	dp->skel = skel;
	for (int m = 0; m < TA_M_MAX; m++)
		dp->fd[m] = bpf_map__fd(map_of(skel, m));
	dp->bss = skel->bss;
	return map_ports(dp);
}

/* The port table is written a slot at a time through a mapping. */
static int map_ports(struct ta_dp *dp)
{
	int err;

	dp->generation = dp->bss->active_gen; /* non-zero when pinned state was reused */
	dp->ports_len = (size_t)TA_PORT_ENTRIES * sizeof(uint64_t);
	dp->ports = mmap(NULL, dp->ports_len, PROT_READ | PROT_WRITE, MAP_SHARED, dp->fd[TA_M_PORTS], 0);
	if (dp->ports == MAP_FAILED) {
		err = -errno;
		ta_err("port table: cannot map it: %s", strerror(-err));
		dp->ports = NULL;
		ta_dp_close(dp);
		return err;
	}
	return 0;
}

/* Every map: its name (the skeleton's, and its pin's), where the skeleton
 * keeps it, and the layout it must have (key, value sizes) */
static const struct {
	const char *pin;
	size_t skel_off; /* of its struct bpf_map * in struct tokaudit */
	uint32_t key, value;
	bool optional;  /* missing in pins an older version made: fd -1 */
} map_layout[TA_M_MAX] = {
#define MAP(m, name, ...) [m] = { #name, offsetof(struct tokaudit, maps.name), __VA_ARGS__ }
	MAP(TA_M_POLICY, ta_policy, sizeof(struct ta_lpm_key), sizeof(struct ta_lpm_val)),
	MAP(TA_M_PORTS, ta_ports, sizeof(uint32_t), sizeof(uint64_t)),
	MAP(TA_M_LOCAL, ta_local, sizeof(struct ta_local_key), sizeof(uint8_t)),
	MAP(TA_M_FLOWS, ta_flows, sizeof(struct ta_flow4_key), sizeof(struct ta_flow_hot)),
	MAP(TA_M_FLOWS6, ta_flows6, sizeof(struct ta_flow_key), sizeof(struct ta_flow_hot)),
	MAP(TA_M_FCOLD, ta_fcold, sizeof(struct ta_flow_key), sizeof(struct ta_flow_cold)),
	MAP(TA_M_FRAGS, ta_frags, sizeof(struct ta_frag_key), sizeof(struct ta_frag_val)),
	MAP(TA_M_VSTATS, ta_vstats, sizeof(uint32_t), sizeof(struct ta_count)),
	MAP(TA_M_RSTATS, ta_rstats, sizeof(uint32_t), sizeof(struct ta_count)),
	MAP(TA_M_COUNTERS, ta_counters, sizeof(uint32_t), sizeof(uint64_t)),
	MAP(TA_M_META, ta_meta, sizeof(uint32_t), sizeof(struct ta_meta)),
	MAP(TA_M_SELFDROP, ta_selfdrop, sizeof(uint32_t), 16),
	MAP(TA_M_KDROP_REASONS, ta_kdrop_reasons, sizeof(uint32_t), sizeof(uint64_t)),
	MAP(TA_M_PERSIST, ta_persist, sizeof(uint32_t), sizeof(struct ta_persist)),
	MAP(TA_M_EVENTS, ta_events, 0, 0),
	MAP(TA_M_BSS, bss, sizeof(uint32_t), sizeof(struct tokaudit__bss)),
	MAP(TA_M_OTHER, ta_other, sizeof(struct ta_other_key), sizeof(struct ta_count)),
	MAP(TA_M_RECENT, ta_recent, sizeof(uint32_t), sizeof(struct ta_recent), .optional = true),
	MAP(TA_M_NAMES, ta_names, sizeof(struct ta_name_key), sizeof(uint64_t), .optional = true),
	MAP(TA_M_LEARNED, ta_learned, sizeof(struct ta_addr_key), sizeof(struct ta_learned), .optional = true),
	MAP(TA_M_DNAMES, ta_dnames, sizeof(uint64_t), sizeof(struct ta_dname), .optional = true),
	MAP(TA_M_SNI, ta_sni, sizeof(struct ta_flow_key), sizeof(struct ta_sni), .optional = true),
	MAP(TA_M_RTP, ta_rtp, sizeof(struct ta_flow_key), sizeof(struct ta_rtp), .optional = true),
	MAP(TA_M_FRAGS4, ta_frags4, sizeof(struct ta_frag4_key), sizeof(struct ta_frag_val), .optional = true),
#undef MAP
};

const char *ta_pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

static struct bpf_map *map_of(struct tokaudit *skel, int m)
{
	return *(struct bpf_map **)((char *)skel + map_layout[m].skel_off);
}

void ta_dp_opts_side(struct ta_dp_opts *o, int side)
{
	o->xdp_dir_mode = side == TA_SIDE_OUTSIDE ? TA_DM_IN : TA_DM_OUT;
	o->tc_in_dir_mode = o->xdp_dir_mode;
	o->tc_dir_mode = side == TA_SIDE_OUTSIDE ? TA_DM_OUT : TA_DM_IN;
}

/* The .bss map's value is the section as the compiler laid it out, without
 * the tail padding the skeleton's struct gets from its 8-byte members. */
static bool value_fits(int m, uint32_t value_size)
{
	if (m == TA_M_BSS)
		return ((value_size + 7u) & ~7u) == map_layout[m].value;
	return value_size == map_layout[m].value;
}

int ta_dp_recent_put(struct ta_dp *dp, uint32_t slot, const struct ta_recent *r)
{
	uint32_t k = slot % TA_RECENT_MAX;

	if (dp->fd[TA_M_RECENT] < 0)
		return -ENOENT;
	return bpf_map_update_elem(dp->fd[TA_M_RECENT], &k, r, BPF_ANY) ? -errno : 0;
}

uint32_t ta_dp_recent_next(struct ta_dp *dp)
{
	struct ta_recent r;
	uint64_t newest = 0;
	uint32_t next = 0;

	for (uint32_t k = 0; dp->fd[TA_M_RECENT] >= 0 && k < TA_RECENT_MAX; k++)
		if (!bpf_map_lookup_elem(dp->fd[TA_M_RECENT], &k, &r) && r.closed_unix_ns > newest) {
			newest = r.closed_unix_ns;
			next = k + 1;
		}
	return next % TA_RECENT_MAX;
}

int ta_dp_recent(struct ta_dp *dp, uint64_t since_unix_ns, int (*fn)(const struct ta_recent *r, void *arg), void *arg)
{
	struct ta_recent r;
	int err;

	for (uint32_t k = 0; dp->fd[TA_M_RECENT] >= 0 && k < TA_RECENT_MAX; k++)
		if (!bpf_map_lookup_elem(dp->fd[TA_M_RECENT], &k, &r) && r.closed_unix_ns &&
		    r.closed_unix_ns >= since_unix_ns && (err = fn(&r, arg)))
			return err;
	return 0;
}

int ta_dp_repin(const struct ta_dp *dp, const char *dir)
{
	char path[512];

	for (int m = 0; m < TA_M_MAX; m++) {
		ta_pin_path(path, sizeof(path), dir, map_layout[m].pin);
		if (dp->fd[m] >= 0 && access(path, F_OK) && bpf_obj_pin(dp->fd[m], path))
			return -errno;
	}
	return 0;
}

int ta_dp_open_pinned(struct ta_dp *dp, const char *dir)
{
	char path[512];
	long page = sysconf(_SC_PAGESIZE);
	int err;

	memset(dp, 0, sizeof(*dp));
	for (int m = 0; m < TA_M_MAX; m++)
		dp->fd[m] = -1;
	ta_pin_path(path, sizeof(path), dir, TA_PIN_DROP_LINK);
	dp->drop_link_fd = bpf_obj_get(path); /* -1 when drops are not traced */
	for (int m = 0; m < TA_M_MAX; m++) {
		struct bpf_map_info info = { 0 };
		uint32_t len = sizeof(info);

		ta_pin_path(path, sizeof(path), dir, map_layout[m].pin);
		dp->fd[m] = bpf_obj_get(path);
		if (dp->fd[m] < 0 && errno == ENOENT && map_layout[m].optional)
			continue;
		if (dp->fd[m] < 0) {
			err = -errno;
			ta_err("%s: cannot open the pinned map: %s%s", path, strerror(-err),
			       err == -EPERM || err == -EACCES ? " (run as root)" : "");
			ta_dp_close(dp);
			return err;
		}
		if (map_layout[m].key && (bpf_obj_get_info_by_fd(dp->fd[m], &info, &len) ||
					  info.key_size != map_layout[m].key ||
					  !value_fits(m, info.value_size))) {
			ta_err("%s: the pinned maps do not fit this version of tokaudit (%s): "
			       "run 'tokaudit detach' for that interface, then attach again",
			       dir, map_layout[m].pin);
			ta_dp_close(dp);
			return -EPROTO;
		}
	}
	dp->bss_len = ((sizeof(struct tokaudit__bss) + (size_t)page - 1) / (size_t)page) * (size_t)page;
	dp->bss = mmap(NULL, dp->bss_len, PROT_READ | PROT_WRITE, MAP_SHARED, dp->fd[TA_M_BSS], 0);
	if (dp->bss == MAP_FAILED) {
		err = -errno;
		ta_err("%s: cannot map the pinned state: %s", dir, strerror(-err));
		dp->bss = NULL;
		ta_dp_close(dp);
		return err;
	}
	return map_ports(dp);
}

void ta_dp_close(struct ta_dp *dp)
{
	if (dp->ports)
		munmap(dp->ports, dp->ports_len);
	if (dp->skel) {
		tokaudit__destroy(dp->skel);
	} else {
		if (dp->bss && dp->bss_len)
			munmap(dp->bss, dp->bss_len);
		for (int m = 0; m < TA_M_MAX; m++)
			if (dp->fd[m] > 0)
				close(dp->fd[m]);
		if (dp->drop_link_fd > 0)
			close(dp->drop_link_fd);
	}
	memset(dp, 0, sizeof(*dp));
}

int ta_dp_prog_fd(const struct ta_dp *dp, enum ta_dp_prog p)
{
	if (!dp->skel)
		return -1;
	switch (p) {
	case TA_P_XDP: return bpf_program__fd(dp->skel->progs.tokaudit_xdp);
	case TA_P_TC: return bpf_program__fd(dp->skel->progs.tokaudit_tc);
	case TA_P_TC_IN: return bpf_program__fd(dp->skel->progs.tokaudit_tc_in);
	default: return -1;
	}
}

int ta_dp_map_fd(const struct ta_dp *dp, enum ta_dp_map m)
{
	return m < TA_M_MAX ? dp->fd[m] : -1;
}

int ta_dp_meta_read(const struct ta_dp *dp, struct ta_meta *m)
{
	uint32_t key = 0;

	return bpf_map_lookup_elem(dp->fd[TA_M_META], &key, m) ? -errno : 0;
}

int ta_dp_meta_write(const struct ta_dp *dp, const struct ta_meta *m)
{
	uint32_t key = 0;

	return bpf_map_update_elem(dp->fd[TA_M_META], &key, m, BPF_ANY) ? -errno : 0;
}

static void lpm_key(struct ta_lpm_key *k, uint32_t slot, const struct ta_prefix *p)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = TA_LPM_SLOT_BITS + p->len;
	k->slot = slot;
	memcpy(k->addr, p->addr, 16);
}

/* The IPv4 prefilter of a policy: the bit of every /16 that some prefix
 * may cover.  A superset: a prefix of /16 or shorter sets all its /16s, and
 * an IPv6 prefix that covers part of ::ffff:0:0/96 (the mapped IPv4 space)
 * sets what it covers of it. */
static void fill_cover16(uint64_t bits[TA_COVER16_WORDS], const struct ta_compiled *c)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(bits, 0, TA_COVER16_WORDS * sizeof(uint64_t));
	for (size_t i = 0; i < c->nlpm; i++) {
		const struct ta_prefix *p = &c->lpm[i].prefix;
		unsigned len = p->len, lo, n;

		/* does the prefix meet the mapped space? compare min(len, 96) bits */
		unsigned cmp = len < 96 ? len : 96, bytes = cmp / 8, rem = cmp % 8;
		if (memcmp(p->addr, mapped, bytes) ||
		    (rem && ((p->addr[bytes] ^ mapped[bytes]) >> (8 - rem))))
			continue;
		if (len <= 96) {
			lo = 0;
			n = 65536;
		} else if (len >= 112) {
			lo = ((unsigned)p->addr[12] << 8) | p->addr[13];
			n = 1;
		} else {
			unsigned keep = len - 96; /* 1..15 bits of the /16 index */
			lo = (((unsigned)p->addr[12] << 8) | p->addr[13]) & (0xffffu << (16 - keep)) & 0xffffu;
			n = 1u << (16 - keep);
		}
		for (unsigned h = lo; h < lo + n; h++)
			bits[h >> 6] |= 1ull << (h & 63);
	}
}

/* The classic tracepoint is found through tracefs (libbpf reads the event's id
 * there); mount it where it is missing, as attach mounts a missing bpffs. */
static int ensure_tracefs(void)
{
	if (!access("/sys/kernel/tracing/events/skb/kfree_skb/id", R_OK) ||
	    !access("/sys/kernel/debug/tracing/events/skb/kfree_skb/id", R_OK))
		return 0;
	if (access("/sys/kernel/debug/tracing", F_OK) &&
	    mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) && errno != EBUSY) {
		int err = -errno;
		ta_err("kernel drops: cannot trace them: tracefs is not mounted and mounting it on "
		       "/sys/kernel/tracing failed: %s",
		       strerror(-err));
		return err;
	}
	if (access("/sys/kernel/tracing/events/skb/kfree_skb/id", R_OK) &&
	    access("/sys/kernel/debug/tracing/events/skb/kfree_skb/id", R_OK)) {
		ta_err("kernel drops: cannot trace them: this kernel has no skb/kfree_skb tracepoint in tracefs");
		return -ENOENT;
	}
	return 0;
}

/* The drop tracer this kernel loads: tp_btf, else the classic tracepoint */
static struct bpf_program *drop_prog(const struct ta_dp *dp)
{
	return bpf_program__autoload(dp->skel->progs.tokaudit_kfree_skb) ? dp->skel->progs.tokaudit_kfree_skb
									 : dp->skel->progs.tokaudit_kfree_skb_tp;
}

int ta_dp_attach_drops(struct ta_dp *dp, const int *ifindex, int n)
{
	struct bpf_program *p = drop_prog(dp);
	struct bpf_link *l;
	struct stat st;
	int fd, err;

	for (int i = 0; i < TA_MAX_IFACES; i++)
		dp->bss->audited_ifindex[i] = i < n ? (uint32_t)ifindex[i] : 0;
	/* blocks vs endpoint discards, by this kernel's reason names and text */
	dp->bss->ep_nranges = (uint32_t)ta_drop_tables(dp->bss->drop_class,
							    dp->bss->ep_ranges, TA_EP_RANGES);
	/* the interfaces live in this process's network namespace */
	if (!stat("/proc/self/ns/net", &st))
		dp->bss->audited_netns = (uint32_t)st.st_ino;
	if (p == dp->skel->progs.tokaudit_kfree_skb_tp && (err = ensure_tracefs()))
		return err;
	l = bpf_program__attach(p);
	if (!l) {
		err = -errno;
		ta_err("kernel drops: cannot trace them (kfree_skb): %s", strerror(-err));
		return err;
	}
	/* keep the link as an fd: closing it detaches, pinning it keeps it */
	fd = dup(bpf_link__fd(l));
	bpf_link__disconnect(l);
	bpf_link__destroy(l);
	return fd < 0 ? -errno : fd;
}

#define SWITCH_SETTLE_NS (TA_NSEC_PER_SEC / 100) /* a policy switch is over 10 ms after it */

/* The keys of a slot in a map whose keys start with their slot (the trie's
 * after its prefix length), collected: n of them, NULL on no memory */
static void *slot_keys(int fd, size_t ksize, size_t slot_off, uint32_t slot, size_t *n)
{
	size_t cap = 0;
	uint8_t k[64], next[64];
	uint8_t *keys = NULL;
	void *prev = NULL;

	*n = 0;
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		uint32_t ks;

		memcpy(k, next, ksize);
		prev = k;
		memcpy(&ks, next + slot_off, sizeof(ks));
		if (ks != slot)
			continue;
		if (ta_grow(&keys, &cap, *n, ksize, 256)) {
			free(keys);
			return NULL;
		}
		memcpy(keys + *n * ksize, next, ksize);
		(*n)++;
	}
	return keys ? keys : calloc(1, ksize);
}

/* A slot of a map emptied of what an older policy left there */
static int clear_slot(int fd, size_t ksize, size_t slot_off, uint32_t slot)
{
	size_t n;
	uint8_t *keys = slot_keys(fd, ksize, slot_off, slot, &n);

	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, keys + i * ksize);
	free(keys);
	return 0;
}

/* The new slot's server-name keys (pins of a version before them have no
 * such map: its names are then learned from nothing) */
static int write_names(struct ta_dp *dp, uint32_t slot, const struct ta_compiled *c)
{
	int fd = dp->fd[TA_M_NAMES], err;

	if (fd < 0)
		return 0;
	if (dp->bss->names_in_slot[slot] &&
	    (err = clear_slot(fd, sizeof(struct ta_name_key), offsetof(struct ta_name_key, slot), slot)))
		return err;
	dp->bss->names_in_slot[slot] = (uint32_t)c->nnames;
	for (size_t i = 0; i < c->nnames; i++) {
		struct ta_name_key k = { .slot = slot, .kind = c->names[i].kind, .hash = c->names[i].hash };

		if (bpf_map_update_elem(fd, &k, &c->names[i].rules, BPF_ANY)) {
			err = -errno;
			ta_err("policy: cannot write its server names: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}

static const uint8_t mapped4[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* The addresses learned so far, under the policy about to be in slot: the
 * rules of their names matched anew, the /16s of IPv4 ones let through the
 * slot's prefilter */
static void relearn(struct ta_dp *dp, uint32_t slot, const struct ta_compiled *c)
{
	int fd = dp->fd[TA_M_LEARNED], nfd = dp->fd[TA_M_DNAMES];
	struct ta_addr_key k, next;
	void *prev = NULL;

	if (fd < 0 || nfd < 0 || !dp->bss->learned_any)
		return; /* nothing learned: no walk (an empty hash's still visits every bucket) */
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct ta_learned v;
		struct ta_dname d;

		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &v))
			continue;
		v.rules[slot] = 0;
		if (!bpf_map_lookup_elem(nfd, &v.name, &d)) {
			d.name[sizeof(d.name) - 1] = 0;
			v.rules[slot] = ta_compiled_name_rules(c, d.name);
		}
		v.drift[slot] = v.rules[slot] & dp->bss->addr_rules[slot] & ~ta_compiled_lookup(c, k.addr);
		bpf_map_update_elem(fd, &k, &v, BPF_EXIST);
		if (v.rules[slot] && !memcmp(k.addr, mapped4, sizeof(mapped4))) {
			unsigned h = ((unsigned)k.addr[12] << 8) | k.addr[13];

			__sync_fetch_and_or(&dp->bss->cover16[slot][h >> 6], 1ull << (h & 63));
		}
	}
}

int ta_dp_set_policy(struct ta_dp *dp, const struct ta_compiled *c)
{
	int fd = dp->fd[TA_M_POLICY];
	uint32_t gen = dp->generation + 1, slot = gen & 1, old = slot ^ 1;
	struct ta_lpm_key k;
	int err;

	/* 0. packets that read the generation before the last switch may still
	 * be using the slot about to be rewritten: programs run for
	 * microseconds, so SWITCH_SETTLE_NS after that switch none is left */
	uint64_t now = ta_now_ns();
	if (dp->switched_ns && now - dp->switched_ns < SWITCH_SETTLE_NS) {
		struct timespec w = { 0, (long)(SWITCH_SETTLE_NS - (now - dp->switched_ns)) };
		nanosleep(&w, NULL);
	}

	/* 1. the new generation's slot: remove what an older policy left there */
	if ((err = clear_slot(fd, sizeof(struct ta_lpm_key), offsetof(struct ta_lpm_key, slot), slot)) ||
	    (err = write_names(dp, slot, c)))
		return err;
	for (size_t i = 0; i < c->nlpm; i++) {
		struct ta_lpm_val v = { .rules = c->lpm[i].rules };

		lpm_key(&k, slot, &c->lpm[i].prefix);
		if (bpf_map_update_elem(fd, &k, &v, BPF_ANY)) {
			err = -errno;
			ta_err("policy: cannot write its prefixes: %s", strerror(-err));
			return err;
		}
	}
	fill_cover16((uint64_t *)dp->bss->cover16[slot], c);
	dp->bss->addr_rules[slot] = 0;
	for (size_t i = 0; i < c->nlpm; i++)
		dp->bss->addr_rules[slot] |= c->lpm[i].rules;
	relearn(dp, slot, c);
	memcpy(dp->ports + TA_PORT_IDX(slot, 0, 0, 0), c->ports,
	       (size_t)TA_PC_MAX * TA_DIR_MAX * TA_PORTS * sizeof(uint64_t));
	__sync_synchronize();
	/* 2. switch: every packet reads the generation once, so it sees one policy */
	dp->bss->active_gen = gen;
	__sync_synchronize();
	dp->generation = gen;
	dp->switched_ns = ta_now_ns();
	/* 3. the old slot stays until the next change (see 0) */
	(void)old;
	return 0;
}

/* Does slot hold c's server names, each with the same rules? */
static bool names_same(const struct ta_dp *dp, uint32_t slot, const struct ta_compiled *c)
{
	int fd = dp->fd[TA_M_NAMES];
	size_t n;
	void *keys;

	if (fd < 0)
		return !c->nnames;
	if (dp->bss->names_in_slot[slot] != c->nnames)
		return false;
	if (!c->nnames)
		return true;
	keys = slot_keys(fd, sizeof(struct ta_name_key), offsetof(struct ta_name_key, slot), slot, &n);
	free(keys);
	if (!keys || n != c->nnames)
		return false;
	for (size_t i = 0; i < c->nnames; i++) {
		struct ta_name_key k = { .slot = slot, .kind = c->names[i].kind, .hash = c->names[i].hash };
		uint64_t rules;

		if (bpf_map_lookup_elem(fd, &k, &rules) || rules != c->names[i].rules)
			return false;
	}
	return true;
}

bool ta_dp_policy_same(const struct ta_dp *dp, const struct ta_compiled *c)
{
	uint32_t slot = dp->generation & 1;
	struct ta_lpm_key k;
	struct ta_lpm_val v;
	size_t n = 0;

	if (!dp->generation || !dp->ports ||
	    memcmp(dp->ports + TA_PORT_IDX(slot, 0, 0, 0), c->ports,
		   (size_t)TA_PC_MAX * TA_DIR_MAX * TA_PORTS * sizeof(uint64_t)))
		return false;
	/* the slot holds as many prefixes, each with the same rules */
	free(slot_keys(dp->fd[TA_M_POLICY], sizeof(k), offsetof(struct ta_lpm_key, slot), slot, &n));
	if (n != c->nlpm)
		return false;
	for (size_t i = 0; i < c->nlpm; i++) {
		lpm_key(&k, slot, &c->lpm[i].prefix);
		if (bpf_map_lookup_elem(dp->fd[TA_M_POLICY], &k, &v) || v.rules != c->lpm[i].rules)
			return false;
	}
	return names_same(dp, slot, c);
}

int ta_dp_learned(const struct ta_dp *dp, const uint8_t addr[16], struct ta_learned *v, struct ta_dname *name)
{
	struct ta_addr_key k;

	memcpy(k.addr, addr, 16);
	/* nothing ever learned (the programs' flag): no lookup (event lines ask for every flow) */
	if (!dp || (dp->bss && !dp->bss->learned_any) || dp->fd[TA_M_LEARNED] < 0 || dp->fd[TA_M_DNAMES] < 0 ||
	    bpf_map_lookup_elem(dp->fd[TA_M_LEARNED], &k, v) ||
	    bpf_map_lookup_elem(dp->fd[TA_M_DNAMES], &v->name, name))
		return -ENOENT;
	name->name[sizeof(name->name) - 1] = 0;
	return 0;
}

int ta_dp_sni(const struct ta_dp *dp, const struct ta_flow_key *k, struct ta_sni *v, struct ta_dname *name)
{
	name->name[0] = 0;
	/* a ClientHello is read from TCP only: no lookup for another protocol,
	 * nor before the programs kept one (event lines ask for every flow) */
	if (!dp || k->proto != TA_IPPROTO_TCP || (dp->bss && !dp->bss->sni_any) || dp->fd[TA_M_SNI] < 0 ||
	    bpf_map_lookup_elem(dp->fd[TA_M_SNI], k, v))
		return -ENOENT;
	if (v->status == TA_SNI_NAME &&
	    (dp->fd[TA_M_DNAMES] < 0 || bpf_map_lookup_elem(dp->fd[TA_M_DNAMES], &v->name, name)))
		name->name[0] = 0;
	name->name[sizeof(name->name) - 1] = 0;
	return 0;
}

int ta_dp_rtp(const struct ta_dp *dp, const struct ta_flow_key *k, struct ta_rtp *v)
{
	if (!dp || dp->fd[TA_M_RTP] < 0 || bpf_map_lookup_elem(dp->fd[TA_M_RTP], k, v))
		return -ENOENT;
	return 0;
}

uint64_t ta_dp_name_drift(const struct ta_dp *dp, const uint8_t addr[16], const __u64 rules[2])
{
	uint32_t slot = dp->generation & 1;
	struct ta_lpm_key k = { .prefixlen = TA_LPM_SLOT_BITS + 128, .slot = slot };
	struct ta_lpm_val v = { 0 };

	if (!dp->bss)
		return 0;
	memcpy(k.addr, addr, 16);
	if (bpf_map_lookup_elem(dp->fd[TA_M_POLICY], &k, &v))
		v.rules = 0;
	return rules[slot] & dp->bss->addr_rules[slot] & ~v.rules;
}

static uint32_t max_entries(int fd);

long ta_dp_learned_count(const struct ta_dp *dp)
{
	struct ta_addr_key k, next;
	void *prev = NULL;
	long n = 0;

	if (dp->fd[TA_M_LEARNED] < 0)
		return -1;
	while (bpf_map_get_next_key(dp->fd[TA_M_LEARNED], prev, &next) == 0) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

uint32_t ta_dp_learned_capacity(const struct ta_dp *dp)
{
	return dp->fd[TA_M_LEARNED] < 0 ? 0 : max_entries(dp->fd[TA_M_LEARNED]);
}

uint64_t ta_dp_learned_rules(const struct ta_dp *dp, const uint8_t addr[16], uint32_t slot)
{
	struct ta_addr_key k;
	struct ta_learned v;

	memcpy(k.addr, addr, 16);
	/* the programs' clock: the capture's in replay */
	uint64_t now = dp->bss && dp->bss->replay_now_ns ? dp->bss->replay_now_ns : ta_now_ns();

	if ((dp->bss && !dp->bss->learned_any) || dp->fd[TA_M_LEARNED] < 0 ||
	    bpf_map_lookup_elem(dp->fd[TA_M_LEARNED], &k, &v) || v.expires_ns < now)
		return 0;
	return v.rules[slot & 1];
}

uint64_t ta_dp_rules_for(const struct ta_dp *dp, const uint8_t remote[16], int proto, int opener, uint16_t rport)
{
	uint32_t slot = dp->generation & 1, pc;
	struct ta_lpm_key k = { .prefixlen = TA_LPM_SLOT_BITS + 128, .slot = slot };
	struct ta_lpm_val v;

	if (proto == TA_IPPROTO_TCP)
		pc = TA_PC_TCP;
	else if (proto == TA_IPPROTO_UDP)
		pc = TA_PC_UDP;
	else if (proto == TA_IPPROTO_ICMP || proto == TA_IPPROTO_ICMPV6)
		pc = TA_PC_ICMP, rport = 0;
	else
		return 0;
	memcpy(k.addr, remote, 16);
	if (!dp->ports)
		return 0;
	/* no rule takes the port that way: no lookup of the address */
	uint64_t by_port = dp->ports[TA_PORT_IDX(slot, pc, opener & 1, rport)];

	if (!by_port)
		return 0;
	if (bpf_map_lookup_elem(dp->fd[TA_M_POLICY], &k, &v))
		v.rules = 0;
	v.rules |= ta_dp_learned_rules(dp, remote, slot);
	return v.rules & by_port;
}

int ta_dp_set_local(struct ta_dp *dp, const struct ta_prefix *p, size_t n)
{
	int fd = dp->fd[TA_M_LOCAL];

	for (size_t i = 0; i < n; i++) {
		struct ta_local_key k = { .prefixlen = p[i].len };
		uint8_t one = 1;

		memcpy(k.addr, p[i].addr, 16);
		if (bpf_map_update_elem(fd, &k, &one, BPF_ANY)) {
			int err = -errno;
			ta_err("--local: cannot write the prefixes: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}

static int run(int prog_fd, const void *frame, uint32_t len, uint32_t *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len, .repeat = 1);
	int err = bpf_prog_test_run_opts(prog_fd, &opts);

	if (err)
		return -errno;
	*retval = opts.retval;
	return 0;
}

int ta_dp_run_xdp(struct ta_dp *dp, const void *frame, uint32_t len, uint32_t *retval)
{
	return run(ta_dp_prog_fd(dp, TA_P_XDP), frame, len, retval);
}

int ta_dp_run_tc(struct ta_dp *dp, const void *frame, uint32_t len, uint32_t *retval)
{
	return run(ta_dp_prog_fd(dp, TA_P_TC), frame, len, retval);
}

void ta_dp_set_wire_len(struct ta_dp *dp, uint32_t len)
{
	dp->bss->replay_wire_len = len;
}

void ta_dp_set_replay_time(struct ta_dp *dp, uint64_t unix_ns)
{
	dp->bss->replay_now_ns = unix_ns;
}

const struct ta_last *ta_dp_last(struct ta_dp *dp)
{
	return &dp->bss->last_res;
}

static int percpu_sum(int fd, uint32_t n, size_t vsize, void *out)
{
	int ncpu = libbpf_num_possible_cpus();
	size_t words = vsize / 8;
	uint64_t *buf;

	if (ncpu <= 0)
		return ncpu;
	buf = calloc((size_t)ncpu, vsize);
	if (!buf)
		return -ENOMEM;
	memset(out, 0, n * vsize);
	for (uint32_t i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(fd, &i, buf)) {
			int err = -errno;
			free(buf);
			return err;
		}
		for (int c = 0; c < ncpu; c++)
			for (size_t w = 0; w < words; w++)
				((uint64_t *)out)[i * words + w] += buf[c * words + w];
	}
	free(buf);
	return 0;
}

int ta_dp_vstats(struct ta_dp *dp, struct ta_count out[TA_VSTAT_MAX])
{
	return percpu_sum(dp->fd[TA_M_VSTATS], TA_VSTAT_MAX, sizeof(*out), out);
}

int ta_dp_rstats(struct ta_dp *dp, struct ta_count out[TA_MAX_RULES])
{
	return percpu_sum(dp->fd[TA_M_RSTATS], TA_MAX_RULES, sizeof(*out), out);
}

int ta_dp_other(struct ta_dp *dp, ta_other_fn fn, void *arg)
{
	struct ta_other_key k, next, *prev = NULL;
	struct ta_count c;
	int fd = dp->fd[TA_M_OTHER];

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &c))
			continue; /* evicted meanwhile */
		if (fn(&k, &c, arg))
			break;
	}
	return 0;
}

/* Runs of the drop tracer the kernel skipped (nested on a CPU where it was
 * already running): the tracer's program, from the skeleton or the pinned
 * link; 0 when drops are not traced. */
static uint64_t drops_missed(const struct ta_dp *dp)
{
	struct bpf_prog_info pi = { 0 };
	uint32_t len = sizeof(pi);
	int fd = -1, own = 0;

	if (dp->skel) {
		fd = bpf_program__fd(drop_prog(dp));
	} else if (dp->drop_link_fd > 0) {
		struct bpf_link_info li = { 0 };
		uint32_t ll = sizeof(li);

		if (!bpf_obj_get_info_by_fd(dp->drop_link_fd, &li, &ll))
			fd = bpf_prog_get_fd_by_id(li.prog_id);
		own = 1;
	}
	if (fd < 0)
		return 0;
	int err = bpf_obj_get_info_by_fd(fd, &pi, &len);

	if (own)
		close(fd);
	return err ? 0 : pi.recursion_misses;
}

int ta_dp_counters(struct ta_dp *dp, uint64_t out[TA_C_MAX])
{
	int err = percpu_sum(dp->fd[TA_M_COUNTERS], TA_C_MAX, sizeof(*out), out);

	if (!err)
		out[TA_C_KDROP_MISSED] = drops_missed(dp);
	return err;
}

int ta_dp_kdrop_reasons(struct ta_dp *dp, uint64_t out[TA_KDROP_REASON_SLOTS])
{
	return percpu_sum(dp->fd[TA_M_KDROP_REASONS], TA_KDROP_REASON_SLOTS, sizeof(*out), out);
}

int ta_dp_persist_read(const struct ta_dp *dp, struct ta_persist *p)
{
	uint32_t key = 0;

	if (bpf_map_lookup_elem(dp->fd[TA_M_PERSIST], &key, p))
		return -errno;
	if (p->magic != TA_PERSIST_MAGIC || p->version != TA_PERSIST_VERSION) {
		memset(p, 0, sizeof(*p)); /* new maps: start from zero */
		p->magic = TA_PERSIST_MAGIC;
		p->version = TA_PERSIST_VERSION;
	}
	return 0;
}

int ta_dp_persist_write(const struct ta_dp *dp, const struct ta_persist *p)
{
	uint32_t key = 0;

	return bpf_map_update_elem(dp->fd[TA_M_PERSIST], &key, p, BPF_ANY) ? -errno : 0;
}

static uint32_t max_entries(int fd)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.max_entries;
}

/* both flow tables, IPv4 and IPv6: the reader tracks the flows of both */
uint32_t ta_dp_flow_capacity(const struct ta_dp *dp)
{
	return max_entries(dp->fd[TA_M_FLOWS]) + max_entries(dp->fd[TA_M_FLOWS6]);
}

uint32_t ta_dp_flow_capacity_of(const struct ta_dp *dp, bool compact)
{
	return max_entries(dp->fd[compact ? TA_M_FLOWS : TA_M_FLOWS6]);
}

/* A media flow's RTP streams (ta_rtp) summed into v */
static void media_sum(const struct ta_dp *dp, const struct ta_flow_key *k, struct ta_flow_val *v)
{
	struct ta_media m[TA_RTP_STREAMS];
	struct ta_rtp r;
	int n;

	v->media_jitter_us = TA_MEDIA_NO_JITTER;
	if (ta_dp_rtp(dp, k, &r))
		return;
	n = ta_media_of(&r, m, TA_RTP_STREAMS);
	v->media_streams = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		v->media_expected += m[i].expected;
		v->media_lost += m[i].lost;
		v->media_late += m[i].late;
		v->media_dups += m[i].duplicates;
		if (m[i].rate)
			v->media_jitter_us = ta_jitter_max(v->media_jitter_us, (uint32_t)(m[i].jitter_ms * 1000));
	}
}

/* A kernel flow as the reader sees it: the hot entry, its state word
 * unpacked (the generations are the low bits the word keeps, resolved
 * against the one in force), and the cold entry when it has one. */
static void flow_view(const struct ta_dp *dp, const struct ta_flow_key *k, const struct ta_flow_hot *h,
		      struct ta_flow_val *v)
{
	uint64_t st = h->state;
	uint32_t cur = dp->bss ? dp->bss->active_gen : dp->generation;
	uint32_t g20 = (uint32_t)(st >> TA_FS_GEN_SHIFT) & TA_FS_GEN_MASK;
	uint32_t gen = cur - ((cur - g20) & TA_FS_GEN_MASK);
	uint32_t age = (uint32_t)(st >> TA_FS_AGE_SHIFT) & 3;
	uint32_t rule = (uint32_t)(st >> TA_FS_RULE_SHIFT) & TA_FS_NONE;
	struct ta_flow_cold c;

	memset(v, 0, sizeof(*v));
	memcpy(v->packets, h->packets, sizeof(v->packets));
	memcpy(v->bytes, h->bytes, sizeof(v->bytes));
	v->first_ns = h->first_ns;
	v->last_ns = h->last_ns;
	v->flags = (uint32_t)(st & TA_FS_FLAGS_MASK);
	v->opener = (st & TA_FS_OPENER_OUT) ? TA_DIR_OUT : TA_DIR_IN;
	v->rule = rule == TA_FS_NONE ? TA_NO_RULE : rule;
	v->generation = rule == TA_FS_NONE ? gen : age < 2 ? gen - age : 0;
	if (!(st & TA_FS_COLD) || bpf_map_lookup_elem(dp->fd[TA_M_FCOLD], k, &c) || c.first_ns != h->first_ns)
		return; /* none, or evicted from the cold table since */
	v->icmp_type = c.icmp_type;
	v->icmp_code = c.icmp_code;
	v->icmp_errors = c.icmp_errors;
	v->endpoint_drops = c.endpoint_drops;
	memcpy(v->icmp_from, c.icmp_from, 16);
	v->policy_drops = c.policy_drops;
	v->kernel_drops = c.kernel_drops;
	v->last_drop_loc = c.last_drop_loc;
	v->last_drop_reason = c.last_drop_reason;
	v->last_drop_dir = c.last_drop_dir;
	v->last_drop_tcp = c.last_drop_tcp;
	v->last_drop_route = c.last_drop_route;
	v->last_ep_reason = c.last_ep_reason;
	v->last_ep_loc = c.last_ep_loc;
	v->icmp_sent = c.icmp_sent;
	v->icmp_sent_type = c.icmp_sent_type;
	v->icmp_sent_code = c.icmp_sent_code;
	memcpy(v->icmp_sent_from, c.icmp_sent_from, 16);
	v->carries = (uint16_t)c.carries;
	v->relayed = (uint16_t)(c.carries >> 16);
	v->stun_methods = (uint16_t)c.stun;
	v->stun_classes = (uint8_t)(c.stun >> 16);
	if ((c.carries | c.carries >> 16) & (1u << TA_CARRY_RTP))
		media_sum(dp, k, v);
}

bool ta_flow_key_compact(const struct ta_flow_key *k)
{
	return k->family == 4 && k->ifindex < TA_FLOW4_MAX_IFINDEX;
}

void ta_flow_key_to4(struct ta_flow4_key *k4, const struct ta_flow_key *k)
{
	memcpy(&k4->local, k->local + 12, 4);
	memcpy(&k4->remote, k->remote + 12, 4);
	k4->lport = k->lport;
	k4->rport = k->rport;
	k4->ifx_proto = k->ifindex << 8 | k->proto;
}

void ta_flow_key_from4(struct ta_flow_key *k, const struct ta_flow4_key *k4)
{
	memset(k, 0, sizeof(*k));
	k->local[10] = k->local[11] = k->remote[10] = k->remote[11] = 0xff;
	memcpy(k->local + 12, &k4->local, 4);
	memcpy(k->remote + 12, &k4->remote, 4);
	k->lport = k4->lport;
	k->rport = k4->rport;
	k->ifindex = k4->ifx_proto >> 8;
	k->proto = (uint8_t)k4->ifx_proto;
	k->family = 4;
}

/* The key of a batch's i-th flow */
static void batch_key(struct ta_flow_key *k, const unsigned char *keys, size_t ks, bool compact, uint32_t i)
{
	if (compact)
		ta_flow_key_from4(k, (const struct ta_flow4_key *)(keys + i * ks));
	else
		memcpy(k, keys + i * ks, sizeof(*k));
}

/* How far ahead of the flow handed to cb the reader's state is fetched:
 * stage 1 for the flow PRE_NEAR ahead, stage 0 for the one PRE_FAR ahead */
#define PRE_NEAR 8
#define PRE_FAR  16

static void batch_prefetch(const struct ta_flow_walk *fw, const unsigned char *keys, const struct ta_flow_hot *vals,
			   size_t ks, bool compact, uint32_t i, uint32_t count)
{
	struct ta_flow_key k;

	for (int stage = 0; stage < 2; stage++) {
		uint32_t j = i + (stage ? PRE_NEAR : PRE_FAR);

		if (j >= count)
			continue;
		batch_key(&k, keys, ks, compact, j);
		fw->pre(&k, vals[j].first_ns, vals[j].last_ns, stage, fw->arg);
	}
}

/* One flow table, in batches (one syscall per 4096 flows); kernels without
 * batch operations on LRU hashes fall back to key by key.  1 when cb stopped. */
static int walk_flows(struct ta_dp *dp, int m, const struct ta_flow_walk *fw)
{
	ta_flow_cb cb = fw->cb;
	void *arg = fw->arg;

	enum { CHUNK = 4096 };
	int fd = dp->fd[m];
	bool compact = m == TA_M_FLOWS;
	size_t ks = compact ? sizeof(struct ta_flow4_key) : sizeof(struct ta_flow_key);
	unsigned char *keys = malloc(CHUNK * ks);
	struct ta_flow_hot *vals = malloc(CHUNK * sizeof(*vals));
	struct ta_flow_key k;
	struct ta_flow_val v;
	uint64_t batch = 0;
	void *in = NULL;
	int stop = 0, err;

	if (!keys || !vals)
		goto slow;
	for (;;) {
		uint32_t count = CHUNK;
		LIBBPF_OPTS(bpf_map_batch_opts, o);

		err = bpf_map_lookup_batch(fd, in, &batch, keys, vals, &count, &o);
		if (err && errno != ENOENT) {
			if (!in && (errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP))
				goto slow;
			break;
		}
		for (uint32_t i = 0; i < count && !stop; i++) {
			if (fw->pre)
				batch_prefetch(fw, keys, vals, ks, compact, i, count);
			batch_key(&k, keys, ks, compact, i);
			flow_view(dp, &k, &vals[i], &v);
			stop = cb(&k, &v, arg);
		}
		if (err || stop) /* ENOENT: that was the last batch */
			break;
		in = &batch;
	}
	free(keys);
	free(vals);
	return stop;
slow:
	free(keys);
	free(vals);
	{
		union { struct ta_flow4_key k4; struct ta_flow_key k; } cur, next;
		struct ta_flow_hot h;
		void *prev = NULL;

		while (bpf_map_get_next_key(fd, prev, &next) == 0) {
			cur = next;
			prev = &cur;
			if (bpf_map_lookup_elem(fd, &cur, &h))
				continue; /* evicted meanwhile */
			if (compact)
				ta_flow_key_from4(&k, &cur.k4);
			else
				k = cur.k;
			flow_view(dp, &k, &h, &v);
			if (cb(&k, &v, arg))
				return 1;
		}
	}
	return 0;
}

/* Walk the flows: IPv4 (compact keys), then the others */
int ta_dp_flows(struct ta_dp *dp, ta_flow_cb cb, void *arg)
{
	struct ta_flow_walk fw = { .cb = cb, .arg = arg };

	return ta_dp_flows_walk(dp, &fw);
}

int ta_dp_flows_walk(struct ta_dp *dp, const struct ta_flow_walk *fw)
{
	return walk_flows(dp, TA_M_FLOWS, fw) || walk_flows(dp, TA_M_FLOWS6, fw);
}

int ta_dp_flow_lookup(struct ta_dp *dp, const struct ta_flow_key *k, struct ta_flow_val *v)
{
	struct ta_flow4_key k4;
	struct ta_flow_hot h;
	int err;

	if (ta_flow_key_compact(k)) {
		ta_flow_key_to4(&k4, k);
		err = bpf_map_lookup_elem(dp->fd[TA_M_FLOWS], &k4, &h);
	} else {
		err = bpf_map_lookup_elem(dp->fd[TA_M_FLOWS6], k, &h);
	}
	if (err)
		return -errno;
	flow_view(dp, k, &h, v);
	return 0;
}

int ta_dp_flow_delete(struct ta_dp *dp, const struct ta_flow_key *k)
{
	struct ta_flow4_key k4;
	int err;

	if (ta_flow_key_compact(k)) {
		ta_flow_key_to4(&k4, k);
		err = bpf_map_delete_elem(dp->fd[TA_M_FLOWS], &k4);
	} else {
		err = bpf_map_delete_elem(dp->fd[TA_M_FLOWS6], k);
	}
	err = err ? -errno : 0;
	bpf_map_delete_elem(dp->fd[TA_M_FCOLD], k); /* its diagnostics, if any */
	if (dp->fd[TA_M_RTP] >= 0)
		bpf_map_delete_elem(dp->fd[TA_M_RTP], k); /* its media streams */
	return err;
}

struct ta_count ta_vstat_total(const struct ta_count vs[TA_VSTAT_MAX], int v)
{
	struct ta_count t = { 0, 0 };

	for (int d = 0; d < TA_VSTAT_DIRS; d++) {
		t.packets += vs[v * TA_VSTAT_DIRS + d].packets;
		t.bytes += vs[v * TA_VSTAT_DIRS + d].bytes;
	}
	return t;
}

int ta_flow_verdict(const struct ta_flow_val *v)
{
	if (v->flags & TA_FF_UNEXPECTED)
		return TA_V_UNEXPECTED;
	if (v->flags & TA_FF_ALLOWED)
		return TA_V_ALLOWED;
	return TA_V_OTHER;
}
