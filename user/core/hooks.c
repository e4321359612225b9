// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "hooks.h"

int ta_ifaces_parse(const char *list, struct ta_iface *ifaces, int max, int *n)
{
	char *dup = strdup(list), *save = NULL, *tok;

	*n = 0;
	if (!dup)
		return -ENOMEM;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned idx;

		if (*n >= max) {
			ta_err("-i: at most %d interfaces", max);
			free(dup);
			return -E2BIG;
		}
		if (strlen(tok) >= IF_NAMESIZE || !(idx = if_nametoindex(tok))) {
			ta_err("%s: no such interface (see 'ip link')", tok);
			free(dup);
			return -ENODEV;
		}
		for (int i = 0; i < *n; i++)
			if (ifaces[i].ifindex == (int)idx) {
				ta_err("%s: interface given twice", tok);
				free(dup);
				return -EINVAL;
			}
		memset(&ifaces[*n], 0, sizeof(ifaces[*n]));
		snprintf(ifaces[*n].name, sizeof(ifaces[*n].name), "%s", tok);
		ifaces[*n].ifindex = (int)idx;
		(*n)++;
	}
	free(dup);
	if (!*n) {
		ta_err("-i: no interface given");
		return -EINVAL;
	}
	return 0;
}

const char *const ta_hook_names[TA_HK_MAX] = {
	[TA_HK_PINS] = "pins", [TA_HK_XDP] = "xdp", [TA_HK_TC_EGRESS] = "tc_egress", [TA_HK_TC_INGRESS] = "tc_ingress",
};

static void prog_name(uint32_t id, char *buf, size_t len)
{
	struct bpf_prog_info info = { 0 };
	uint32_t il = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	snprintf(buf, len, "id %u", id);
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &il))
		snprintf(buf, len, "'%s' (id %u)", info.name, id);
	close(fd);
}

int ta_attach_xdp(struct ta_iface *ifc, int prog_fd, int mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char name[64];
	int err = -EINVAL;

	if (!bpf_xdp_query(ifc->ifindex, 0, &q) && q.prog_id) {
		prog_name(q.prog_id, name, sizeof(name));
		ta_err("%s: already has an XDP program, %s: refusing to replace it; use --hook tc, or detach it first",
		       ifc->name, name);
		return -EBUSY;
	}
	for (int m = mode; m <= TA_XDP_SKB; m++) {
		LIBBPF_OPTS(bpf_link_create_opts, lo,
			    .flags = m == TA_XDP_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
		int fd = bpf_link_create(prog_fd, ifc->ifindex, BPF_XDP, &lo);

		if (fd >= 0) {
			ifc->has_xdp = true;
			ifc->xdp_link_fd = fd;
			ifc->xdp_mode = m;
			if (m != mode)
				ta_info("%s: the driver has no native XDP: using skb (generic) mode", ifc->name);
			return 0;
		}
		err = -errno;
		if (m == TA_XDP_NATIVE && (err == -EOPNOTSUPP || err == -EINVAL))
			continue;
		break;
	}
	if (err == -EBUSY || err == -EEXIST)
		ta_err("%s: another XDP program is attached: use --hook tc", ifc->name);
	else
		ta_err("%s: cannot attach XDP: %s", ifc->name, strerror(-err));
	return err;
}

static void mark_path(char *buf, size_t n, const char *root, const char *ifname, int ifindex)
{
	/* bpffs takes no '.' in names; no interface name has a ':' */
	snprintf(buf, n, "%s/clsact:%s:%d", root, ifname, ifindex);
}

/* The mark goes before the qdisc is made, so a kill between the two can
 * only leave a mark without a qdisc (harmless), never the reverse. */
static bool mark_make(const char *mark, const char *root)
{
	if (!mkdir(mark, 0700))
		return true;
	if (errno == ENOENT && !mkdir(root, 0700) && !mkdir(mark, 0700))
		return true;
	return false;
}

static void mark_drop(const char *mark)
{
	char root[300], *slash;

	if (!*mark || rmdir(mark))
		return;
	snprintf(root, sizeof(root), "%s", mark);
	if ((slash = strrchr(root, '/')))
		*slash = 0;
	rmdir(root); /* only when empty */
}

int ta_attach_tc(struct ta_iface *ifc, int egress_fd, int ingress_fd, const char *mark_root)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifc->ifindex, .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	char *mark = ifc->clsact_mark;
	bool marked = false;
	int err;

	*mark = 0;
	if (mark_root) {
		mark_path(mark, sizeof(ifc->clsact_mark), mark_root, ifc->name, ifc->ifindex);
		marked = !faccessat(AT_FDCWD, mark, F_OK, AT_EACCESS); /* made by an earlier tokaudit, killed since */
		if (!marked && !mark_make(mark, mark_root))
			*mark = 0;
	}
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		ta_err("%s: cannot create the clsact qdisc: %s", ifc->name, strerror(-err));
		if (!marked)
			mark_drop(mark);
		*mark = 0;
		return err;
	}
	ifc->created_clsact = !err || marked;
	if (!ifc->created_clsact) {
		mark_drop(mark);
		*mark = 0;
	}
	for (int i = 0; i < 2; i++) {
		int fd = i ? ingress_fd : egress_fd;
		LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = ifc->ifindex,
			    .attach_point = i ? BPF_TC_INGRESS : BPF_TC_EGRESS);
		LIBBPF_OPTS(bpf_tc_opts, o, .handle = TA_TC_HANDLE, .priority = TA_TC_PRIO, .prog_fd = fd);

		if (fd < 0)
			continue;
		/* a filter of ours left by an earlier attach is replaced */
		o.flags = BPF_TC_F_REPLACE;
		err = bpf_tc_attach(&h, &o);
		if (err) {
			ta_err("%s: cannot attach the tc %s program: %s", ifc->name, i ? "ingress" : "egress",
			       strerror(-err));
			ta_detach(ifc);
			return err;
		}
		if (i)
			ifc->tc_ingress = true;
		else
			ifc->tc_egress = true;
	}
	return 0;
}

static int tc_detach_one(int ifindex, enum bpf_tc_attach_point ap)
{
	LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = ifindex, .attach_point = ap);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = TA_TC_HANDLE, .priority = TA_TC_PRIO);

	return bpf_tc_detach(&h, &o);
}

void ta_detach(struct ta_iface *ifc)
{
	if (ifc->has_xdp) {
		close(ifc->xdp_link_fd);
		ifc->has_xdp = false;
	}
	if (ifc->tc_egress)
		tc_detach_one(ifc->ifindex, BPF_TC_EGRESS);
	if (ifc->tc_ingress)
		tc_detach_one(ifc->ifindex, BPF_TC_INGRESS);
	ifc->tc_egress = ifc->tc_ingress = false;
	if (ifc->created_clsact) {
		ta_tc_clsact_remove(ifc->ifindex);
		ifc->created_clsact = false;
	}
	mark_drop(ifc->clsact_mark);
	ifc->clsact_mark[0] = 0;
}

void ta_tc_clsact_release(const char *mark_root, const char *ifname, int ifindex, bool owned)
{
	char mark[300];

	mark_path(mark, sizeof(mark), mark_root, ifname, ifindex);
	if (owned || !faccessat(AT_FDCWD, mark, F_OK, AT_EACCESS)) {
		if (ifindex)
			ta_tc_clsact_remove(ifindex);
		mark_drop(mark);
	}
}

int ta_tc_detach_ours(int ifindex)
{
	int n = 0;

	for (int i = 0; i < 2; i++) {
		LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = ifindex, .attach_point = i ? BPF_TC_INGRESS : BPF_TC_EGRESS);
		LIBBPF_OPTS(bpf_tc_opts, o, .handle = TA_TC_HANDLE, .priority = TA_TC_PRIO);

		if (bpf_tc_query(&h, &o) == 0) {
			int err = tc_detach_one(ifindex, h.attach_point);
			if (err)
				return err;
			n++;
		}
	}
	return n;
}

bool ta_tc_ours(int ifindex)
{
	return ta_tc_ours_at(ifindex, false);
}

bool ta_tc_ours_at(int ifindex, bool ingress)
{
	LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = ifindex, .attach_point = ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = TA_TC_HANDLE, .priority = TA_TC_PRIO);

	return ifindex && bpf_tc_query(&h, &o) == 0;
}

void ta_tc_clsact_remove(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	bpf_tc_hook_destroy(&hook);
}

static bool prog_is_ours(uint32_t id)
{
	struct bpf_prog_info info = { 0 };
	uint32_t il = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);
	bool ours;

	if (fd < 0)
		return false;
	ours = !bpf_obj_get_info_by_fd(fd, &info, &il) && !strcmp(info.name, "tokaudit_xdp");
	close(fd);
	return ours;
}

bool ta_xdp_prog_on(int ifindex, uint32_t prog_id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	return prog_id && !bpf_xdp_query(ifindex, 0, &q) &&
	       (q.prog_id == prog_id || q.drv_prog_id == prog_id || q.skb_prog_id == prog_id);
}

bool ta_xdp_ours(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	return ifindex && !bpf_xdp_query(ifindex, 0, &q) && q.prog_id && prog_is_ours(q.prog_id);
}

int ta_xdp_detach_ours(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	uint32_t id = 0;

	if (bpf_xdp_query(ifindex, 0, &q) || !q.prog_id || !prog_is_ours(q.prog_id))
		return 0;
	/* attached through a link (pinned or held by a process): detach the link */
	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info li = { 0 };
		uint32_t len = sizeof(li);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &li, &len) && li.type == BPF_LINK_TYPE_XDP &&
		    li.xdp.ifindex == (uint32_t)ifindex && li.prog_id == q.prog_id) {
			int err = bpf_link_detach(fd) ? -errno : 1;

			close(fd);
			return err;
		}
		close(fd);
	}
	return bpf_xdp_detach(ifindex, 0, NULL) ? -errno : 1;
}
