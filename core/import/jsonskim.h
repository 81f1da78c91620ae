/*
 * jsonskim -- check that a text is one complete JSON value (RFC 8259
 * grammar: structure, strings and their escapes, numbers, literals)
 * without building anything, and find where chosen members of the
 * top-level object are.  jsonstream uses it so json-c builds objects only
 * for the members a caller needs, not for the whole 8 KB of a card.
 * Pure function; any thread.
 */
#ifndef IH_JSONSKIM_H
#define IH_JSONSKIM_H

#include <stddef.h>

typedef struct ih_span {
	size_t start, len; /* len 0: the member is absent */
} ih_span;

enum {
	IH_SKIM_OK = 0,
	IH_SKIM_INCOMPLETE = 1, /* valid so far, but the text ends inside the value */
	IH_SKIM_INVALID = -1,
	IH_SKIM_ESCAPED_KEY = 2 /* a top-level key holds an escape: use a full parser */
};

/*
 * Check p[0..n).  When the value is an object, spans[i] is set to the raw
 * text of the last top-level member named keys[i] (0 .. nkeys).  On
 * IH_SKIM_INVALID, *at is the byte offset and *what says what is wrong.
 */
int ih_skim(const char *p, size_t n, const char *const *keys, size_t nkeys, ih_span *spans, size_t *at,
	    const char **what);

#endif
