/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef TA_CALLREP_H
#define TA_CALLREP_H

#include <stdio.h>
#include <json-c/json.h>
#include "calls.h"

/* The Calls section: text to f, or the key "calls" added to obj */
void ta_calls_report(FILE *f, json_object *obj, const struct ta_calls *cs);

#endif
