/*
 * buf -- the one growable byte buffer: an HTTP body, a downloaded index, a
 * JSON record being gathered.
 */
#ifndef IH_BUF_H
#define IH_BUF_H

#include <stddef.h>

/*
 * Append n bytes of data to the buffer *p holding *len bytes in *cap,
 * growing it (doubling, from `first` bytes) as needed, and keep it
 * NUL-terminated.  Returns 0, or -1 when out of memory (the buffer is then
 * as it was).  The caller frees *p.
 */
int ih_buf_append(char **p, size_t *len, size_t *cap, size_t first, const void *data, size_t n);

#endif
