/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The two variants of the programs, from one source.  The full variant
 * (Linux 5.18 and up) uses bpf_loop, bpf_xdp_load_bytes, atomic OR and
 * compare-and-swap, the coarse clock and global functions that take
 * pointers.  The compat variant (built with TA_COMPAT, for Linux 5.10 to
 * 5.17) uses what 5.10 has instead:
 *  - a loop is a bounded for over a global function of the step (each step
 *    verified once, as bpf_loop's callback is);
 *  - XDP reads payload bytes directly, each checked against data_end;
 *  - flag bits are set by a plain read and write: two CPUs setting
 *    different bits of one flow's state in the same instant can lose one
 *    (counters are atomic adds in both variants);
 *  - the flow clock is bpf_ktime_get_ns;
 *  - the packet's parse lives in a per-CPU map, not on the stack: global
 *    functions of 5.10 take no pointer but the context.
 * The userspace loader picks the variant by probing the kernel's helpers
 * and instructions (user/core/kfeatures.c), never by its version.
 */
#ifndef TA_COMPAT_H
#define TA_COMPAT_H

#ifndef TA_COMPAT

#define TA_FUNC                        __noinline
#define ta_fetch_or(p, v)              __sync_fetch_and_or(p, v)
#define ta_cas(p, o, n)                __sync_val_compare_and_swap(p, o, n)
#define ta_clock_coarse()              bpf_ktime_get_coarse_ns()
/* a loop of n steps of cb (long cb(__u64 i, void *ctx), 1 to stop), n given once */
#define TA_LOOP_CB(cb, n)              enum { cb##_n = (n) };
#define TA_LOOP(cb)                    bpf_loop(cb##_n, cb, NULL, 0)
#define ta_xdp_load(ctx, off, to, len) bpf_xdp_load_bytes(ctx, off, to, len)
/* the packet's parse (struct ta_pkt): on the program's stack, passed by pointer */
#define TA_PKT_PARAM                   struct ta_pkt *p,
#define TA_PKT_ARG(p)                  (p),
#define TA_PKT_PARAM_LAST              , struct ta_pkt *p
#define TA_PKT_ARG_LAST(p)             , (p)
#define TA_PKT_LOCAL
#define TA_PKT_NEW(p, fail) struct ta_pkt p##_stack = {}, *p = &p##_stack;

#else

#define TA_FUNC __noinline
#define ta_fetch_or(p, v)                                                                                              \
	({                                                                                                             \
		__typeof__(*(p)) _o = *(volatile __typeof__(*(p)) *)(p);                                               \
		*(volatile __typeof__(*(p)) *)(p) = _o | (v);                                                          \
		_o;                                                                                                    \
	})
#define ta_cas(p, o, n)                                                                                                \
	({                                                                                                             \
		__typeof__(*(p)) _c = *(volatile __typeof__(*(p)) *)(p);                                               \
		if (_c == (o))                                                                                         \
			*(volatile __typeof__(*(p)) *)(p) = (n);                                                       \
		_c;                                                                                                    \
	})
#define ta_clock_coarse() bpf_ktime_get_ns()
#define TA_LOOP_CB(cb, n)                                                                                              \
	__noinline int cb##_g(__u32 i)                                                                                 \
	{                                                                                                              \
		return cb(i, NULL);                                                                                    \
	}                                                                                                              \
	__noinline int cb##_loop(void)                                                                                 \
	{                                                                                                              \
		for (__u32 i = 0; i < (n); i++)                                                                        \
			if (cb##_g(i))                                                                                 \
				break;                                                                                 \
		return 0;                                                                                              \
	}
#define TA_LOOP(cb) cb##_loop()
/* the packet's parse: in a per-CPU map (ta_pkts), which each global
 * function looks up itself (5.10's take no pointers but the context's) */
#define TA_PKT_PARAM
#define TA_PKT_ARG(p)
#define TA_PKT_PARAM_LAST
#define TA_PKT_ARG_LAST(p)
#define TA_PKT_LOCAL struct ta_pkt *p = ta_pkt_scratch();
#define TA_PKT_NEW(p, fail)                                                                                            \
	struct ta_pkt *p = ta_pkt_scratch();                                                                           \
	if (!p)                                                                                                        \
		return fail;                                                                                           \
	__builtin_memset(p, 0, sizeof(*p));

/* len bytes of the frame from off into to (len at most TA_DNS_BUF): 0, or
 * -1 when they are not all in the frame */
static __always_inline long ta_xdp_load(struct xdp_md *ctx, __u32 off, void *to, __u32 len)
{
	void *end = (void *)(long)ctx->data_end;
	__u8 *base = (__u8 *)(long)ctx->data, *d = to;

	if (off > 0x3fff)
		return -1;
	base += off;
	for (__u32 i = 0; i < TA_DNS_BUF; i++) {
		/* i stays the index the verifier compares with len (and so with
		 * the size of the destination), not a count the compiler derives */
		barrier_var(i);
		if (i >= len)
			break;
		if ((void *)(base + i + 1) > end)
			return -1;
		d[i] = base[i];
	}
	return 0;
}

#endif /* TA_COMPAT */

#endif /* TA_COMPAT_H */
