// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The pin store: see pinstore.h.  It holds everything that reads or
 * changes what tokaudit keeps under the pin root (the lock, attach, reload,
 * detach, the walk of the attached interfaces, and the hooks no pin accounts
 * for), so the rules of that tree live in one file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "log.h"
#include "util.h"
#include "pinstore.h"

#define BPF_FS_MAGIC_ 0xcafe4a11

/* /sys/fs/bpf/tokaudit, or $TOKAUDIT_PIN_ROOT (tests, several instances) */
const char *ta_pin_root(void)
{
	const char *r = getenv("TOKAUDIT_PIN_ROOT");

	return r && r[0] == '/' ? r : "/sys/fs/bpf/tokaudit";
}

void ta_pin_dir(char *buf, size_t len, const char *ifname)
{
	snprintf(buf, len, "%s/%s", ta_pin_root(), ifname);
}

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

bool ta_pins_visible(const char **why)
{
	if (!pins_persist(ta_pin_root())) {
		*why = "private mount namespace";
		return false;
	}
	if (!bpffs_mounted()) {
		*why = "bpffs is not mounted";
		return false;
	}
	return true;
}

int ta_pins_readable(void)
{
	const char *root = ta_pin_root();
	struct stat st;

	if ((stat(root, &st) && errno == EACCES) ||
	    (!stat(root, &st) && faccessat(AT_FDCWD, root, R_OK | X_OK, AT_EACCESS))) {
		ta_err("%s: cannot read tokaudit's pins: %s: %s", root, strerror(EACCES), TA_PINS_CAPS);
		return -EACCES;
	}
	return 0;
}

int ta_pins_lock(bool create)
{
	const char *root = ta_pin_root();
	struct statfs st;
	int rerr;

	if (!pins_persist(root)) {
		if (create)
			ta_err("pins: refusing to pin in a private mount namespace ('ip netns exec' gives each command "
			       "its own /sys): the pins would vanish when tokaudit exits; run it as "
			       "'nsenter --net=/run/netns/NAME tokaudit ...', or mount bpffs in that mount namespace "
			       "and keep it");
		else
			ta_err("pins: this command runs in a private mount namespace ('ip netns exec'?) that does not "
			       "see the machine's pins: run it as 'nsenter --net=/run/netns/NAME tokaudit ...'");
		return -EPERM;
	}
	if (!create && (rerr = ta_pins_readable()))
		return rerr;
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
	if (mkdir(root, 0700) && errno != EEXIST) {
		int err = -errno;
		ta_err("%s: cannot create: %s%s", root, strerror(errno),
		       errno == EACCES || errno == EPERM ? " (run as root)" : "");
		return err;
	}
	lock_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX)) {
		int err = -errno;
		ta_err("%s: cannot lock: %s", root, strerror(errno));
		if (lock_fd >= 0)
			close(lock_fd);
		lock_fd = -1;
		return err;
	}
	return 0;
}

void ta_pins_unlock(void)
{
	if (lock_fd >= 0) {
		flock(lock_fd, LOCK_UN);
		close(lock_fd);
		lock_fd = -1;
	}
	rmdir(ta_pin_root()); /* only when empty */
}

static bool pinned(const char *dir)
{
	char p[512];

	ta_pin_path(p, sizeof(p), dir, TA_PIN_FLOWS);
	return faccessat(AT_FDCWD, p, F_OK, AT_EACCESS) == 0; /* with our capabilities */
}

static const char *ifname_of(const char *dir)
{
	return strrchr(dir, '/') + 1;
}

/* Read the pinned meta; checks it was written by a compatible version.
 * -ENODATA: incomplete pins, from an attach killed before it wrote the meta
 * (or before it pinned it: the maps are pinned one after the other). */
static int read_meta(const char *dir, struct ta_meta *m)
{
	char p[512];
	uint32_t key = 0;
	int fd, err = 0;

	ta_pin_path(p, sizeof(p), dir, TA_PIN_META);
	fd = bpf_obj_get(p);
	if (fd < 0 && errno == ENOENT)
		return -ENODATA;
	if (fd < 0) {
		err = -errno;
		ta_err("%s: cannot open: %s%s%s", p, strerror(-err), err == -EACCES || err == -EPERM ? ": " : "",
		       err == -EACCES || err == -EPERM ? TA_PINS_CAPS : "");
		return err;
	}
	if (bpf_map_lookup_elem(fd, &key, m))
		err = -errno;
	close(fd);
	/* all zero: the attach that made these pins was killed before it wrote them */
	if (!err && !m->magic && !m->version)
		return -ENODATA;
	if (!err && (m->magic != TA_META_MAGIC || m->version != TA_META_VERSION)) {
		ta_err("%s: the pins are from an incompatible version of tokaudit (layout %u, this one %u): "
		       "run 'tokaudit detach -i %s' and attach again",
		       dir, m->version, TA_META_VERSION, ifname_of(dir));
		return -EPROTO;
	}
	return err;
}

/* The pins hold this policy already: the same labels, prefixes and ports */
static bool pins_hold(const struct ta_dp *dp, const struct ta_meta *m, const struct ta_policy *pol,
		      const struct ta_compiled *comp)
{
	if (!m->generation || m->nrules != pol->nrules)
		return false;
	for (size_t i = 0; i < pol->nrules && i < TA_MAX_RULES; i++)
		if (strncmp(m->labels[i], pol->rules[i].label, sizeof(m->labels[i])))
			return false;
	return ta_dp_policy_same(dp, comp);
}

static void meta_set_labels(struct ta_meta *m, const struct ta_policy *pol, const char *path)
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

void ta_meta_view(const struct ta_meta *m, const struct ta_dp *dp, struct ta_meta_view *mv)
{
	uint32_t generation = dp->generation;

	memset(mv, 0, sizeof(*mv));
	for (uint32_t i = 0; i < m->nrules && i < TA_MAX_RULES; i++)
		mv->labels[i] = m->labels[i];
	for (uint32_t i = 0; i < m->prev_nrules && i < TA_MAX_RULES; i++)
		mv->prev[i] = m->prev_labels[i];
	mv->ctx = (struct ta_flow_ctx){
		.labels = mv->labels, .nlabels = TA_MAX_RULES, .generation = generation,
		.prev_labels = m->prev_generation && m->prev_generation + 1 == generation ? mv->prev : NULL,
		.prev_nlabels = TA_MAX_RULES, .now_ns = ta_now_ns(), .dp = dp,
	};
}

/* Open the pinned maps of one interface (no program loaded). */
/* status reports interrupted attaches itself (ta_pins_leftovers) */
static bool skip_incomplete;

void ta_pins_skip_incomplete(bool skip)
{
	skip_incomplete = skip;
}

static int open_attached(struct ta_attached *a, bool quiet)
{
	int err;

	if (!pinned(a->dir)) {
		if (!quiet)
			ta_err("%s: tokaudit is not attached (no pins in %s)", a->ifname, a->dir);
		return -ENOENT;
	}
	if ((err = read_meta(a->dir, &a->meta))) {
		if (err == -ENODATA && !skip_incomplete)
			ta_err("%s: an interrupted attach left incomplete pins behind in %s: 'tokaudit attach -i %s' "
			       "starts afresh, 'tokaudit detach -i %s' removes them", a->ifname, a->dir, a->ifname,
			       a->ifname);
		return err;
	}
	return ta_dp_open_pinned(&a->dp, a->dir);
}

int ta_pins_names(char (*list)[IF_NAMESIZE + 1], int max)
{
	DIR *d = opendir(ta_pin_root());
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)) && n < max)
		if (de->d_name[0] != '.' && !strchr(de->d_name, ':') && strlen(de->d_name) <= IF_NAMESIZE)
			snprintf(list[n++], IF_NAMESIZE + 1, "%s", de->d_name);
	if (d)
		closedir(d);
	return n;
}

int ta_pins_walk(const char *names, bool quiet, ta_attached_fn fn, void *arg)
{
	enum { MAXN = TA_PINS_MAX };
	char list[MAXN][IF_NAMESIZE + 1];
	int rc = 0, n = 0;

	if (quiet) {
		const char *why;
		if (!ta_pins_visible(&why))
			return 0;
	}
	if (ta_pins_lock(false))
		return quiet ? 0 : -1;
	if (names) {
		char *dup = strdup(names), *save = NULL, *tok;
		for (tok = dup ? strtok_r(dup, ",", &save) : NULL; tok && n < MAXN; tok = strtok_r(NULL, ",", &save))
			snprintf(list[n++], sizeof(list[0]), "%s", tok);
		free(dup);
	} else {
		n = ta_pins_names(list, MAXN);
		if (!n && !quiet) {
			ta_err("interfaces: tokaudit is not attached anywhere: start the service ('systemctl start tokaudit', "
			       "interfaces in /etc/default/tokaudit) or attach by hand ('tokaudit attach -i IFACE')");
			ta_pins_unlock();
			return -1;
		}
	}
	for (int i = 0; i < n; i++) {
		struct ta_attached a = { .ifname = list[i] };

		ta_pin_dir(a.dir, sizeof(a.dir), list[i]);
		int oerr = open_attached(&a, quiet);
		if (oerr) {
			if (!quiet && !(skip_incomplete && oerr == -ENODATA))
				rc = -1;
			continue;
		}
		if (fn(&a, arg))
			rc = -1;
		ta_dp_close(&a.dp);
	}
	ta_pins_unlock();
	return rc;
}

void ta_pins_hooks(const struct ta_attached *a, bool *xdp, bool *tc)
{
	char lp[512];
	int fd;

	ta_pin_path(lp, sizeof(lp), a->dir, TA_PIN_XDP_LINK);
	*xdp = false;
	fd = bpf_obj_get(lp);
	if (fd >= 0) {
		struct bpf_link_info li = { 0 };
		uint32_t len = sizeof(li);
		/* a link whose interface went away is "detached" */
		*xdp = !bpf_obj_get_info_by_fd(fd, &li, &len) && li.xdp.ifindex;
		close(fd);
	}
	*tc = ta_tc_ours((int)a->meta.ifindex);
}

bool ta_pins_any(const char *names)
{
	char list[TA_PINS_MAX][IF_NAMESIZE + 1], dir[256];
	int n = ta_pins_names(list, TA_PINS_MAX);

	for (int i = 0; i < n; i++) {
		ta_pin_dir(dir, sizeof(dir), list[i]);
		if ((!names || ta_in_list(names, list[i])) && pinned(dir))
			return true;
	}
	return false;
}

int ta_pins_leftovers(const char *names, ta_leftover_fn fn, void *arg)
{
	struct if_nameindex *ifs = if_nameindex();
	char dir[256];
	int n = 0;

	for (struct if_nameindex *i = ifs; i && i->if_index; i++) {
		struct ta_meta m;
		bool xdp, tc, incomplete = false;

		if (names && !ta_in_list(names, i->if_name))
			continue;
		ta_pin_dir(dir, sizeof(dir), i->if_name);
		if (pinned(dir)) {
			/* pins, but an attach killed before it finished them */
			char p[512];
			uint32_t key = 0;
			int fd;

			ta_pin_path(p, sizeof(p), dir, TA_PIN_META);
			fd = bpf_obj_get(p);
			incomplete = fd >= 0 && !bpf_map_lookup_elem(fd, &key, &m) && !m.magic && !m.version;
			if (fd >= 0)
				close(fd);
			if (!incomplete)
				continue;
		}
		xdp = ta_xdp_ours((int)i->if_index);
		tc = ta_tc_ours((int)i->if_index);
		if (xdp || tc || incomplete) {
			fn(i->if_name, incomplete ? dir : NULL, xdp, tc, arg);
			n++;
		}
	}
	if (ifs)
		if_freenameindex(ifs);
	return n;
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

/* Is this XDP link still attached to an interface? */
static bool link_live(int fd)
{
	struct bpf_link_info li = { 0 };
	uint32_t len = sizeof(li);

	return !bpf_obj_get_info_by_fd(fd, &li, &len) && li.xdp.ifindex;
}

static int attach_xdp_pinned(struct ta_iface *ifc, const char *dir, int prog_fd, int mode)
{
	char lp[512];
	int fd, err;

	ta_pin_path(lp, sizeof(lp), dir, TA_PIN_XDP_LINK);
	fd = bpf_obj_get(lp);
	if (fd >= 0 && !link_live(fd)) {
		/* detached under its pin (bpf_link_detach, the interface gone and
		 * back): a new link replaces it */
		close(fd);
		unlink(lp);
		fd = -1;
	}
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

/* Kernel drops of this interface's flows, traced through a pinned link. */
static void pin_drop_tracing(struct ta_dp *dp, struct ta_iface *ifc, const char *dir)
{
	char lp[512];
	int fd = ta_dp_attach_drops(dp, &ifc->ifindex, 1);

	ta_pin_path(lp, sizeof(lp), dir, TA_PIN_DROP_LINK);
	if (fd < 0) {
		ta_info("%s: kernel drops will not be traced; everything else works", ifc->name);
		return;
	}
	unlink(lp);
	if (bpf_obj_pin(fd, lp))
		ta_info("%s: cannot pin the drop-tracing link: %s", ifc->name, strerror(errno));
	close(fd);
}

/* The interface's pin directory, ready for an attach: *again when it holds
 * a whole earlier attach (its metadata in m); incomplete pins are cleared */
static int pins_prepare(struct ta_iface *ifc, const char *dir, struct ta_meta *m, bool *again)
{
	char lp[512];
	int err;

	memset(m, 0, sizeof(*m));
	*again = pinned(dir);
	if (*again && (err = read_meta(dir, m))) {
		if (err != -ENODATA)
			return err;
		/* an attach killed half-way: undo what it did and start afresh */
		ta_info("%s: an interrupted attach left incomplete pins: starting afresh", ifc->name);
		unlink(ta_pin_path(lp, sizeof(lp), dir, TA_PIN_XDP_LINK));
		ta_tc_detach_ours(ifc->ifindex);
		if (remove_pins(dir)) {
			err = -errno;
			ta_err("%s: cannot remove: %s", dir, strerror(errno));
			return err;
		}
		memset(m, 0, sizeof(*m));
		*again = false;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		err = -errno;
		ta_err("%s: cannot create: %s", dir, strerror(errno));
		return err;
	}
	return 0;
}

/* The hooks: XDP through a pinned link (or none, with tc), the tc filters */
static int pins_hook(struct ta_iface *ifc, const char *dir, struct ta_dp *dp, const struct ta_attach_opts *o)
{
	char lp[512];
	int err = 0;

	if (o->hook == TA_HOOK_XDP)
		err = attach_xdp_pinned(ifc, dir, ta_dp_prog_fd(dp, TA_P_XDP), o->xdp_mode);
	else
		unlink(ta_pin_path(lp, sizeof(lp), dir, TA_PIN_XDP_LINK)); /* switching to tc: the XDP link goes */
	if (!err)
		err = ta_attach_tc(ifc, ta_dp_prog_fd(dp, TA_P_TC),
				   o->hook == TA_HOOK_TC ? ta_dp_prog_fd(dp, TA_P_TC_IN) : -1, ta_pin_root());
	return err;
}

/* The attach's metadata, after the hooks are in */
static void meta_fill(struct ta_meta *m, struct ta_iface *ifc, const struct ta_dp *dp,
		      const struct ta_attach_opts *o, bool again)
{
	/* keep "we made clsact" from the first attach: that one must remove it;
	 * and one made again here (someone had removed it) is ours too */
	m->created_clsact = (uint8_t)((again && m->created_clsact) || ifc->created_clsact);
	ifc->created_clsact = false; /* nothing to undo here: detach does it, from the meta or the mark */
	ifc->clsact_mark[0] = 0;
	ifc->tc_egress = ifc->tc_ingress = false;
	m->magic = TA_META_MAGIC;
	m->version = TA_META_VERSION;
	m->generation = dp->generation;
	m->side = (uint8_t)o->side;
	m->hook = (uint8_t)o->hook;
	m->enforce = o->enforce;
	m->xdp_mode = (uint8_t)(o->hook == TA_HOOK_XDP ? (ifc->xdp_mode ? ifc->xdp_mode : m->xdp_mode) : TA_XDP_NONE);
	m->ifindex = (uint32_t)ifc->ifindex;
	m->attaches++;
	if (!again)
		m->attached_ns = ta_now_ns();
}

int ta_pins_attach(struct ta_iface *ifc, const struct ta_attach_opts *o, unsigned flows,
		   const struct ta_policy *pol, const struct ta_compiled *comp, const char *policy_path,
		   struct ta_meta *m, bool *again)
{
	char dir[256];
	struct ta_dp dp;
	int err;

	ta_pin_dir(dir, sizeof(dir), ifc->name);
	if ((err = pins_prepare(ifc, dir, m, again)))
		return err;
	struct ta_dp_opts dopts = { .enforce = o->enforce,
				    .no_events = !o->events,
				    .pin_dir = dir,
				    .flow_entries = flows,
				    .drops = true,
				    .progs = TA_PROGS_FOR_HOOK(o->hook == TA_HOOK_TC),
				    .dns_ttl_min = o->dns_ttl_min,
				    .dns_ttl_max = o->dns_ttl_max };
	ta_dp_opts_side(&dopts, o->side);
	if ((err = ta_dp_open(&dp, &dopts))) {
		if (!*again)
			remove_pins(dir);
		return err;
	}
	/* a first attach, or a policy other than the pinned one: install it;
	 * else the pinned one stays, and its generation (flows keep their rules) */
	if (!*again || (policy_path && !pins_hold(&dp, m, pol, comp))) {
		if ((err = ta_dp_set_policy(&dp, comp)))
			goto out;
		meta_set_labels(m, pol, policy_path);
	}
	if ((err = pins_hook(ifc, dir, &dp, o)))
		goto out;
	pin_drop_tracing(&dp, ifc, dir);
	meta_fill(m, ifc, &dp, o, *again);
	if ((err = ta_dp_meta_write(&dp, m)))
		ta_err("%s: cannot write the attach's metadata: %s", ifc->name, strerror(-err));
out:
	ta_dp_close(&dp);
	if (err && !*again)
		remove_pins(dir); /* a failed first attach leaves nothing behind */
	return err;
}

int ta_pins_detach(const char *ifname, bool no_pins, struct ta_detached *d)
{
	char dir[256], p[512];
	struct ta_meta m = { 0 };
	unsigned idx = if_nametoindex(ifname);
	int err;

	memset(d, 0, sizeof(*d));
	ta_pin_dir(dir, sizeof(dir), ifname);
	if (no_pins || !pinned(dir)) {
		/* no pins, but maybe hooks of ours: left by a killed 'run', or by an
		 * attach whose pins vanished with a private bpffs */
		d->tc_filters = idx ? ta_tc_detach_ours((int)idx) : 0;
		if (d->tc_filters < 0) {
			ta_err("%s: cannot remove tokaudit's tc filter: %s%s", ifname, strerror(-d->tc_filters),
			       d->tc_filters == -EPERM || d->tc_filters == -EACCES ? " (detach needs CAP_NET_ADMIN)"
										   : "");
			return d->tc_filters;
		}
		d->xdp = idx ? ta_xdp_detach_ours((int)idx) : 0;
		ta_tc_clsact_release(ta_pin_root(), ifname, (int)idx, false);
		if (d->xdp < 0) {
			ta_err("%s: cannot remove tokaudit's XDP program: %s", ifname, strerror(-d->xdp));
			return d->xdp;
		}
		if (d->tc_filters > 0 || d->xdp > 0)
			return 0;
		ta_err("%s: tokaudit is not attached", ifname);
		return -ENOENT;
	}
	d->had_pins = true;
	/* the tc filters first: when they cannot go (no CAP_NET_ADMIN), nothing
	 * else is touched and detach says why */
	if (idx && (err = ta_tc_detach_ours((int)idx)) < 0) {
		ta_err("%s: cannot remove tokaudit's tc filter: %s%s", ifname, strerror(-err),
		       err == -EPERM || err == -EACCES ? " (detach needs CAP_NET_ADMIN)" : "");
		return err;
	}
	err = read_meta(dir, &m);
	/* the XDP link goes with its pin */
	ta_pin_path(p, sizeof(p), dir, TA_PIN_XDP_LINK);
	unlink(p);
	ta_tc_clsact_release(ta_pin_root(), ifname, (int)idx, !err && m.created_clsact);
	if (remove_pins(dir)) {
		err = -errno;
		ta_err("%s: cannot remove: %s", dir, strerror(errno));
		return err;
	}
	return 0;
}

int ta_pins_install(struct ta_dp *dp, struct ta_meta *m, const char *ifname, const struct ta_policy *pol,
		    const struct ta_compiled *comp, const char *policy_path)
{
	struct ta_meta nm = *m;
	int err;

	if (pins_hold(dp, m, pol, comp)) { /* nothing changes: no new generation */
		snprintf(nm.policy, sizeof(nm.policy), "%s", policy_path ? policy_path : "built-in");
		if (strcmp(nm.policy, m->policy) && !ta_dp_meta_write(dp, &nm))
			*m = nm;
		return TA_PINS_UNCHANGED;
	}
	if ((err = ta_dp_set_policy(dp, comp)))
		return err;
	meta_set_labels(&nm, pol, policy_path);
	nm.generation = dp->generation;
	if ((err = ta_dp_meta_write(dp, &nm))) {
		ta_err("%s: cannot write the new policy's labels: %s", ifname, strerror(-err));
		return err;
	}
	*m = nm;
	return 0;
}

unsigned ta_pins_missing(const char *ifname, int ifindex, int hook)
{
	char dir[256], lp[512];
	unsigned miss = 0;
	int fd;

	ta_pin_dir(dir, sizeof(dir), ifname);
	ta_pin_path(lp, sizeof(lp), dir, TA_PIN_META);
	if (!pinned(dir) || faccessat(AT_FDCWD, lp, F_OK, AT_EACCESS))
		miss |= 1u << TA_HK_PINS;
	if (hook == TA_HOOK_XDP) {
		struct bpf_link_info li = { 0 };
		uint32_t len = sizeof(li);

		/* the pinned link on this interface, and its program the one
		 * there (no program lookup by id: a unit has no CAP_SYS_ADMIN) */
		ta_pin_path(lp, sizeof(lp), dir, TA_PIN_XDP_LINK);
		fd = bpf_obj_get(lp);
		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &li, &len) || li.xdp.ifindex != (uint32_t)ifindex ||
		    !ta_xdp_prog_on(ifindex, li.prog_id))
			miss |= 1u << TA_HK_XDP;
		if (fd >= 0)
			close(fd);
	}
	if (!ta_tc_ours_at(ifindex, false))
		miss |= 1u << TA_HK_TC_EGRESS;
	if (hook == TA_HOOK_TC && !ta_tc_ours_at(ifindex, true))
		miss |= 1u << TA_HK_TC_INGRESS;
	return miss;
}

int ta_pins_reattach(struct ta_iface *ifc, const struct ta_attach_opts *o, unsigned flows, struct ta_meta *m,
		     bool *again)
{
	struct ta_policy pol;
	struct ta_compiled comp;
	int err;

	/* installed only where the pins are gone: the built-in policy then */
	if ((err = ta_policy_load_compiled("serve", NULL, &pol, &comp)))
		return err;
	err = ta_pins_attach(ifc, o, flows, &pol, &comp, NULL, m, again);
	ta_compiled_free(&comp);
	ta_policy_free(&pol);
	return err;
}

/* The pins gone ('detach --force'): the reader's maps, pinned again, so
 * that the programs attached next write where it reads */
static int repin(const char *ifname, const char *dir, const struct ta_dp *held)
{
	int err;

	if (pinned(dir))
		return 0;
	err = mkdir(dir, 0700) && errno != EEXIST ? -errno : ta_dp_repin(held, dir);
	if (err)
		ta_err("%s: cannot pin the maps again in %s: %s", ifname, dir, strerror(-err));
	return err;
}

int ta_pins_restore(struct ta_iface *ifc, const struct ta_attach_opts *o, unsigned flows, struct ta_dp *held,
		    struct ta_meta *m)
{
	char dir[256], lp[512];
	bool again;
	int err;

	if ((err = ta_pins_lock(true)))
		return err;
	ta_pin_dir(dir, sizeof(dir), ifc->name);
	if (!(err = repin(ifc->name, dir, held)) && !(err = ta_pins_reattach(ifc, o, flows, m, &again))) {
		/* the drop tracer was attached again: the reader's old link goes */
		ta_pin_path(lp, sizeof(lp), dir, TA_PIN_DROP_LINK);
		if (held->drop_link_fd >= 0)
			close(held->drop_link_fd);
		held->drop_link_fd = bpf_obj_get(lp);
	}
	ta_pins_unlock();
	return err;
}
