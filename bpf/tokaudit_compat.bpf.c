// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The compat variant of the programs (bpf/compat.h): the same source, for
 * kernels without bpf_loop, bpf_xdp_load_bytes or atomics beyond add
 * (Linux 5.10 to 5.17).  Its maps, programs and global data are the full
 * variant's, in the same order: the loader opens either ELF with one
 * skeleton.
 */
#define TA_COMPAT 1
#include "tokaudit.bpf.c"
