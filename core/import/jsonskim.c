#include "config.h"

#include <string.h>

#include "import/jsonskim.h"

#define MAX_DEPTH 64

enum st { VALUE, OBJ_FIRST, OBJ_KEY, OBJ_COLON, OBJ_NEXT, ARR_FIRST, ARR_NEXT, DONE };

static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A string from the opening quote at *i; *i ends after the closing one.
 * *escaped tells whether it held a backslash. */
static int string(const char *p, size_t n, size_t *i, int *escaped, const char **what)
{
	size_t k = *i + 1;

	*escaped = 0;
	for (;;) {
		unsigned char c;

		while (k < n && (unsigned char)p[k] >= 0x20 && p[k] != '"' && p[k] != '\\')
			k++;
		if (k >= n)
			return IH_SKIM_INCOMPLETE;
		c = (unsigned char)p[k];
		if (c == '"') {
			*i = k + 1;
			return IH_SKIM_OK;
		}
		if (c < 0x20) {
			*i = k;
			*what = "control character in a string";
			return IH_SKIM_INVALID;
		}
		*escaped = 1;
		if (k + 1 >= n)
			return IH_SKIM_INCOMPLETE;
		c = (unsigned char)p[k + 1];
		if (c == 'u') {
			for (int h = 2; h < 6; h++) {
				if (k + (size_t)h >= n)
					return IH_SKIM_INCOMPLETE;
				if (!is_hex((unsigned char)p[k + (size_t)h])) {
					*i = k;
					*what = "bad \\u escape";
					return IH_SKIM_INVALID;
				}
			}
			k += 6;
		} else if (strchr("\"\\/bfnrt", c) != NULL && c != '\0') {
			k += 2;
		} else {
			*i = k;
			*what = "bad escape in a string";
			return IH_SKIM_INVALID;
		}
	}
}

static int digits(const char *p, size_t n, size_t *k)
{
	size_t s = *k;

	while (*k < n && p[*k] >= '0' && p[*k] <= '9')
		(*k)++;
	return *k > s;
}

static int number(const char *p, size_t n, size_t *i, const char **what)
{
	size_t k = *i;

	if (p[k] == '-')
		k++;
	if (k >= n)
		return IH_SKIM_INCOMPLETE;
	if (p[k] == '0')
		k++;
	else if (!digits(p, n, &k))
		goto bad;
	if (k < n && p[k] == '.') {
		k++;
		if (k >= n)
			return IH_SKIM_INCOMPLETE;
		if (!digits(p, n, &k))
			goto bad;
	}
	if (k < n && (p[k] == 'e' || p[k] == 'E')) {
		k++;
		if (k < n && (p[k] == '+' || p[k] == '-'))
			k++;
		if (k >= n)
			return IH_SKIM_INCOMPLETE;
		if (!digits(p, n, &k))
			goto bad;
	}
	*i = k;
	return IH_SKIM_OK;
bad:
	*i = k;
	*what = "bad number";
	return IH_SKIM_INVALID;
}

static int literal(const char *p, size_t n, size_t *i, const char **what)
{
	static const char *const lits[] = { "true", "false", "null" };

	for (int l = 0; l < 3; l++) {
		size_t len = strlen(lits[l]);

		if (p[*i] != lits[l][0])
			continue;
		if (n - *i < len)
			return memcmp(p + *i, lits[l], n - *i) == 0 ? IH_SKIM_INCOMPLETE : (*what = "bad literal", IH_SKIM_INVALID);
		if (memcmp(p + *i, lits[l], len) != 0)
			break;
		*i += len;
		return IH_SKIM_OK;
	}
	*what = "unexpected character";
	return IH_SKIM_INVALID;
}

int ih_skim(const char *p, size_t n, const char *const *keys, size_t nkeys, ih_span *spans, size_t *at,
	    const char **what)
{
	char stack[MAX_DEPTH];
	int depth = 0, want = -1, rc = IH_SKIM_OK, escaped_key = 0;
	enum st st = VALUE;
	size_t i = 0, vstart = 0;

	*what = "";
	for (size_t k = 0; k < nkeys; k++)
		spans[k].start = spans[k].len = 0;
	while (rc == IH_SKIM_OK) {
		unsigned char c;
		int done_value = 0, esc;

		while (i < n && is_ws((unsigned char)p[i]))
			i++;
		if (i >= n) {
			if (st != DONE)
				rc = IH_SKIM_INCOMPLETE;
			break;
		}
		c = (unsigned char)p[i];
		switch (st) {
		case DONE:
			*what = "data after the value";
			rc = IH_SKIM_INVALID;
			break;
		case OBJ_FIRST:
		case OBJ_KEY:
			if (c == '}' && st == OBJ_FIRST) {
				i++;
				depth--;
				done_value = 1;
			} else if (c == '"') {
				size_t ks = i + 1;

				rc = string(p, n, &i, &esc, what);
				if (rc == IH_SKIM_OK && depth == 1) {
					want = -1;
					if (esc)
						escaped_key = 1;
					for (size_t k = 0; k < nkeys && !esc; k++)
						if (strlen(keys[k]) == i - 1 - ks && memcmp(keys[k], p + ks, i - 1 - ks) == 0)
							want = (int)k;
				}
				st = OBJ_COLON;
			} else {
				*what = "expected a member name";
				rc = IH_SKIM_INVALID;
			}
			break;
		case OBJ_COLON:
			if (c != ':') {
				*what = "expected ':'";
				rc = IH_SKIM_INVALID;
			}
			i++;
			st = VALUE;
			break;
		case OBJ_NEXT:
		case ARR_NEXT:
			if (c == ',') {
				i++;
				st = st == OBJ_NEXT ? OBJ_KEY : VALUE;
			} else if (c == (st == OBJ_NEXT ? '}' : ']')) {
				i++;
				depth--;
				done_value = 1;
			} else {
				*what = st == OBJ_NEXT ? "expected ',' or '}'" : "expected ',' or ']'";
				rc = IH_SKIM_INVALID;
			}
			break;
		case ARR_FIRST:
			if (c == ']') {
				i++;
				depth--;
				done_value = 1;
				break;
			}
			/* fall through */
		case VALUE:
			if (depth == 1)
				vstart = i;
			if (c == '{' || c == '[') {
				if (depth == MAX_DEPTH) {
					*what = "nested too deep";
					rc = IH_SKIM_INVALID;
					break;
				}
				stack[depth++] = (char)c;
				i++;
				st = c == '{' ? OBJ_FIRST : ARR_FIRST;
			} else {
				if (c == '"')
					rc = string(p, n, &i, &esc, what);
				else if (c == '-' || (c >= '0' && c <= '9'))
					rc = number(p, n, &i, what);
				else
					rc = literal(p, n, &i, what);
				done_value = 1;
			}
			break;
		}
		if (rc != IH_SKIM_OK || !done_value)
			continue;
		/* a value ended; depth is that of its container */
		if (depth == 1 && stack[0] == '{' && want >= 0) {
			spans[want].start = vstart;
			spans[want].len = i - vstart;
			want = -1;
		}
		if (depth == 0)
			st = DONE;
		else
			st = stack[depth - 1] == '{' ? OBJ_NEXT : ARR_NEXT;
	}
	if (rc == IH_SKIM_OK && escaped_key)
		rc = IH_SKIM_ESCAPED_KEY;
	*at = i;
	return rc;
}
