#include "config.h"

#include <stdint.h>
#include <stdlib.h>
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
	return ih_skim_ex(p, n, keys, nkeys, spans, NULL, at, what);
}

int ih_skim_ex(const char *p, size_t n, const char *const *keys, size_t nkeys, ih_span *spans, int *dup, size_t *at,
	       const char **what)
{
	char stack[MAX_DEPTH];
	int depth = 0, want = -1, rc = IH_SKIM_OK, escaped_key = 0;
	enum st st = VALUE;
	size_t i = 0, vstart = 0;

	*what = "";
	if (dup != NULL)
		*dup = -1;
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
			if (spans[want].len != 0 && dup != NULL && *dup < 0)
				*dup = want;
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

/* ---- member names --------------------------------------------------------- */

/* A name's bytes as json-c builds them, appended to a growing buffer. */
typedef struct nbuf {
	char *p;
	size_t len, cap;
} nbuf;

static int nb_put(nbuf *b, const char *s, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *q;

		while (cap < b->len + n)
			cap *= 2;
		q = realloc(b->p, cap);
		if (q == NULL)
			return -1;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}

static unsigned hex4(const char *p)
{
	unsigned v = 0;

	for (int k = 0; k < 4; k++) {
		char c = p[k];

		v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

static size_t utf8_put(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Unescape the string whose opening quote is at p[*i] (valid, as ih_skim
 * checked) onto b; *i ends after the closing quote.  *nul: it held \u0000.
 */
static int unescape(const char *p, size_t n, size_t *i, nbuf *b, int *nul)
{
	size_t k = *i + 1;

	*nul = 0;
	while (k < n && p[k] != '"') {
		size_t s = k;
		char o[8];
		size_t ol = 0;

		while (k < n && p[k] != '"' && p[k] != '\\')
			k++;
		if (k > s && nb_put(b, p + s, k - s) != 0)
			return -1;
		if (k >= n || p[k] == '"')
			break;
		if (k + 1 >= n)
			return -1;
		switch (p[k + 1]) {
		case 'b': o[ol++] = '\b'; k += 2; break;
		case 'f': o[ol++] = '\f'; k += 2; break;
		case 'n': o[ol++] = '\n'; k += 2; break;
		case 'r': o[ol++] = '\r'; k += 2; break;
		case 't': o[ol++] = '\t'; k += 2; break;
		case 'u': {
			unsigned cp;

			if (k + 6 > n)
				return -1;
			cp = hex4(p + k + 2);
			k += 6;
			if (cp >= 0xd800 && cp <= 0xdbff && k + 6 <= n && p[k] == '\\' && p[k + 1] == 'u' &&
			    hex4(p + k + 2) >= 0xdc00 && hex4(p + k + 2) <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (hex4(p + k + 2) - 0xdc00);
				k += 6;
			} else if (cp >= 0xd800 && cp <= 0xdfff) {
				cp = 0xfffd; /* a lone surrogate, as json-c makes it */
			}
			if (cp == 0)
				*nul = 1;
			ol = utf8_put(o, cp);
			break;
		}
		default: o[ol++] = p[k + 1]; k += 2; break; /* " \ / */
		}
		if (nb_put(b, o, ol) != 0)
			return -1;
	}
	if (k >= n)
		return -1;
	*i = k + 1;
	return 0;
}

/* One name of an open object: its unescaped bytes in the buffer. */
typedef struct name {
	size_t off, len, at;
	uint64_t hash;
	const char *s; /* set when checked */
} name;

static int name_cmp(const void *a, const void *b)
{
	const name *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->s, y->s, x->len);
}

/* Names v[0..m) of one object: the offset of a repeated one, or (size_t)-1. */
static size_t find_dup(name *v, size_t m, const char *buf)
{
	size_t best = (size_t)-1;

	for (size_t k = 0; k < m; k++)
		v[k].s = buf + v[k].off;
	if (m <= 8) {
		for (size_t a = 0; a < m; a++)
			for (size_t b = a + 1; b < m; b++)
				if (v[a].len == v[b].len && memcmp(v[a].s, v[b].s, v[a].len) == 0 && v[b].at < best)
					best = v[b].at;
		return best;
	}
	qsort(v, m, sizeof *v, name_cmp);
	for (size_t k = 1; k < m; k++)
		if (name_cmp(&v[k - 1], &v[k]) == 0) {
			size_t later = v[k].at > v[k - 1].at ? v[k].at : v[k - 1].at;

			if (later < best)
				best = later;
		}
	return best;
}

int ih_skim_names(const char *p, size_t n, const char *const *keys, size_t nkeys, size_t *at)
{
	/* per open container: is it an object, do its names matter, where its
	 * names start in v; and whether the value being read matters */
	struct frame {
		char obj;
		char names_matter;
		char top;
		size_t first;
	} st[MAX_DEPTH + 1];
	nbuf b = { 0 };
	name *v = NULL;
	size_t nv = 0, cv = 0, i = 0;
	int depth = 0, rc = IH_SKIM_OK, value_matters = keys == NULL, expect_name = 0;

	*at = 0;
	while (i < n && rc == IH_SKIM_OK) {
		unsigned char c = (unsigned char)p[i];

		if (is_ws(c) || c == ':' || c == ',') {
			if (c == ',' && depth > 0 && st[depth - 1].obj)
				expect_name = 1;
			i++;
			continue;
		}
		if (expect_name && c == '"') {
			struct frame *f = &st[depth - 1];
			size_t start = i, off = b.len;
			int nul, chosen = keys == NULL;
			uint64_t h = 14695981039346656037ULL;

			expect_name = 0;
			if (!f->names_matter) {
				for (i++; i < n && p[i] != '"'; i++)
					if (p[i] == '\\')
						i++;
				i++;
				value_matters = 0;
				continue;
			}
			if (unescape(p, n, &i, &b, &nul) != 0) {
				rc = IH_SKIM_INVALID;
				break;
			}
			if (f->top && keys != NULL)
				for (size_t k = 0; k < nkeys && !chosen; k++)
					chosen = strlen(keys[k]) == b.len - off && memcmp(keys[k], b.p + off, b.len - off) == 0;
			if (nul) {
				*at = start;
				rc = IH_SKIM_NAMES_NUL;
				break;
			}
			value_matters = f->names_matter && (!f->top || chosen);
			if (!value_matters) {
				b.len = off;
				continue;
			}
			for (size_t k = off; k < b.len; k++)
				h = (h ^ (unsigned char)b.p[k]) * 1099511628211ULL;
			if (nv == cv) {
				size_t ncap = cv ? cv * 2 : 64;
				name *q = realloc(v, ncap * sizeof *v);

				if (q == NULL) {
					rc = IH_SKIM_INVALID;
					break;
				}
				v = q;
				cv = ncap;
			}
			v[nv].off = off;
			v[nv].len = b.len - off;
			v[nv].at = start;
			v[nv].hash = h;
			nv++;
			continue;
		}
		if (c == '{' || c == '[') {
			if (depth > MAX_DEPTH) {
				rc = IH_SKIM_INVALID;
				break;
			}
			st[depth].obj = c == '{';
			st[depth].top = depth == 0 && keys != NULL;
			st[depth].names_matter = value_matters || st[depth].top;
			st[depth].first = nv;
			expect_name = c == '{';
			if (c == '[')
				value_matters = st[depth].names_matter;
			depth++;
			i++;
			continue;
		}
		if (c == '}' || c == ']') {
			struct frame *f;

			if (depth == 0) {
				rc = IH_SKIM_INVALID;
				break;
			}
			f = &st[--depth];
			if (f->obj && nv > f->first) {
				size_t d = find_dup(v + f->first, nv - f->first, b.p);

				if (d != (size_t)-1) {
					*at = d;
					rc = IH_SKIM_NAMES_DUP;
					break;
				}
				b.len = v[f->first].off;
			}
			nv = f->first;
			expect_name = 0;
			value_matters = depth > 0 ? (st[depth - 1].obj ? 0 : st[depth - 1].names_matter) : 0;
			i++;
			continue;
		}
		if (c == '"') {
			/* a string value: skip it */
			for (i++; i < n && p[i] != '"'; i++)
				if (p[i] == '\\')
					i++;
			i++;
			continue;
		}
		i++; /* numbers, literals */
	}
	free(v);
	free(b.p);
	return rc;
}
