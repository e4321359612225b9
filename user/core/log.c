// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>
#include "log.h"

int ta_verbose;

static void say(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void ta_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("tokaudit: ", fmt, ap);
	va_end(ap);
}

void ta_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("tokaudit: note: ", fmt, ap);
	va_end(ap);
}
