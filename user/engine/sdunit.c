// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What systemd is doing with our unit: see sdunit.h */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-login.h>
#include "sdunit.h"

#define SD_DEST "org.freedesktop.systemd1"

static sd_bus *manager_bus(void)
{
	sd_bus *bus = NULL;

	/* the manager's own socket needs no bus daemon (root only) */
	if (sd_bus_new(&bus) >= 0 && sd_bus_set_address(bus, "unix:path=/run/systemd/private") >= 0 &&
	    sd_bus_start(bus) >= 0)
		return bus;
	sd_bus_unref(bus);
	bus = NULL;
	if (sd_bus_open_system(&bus) >= 0)
		return bus;
	return NULL;
}

bool ta_systemd_restarting(const char **unitp)
{
	static char name[256];
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	sd_bus *bus = NULL;
	char *unit = NULL, *upath = NULL, *jtype = NULL;
	const char *jpath = NULL;
	uint32_t jid = 0;
	bool restarting = false;

	if (unitp)
		*unitp = NULL;
	if (!getenv("INVOCATION_ID") || sd_pid_get_unit(0, &unit) < 0)
		return false;
	snprintf(name, sizeof(name), "%s", unit);
	if (unitp)
		*unitp = name;
	if (!(bus = manager_bus()) || sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &upath) < 0)
		goto out;
	if (sd_bus_get_property(bus, SD_DEST, upath, SD_DEST ".Unit", "Job", &err, &reply, "(uo)") < 0 ||
	    sd_bus_message_read(reply, "(uo)", &jid, &jpath) < 0 || !jid)
		goto out;
	/* "restart" while it stops (it becomes "start" after); "try-restart"
	 * and "reload-or-restart" are turned into it when they run */
	if (sd_bus_get_property_string(bus, SD_DEST, jpath, SD_DEST ".Job", "JobType", &err, &jtype) >= 0)
		restarting = !strcmp(jtype, "restart") || !strcmp(jtype, "try-restart") ||
			     !strcmp(jtype, "reload-or-restart") || !strcmp(jtype, "reload-or-try-restart");
out:
	sd_bus_error_free(&err);
	sd_bus_message_unref(reply);
	sd_bus_flush_close_unref(bus);
	free(unit);
	free(upath);
	free(jtype);
	return restarting;
}
