/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* DNS messages for the tests and benchmarks: a header and its question,
 * address and CNAME records, names written out or as a pointer to the
 * question's.  Assertions are cmocka's or the caller's. */
#ifndef TA_TEST_DNSMSG_H
#define TA_TEST_DNSMSG_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#ifndef DNSMSG_ASSERT
#define DNSMSG_ASSERT(x) assert_true(x)
#endif

struct msg {
	uint8_t b[1600];
	size_t n;
};

static inline void m16(struct msg *m, unsigned v)
{
	m->b[m->n++] = (uint8_t)(v >> 8);
	m->b[m->n++] = (uint8_t)v;
}

static inline void m32(struct msg *m, uint32_t v)
{
	m16(m, v >> 16);
	m16(m, v & 0xffff);
}

/* a name: its labels, or NULL for a pointer to the question's */
static inline void mname(struct msg *m, const char *name)
{
	if (!name) {
		m16(m, 0xc00c);
		return;
	}
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		m->b[m->n++] = (uint8_t)l;
		memcpy(m->b + m->n, name, l);
		m->n += l;
		name += l + (dot ? 1 : 0);
	}
	m->b[m->n++] = 0;
}

static inline void mhead(struct msg *m, unsigned id, bool answer, unsigned rcode, const char *qname, unsigned an)
{
	m->n = 0;
	m16(m, id);
	m16(m, (answer ? 0x8180 : 0x0100) | rcode);
	m16(m, 1);
	m16(m, an);
	m16(m, 0);
	m16(m, 0);
	mname(m, qname);
	m16(m, 1);
	m16(m, 1);
}

static inline void maddr(struct msg *m, const char *owner, const char *addr, uint32_t ttl)
{
	uint8_t a[16];
	bool v6 = strchr(addr, ':');

	DNSMSG_ASSERT(inet_pton(v6 ? AF_INET6 : AF_INET, addr, a) == 1);
	mname(m, owner);
	m16(m, v6 ? 28 : 1);
	m16(m, 1);
	m32(m, ttl);
	m16(m, v6 ? 16 : 4);
	memcpy(m->b + m->n, a, v6 ? 16 : 4);
	m->n += v6 ? 16 : 4;
}

static inline void mcname(struct msg *m, const char *owner, const char *target)
{
	size_t len_at;

	mname(m, owner);
	m16(m, 5);
	m16(m, 1);
	m32(m, 300);
	len_at = m->n;
	m16(m, 0);
	mname(m, target);
	m->b[len_at] = (uint8_t)((m->n - len_at - 2) >> 8);
	m->b[len_at + 1] = (uint8_t)(m->n - len_at - 2);
}

#endif
