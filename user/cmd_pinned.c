// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Pinned mode: tokaudit attach | detach | status | flows | stats | reload.
 *
 * attach pins maps and the XDP link under /sys/fs/bpf/tokaudit/<iface>/ and
 * returns; the programs keep auditing (fail open) with no process running.
 * Every command takes an exclusive lock on /sys/fs/bpf/tokaudit, so two
 * invocations are serialised, never interleaved.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "commands.h"
#include "json.h"
#include "pinned.h"
#include "session.h"
#include "tokaudit.skel.h"

#define BPF_FS_MAGIC_ 0xcafe4a11

/* /sys/fs/bpf/tokaudit, or $TOKAUDIT_PIN_ROOT (tests, several instances) */
static const char *pin_root(void)
{
	const char *r = getenv("TOKAUDIT_PIN_ROOT");

	return r && r[0] == '/' ? r : "/sys/fs/bpf/tokaudit";
}
#define PIN_ROOT pin_root()

static int lock_fd = -1;

/*
 * Will the pins outlive this command?  They do when the bpffs they go to is
 * the one the process that started us sees (or, when that cannot be read,
 * PID 1): 'ip netns exec' gives a command a private mount namespace with a
 * fresh /sys, and a bpffs mounted there vanishes with the command.
 */
static bool pins_persist(const char *root)
{
	struct stat me, ref, a, b;
	char dir[256], refdir[320], path[64], *slash;
	int pids[2] = { (int)getppid(), 1 }, i;

	if (stat("/proc/self/ns/mnt", &me))
		return true; /* no way to tell */
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pids[i]);
		if (!stat(path, &ref))
			break;
	}
	if (i == 2 || me.st_ino == ref.st_ino)
		return true; /* the starter's mount namespace (or no way to tell) */
	snprintf(dir, sizeof(dir), "%s", root);
	if ((slash = strrchr(dir, '/')) && slash != dir)
		*slash = 0; /* the filesystem the pin root is created in */
	snprintf(refdir, sizeof(refdir), "/proc/%d/root%s", pids[i], dir);
	return !stat(dir, &a) && !stat(refdir, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static bool bpffs_mounted(void)
{
	struct statfs st;

	return getenv("TOKAUDIT_PIN_ROOT") || (!statfs("/sys/fs/bpf", &st) && st.f_type == BPF_FS_MAGIC_);
}

/* Mount bpffs at /sys/fs/bpf when missing; take the lock. */
static int pin_prepare(bool create)
{
	struct statfs st;

	if (!pins_persist(PIN_ROOT)) {
		if (create)
			ta_err("refusing to pin in a private mount namespace ('ip netns exec' gives each command "
			       "its own /sys): the pins would vanish when tokaudit exits; run it as "
			       "'nsenter --net=/run/netns/NAME tokaudit ...', or mount bpffs in that mount namespace "
			       "and keep it");
		else
			ta_err("this command runs in a private mount namespace ('ip netns exec'?) that does not "
			       "see the machine's pins: run it as 'nsenter --net=/run/netns/NAME tokaudit ...'");
		return -EPERM;
	}
	if (getenv("TOKAUDIT_PIN_ROOT"))
		; /* the caller chose where: its filesystem is its business */
	else if (statfs("/sys/fs/bpf", &st) || st.f_type != BPF_FS_MAGIC_) {
		if (!create) {
			ta_err("nothing attached: bpffs is not mounted at /sys/fs/bpf");
			return -ENOENT;
		}
		mkdir("/sys/fs/bpf", 0700);
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
			int err = -errno;
			ta_err("bpffs unavailable: cannot mount it at /sys/fs/bpf: %s%s", strerror(errno),
			       errno == EPERM ? " (run as root)" : "");
			return err;
		}
	}
	if (mkdir(PIN_ROOT, 0700) && errno != EEXIST) {
		int err = -errno;
		ta_err("cannot create %s: %s%s", PIN_ROOT, strerror(errno),
		       errno == EACCES || errno == EPERM ? " (run as root)" : "");
		return err;
	}
	lock_fd = open(PIN_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX)) {
		int err = -errno;
		ta_err("cannot lock %s: %s", PIN_ROOT, strerror(errno));
		return err;
	}
	return 0;
}

static void pin_release(void)
{
	if (lock_fd >= 0) {
		flock(lock_fd, LOCK_UN);
		close(lock_fd);
		lock_fd = -1;
	}
	rmdir(PIN_ROOT); /* only when empty */
}

static void pin_dir(char *buf, size_t len, const char *ifname)
{
	snprintf(buf, len, "%s/%s", PIN_ROOT, ifname);
}

static bool pinned(const char *dir)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/ta_flows", dir);
	return access(p, F_OK) == 0;
}

/* Read the pinned meta; checks it was written by a compatible version. */
static int read_meta(const char *dir, struct ta_meta *m)
{
	char p[256];
	uint32_t key = 0;
	int fd, err = 0;

	snprintf(p, sizeof(p), "%s/ta_meta", dir);
	fd = bpf_obj_get(p);
	if (fd < 0)
		return -errno;
	if (bpf_map_lookup_elem(fd, &key, m))
		err = -errno;
	close(fd);
	if (!err && (m->magic != TA_META_MAGIC || m->version != TA_META_VERSION)) {
		ta_err("the pins in %s are from an incompatible version of tokaudit (layout %u, this one %u): "
		       "run 'tokaudit detach -i %s' and attach again", dir, m->version, TA_META_VERSION,
		       strrchr(dir, '/') + 1);
		return -EPROTO;
	}
	return err;
}

static int write_meta(struct ta_dp *dp, const struct ta_meta *m)
{
	uint32_t key = 0;

	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.ta_meta), &key, m, BPF_ANY)) {
		int err = -errno;
		ta_err("cannot write the attach's metadata: %s", strerror(errno));
		return err;
	}
	return 0;
}

static void meta_labels(struct ta_meta *m, const struct ta_policy *pol, const char *path)
{
	/* flows judged under the policy being replaced keep reading its labels */
	if (m->generation) {
		memcpy(m->prev_labels, m->labels, sizeof(m->labels));
		m->prev_nrules = m->nrules;
		m->prev_generation = m->generation;
	}
	memset(m->labels, 0, sizeof(m->labels));
	for (size_t i = 0; i < pol->nrules && i < TA_MAX_RULES; i++)
		snprintf(m->labels[i], sizeof(m->labels[i]), "%s", pol->rules[i].label);
	m->nrules = (uint32_t)pol->nrules;
	snprintf(m->policy, sizeof(m->policy), "%s", path ? path : "built-in");
}

static void labels_of(const struct ta_meta *m, const char **labels)
{
	memset(labels, 0, sizeof(const char *) * TA_MAX_RULES);
	for (uint32_t i = 0; i < m->nrules && i < TA_MAX_RULES; i++)
		labels[i] = m->labels[i];
}

/* How to read the pinned flows: both generations' labels */
struct meta_view {
	const char *labels[TA_MAX_RULES];
	const char *prev[TA_MAX_RULES];
	struct ta_flow_ctx ctx;
};

static void meta_view(const struct ta_meta *m, uint32_t generation, struct meta_view *mv)
{
	labels_of(m, mv->labels);
	memset(mv->prev, 0, sizeof(mv->prev));
	for (uint32_t i = 0; i < m->prev_nrules && i < TA_MAX_RULES; i++)
		mv->prev[i] = m->prev_labels[i];
	mv->ctx = (struct ta_flow_ctx){
		.labels = mv->labels, .nlabels = TA_MAX_RULES, .generation = generation,
		.prev_labels = m->prev_generation && m->prev_generation + 1 == generation ? mv->prev : NULL,
		.prev_nlabels = TA_MAX_RULES, .now_ns = ta_now_ns(),
	};
}

/* Open the pinned state of one interface (programs loaded, not attached). */
static int open_pinned(const char *dir, struct ta_dp *dp, struct ta_meta *m)
{
	struct ta_dp_opts o = { .no_events = true, .pin_dir = dir };
	int err;

	if (!pinned(dir)) {
		ta_err("tokaudit is not attached on %s (no pins in %s)", strrchr(dir, '/') + 1, dir);
		return -ENOENT;
	}
	if ((err = read_meta(dir, m)))
		return err;
	return ta_dp_open(dp, &o);
}

/* ---- attach ---- */

struct attach_cfg {
	const char *ifaces;
	const char *side;
	const char *policy;
	bool enforce;
	const char *hook;
	const char *xdp_mode;
	unsigned flows;
};

static const struct ta_opt attach_opts[] = {
	TA_ATTACH_OPTS(struct attach_cfg),
	{ "policy", 'p', TA_OPT_STR, offsetof(struct attach_cfg, policy), "FILE",
	  "policy file (default: the built-in policy on a first attach, the pinned one after)" },
	{ "enforce", 'e', TA_OPT_FLAG, offsetof(struct attach_cfg, enforce), NULL,
	  "drop unexpected packets (default: audit only)" },
	{ "flows", 0, TA_OPT_UINT, offsetof(struct attach_cfg, flows), "N",
	  "size of the flow table on a first attach (default 131072)", 1024, 16777216 },
	{ 0 },
};

static int attach_xdp_pinned(struct ta_iface *ifc, const char *dir, int prog_fd, int mode)
{
	char lp[256];
	int fd, err;

	snprintf(lp, sizeof(lp), "%s/xdp_link", dir);
	fd = bpf_obj_get(lp);
	if (fd >= 0) {
		/* ours from an earlier attach: swap the program in place, no gap */
		err = bpf_link_update(fd, prog_fd, NULL) ? -errno : 0;
		close(fd);
		if (err)
			ta_err("%s: cannot update the XDP link: %s", ifc->name, strerror(-err));
		return err;
	}
	if ((err = ta_attach_xdp(ifc, prog_fd, mode)))
		return err;
	if (bpf_obj_pin(ifc->xdp_link_fd, lp)) {
		err = -errno;
		ta_err("%s: cannot pin the XDP link at %s: %s", ifc->name, lp, strerror(errno));
		ta_detach(ifc);
		return err;
	}
	close(ifc->xdp_link_fd);
	ifc->has_xdp = false;
	return 0;
}

/* Unpin everything in dir and remove it. */
static int remove_pins(const char *dir)
{
	char p[512];
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	return rmdir(dir);
}

static int attach_one(struct attach_cfg *cfg, struct ta_session *opts, struct ta_iface *ifc,
		      const struct ta_policy *pol, const struct ta_compiled *comp)
{
	char dir[128], lp[512];
	struct ta_meta m = { 0 };
	struct ta_dp dp;
	bool again;
	int err;

	pin_dir(dir, sizeof(dir), ifc->name);
	again = pinned(dir);
	if (again && (err = read_meta(dir, &m)))
		return err;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		err = -errno;
		ta_err("cannot create %s: %s", dir, strerror(errno));
		return err;
	}
	struct ta_dp_opts o = {
		.enforce = opts->enforce, .no_events = true, .pin_dir = dir, .flow_entries = cfg->flows,
		.drops = true,
		.xdp_dir_mode = opts->side == TA_SIDE_OUTSIDE ? TA_DM_IN : TA_DM_OUT,
		.tc_in_dir_mode = opts->side == TA_SIDE_OUTSIDE ? TA_DM_IN : TA_DM_OUT,
		.tc_dir_mode = opts->side == TA_SIDE_OUTSIDE ? TA_DM_OUT : TA_DM_IN,
	};
	if ((err = ta_dp_open(&dp, &o))) {
		if (!again)
			rmdir(dir);
		return err;
	}
	/* a first attach, or a new policy: install it; else the pinned one stays */
	if (!again || cfg->policy) {
		if ((err = ta_dp_set_policy(&dp, comp)))
			goto out;
		meta_labels(&m, pol, cfg->policy);
	}
	if (opts->hook == TA_HOOK_XDP) {
		err = attach_xdp_pinned(ifc, dir, bpf_program__fd(dp.skel->progs.tokaudit_xdp), opts->xdp_mode);
	} else {
		snprintf(lp, sizeof(lp), "%s/xdp_link", dir);
		unlink(lp); /* switching to tc: the pinned XDP link goes */
	}
	if (!err)
		err = ta_attach_tc(ifc, bpf_program__fd(dp.skel->progs.tokaudit_tc),
				   opts->hook == TA_HOOK_TC ? bpf_program__fd(dp.skel->progs.tokaudit_tc_in) : -1);
	if (err)
		goto out;
	/* kernel drops of this interface's flows, traced with a pinned link */
	{
		int fd = ta_dp_attach_drops(&dp, &ifc->ifindex, 1);
		snprintf(lp, sizeof(lp), "%s/drop_link", dir);
		if (fd >= 0) {
			unlink(lp);
			if (bpf_obj_pin(fd, lp))
				ta_info("%s: cannot pin the drop-tracing link: %s", ifc->name, strerror(errno));
			close(fd);
		} else {
			ta_info("%s: kernel drops will not be traced; everything else works", ifc->name);
		}
	}
	/* keep "we made clsact" from the first attach: that one must remove it */
	if (!again)
		m.created_clsact = ifc->created_clsact;
	ifc->created_clsact = false; /* nothing to undo here */
	ifc->tc_egress = ifc->tc_ingress = false;
	m.magic = TA_META_MAGIC;
	m.version = TA_META_VERSION;
	m.generation = dp.generation;
	m.side = (uint8_t)opts->side;
	m.hook = (uint8_t)opts->hook;
	m.enforce = opts->enforce;
	m.xdp_mode = (uint8_t)(opts->hook == TA_HOOK_XDP ? (ifc->xdp_mode ? ifc->xdp_mode : m.xdp_mode) : TA_XDP_NONE);
	m.ifindex = (uint32_t)ifc->ifindex;
	m.attaches++;
	if (!again)
		m.attached_ns = ta_now_ns();
	err = write_meta(&dp, &m);
	if (!err)
		printf("%s: %s (%s side, %s, %s), policy %s generation %u, pins in %s\n", ifc->name,
		       again ? "attached again, counters kept" : "attached",
		       opts->side == TA_SIDE_OUTSIDE ? "outside" : "inside",
		       opts->hook == TA_HOOK_TC ? "tc" : m.xdp_mode == TA_XDP_SKB ? "xdp skb mode + tc" : "xdp + tc",
		       opts->enforce ? "enforcing" : "audit only", m.policy, m.generation, dir);
out:
	ta_dp_close(&dp);
	if (err && !again)
		remove_pins(dir); /* a failed first attach leaves nothing behind */
	return err;
}

static int do_attach(void *vcfg)
{
	struct attach_cfg *cfg = vcfg;
	struct ta_session *s = calloc(1, sizeof(*s));
	struct ta_policy pol = { 0 };
	struct ta_compiled comp = { 0 };
	int rc = TA_EXIT_FAIL, r;

	if (!s)
		return TA_EXIT_FAIL;
	if (!cfg->ifaces) {
		ta_err("attach: which interface? give -i IFACE");
		rc = TA_EXIT_USAGE;
		goto out;
	}
	if ((r = ta_parse_attach_opts("attach", cfg->side, cfg->hook, cfg->xdp_mode, s))) {
		rc = r;
		goto out;
	}
	s->enforce = cfg->enforce;
	if (ta_ifaces_parse(cfg->ifaces, s->ifaces, TA_MAX_IFACES, &s->nifaces))
		goto out;
	if (ta_load_policy_or_builtin(cfg->policy, &pol))
		goto out;
	if ((r = ta_policy_compile(&pol, &comp))) {
		ta_err("attach: cannot compile the policy: %s", strerror(-r));
		goto out;
	}
	if (pin_prepare(true))
		goto out;
	rc = TA_EXIT_OK;
	for (int i = 0; i < s->nifaces; i++)
		if (attach_one(cfg, s, &s->ifaces[i], &pol, &comp))
			rc = TA_EXIT_FAIL;
	pin_release();
out:
	ta_compiled_free(&comp);
	ta_policy_free(&pol);
	free(s);
	return rc;
}

const struct ta_cmd ta_cmd_attach = {
	.name = "attach",
	.summary = "Attach and return: programs, links and maps pinned under\n"
		   "/sys/fs/bpf/tokaudit/IFACE/, auditing with no process running.",
	.details = "Attaching again keeps the flows and counters (and the policy, unless\n"
		   "--policy is given). bpffs is mounted when missing. Read with status,\n"
		   "flows and stats; change the policy with reload; remove with detach.",
	.opts = attach_opts,
	.cfg_size = sizeof(struct attach_cfg),
	.run = do_attach,
};

/* ---- detach ---- */

struct iface_cfg {
	const char *ifaces;
	bool json;
	const char *policy;
};

static const struct ta_opt detach_opts[] = {
	{ "interface", 'i', TA_OPT_STR, offsetof(struct iface_cfg, ifaces), "IFACE[,IFACE...]",
	  "interfaces to detach from (required)" },
	{ 0 },
};

static int detach_one(const char *ifname, bool no_pins)
{
	char dir[128], p[256];
	struct ta_meta m = { 0 };
	int err;

	pin_dir(dir, sizeof(dir), ifname);
	if (no_pins || !pinned(dir)) {
		/* no pins, but maybe hooks of ours: left by a killed 'run', or by an
		 * attach whose pins vanished with a private bpffs */
		unsigned ix = if_nametoindex(ifname);
		int ntc = ix ? ta_tc_detach_ours((int)ix) : 0, nx = ix ? ta_xdp_detach_ours((int)ix) : 0;

		if (nx < 0)
			ta_err("%s: cannot remove tokaudit's XDP program: %s", ifname, strerror(-nx));
		if (ntc > 0 || nx > 0) {
			printf("%s: no pins; removed tokaudit's %s%s%s left behind\n", ifname, ntc ? "tc filters" : "",
			       ntc && nx > 0 ? " and " : "", nx > 0 ? "XDP program" : "");
			return nx < 0 ? nx : 0;
		}
		ta_err("tokaudit is not attached on %s", ifname);
		return -ENOENT;
	}
	err = read_meta(dir, &m);
	/* the XDP link goes with its pin */
	snprintf(p, sizeof(p), "%s/xdp_link", dir);
	unlink(p);
	unsigned idx = if_nametoindex(ifname);
	if (idx) {
		ta_tc_detach_ours((int)idx);
		if (!err && m.created_clsact) {
			LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)idx, .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
			bpf_tc_hook_destroy(&hook);
		}
	}
	if (remove_pins(dir)) {
		err = -errno;
		ta_err("cannot remove %s: %s", dir, strerror(errno));
		return err;
	}
	printf("%s: detached, pins removed\n", ifname);
	return 0;
}

static int do_detach(void *vcfg)
{
	struct iface_cfg *cfg = vcfg;
	char *dup, *save = NULL, *tok;
	int rc = TA_EXIT_OK;
	bool no_pins = false;

	if (!cfg->ifaces) {
		ta_err("detach: which interface? give -i IFACE");
		return TA_EXIT_USAGE;
	}
	/* no pins to see (private mount namespace, no bpffs): the hooks of
	 * ours still go, found by name */
	if (!pins_persist(PIN_ROOT) || !bpffs_mounted()) {
		ta_info("detach: no pins visible here (%s); removing tokaudit's hooks by name",
			pins_persist(PIN_ROOT) ? "bpffs is not mounted" : "private mount namespace");
		no_pins = true;
	} else if (pin_prepare(false)) {
		return TA_EXIT_FAIL;
	}
	dup = strdup(cfg->ifaces);
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (detach_one(tok, no_pins))
			rc = TA_EXIT_FAIL;
	free(dup);
	if (!no_pins)
		pin_release();
	return rc;
}

const struct ta_cmd ta_cmd_detach = {
	.name = "detach",
	.summary = "Detach from interfaces and remove everything attach made there.",
	.opts = detach_opts,
	.cfg_size = sizeof(struct iface_cfg),
	.run = do_detach,
};

/* ---- status / flows / stats ---- */

static const struct ta_opt read_opts[] = {
	{ "interface", 'i', TA_OPT_STR, offsetof(struct iface_cfg, ifaces), "IFACE[,IFACE...]",
	  "only these interfaces (default: every attached one)" },
	{ "json", 'j', TA_OPT_FLAG, offsetof(struct iface_cfg, json), NULL, "one JSON object per line" },
	{ 0 },
};

typedef int (*per_iface_fn)(const char *ifname, const char *dir, struct ta_dp *dp,
			    const struct ta_meta *m, struct iface_cfg *cfg);

/* Run fn for each attached interface (or the ones named). */
static int for_each_attached(struct iface_cfg *cfg, per_iface_fn fn)
{
	char dir[128];
	int rc = TA_EXIT_OK, n = 0;
	char names[64][IF_NAMESIZE + 1];

	if (pin_prepare(false))
		return TA_EXIT_FAIL;
	if (cfg->ifaces) {
		char *dup = strdup(cfg->ifaces), *save = NULL, *tok;
		for (tok = strtok_r(dup, ",", &save); tok && n < 64; tok = strtok_r(NULL, ",", &save))
			snprintf(names[n++], sizeof(names[0]), "%s", tok);
		free(dup);
	} else {
		DIR *d = opendir(PIN_ROOT);
		struct dirent *de;
		while (d && (de = readdir(d)) && n < 64)
			if (de->d_name[0] != '.')
				snprintf(names[n++], sizeof(names[0]), "%s", de->d_name);
		if (d)
			closedir(d);
		if (!n) {
			ta_err("tokaudit is not attached anywhere (see 'tokaudit attach --help')");
			pin_release();
			return TA_EXIT_FAIL;
		}
	}
	for (int i = 0; i < n; i++) {
		struct ta_dp dp;
		struct ta_meta m;

		pin_dir(dir, sizeof(dir), names[i]);
		if (open_pinned(dir, &dp, &m)) {
			rc = TA_EXIT_FAIL;
			continue;
		}
		if (fn(names[i], dir, &dp, &m, cfg))
			rc = TA_EXIT_FAIL;
		ta_dp_close(&dp);
	}
	pin_release();
	return rc;
}

static int hooks_state(const char *dir, const struct ta_meta *m, bool *xdp, bool *tc)
{
	char lp[256];
	int fd;

	snprintf(lp, sizeof(lp), "%s/xdp_link", dir);
	*xdp = false;
	fd = bpf_obj_get(lp);
	if (fd >= 0) {
		struct bpf_link_info li = { 0 };
		uint32_t len = sizeof(li);
		/* a link whose interface went away is "detached" */
		*xdp = !bpf_obj_get_info_by_fd(fd, &li, &len) && li.xdp.ifindex;
		close(fd);
	}
	LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = (int)m->ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = TA_TC_HANDLE, .priority = TA_TC_PRIO);
	*tc = bpf_tc_query(&h, &o) == 0;
	return 0;
}

static int status_one(const char *ifname, const char *dir, struct ta_dp *dp, const struct ta_meta *m,
		      struct iface_cfg *cfg)
{
	bool xdp, tc;
	uint64_t cnt[TA_C_MAX];
	struct ta_count vs[TA_VSTAT_MAX];

	hooks_state(dir, m, &xdp, &tc);
	if (ta_dp_counters(dp, cnt) || ta_dp_vstats(dp, vs))
		return -1;
	uint64_t tot[TA_V_MAX] = { 0 };
	for (int v = 0; v < TA_V_MAX; v++)
		tot[v] = ta_vstat_total(vs, v).packets;
	double up = (double)(ta_now_ns() - m->attached_ns) / 1e9;
	if (cfg->json) {
		json_object *o = json_object_new_object(), *p = json_object_new_object();

		ta_jadd(o, "iface", ta_jstr(ifname));
		ta_jadd(o, "pins", ta_jstr(dir));
		ta_jadd(o, "side", ta_jstr(m->side ? "inside" : "outside"));
		ta_jadd(o, "hook", ta_jstr(m->hook ? "tc" : m->xdp_mode == TA_XDP_SKB ? "xdp-skb" : "xdp"));
		ta_jadd(o, "xdp_attached", ta_jbool(xdp));
		ta_jadd(o, "tc_attached", ta_jbool(tc));
		ta_jadd(o, "enforce", ta_jbool(m->enforce));
		ta_jadd(o, "policy", ta_jstr(m->policy));
		ta_jadd(o, "generation", ta_ju64(dp->generation));
		ta_jadd(o, "rules", ta_ju64(m->nrules));
		ta_jadd(o, "attaches", ta_ju64(m->attaches));
		ta_jadd(o, "uptime", ta_jnum(up, 0));
		for (int v = 0; v < TA_V_MAX; v++)
			ta_jadd(p, ta_verdict_name(v), ta_ju64(tot[v]));
		ta_jadd(o, "packets", p);
		ta_jadd(o, "policy_drops", ta_ju64(cnt[TA_C_POLICY_DROP]));
		ta_jadd(o, "flows_created", ta_ju64(cnt[TA_C_FLOW_NEW]));
		ta_jprint(stdout, o);
		return 0;
	}
	printf("%s: %s side, %s%s, %s, policy %s (generation %u, %u rules), attached %.0f s ago (%u attach%s)\n"
	       "  packets: %llu allowed, %llu unexpected, %llu other, %llu invalid; %llu dropped by policy\n"
	       "  pins: %s\n",
	       ifname, m->side ? "inside" : "outside",
	       m->hook ? "tc" : (xdp ? (m->xdp_mode == TA_XDP_SKB ? "XDP (skb mode)" : "XDP") : "XDP MISSING"),
	       tc ? " + tc" : ", tc MISSING", m->enforce ? "enforcing" : "audit only", m->policy, dp->generation,
	       m->nrules, up, m->attaches, m->attaches == 1 ? "" : "es", (unsigned long long)tot[TA_V_ALLOWED],
	       (unsigned long long)tot[TA_V_UNEXPECTED], (unsigned long long)tot[TA_V_OTHER],
	       (unsigned long long)tot[TA_V_INVALID], (unsigned long long)cnt[TA_C_POLICY_DROP], dir);
	return 0;
}

struct flows_print {
	const char *ifname;
	struct meta_view mv;
	bool json;
	size_t n;
};

static int print_pinned_flow(const struct ta_flow_key *k, const struct ta_flow_val *v, void *arg)
{
	struct flows_print *fp = arg;

	fp->n++;
	if (fp->json)
		ta_jprint(stdout, ta_flow_jobj(&fp->mv.ctx, NULL, fp->ifname, k, v));
	else
		ta_flow_line(stdout, &fp->mv.ctx, k, v, 52);
	return 0;
}

static int flows_one(const char *ifname, const char *dir, struct ta_dp *dp, const struct ta_meta *m,
		     struct iface_cfg *cfg)
{
	struct flows_print fp = { .ifname = ifname, .json = cfg->json };

	meta_view(m, dp->generation, &fp.mv);
	if (!cfg->json)
		printf("%s:\n%-52s %-10s %-8s %-11s %13s %15s %6s\n", ifname, "FLOW", "VERDICT", "RULE", "STATE",
		       "PKTS OUT/IN", "BYTES OUT/IN", "IDLE");
	ta_dp_flows(dp, print_pinned_flow, &fp);
	if (!cfg->json && !fp.n)
		printf("  no flows\n");
	return 0;
}

static int stats_one(const char *ifname, const char *dir, struct ta_dp *dp, const struct ta_meta *m,
		     struct iface_cfg *cfg)
{
	const char *labels[TA_MAX_RULES];

	labels_of(m, labels);
	if (cfg->json) {
		json_object *o = json_object_new_object();

		ta_jadd(o, "iface", ta_jstr(ifname));
		ta_jadd(o, "generation", ta_ju64(dp->generation));
		ta_counters_json(o, dp, labels, m->nrules);
		ta_jprint(stdout, o);
	} else {
		printf("%s (policy %s, generation %u):\n", ifname, m->policy, dp->generation);
		ta_print_counters(stdout, dp, labels, m->nrules);
	}
	return 0;
}

static int do_status(void *cfg) { return for_each_attached(cfg, status_one); }
static int do_flows(void *cfg) { return for_each_attached(cfg, flows_one); }
static int do_stats(void *cfg) { return for_each_attached(cfg, stats_one); }

const struct ta_cmd ta_cmd_status = {
	.name = "status",
	.summary = "Show where tokaudit is attached (pinned mode), how, and its totals.",
	.opts = read_opts, .cfg_size = sizeof(struct iface_cfg), .run = do_status,
};
const struct ta_cmd ta_cmd_flows = {
	.name = "flows",
	.summary = "List the flows of the pinned flow tables.",
	.opts = read_opts, .cfg_size = sizeof(struct iface_cfg), .run = do_flows,
};
const struct ta_cmd ta_cmd_stats = {
	.name = "stats",
	.summary = "Show the pinned counters: per verdict, per rule, named counters.",
	.opts = read_opts, .cfg_size = sizeof(struct iface_cfg), .run = do_stats,
};

/* ---- reload ---- */

static const struct ta_opt reload_opts[] = {
	{ "policy", 'p', TA_OPT_STR, offsetof(struct iface_cfg, policy), "FILE", "the new policy (required)" },
	{ "interface", 'i', TA_OPT_STR, offsetof(struct iface_cfg, ifaces), "IFACE[,IFACE...]",
	  "only these interfaces (default: every attached one)" },
	{ 0 },
};

static struct ta_policy reload_pol;
static struct ta_compiled reload_comp;

static int reload_one(const char *ifname, const char *dir, struct ta_dp *dp, const struct ta_meta *m,
		      struct iface_cfg *cfg)
{
	struct ta_meta nm = *m;
	int err = ta_dp_set_policy(dp, &reload_comp);

	if (err)
		return err;
	meta_labels(&nm, &reload_pol, cfg->policy);
	nm.generation = dp->generation;
	if ((err = write_meta(dp, &nm)))
		return err;
	printf("%s: policy %s installed, generation %u\n", ifname, cfg->policy, dp->generation);
	return 0;
}

static int do_reload(void *vcfg)
{
	struct iface_cfg *cfg = vcfg;
	int rc, err;

	if (!cfg->policy) {
		ta_err("reload: which policy? give --policy FILE");
		return TA_EXIT_USAGE;
	}
	if (ta_load_policy_or_builtin(cfg->policy, &reload_pol)) {
		ta_err("reload: the running policy stays");
		return TA_EXIT_FAIL;
	}
	if ((err = ta_policy_compile(&reload_pol, &reload_comp))) {
		ta_err("reload: cannot compile the policy: %s", strerror(-err));
		ta_policy_free(&reload_pol);
		return TA_EXIT_FAIL;
	}
	rc = for_each_attached(cfg, reload_one);
	ta_compiled_free(&reload_comp);
	ta_policy_free(&reload_pol);
	return rc;
}

const struct ta_cmd ta_cmd_reload = {
	.name = "reload",
	.summary = "Replace the policy of attached interfaces atomically (pinned mode).",
	.details = "The new policy is written to the idle slot and switched to with one store:\n"
		   "no packet is classified against half a policy. A broken file is rejected\n"
		   "and the running policy stays. ('tokaudit run' reloads on SIGHUP.)",
	.opts = reload_opts, .cfg_size = sizeof(struct iface_cfg), .run = do_reload,
};

/* ---- why ---- */

struct why_cfg {
	const char *ifaces;
	bool json;
	const char *remote;
	const char *rule;
	bool all;
	struct ta_why_filter flt;
};

static const struct ta_opt why_opts[] = {
	{ "remote", 'r', TA_OPT_STR, offsetof(struct why_cfg, remote), "ADDR[/LEN][:PORT]",
	  "only flows with this remote address or prefix (and port); IPv6 with a port: [ADDR]:PORT" },
	{ "rule", 0, TA_OPT_STR, offsetof(struct why_cfg, rule), "LABEL", "only flows of this rule" },
	{ "all", 'a', TA_OPT_FLAG, offsetof(struct why_cfg, all), NULL,
	  "endpoint discards too (socket teardown, unread data: not blocks)" },
	{ "interface", 'i', TA_OPT_STR, offsetof(struct why_cfg, ifaces), "IFACE[,IFACE...]",
	  "only these interfaces (default: every attached one)" },
	{ "json", 'j', TA_OPT_FLAG, offsetof(struct why_cfg, json), NULL, "one JSON object per interface" },
	{ 0 },
};

static struct why_cfg *why_cur;

static int why_one(const char *ifname, const char *dir, struct ta_dp *dp, const struct ta_meta *m,
		   struct iface_cfg *unused)
{
	struct meta_view mv;
	struct why_cfg *cfg = why_cur;

	meta_view(m, dp->generation, &mv);
	if (cfg->rule) {
		uint32_t r;
		for (r = 0; r < m->nrules && strcmp(mv.labels[r], cfg->rule); r++)
			;
		if (r == m->nrules) {
			ta_err("why: %s: the policy has no rule '%s'", ifname, cfg->rule);
			return -1;
		}
	}
	if (cfg->json) {
		json_object *o = json_object_new_object();

		ta_jadd(o, "iface", ta_jstr(ifname));
		ta_why(NULL, o, dp, NULL, 0, &mv.ctx, m->nrules, &cfg->flt);
		ta_jprint(stdout, o);
	} else {
		printf("%s (policy %s):\n", ifname, m->policy);
		ta_why(stdout, NULL, dp, NULL, 0, &mv.ctx, m->nrules, &cfg->flt);
	}
	return 0;
}

static int do_why(void *vcfg)
{
	struct why_cfg *cfg = vcfg;
	struct iface_cfg ic = { .ifaces = cfg->ifaces, .json = cfg->json };
	char err[256];

	if (cfg->remote && ta_remote_parse(cfg->remote, &cfg->flt.remote, err, sizeof(err))) {
		ta_err("why: --remote '%s': %s", cfg->remote, err);
		return TA_EXIT_USAGE;
	}
	cfg->flt.rule = cfg->rule;
	cfg->flt.all = cfg->all;
	why_cur = cfg;
	return for_each_attached(&ic, why_one);
}

const struct ta_cmd ta_cmd_why = {
	.name = "why",
	.summary = "Say, per flow, what blocked it: kernel drops (where, why), policy drops,\n"
		   "ICMP errors, refused or unanswered SYNs, one-way UDP (pinned mode).",
	.details = "Also lists the rules that never carried traffic. 'tokaudit run' prints the\n"
		   "same in its report.",
	.opts = why_opts,
	.cfg_size = sizeof(struct why_cfg),
	.run = do_why,
};

int ta_pinned_walk(void (*fn)(const char *ifname, struct ta_dp *dp, const struct ta_meta *m, void *arg),
		   void *arg)
{
	char dir[128];
	DIR *d = opendir(PIN_ROOT);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct ta_dp dp;
		struct ta_meta m;
		struct ta_dp_opts o = { .no_events = true };

		if (de->d_name[0] == '.')
			continue;
		pin_dir(dir, sizeof(dir), de->d_name);
		o.pin_dir = dir;
		if (!pinned(dir) || read_meta(dir, &m) || ta_dp_open(&dp, &o))
			continue;
		fn(de->d_name, &dp, &m, arg);
		ta_dp_close(&dp);
		n++;
	}
	closedir(d);
	return n;
}
