// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Who audits an interface: see owner.h. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "hooks.h"
#include "log.h"
#include "owner.h"
#include "pinstore.h"

/* The lock's name: per pin root (two test runs apart) and interface; an
 * abstract socket lives in one network namespace, as the interface does */
static int lock_name(char *buf, size_t len, enum ta_owner_kind kind, const char *ifname)
{
	return snprintf(buf, len, "tokaudit-%s:%s:%s", kind == TA_OWNER_SERVE ? "serve" : "run", ta_pin_root(),
			ifname);
}

int ta_owner_lock(enum ta_owner_kind kind, const char *ifname)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int n = lock_name(a.sun_path + 1, sizeof(a.sun_path) - 1, kind, ifname);

	if (fd < 0)
		return -1;
	if (n >= (int)sizeof(a.sun_path) - 1)
		n = (int)sizeof(a.sun_path) - 2;
	if (bind(fd, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n))) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The inode of the abstract socket bound to name, 0 when none is */
static unsigned long lock_inode(const char *name)
{
	FILE *f = fopen("/proc/net/unix", "re");
	char line[600], path[512];
	unsigned long ino, found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %lu %511s", &ino, path) == 2 && path[0] == '@' &&
		    !strncmp(path + 1, name, sizeof(path) - 1))
			found = ino;
	fclose(f);
	return found;
}

static bool pid_has_socket(const char *pid, const char *want)
{
	char dir[64], lp[300], target[64];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
	if (!(d = opendir(dir)))
		return false;
	while (!found && (e = readdir(d))) {
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(lp, sizeof(lp), "%s/%s", dir, e->d_name);
		n = readlink(lp, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = 0;
			found = !strcmp(target, want);
		}
	}
	closedir(d);
	return found;
}

/* The process holding socket inode ino, 0 when not visible from here */
static int socket_pid(unsigned long ino)
{
	char want[64];
	struct dirent *e;
	int pid = 0;
	DIR *d = opendir("/proc");

	if (!d)
		return 0;
	snprintf(want, sizeof(want), "socket:[%lu]", ino);
	while (!pid && (e = readdir(d)))
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' && pid_has_socket(e->d_name, want))
			pid = atoi(e->d_name);
	closedir(d);
	return pid;
}

/* The systemd unit (a .service) a process runs in, from its cgroup */
static void pid_unit(int pid, char *unit, size_t len)
{
	char p[64], line[512];
	FILE *f;

	unit[0] = 0;
	snprintf(p, sizeof(p), "/proc/%d/cgroup", pid);
	if (!(f = fopen(p, "re")))
		return;
	while (fgets(line, sizeof(line), f)) {
		char *slash = strrchr(line, '/'), *dot;

		line[strcspn(line, "\n")] = 0;
		if (slash && (dot = strstr(slash, ".service")) && !dot[8]) {
			snprintf(unit, len, "%s", slash + 1);
			break;
		}
	}
	fclose(f);
}

static bool lock_held(enum ta_owner_kind kind, const char *ifname, struct ta_owner *o)
{
	char name[300];
	unsigned long ino;

	/* read, not taken: a serve starting meanwhile must not find it busy */
	lock_name(name, sizeof(name), kind, ifname);
	if (!(ino = lock_inode(name)))
		return false;
	if ((o->pid = socket_pid(ino)) == getpid()) { /* this process's own lock */
		o->pid = 0;
		return false;
	}
	o->kind = kind;
	if (o->pid > 0)
		pid_unit(o->pid, o->unit, sizeof(o->unit));
	return true;
}

void ta_owner_of(const char *ifname, int ifindex, struct ta_owner *o)
{
	const char *why;

	memset(o, 0, sizeof(*o));
	if (lock_held(TA_OWNER_SERVE, ifname, o) || lock_held(TA_OWNER_RUN, ifname, o))
		return;
	if (ta_pins_visible(&why) && ta_pins_any(ifname))
		o->kind = TA_OWNER_PINS;
	else if (ifindex > 0 && (ta_xdp_ours(ifindex) || ta_tc_ours(ifindex)))
		o->kind = TA_OWNER_HOOKS;
}

const char *ta_owner_str(const struct ta_owner *o, char *buf, size_t len)
{
	char pid[32] = "";

	if (o->pid > 0)
		snprintf(pid, sizeof(pid), " (pid %d)", o->pid);
	switch (o->kind) {
	case TA_OWNER_SERVE:
		if (o->unit[0])
			snprintf(buf, len, "%s%s", o->unit, pid);
		else
			snprintf(buf, len, "'tokaudit serve'%s", pid);
		break;
	case TA_OWNER_RUN:
		snprintf(buf, len, "'tokaudit run'%s", pid);
		break;
	case TA_OWNER_PINS:
		snprintf(buf, len, "pins in %s/ (tokaudit attach)", ta_pin_root());
		break;
	case TA_OWNER_HOOKS:
		snprintf(buf, len, "tokaudit's hooks with no process or pins behind them");
		break;
	default:
		snprintf(buf, len, "nothing");
	}
	return buf;
}

int ta_owner_refuse_attach(const char *cmd, const char *ifname, int ifindex, bool no_pins)
{
	struct ta_owner o;
	char who[200];

	ta_owner_of(ifname, ifindex, &o);
	ta_owner_str(&o, who, sizeof(who));
	switch (o.kind) {
	case TA_OWNER_SERVE:
		ta_err("%s: %s is audited already by %s: read what it sees with 'tokaudit flows -i %s' or "
		       "'tokaudit why -i %s'%s", cmd, ifname, who, ifname, ifname,
		       o.unit[0] ? "; its settings are the unit's" : "");
		return -EBUSY;
	case TA_OWNER_RUN:
		ta_err("%s: %s is audited already by %s: one audit per interface; stop it first", cmd, ifname, who);
		return -EBUSY;
	case TA_OWNER_PINS:
		if (!no_pins)
			return 0; /* attach again, serve adopts: the pins are theirs to reuse */
		ta_err("%s: %s is audited already from its %s: read it with 'tokaudit flows -i %s' or "
		       "'tokaudit why -i %s', or 'tokaudit detach -i %s' first",
		       cmd, ifname, who, ifname, ifname, ifname);
		return -EBUSY;
	case TA_OWNER_HOOKS:
		if (!no_pins)
			return 0; /* replaced by the attach */
		ta_err("%s: %s carries %s (a killed run?): 'tokaudit detach -i %s' removes them", cmd, ifname, who,
		       ifname);
		return -EBUSY;
	default:
		return 0;
	}
}
