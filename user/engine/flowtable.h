/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The flows as a table (flows, replay): the columns -o chooses from and
 * one row per flow.
 */
#ifndef TA_FLOWTABLE_H
#define TA_FLOWTABLE_H

#include <stdbool.h>
#include "table.h"

struct ta_flow_ctx;
struct ta_flow_key;
struct ta_flow_val;

enum {
	FC_FLOW,
	FC_PROTO,
	FC_LOCAL,
	FC_REMOTE,
	FC_NAME,
	FC_CARRIES,
	FC_MEDIA,
	FC_VERDICT,
	FC_RULE,
	FC_STATE,
	FC_OPENED,
	FC_PKTS_OUT,
	FC_PKTS_IN,
	FC_BYTES_OUT,
	FC_BYTES_IN,
	FC_AGE,
	FC_IDLE,
	FC_NOTES,
	FC_IFACE,
	FC_MAX
};
extern const struct ta_col ta_flow_cols[FC_MAX];
#define FLOW_COLS_DEFAULT "FLOW,NAME,CARRIES,VERDICT,RULE,STATE,PKTS-OUT,PKTS-IN,BYTES-OUT,BYTES-IN,IDLE,NOTES"

/* One row: every column's cell (raw: exact numbers and seconds, else
 * units a person reads). */
int ta_flow_row(struct ta_table *t, const struct ta_flow_ctx *c, const char *ifname, const struct ta_flow_key *k,
		const struct ta_flow_val *v, bool raw);

#endif
