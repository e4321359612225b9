// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What the kernel and this process can do: see kfeatures.h */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/utsname.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <libmnl/libmnl.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "caps.h"
#include "kfeatures.h"
#include "kdrop.h"

/* The netdev generic netlink family (Linux 6.3+, uapi linux/netdev.h; the
 * headers of older distributions lack it, so its numbers are here) */
#define TA_NETDEV_FAMILY "netdev"
#define TA_NETDEV_CMD_DEV_GET 1
#define TA_NETDEV_A_DEV_IFINDEX 1
#define TA_NETDEV_A_DEV_XDP_FEATURES 3

/* Real addresses in /proc/kallsyms (kptr_restrict and CAP_SYSLOG allow them) */
static bool kallsyms_readable(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[256];
	unsigned long long a = 0;

	/* hidden, every address reads 0; the first few symbols may be 0 anyway
	 * (per-CPU data), so look a little further */
	for (int i = 0; f && i < 64 && !a && fgets(line, sizeof(line), f); i++)
		if (sscanf(line, "%llx", &a) != 1)
			a = 0;
	if (f)
		fclose(f);
	return a != 0;
}

void ta_features_probe(struct ta_features *f)
{
	struct utsname u;
	static char missing[64];
	uint64_t need[] = { TA_CAP_BPF, TA_CAP_NET_ADMIN, TA_CAP_PERFMON };
	const char *names[] = { "CAP_BPF", "CAP_NET_ADMIN", "CAP_PERFMON" };
	size_t off = 0;
	int r;

	memset(f, 0, sizeof(*f));
	if (!uname(&u))
		snprintf(f->kernel, sizeof(f->kernel), "%s %s", u.release, u.machine);
	snprintf(f->libbpf, sizeof(f->libbpf), "%s", libbpf_version_string());
	f->btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	f->caps = ta_caps_effective();
	/* without CAP_BPF (or CAP_SYS_ADMIN) the probe fails whatever the kernel has */
	r = f->caps & (1ULL << TA_CAP_BPF | 1ULL << TA_CAP_SYS_ADMIN)
		    ? libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL)
		    : -EPERM;
	f->ringbuf = r > 0 ? TA_YES : r == 0 ? TA_NO : TA_UNKNOWN;
	if (f->btf) {
		f->tp_btf = ta_kfree_skb_btf();
		f->rx_sk = ta_kfree_skb_has_rx_sk();
		f->drop_reasons = ta_drop_reason_count();
	}
	f->kallsyms = kallsyms_readable();
	missing[0] = 0;
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!(f->caps & (1ULL << need[i])))
			off += (size_t)snprintf(missing + off, sizeof(missing) - off, "%s%s", off ? " " : "", names[i]);
	f->missing_caps = missing;
}

/* An XDP program of these instructions loads: 1, 0 (refused), -errno */
static int probe_insns(const struct bpf_insn *insns, size_t n)
{
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, NULL, "GPL", insns, n, NULL);

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return errno == EPERM ? -EPERM : 0;
}

/* atomic fetch-or and compare-and-swap on a stack slot (Linux 5.12) */
static int probe_atomics(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 0 },
		{ .code = BPF_STX | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_10, .src_reg = BPF_REG_1, .off = -8 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = 1 },
		{ .code = BPF_STX | BPF_ATOMIC | BPF_DW,
		  .dst_reg = BPF_REG_10,
		  .src_reg = BPF_REG_2,
		  .off = -8,
		  .imm = BPF_OR | BPF_FETCH },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_STX | BPF_ATOMIC | BPF_DW,
		  .dst_reg = BPF_REG_10,
		  .src_reg = BPF_REG_2,
		  .off = -8,
		  .imm = BPF_CMPXCHG },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 2 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return probe_insns(insns, sizeof(insns) / sizeof(insns[0]));
}

static int probe_need(int need)
{
	switch (need) {
	case TA_NEED_LOOP: return libbpf_probe_bpf_helper(BPF_PROG_TYPE_XDP, BPF_FUNC_loop, NULL);
	case TA_NEED_XDP_LOAD: return libbpf_probe_bpf_helper(BPF_PROG_TYPE_XDP, BPF_FUNC_xdp_load_bytes, NULL);
	case TA_NEED_ATOMICS: return probe_atomics();
	default: return libbpf_probe_bpf_helper(BPF_PROG_TYPE_XDP, BPF_FUNC_ktime_get_coarse_ns, NULL);
	}
}

const struct ta_variant *ta_variant(void)
{
	static struct ta_variant v;
	static bool done;
	static const char *const names[TA_NEED_MAX] = {
		"bpf_loop (5.17)",
		"bpf_xdp_load_bytes (5.18)",
		"atomic or and cmpxchg (5.12)",
		"bpf_ktime_get_coarse_ns (5.11)",
	};
	const char *force = getenv("TOKAUDIT_BPF_VARIANT");
	size_t off = 0;

	if (done)
		return &v;
	done = true;
	v.probed = true;
	for (int i = 0; i < TA_NEED_MAX; i++) {
		int r = probe_need(i);

		if (r < 0) { /* no privilege to ask: the full variant is tried */
			v.probed = false;
			v.missing = 0;
			break;
		}
		if (r == 0)
			v.missing |= 1u << i;
	}
	for (int i = 0; i < TA_NEED_MAX; i++)
		if (v.missing & (1u << i))
			off += (size_t)snprintf(v.missing_str + off, sizeof(v.missing_str) - off, "%s%s",
						off ? ", " : "", names[i]);
	v.compat = v.missing != 0;
	if (force && (!strcmp(force, "compat") || !strcmp(force, "full"))) {
		v.compat = !strcmp(force, "compat");
		v.forced = true;
	}
	return &v;
}

size_t ta_kernel_losses(const char *out[TA_LOSS_MAX])
{
	static char compat[320];
	const struct ta_variant *v = ta_variant();
	size_t n = 0;

	if (v->compat) {
		snprintf(compat, sizeof(compat), "compat programs (%s%s): %s",
			 v->forced ? "forced by TOKAUDIT_BPF_VARIANT" : "this kernel lacks ",
			 v->forced ? "" : v->missing_str, TA_COMPAT_LOSS);
		out[n++] = compat;
	}
	if (!ta_drop_reason_count())
		out[n++] = "drop reasons: this kernel names none (Linux 5.17+ does): kernel drops show the reason "
			   "'unknown', with their place";
	return n;
}

static const char *const xdp_feature_names[] = {
	"basic", "redirect", "ndo-xmit", "xsk-zerocopy", "hw-offload", "rx-sg", "ndo-xmit-sg",
};

const char *ta_xdp_features_str(uint64_t bits, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(xdp_feature_names) / sizeof(xdp_feature_names[0]) && off < len; i++)
		if (bits & (1ULL << i))
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? " " : "", xdp_feature_names[i]);
	if (!buf[0])
		snprintf(buf, len, "none");
	return buf;
}

/* ---- generic netlink, through libmnl ---- */

struct genl_reply {
	int family;          /* CTRL_ATTR_FAMILY_ID */
	uint64_t xdp;        /* NETDEV_A_DEV_XDP_FEATURES */
	bool have_xdp;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	struct genl_reply *r = data;
	if (r->family < 0) { /* the controller's answer */
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID && !mnl_attr_validate(a, MNL_TYPE_U16))
			r->family = mnl_attr_get_u16(a);
	} else if (mnl_attr_get_type(a) == TA_NETDEV_A_DEV_XDP_FEATURES && !mnl_attr_validate(a, MNL_TYPE_U64)) {
		r->xdp = mnl_attr_get_u64(a);
		r->have_xdp = true;
	}
	return MNL_CB_OK;
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), attr_cb, data);
}

/* One request, its answer through msg_cb; 0 or -errno (the kernel's) */
static int genl_call(struct mnl_socket *nl, struct nlmsghdr *nlh, struct genl_reply *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int portid = mnl_socket_get_portid(nl), seq = nlh->nlmsg_seq;
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, msg_cb, r);
		if (ret < 0)
			return -errno;
		if (ret == MNL_CB_STOP)
			break;
	}
	return n < 0 ? -errno : 0;
}

static struct nlmsghdr *genl_msg(char *buf, uint16_t type, uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

/* The driver's XDP features from the netdev family: 0, or -errno
 * (-ENOENT: the kernel has no netdev family, i.e. before 6.3) */
static int netdev_xdp_features(int ifindex, uint64_t *bits)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_GENERIC);
	struct genl_reply r = { .family = -1 };
	struct nlmsghdr *nlh;
	int err;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	nlh = genl_msg(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, TA_NETDEV_FAMILY);
	err = genl_call(nl, nlh, &r);
	if (!err && r.family < 0)
		err = -ENOENT;
	if (err)
		goto out;
	nlh = genl_msg(buf, (uint16_t)r.family, TA_NETDEV_CMD_DEV_GET, 1);
	mnl_attr_put_u32(nlh, TA_NETDEV_A_DEV_IFINDEX, (uint32_t)ifindex);
	err = genl_call(nl, nlh, &r);
	if (!err && !r.have_xdp)
		err = -ENODATA;
	if (!err)
		*bits = r.xdp;
out:
	mnl_socket_close(nl);
	return err;
}

int ta_xdp_support(const char *ifname, struct ta_xdp_support *x)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int ifindex = (int)if_nametoindex(ifname), err;
	static char why[128];

	memset(x, 0, sizeof(*x));
	if (!ifindex)
		return -ENODEV;
	err = netdev_xdp_features(ifindex, &x->xdp_features);
	if (!err) {
		x->native = (x->xdp_features & 1) ? TA_YES : TA_NO; /* NETDEV_XDP_ACT_BASIC */
	} else {
		x->native = TA_UNKNOWN;
		if (err == -ENOENT)
			snprintf(why, sizeof(why), "this kernel does not report XDP features (Linux 6.3+ does); "
				 "'tokaudit attach' tries native and falls back to skb");
		else
			snprintf(why, sizeof(why), "netdev netlink: %s", strerror(-err));
		x->why = why;
	}
	if (!bpf_xdp_query(ifindex, 0, &q) && q.prog_id) {
		x->prog_id = q.prog_id;
		x->attach_mode = q.attach_mode == XDP_ATTACHED_DRV	? "native"
				 : q.attach_mode == XDP_ATTACHED_SKB	? "skb"
				 : q.attach_mode == XDP_ATTACHED_HW	? "offload"
									: "multi";
	}
	return 0;
}
