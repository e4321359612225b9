// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* tokaudit version */
#include <stdio.h>
#include "commands.h"
#include "tokaudit.h"

struct version_cfg {
	int unused;
};

static int do_version(void *cfg)
{
	printf("tokaudit %s\n", TA_VERSION);
	return TA_EXIT_OK;
}

static const struct ta_opt no_opts[] = { { 0 } };

const struct ta_cmd ta_cmd_version = {
	.name = "version",
	.summary = "Print the version.",
	.opts = no_opts,
	.cfg_size = sizeof(struct version_cfg),
	.run = do_version,
};
