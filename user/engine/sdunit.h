/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What systemd is doing with the unit this process runs in. */
#ifndef TA_SDUNIT_H
#define TA_SDUNIT_H

#include <stdbool.h>

/* Is systemd stopping this unit only to start it again ('systemctl
 * restart', a restart on upgrade)?  Asked over the manager's private socket
 * (root), else the system bus; false when not under systemd or when it
 * cannot be asked.  *unit gets the unit's name when known (static). */
bool ta_systemd_restarting(const char **unit);

#endif
