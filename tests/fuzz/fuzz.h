/*
 * fuzz.h -- what the harnesses of tests/fuzz share (#14).
 *
 * Every harness is one LLVMFuzzerTestOneInput() over one parser of
 * untrusted input, built twice: with libFuzzer (clang, ./configure
 * --enable-fuzzing, `make fuzz`) and with tests/fuzz/replay.c's main() (any
 * compiler, every build: `make check` replays the corpora).  So nothing here
 * or in a harness may use a libFuzzer-only API.
 *
 * A harness does not merely survive its input: it checks what the parser
 * hands out (a sink) and calls FUZZ_CHECK, which aborts naming the broken
 * invariant.  libFuzzer reports the abort as a crash, the replay fails.
 * Everything is deterministic: a harness that needs "random" choices draws
 * them from a generator seeded with the input's hash, so a reproducer
 * replays the same way.
 */
#ifndef IH_FUZZ_H
#define IH_FUZZ_H

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef FUZZ_NAME
#define FUZZ_NAME "fuzz"
#endif

/* ---- failing -------------------------------------------------------------- */

static void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

static void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "\n==fuzz== %s: sink check failed at %s:%d: %s\n==fuzz== ", FUZZ_NAME, file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fflush(stderr);
	abort();
}

/* Abort with a message unless cond holds. */
#define FUZZ_CHECK(cond, ...)                                                  \
	do {                                                                   \
		if (!(cond))                                                   \
			fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);      \
	} while (0)

/* ---- input helpers -------------------------------------------------------- */

/* A NUL-terminated copy of data (malloc'd; aborts when out of memory). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* FNV-1a: the seed of a harness's deterministic choices. */
static inline uint64_t fuzz_hash(const uint8_t *data, size_t size)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < size; i++) {
		h ^= data[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* splitmix64 */
static inline uint64_t fuzz_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ---- independent checks of values ---------------------------------------- */

/* 8-4-4-4-12 hex digits. */
static inline int fuzz_is_uuid(const char *s)
{
	if (s == NULL || strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* 2 or 3 ASCII lower-case letters (a Scryfall language code). */
static inline int fuzz_is_lang(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n < 2 || n > 3)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return 0;
	return 1;
}

/* Three ASCII capitals (ISO 4217, or TIX). */
static inline int fuzz_is_currency(const char *s)
{
	return s != NULL && strlen(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' &&
	       s[2] >= 'A' && s[2] <= 'Z';
}

static inline int fuzz_one_of(const char *s, const char *const *set)
{
	for (; s != NULL && *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

static const char *const fuzz_conditions[] __attribute__((unused)) = { "NM", "LP", "MP", "HP", "DMG", NULL };
static const char *const fuzz_finishes[] __attribute__((unused)) = { "nonfoil", "foil", "etched", NULL };

/*
 * A decimal as PostgreSQL's numeric input reads it: -?D+(.D*)? or -?.D+
 * (no exponent, no blanks).  Fills the integer digits without leading zeros
 * (*ip, *il) and the fraction digits (*fp, *fl).
 */
static inline int fuzz_decimal_parts(const char *s, int *neg, const char **ip, size_t *il, const char **fp,
				     size_t *fl)
{
	const char *p = s;
	size_t id = 0;

	if (s == NULL)
		return 0;
	*neg = *p == '-';
	if (*neg)
		p++;
	while (*p == '0' && p[1] >= '0' && p[1] <= '9')
		p++;
	*ip = p;
	while (p[id] >= '0' && p[id] <= '9')
		id++;
	*il = id;
	p += id;
	*fp = p;
	*fl = 0;
	if (*p == '.') {
		p++;
		*fp = p;
		while (p[*fl] >= '0' && p[*fl] <= '9')
			(*fl)++;
		p += *fl;
	}
	if (*il == 1 && **ip == '0')
		*il = 0; /* "0.5": no significant integer digit */
	return *p == '\0' && (id > 0 || *fl > 0);
}

/*
 * Whether decimal text s fits numeric(12,2) the way PostgreSQL stores it:
 * rounded half away from zero to 2 places, then at most 10 integer digits.
 * "9999999999.995" rounds to 10^10 and does not fit.
 */
static inline int fuzz_fits_numeric_12_2(const char *s)
{
	const char *ip, *fp;
	size_t il, fl;
	int neg;
	long long cents = 0;

	if (!fuzz_decimal_parts(s, &neg, &ip, &il, &fp, &fl) || il > 10)
		return 0;
	for (size_t i = 0; i < il; i++)
		cents = cents * 10 + (ip[i] - '0');
	for (size_t i = 0; i < 2; i++)
		cents = cents * 10 + (i < fl ? fp[i] - '0' : 0);
	if (fl > 2 && fp[2] >= '5')
		cents++;
	return cents < 1000000000000LL;
}

/* Non-negative decimal text that fits numeric(12,2). */
static inline int fuzz_is_price(const char *s)
{
	return s != NULL && *s != '-' && fuzz_fits_numeric_12_2(s);
}

/* 0 when a and b are the same decimal value (both valid decimals). */
static inline int fuzz_decimal_cmp(const char *a, const char *b)
{
	const char *ia, *fa, *ib, *fb;
	size_t la, lfa, lb, lfb, n;
	int na, nb, za = 1, zb = 1, c;

	if (!fuzz_decimal_parts(a, &na, &ia, &la, &fa, &lfa) || !fuzz_decimal_parts(b, &nb, &ib, &lb, &fb, &lfb))
		return 2;
	while (lfa > 0 && fa[lfa - 1] == '0')
		lfa--;
	while (lfb > 0 && fb[lfb - 1] == '0')
		lfb--;
	za = la == 0 && lfa == 0;
	zb = lb == 0 && lfb == 0;
	if (za && zb)
		return 0;
	if (na != nb)
		return na ? -1 : 1;
	if (la != lb)
		c = la < lb ? -1 : 1;
	else if ((c = memcmp(ia, ib, la)) != 0)
		c = c < 0 ? -1 : 1;
	else {
		n = lfa > lfb ? lfa : lfb;
		for (size_t i = 0; i < n && c == 0; i++) {
			char x = i < lfa ? fa[i] : '0', y = i < lfb ? fb[i] : '0';

			c = (x > y) - (x < y);
		}
	}
	return na ? -c : c;
}

/* Digits after the point of decimal text (0 when none). */
static inline size_t fuzz_decimals(const char *s)
{
	const char *d = strchr(s, '.');

	return d != NULL ? strlen(d + 1) : 0;
}

/* ---- JSON: an independent strict reader ----------------------------------- */

/*
 * A reference reader of RFC 8259 JSON, written for the harnesses and
 * independent of the parsers under test: one left-to-right pass that says
 * whether p[0..n) is one complete value (blanks around it allowed), a valid
 * start cut short, or invalid, and records the top-level object's keys.
 * UTF-8 is not checked (no parser under test claims to).  ctl_in_strings:
 * accept raw control characters inside strings (json-c's strict mode does).
 */
enum { FJ_OK = 0, FJ_INCOMPLETE = 1, FJ_INVALID = -1, FJ_DEPTH = -2 };

typedef struct fj_key {
	size_t start, len;   /* the key's raw text, between its quotes */
	size_t vstart, vlen; /* its value's raw text */
	int escaped;         /* the key holds a backslash */
} fj_key;

typedef struct fj {
	const char *p;
	size_t n, i;
	int max_depth; /* deeper containers give FJ_DEPTH */
	int ctl_in_strings;
	fj_key keys[64]; /* the top-level object's first 64 members */
	size_t nkeys, all_keys;
	int top_object;
	int escaped_key; /* a top-level key holds a backslash */
} fj;

static inline void fj_ws(fj *j)
{
	while (j->i < j->n && (j->p[j->i] == ' ' || j->p[j->i] == '\t' || j->p[j->i] == '\n' || j->p[j->i] == '\r'))
		j->i++;
}

static inline int fj_string(fj *j, int *escaped)
{
	*escaped = 0;
	j->i++; /* the quote */
	for (;;) {
		unsigned char c;

		if (j->i >= j->n)
			return FJ_INCOMPLETE;
		c = (unsigned char)j->p[j->i];
		if (c == '"') {
			j->i++;
			return FJ_OK;
		}
		if (c < 0x20 && !j->ctl_in_strings)
			return FJ_INVALID;
		if (c != '\\') {
			j->i++;
			continue;
		}
		*escaped = 1;
		if (j->i + 1 >= j->n)
			return FJ_INCOMPLETE;
		c = (unsigned char)j->p[j->i + 1];
		if (c == 'u') {
			for (size_t h = 2; h < 6; h++) {
				if (j->i + h >= j->n)
					return FJ_INCOMPLETE;
				if (!isxdigit((unsigned char)j->p[j->i + h]))
					return FJ_INVALID;
			}
			j->i += 6;
		} else if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' ||
			   c == 't') {
			j->i += 2;
		} else {
			return FJ_INVALID;
		}
	}
}

static inline int fj_digits(fj *j)
{
	size_t s = j->i;

	while (j->i < j->n && j->p[j->i] >= '0' && j->p[j->i] <= '9')
		j->i++;
	return j->i > s;
}

static inline int fj_number(fj *j)
{
	if (j->p[j->i] == '-')
		j->i++;
	if (j->i >= j->n)
		return FJ_INCOMPLETE;
	if (j->p[j->i] == '0')
		j->i++;
	else if (!fj_digits(j))
		return FJ_INVALID;
	if (j->i < j->n && j->p[j->i] == '.') {
		j->i++;
		if (j->i >= j->n)
			return FJ_INCOMPLETE;
		if (!fj_digits(j))
			return FJ_INVALID;
	}
	if (j->i < j->n && (j->p[j->i] == 'e' || j->p[j->i] == 'E')) {
		j->i++;
		if (j->i < j->n && (j->p[j->i] == '+' || j->p[j->i] == '-'))
			j->i++;
		if (j->i >= j->n)
			return FJ_INCOMPLETE;
		if (!fj_digits(j))
			return FJ_INVALID;
	}
	return FJ_OK;
}

static inline int fj_value(fj *j, int depth)
{
	int rc, esc;
	char c;

	fj_ws(j);
	if (j->i >= j->n)
		return FJ_INCOMPLETE;
	c = j->p[j->i];
	if (c == '{' || c == '[') {
		char close = c == '{' ? '}' : ']';
		int first = 1;

		if (depth >= j->max_depth)
			return FJ_DEPTH;
		if (depth == 0 && c == '{')
			j->top_object = 1;
		j->i++;
		for (;;) {
			fj_ws(j);
			if (j->i >= j->n)
				return FJ_INCOMPLETE;
			if (first && j->p[j->i] == close) {
				j->i++;
				return FJ_OK;
			}
			if (!first) {
				if (j->p[j->i] == close) {
					j->i++;
					return FJ_OK;
				}
				if (j->p[j->i] != ',')
					return FJ_INVALID;
				j->i++;
				fj_ws(j);
				if (j->i >= j->n)
					return FJ_INCOMPLETE;
			}
			first = 0;
			if (c == '{') {
				size_t ks;
				fj_key *k = NULL;

				if (j->p[j->i] != '"')
					return FJ_INVALID;
				ks = j->i + 1;
				if ((rc = fj_string(j, &esc)) != FJ_OK)
					return rc;
				if (depth == 0) {
					j->all_keys++;
					j->escaped_key |= esc;
					if (j->nkeys < sizeof j->keys / sizeof j->keys[0]) {
						k = &j->keys[j->nkeys++];
						k->start = ks;
						k->len = j->i - 1 - ks;
						k->escaped = esc;
					}
				}
				fj_ws(j);
				if (j->i >= j->n)
					return FJ_INCOMPLETE;
				if (j->p[j->i] != ':')
					return FJ_INVALID;
				j->i++;
				fj_ws(j);
				if (k != NULL)
					k->vstart = j->i;
				if ((rc = fj_value(j, depth + 1)) != FJ_OK)
					return rc;
				if (k != NULL)
					k->vlen = j->i - k->vstart;
			} else if ((rc = fj_value(j, depth + 1)) != FJ_OK) {
				return rc;
			}
		}
	}
	if (c == '"')
		return fj_string(j, &esc);
	if (c == '-' || (c >= '0' && c <= '9'))
		return fj_number(j);
	{
		static const char *const lits[] = { "true", "false", "null" };

		for (int l = 0; l < 3; l++) {
			size_t len = strlen(lits[l]), have = j->n - j->i;

			if (c != lits[l][0])
				continue;
			if (have < len)
				return memcmp(j->p + j->i, lits[l], have) == 0 ? FJ_INCOMPLETE : FJ_INVALID;
			if (memcmp(j->p + j->i, lits[l], len) != 0)
				return FJ_INVALID;
			j->i += len;
			return FJ_OK;
		}
	}
	return FJ_INVALID;
}

/* Read p[0..n) into j: FJ_OK, FJ_INCOMPLETE, FJ_INVALID or FJ_DEPTH. */
static inline int fj_read(fj *j, const char *p, size_t n, int max_depth, int ctl_in_strings)
{
	int rc;

	memset(j, 0, sizeof *j);
	j->p = p;
	j->n = n;
	j->max_depth = max_depth;
	j->ctl_in_strings = ctl_in_strings;
	rc = fj_value(j, 0);
	if (rc != FJ_OK)
		return rc;
	fj_ws(j);
	return j->i < j->n ? FJ_INVALID : FJ_OK;
}

/* Whether the top-level object read into j names one key twice (keys
 * compared as raw text; an escaped key is compared decoded by json-c). */
static inline int fj_duplicate_keys(const fj *j)
{
	for (size_t a = 0; a < j->nkeys; a++)
		for (size_t b = a + 1; b < j->nkeys; b++) {
			const fj_key *x = &j->keys[a], *y = &j->keys[b];

			if (x->escaped || y->escaped) {
				/* compare decoded: "d\u0061ta" is "data" */
				char *sx = malloc(x->len + 3), *sy = malloc(y->len + 3);
				json_object *ox, *oy;
				int same = 0;

				if (sx == NULL || sy == NULL)
					abort();
				sx[0] = sy[0] = '"';
				memcpy(sx + 1, j->p + x->start, x->len);
				memcpy(sy + 1, j->p + y->start, y->len);
				sx[x->len + 1] = sy[y->len + 1] = '"';
				sx[x->len + 2] = sy[y->len + 2] = '\0';
				ox = json_tokener_parse(sx);
				oy = json_tokener_parse(sy);
				if (ox != NULL && oy != NULL)
					same = json_object_get_string_len(ox) == json_object_get_string_len(oy) &&
					       memcmp(json_object_get_string(ox), json_object_get_string(oy),
						      (size_t)json_object_get_string_len(ox)) == 0;
				json_object_put(ox);
				json_object_put(oy);
				free(sx);
				free(sy);
				if (same)
					return 1;
			} else if (x->len == y->len && memcmp(j->p + x->start, j->p + y->start, x->len) == 0) {
				return 1;
			}
		}
	return 0;
}

/*
 * The strict-JSON rule for a marketplace body a plugin accepted (#14 item
 * 5): one complete RFC 8259 value (raw control characters in strings are
 * let through, as json-c's strict mode does), nested at most 64 deep, whose
 * top-level object names no key twice.  Returns NULL when it holds, else
 * what is wrong.
 */
static inline const char *fuzz_strict_body(const uint8_t *data, size_t size)
{
	fj j;
	int rc = fj_read(&j, (const char *)data, size, 64, 1);

	if (rc == FJ_DEPTH)
		return NULL; /* deeper than the reference reads: not judged */
	if (rc == FJ_INCOMPLETE)
		return "the body is cut short";
	if (rc != FJ_OK)
		return "the body is not strict JSON";
	if (j.top_object && j.all_keys <= j.nkeys && fj_duplicate_keys(&j))
		return "the body's top-level object names a key twice";
	return NULL;
}

/* ---- JSON: a lenient tree for cross-checks ------------------------------- */

/*
 * json-c with its default (lenient) options over all of data: the tree a
 * harness compares a parser's output with, or NULL when json-c does not read
 * the whole input as one value.
 */
static inline json_object *fuzz_json_tree(const uint8_t *data, size_t size)
{
	json_tokener *tok;
	json_object *o;
	size_t end;

	if (size == 0 || size > 0x7fffffff)
		return NULL;
	tok = json_tokener_new();
	if (tok == NULL)
		abort();
	o = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	while (o != NULL && end < size && isspace(data[end]))
		end++;
	if (o != NULL && end < size) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/*
 * Whether tree holds, anywhere, a member `key` (NULL: any key, and array
 * elements) whose value is a string equal to s in full: same length too,
 * so a value cut at an embedded \u0000 does not count.  ci: compare
 * ignoring ASCII case.
 */
static inline int fuzz_json_has_string(json_object *tree, const char *key, const char *s, int ci)
{
	size_t n = strlen(s);

	if (tree == NULL)
		return 0;
	if (json_object_is_type(tree, json_type_object)) {
		json_object_object_foreach(tree, k, v) {
			if (v != NULL && json_object_is_type(v, json_type_string) && (key == NULL || strcmp(k, key) == 0) &&
			    (size_t)json_object_get_string_len(v) == n &&
			    (ci ? strncasecmp(json_object_get_string(v), s, n) : memcmp(json_object_get_string(v), s, n)) == 0)
				return 1;
			if (fuzz_json_has_string(v, key, s, ci))
				return 1;
		}
	} else if (json_object_is_type(tree, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(tree); i++) {
			json_object *v = json_object_array_get_idx(tree, i);

			if (key == NULL && v != NULL && json_object_is_type(v, json_type_string) &&
			    (size_t)json_object_get_string_len(v) == n && memcmp(json_object_get_string(v), s, n) == 0)
				return 1;
			if (fuzz_json_has_string(v, key, s, ci))
				return 1;
		}
	}
	return 0;
}

/* Every string value of member `key` anywhere in tree, through fn. */
static inline void fuzz_json_each_string(json_object *tree, const char *key, void (*fn)(void *ud, json_object *v),
					 void *ud)
{
	if (tree == NULL)
		return;
	if (json_object_is_type(tree, json_type_object)) {
		json_object_object_foreach(tree, k, v) {
			if (v != NULL && json_object_is_type(v, json_type_string) && strcmp(k, key) == 0)
				fn(ud, v);
			fuzz_json_each_string(v, key, fn, ud);
		}
	} else if (json_object_is_type(tree, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(tree); i++)
			fuzz_json_each_string(json_object_array_get_idx(tree, i), key, fn, ud);
	}
}

/* Every integer value of member `key` anywhere in tree, through fn. */
static inline void fuzz_json_each_int(json_object *tree, const char *key, void (*fn)(void *ud, int64_t v), void *ud)
{
	if (tree == NULL)
		return;
	if (json_object_is_type(tree, json_type_object)) {
		json_object_object_foreach(tree, k, v) {
			if (v != NULL && json_object_is_type(v, json_type_int) && strcmp(k, key) == 0)
				fn(ud, json_object_get_int64(v));
			fuzz_json_each_int(v, key, fn, ud);
		}
	} else if (json_object_is_type(tree, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(tree); i++)
			fuzz_json_each_int(json_object_array_get_idx(tree, i), key, fn, ud);
	}
}

#endif
