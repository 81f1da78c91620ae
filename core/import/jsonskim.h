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

/*
 * ih_skim, and *dup (may be NULL) is the index of the first of keys that
 * the top-level object names more than once (only names written without
 * an escape are compared here; a name with one gives IH_SKIM_ESCAPED_KEY),
 * or -1.  spans[] still hold the last of each.
 */
int ih_skim_ex(const char *p, size_t n, const char *const *keys, size_t nkeys, ih_span *spans, int *dup, size_t *at,
	       const char **what);

/* ih_skim_names results */
enum {
	IH_SKIM_NAMES_DUP = 3, /* an object that matters names a member twice */
	IH_SKIM_NAMES_NUL = 4  /* a member name that matters holds \u0000 */
};

/*
 * The member names of p[0..n), one JSON value ih_skim accepted, compared
 * after unescaping (what json-c builds: "i\u0064" is "id", a lone
 * surrogate is U+FFFD).  What matters: with keys NULL, every object in
 * the value; else the names of the top-level object that are one of keys,
 * and every object inside their values (the other members are not
 * looked into).  Any name that matters holding \u0000 is refused too:
 * json-c would cut it there, so "id\u0000x" would become "id".  Returns
 * IH_SKIM_OK, IH_SKIM_NAMES_DUP or IH_SKIM_NAMES_NUL with *at the offset
 * of the name, or IH_SKIM_INVALID when out of memory or p is not what
 * ih_skim accepted.  Memory: O(names of the open objects).
 */
int ih_skim_names(const char *p, size_t n, const char *const *keys, size_t nkeys, size_t *at);

#endif
