/*
 * buf -- the one growable byte buffer (an HTTP body, a downloaded index, a
 * JSON record being gathered) and the one growth rule for arrays.
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

/*
 * Make room for `need` elements of `elem` bytes in the array whose pointer
 * is at arrayp (a T **), holding *cap elements: grown by doubling (from 16)
 * when need > *cap.  Returns 0, or -1 when out of memory (the array is then
 * as it was).  The one growth rule of the host's arrays.
 */
int ih_array_room(void *arrayp, size_t *cap, size_t need, size_t elem);

#endif
