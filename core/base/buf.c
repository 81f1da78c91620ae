#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

int ih_buf_append(char **p, size_t *len, size_t *cap, size_t first, const void *data, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t c = *cap ? *cap : (first ? first : 64);
		char *q;

		while (c < *len + n + 1)
			c *= 2;
		q = realloc(*p, c);
		if (q == NULL)
			return -1;
		*p = q;
		*cap = c;
	}
	if (n > 0)
		memcpy(*p + *len, data, n);
	*len += n;
	(*p)[*len] = '\0';
	return 0;
}

int ih_array_room(void *arrayp, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 16;
	void *old, *a;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	memcpy(&old, arrayp, sizeof old);
	a = realloc(old, c * elem);
	if (a == NULL)
		return -1;
	memcpy(arrayp, &a, sizeof a);
	*cap = c;
	return 0;
}
