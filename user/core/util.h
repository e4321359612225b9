/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef TA_UTIL_H
#define TA_UTIL_H
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

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
/* Is word one of the comma-separated list ("a,b,c")? */
static inline bool ta_in_list(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, word, n) && (p[n] == ',' || !p[n]))
			return true;
	return false;
}
#endif
