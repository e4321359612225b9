// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "commands.h"

int main(int argc, char **argv)
{
	return ta_main(argc, argv);
}
