/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef TA_UTIL_H
#define TA_UTIL_H
#include <stdlib.h>

/* Room for element n of a growing array *arr of *cap elements of elem bytes:
 * the capacity doubles, from first.  Returns 0, or -1 with the array left
 * as it was when memory runs out. */
static inline int ta_grow(void *arr, size_t *cap, size_t n, size_t elem, size_t first)
{
	void **a = arr;
	size_t nc;
	void *nv;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : first;
	nv = realloc(*a, nc * elem);
	if (!nv)
		return -1;
	*a = nv;
	*cap = nc;
	return 0;
}
#endif
