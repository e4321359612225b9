// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* tokaudit ipfix elements: what serve --ipfix records carry, for collectors. */
#include <stddef.h>
#include <stdio.h>
#include "commands.h"
#include "ipfix.h"

struct elements_cfg {
	int format;
	unsigned pen;
};

static const char *const formats[] = { "text", "pmacct", "xml", NULL };

static const struct ta_opt elements_opts[] = {
	{ "format", 'f', TA_OPT_ENUM, offsetof(struct elements_cfg, format), "text|pmacct|xml",
	  "a table (default), nfacctd's aggregate_primitives, or an XML registry (ipfixDump -e, libfixbuf)",
	  .values = formats },
	{ "enterprise", 0, TA_OPT_UINT, offsetof(struct elements_cfg, pen), "PEN",
	  "the private enterprise number serve --ipfix-enterprise was given (default 32473)", 1, 4294967295.0 },
	{ 0 },
};

static void elements_init(void *vcfg)
{
	struct elements_cfg *cfg = vcfg;

	cfg->format = 0;
	cfg->pen = TA_IPFIX_PEN_DEFAULT;
}

static int do_elements(void *vcfg)
{
	struct elements_cfg *cfg = vcfg;

	if (ta_ipfix_elements(stdout, formats[cfg->format], cfg->pen))
		return TA_EXIT_USAGE;
	return fflush(stdout) ? TA_EXIT_FAIL : TA_EXIT_OK;
}

const struct ta_cmd ta_cmd_ipfix_elements = {
	.name = "ipfix elements",
	.brief = "The elements of serve's IPFIX records, for collectors",
	.examples =
		"tokaudit ipfix elements\tevery element, its id, type and meaning\n"
		"tokaudit ipfix elements --format pmacct > /etc/pmacct/tokaudit.lst\tnfacctd's aggregate_primitives\n"
		"tokaudit ipfix elements --format xml --enterprise 53412 > tokaudit.xml\tfor ipfixDump -e tokaudit.xml\n",
	.no_verbose = true,
	.summary = "Print the information elements of the flow records 'serve --ipfix'\n"
		   "exports: IANA's, and tokaudit's own under its enterprise number.",
	.details = "Each direction of a flow is one record. Collectors that do not know an\n"
		   "enterprise element skip it (nfdump 1.7 does); pmacct reads them with the\n"
		   "pmacct format as aggregate_primitives, libfixbuf's ipfixDump with the XML.",
	.opts = elements_opts,
	.cfg_size = sizeof(struct elements_cfg),
	.init = elements_init,
	.run = do_elements,
};
