#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ihp.h"

void ihp_log(ihp_sink *sink, int level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (sink == NULL || sink->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	sink->log(sink->ctx, level, line);
}

int ihp_fail(ihp_sink *sink, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sink->err, sizeof sink->err, fmt, ap);
	va_end(ap);
	return IH_ERR_FATAL;
}

void ihp_count(ihp_sink *sink, ih_counter which)
{
	if (sink->count != NULL)
		sink->count(sink->ctx, which, 1);
}

int ihp_money_cents(long long cents, char *out, size_t outsz)
{
	int n;

	if (cents < 0 || cents > IHP_MAX_CENTS)
		return -1;
	n = snprintf(out, outsz, "%lld.%02lld", cents / 100, cents % 100);
	return (n < 0 || (size_t)n >= outsz) ? -1 : 0;
}

int ihp_money_decimal(const char *text, char *out, size_t outsz)
{
	const char *p = text, *int_start;
	size_t int_digits = 0, frac_digits = 0;

	if (text == NULL || !isdigit((unsigned char)*p))
		return -1;
	while (*p == '0' && isdigit((unsigned char)p[1]))
		p++;
	int_start = p;
	while (isdigit((unsigned char)*p))
		p++;
	int_digits = (size_t)(p - int_start);
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)p[frac_digits]))
			frac_digits++;
		if (frac_digits == 0)
			return -1;
		p += frac_digits;
	}
	/* at most 10 integer digits (< 10^10), a sane number of decimals */
	if (*p != '\0' || int_digits > 10 || frac_digits > 8 || strlen(text) >= outsz)
		return -1;
	memcpy(out, text, strlen(text) + 1);
	return 0;
}

int ihp_number_to_cents(const char *text, long long *cents)
{
	char d[48];
	size_t nd = 0, keep, i;
	long e = 0, x = 0, s;
	int neg = 0, xneg = 0;
	long long v = 0;
	const char *p = text;

	if (p == NULL)
		return -1;
	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (nd == 0 && *p == '0')
			continue;
		if (nd >= sizeof d)
			return -1; /* >= 10^48: far too big */
		d[nd++] = *p;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p); p++) {
			if (nd == 0 && *p == '0') {
				e--;
				continue;
			}
			if (nd >= sizeof d)
				continue; /* truncating far below a cent never rounds up wrongly */
			d[nd++] = *p;
			e--;
		}
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			xneg = (*p++ == '-');
		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p); p++)
			if (x < 100000)
				x = x * 10 + (*p - '0');
		e += xneg ? -x : x;
	}
	if (*p != '\0')
		return -1;
	if (nd == 0) {
		*cents = 0;
		return 0;
	}
	if (neg)
		return -1;
	s = e + 2; /* cents = d * 10^s */
	if (s >= 0) {
		if ((long)nd + s > 12)
			return -1;
		for (i = 0; i < nd; i++)
			v = v * 10 + (d[i] - '0');
		for (; s > 0; s--)
			v *= 10;
	} else if ((size_t)-s > nd) {
		v = 0;
	} else {
		keep = nd - (size_t)-s;
		if (keep > 12)
			return -1;
		for (i = 0; i < keep; i++)
			v = v * 10 + (d[i] - '0');
		if (d[keep] >= '5')
			v++;
	}
	if (v > IHP_MAX_CENTS)
		return -1;
	*cents = v;
	return 0;
}

int ihp_money_number(const char *text, char *out, size_t outsz)
{
	long long cents;

	if (ihp_number_to_cents(text, &cents) < 0)
		return -1;
	return ihp_money_cents(cents, out, outsz);
}

/* ---- strict JSON ---------------------------------------------------- */

/* A top-level member name: while scanning, at.off indexes its bytes in
 * the body when raw is set (no escapes: the text is the name), else in the
 * unescaped copies (names), which may still move; once the scan is done,
 * at.p points at them. */
typedef struct jkey {
	union {
		size_t off;
		const char *p;
	} at;
	uint32_t len;
	int raw;
} jkey;

typedef struct jcheck {
	const unsigned char *b;
	size_t len, i;
	ihp_sink *sink;
	const char *what;
	jkey *keys;
	size_t nkeys, capkeys;
	char *names; /* unescaped names of escaped top-level keys */
	size_t nnames, capnames;
	int oom;
} jcheck;

static int jc_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void jc_skip_ws(jcheck *j)
{
	while (j->i < j->len && jc_ws(j->b[j->i]))
		j->i++;
}

static int jc_fail(jcheck *j, const char *why)
{
	if (j->i >= j->len)
		ihp_fail(j->sink, "%s: truncated JSON body (%zu bytes)", j->what, j->len);
	else
		ihp_fail(j->sink, "%s: not strict JSON (%s at byte %zu)", j->what, why, j->i);
	return -1;
}

static int jc_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void jc_names_add(jcheck *j, const char *p, size_t n)
{
	char *s;
	size_t cap;

	if (j->oom || n == 0)
		return;
	if (j->nnames + n > j->capnames) {
		cap = j->capnames ? j->capnames : 256;
		while (cap < j->nnames + n)
			cap *= 2;
		s = realloc(j->names, cap);
		if (s == NULL) {
			j->oom = 1;
			return;
		}
		j->names = s;
		j->capnames = cap;
	}
	memcpy(j->names + j->nnames, p, n);
	j->nnames += n;
}

/* Append code point cp as UTF-8 to the unescaped names (a lone surrogate
 * is encoded as it stands, so equal escapes stay equal). */
static void jc_names_cp(jcheck *j, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	jc_names_add(j, u, n);
}

/*
 * A string at j->i (its opening quote).  is_key: a member name, which may
 * not hold \u0000; top: a member name of the top-level object, recorded for
 * the uniqueness check.
 */
static int jc_string(jcheck *j, int is_key, int top)
{
	size_t start = ++j->i, name0 = j->nnames;
	unsigned long cp, lo;
	int escaped = 0, k, h;
	unsigned char c;

	for (;;) {
		if (j->i >= j->len)
			return jc_fail(j, "unterminated string");
		c = j->b[j->i];
		if (c == '"')
			break;
		if (c < 0x20)
			return jc_fail(j, "control character in a string");
		if (c != '\\') {
			if (top && escaped)
				jc_names_add(j, (const char *)&j->b[j->i], 1);
			j->i++;
			continue;
		}
		if (top && !escaped) { /* from here on the name needs its own copy */
			escaped = 1;
			jc_names_add(j, (const char *)&j->b[start], j->i - start);
		}
		if (++j->i >= j->len)
			return jc_fail(j, "unterminated string");
		c = j->b[j->i];
		if (c != 'u') {
			static const char esc[] = "\"\\/bfnrt", val[] = "\"\\/\b\f\n\r\t";
			const char *e = c != '\0' ? strchr(esc, c) : NULL;

			if (e == NULL)
				return jc_fail(j, "unknown escape in a string");
			if (top)
				jc_names_add(j, &val[e - esc], 1);
			j->i++;
			continue;
		}
		for (cp = 0, k = 1; k <= 4; k++) {
			if (j->i + (size_t)k >= j->len)
				return (j->i = j->len), jc_fail(j, "");
			if ((h = jc_hex(j->b[j->i + (size_t)k])) < 0)
				return (j->i += (size_t)k), jc_fail(j, "bad \\u escape");
			cp = cp * 16 + (unsigned long)h;
		}
		if (cp == 0 && is_key)
			return jc_fail(j, "\\u0000 in a member name");
		j->i += 5;
		/* a high surrogate followed by a low one is one code point */
		if (cp >= 0xD800 && cp < 0xDC00 && j->i + 6 <= j->len && j->b[j->i] == '\\' &&
		    j->b[j->i + 1] == 'u') {
			for (lo = 0, k = 2; k < 6 && (h = jc_hex(j->b[j->i + (size_t)k])) >= 0; k++)
				lo = lo * 16 + (unsigned long)h;
			if (k == 6 && lo >= 0xDC00 && lo < 0xE000) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				j->i += 6;
			}
		}
		if (top)
			jc_names_cp(j, cp);
	}
	if (top && !j->oom) {
		jkey *k2;

		if (j->nkeys == j->capkeys) {
			size_t cap = j->capkeys ? 2 * j->capkeys : 16;

			k2 = realloc(j->keys, cap * sizeof *k2);
			if (k2 == NULL) {
				j->oom = 1;
				goto done;
			}
			j->keys = k2;
			j->capkeys = cap;
		}
		k2 = &j->keys[j->nkeys++];
		k2->raw = !escaped;
		k2->at.off = escaped ? name0 : start;
		k2->len = (uint32_t)(escaped ? j->nnames - name0 : j->i - start);
	}
done:
	j->i++;
	return 0;
}

static int jc_digits(jcheck *j)
{
	size_t s = j->i;

	while (j->i < j->len && j->b[j->i] >= '0' && j->b[j->i] <= '9')
		j->i++;
	return j->i > s ? 0 : -1;
}

static int jc_number(jcheck *j)
{
	if (j->b[j->i] == '-')
		j->i++;
	if (j->i < j->len && j->b[j->i] == '0')
		j->i++;
	else if (jc_digits(j) < 0)
		return jc_fail(j, "bad number");
	if (j->i < j->len && j->b[j->i] == '.') {
		j->i++;
		if (jc_digits(j) < 0)
			return jc_fail(j, "bad number");
	}
	if (j->i < j->len && (j->b[j->i] == 'e' || j->b[j->i] == 'E')) {
		j->i++;
		if (j->i < j->len && (j->b[j->i] == '+' || j->b[j->i] == '-'))
			j->i++;
		if (jc_digits(j) < 0)
			return jc_fail(j, "bad number");
	}
	return 0;
}

static int jc_literal(jcheck *j)
{
	static const char *const lit[] = { "true", "false", "null" };
	size_t k, n;

	for (k = 0; k < 3; k++) {
		n = strlen(lit[k]);
		if (j->b[j->i] != (unsigned char)lit[k][0])
			continue;
		if (j->len - j->i < n) {
			if (memcmp(&j->b[j->i], lit[k], j->len - j->i) == 0)
				return (j->i = j->len), jc_fail(j, "");
			break;
		}
		if (memcmp(&j->b[j->i], lit[k], n) != 0)
			break;
		j->i += n;
		return 0;
	}
	return jc_fail(j, "unexpected character");
}

static int jc_cmp_key(const void *pa, const void *pb)
{
	const jkey *a = pa, *b = pb;

	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->len == 0 ? 0 : memcmp(a->at.p, b->at.p, a->len);
}

/* The top-level object's member names are unique?  0, or -1 with the reason. */
static int jc_unique(jcheck *j)
{
	char name[41];
	size_t k, n;

	if (j->nkeys < 2)
		return 0;
	for (k = 0; k < j->nkeys; k++)
		j->keys[k].at.p = (j->keys[k].raw ? (const char *)j->b : j->names) + j->keys[k].at.off;
	qsort(j->keys, j->nkeys, sizeof *j->keys, jc_cmp_key);
	for (k = 1; k < j->nkeys; k++) {
		if (jc_cmp_key(&j->keys[k - 1], &j->keys[k]) != 0)
			continue;
		n = j->keys[k].len < sizeof name ? j->keys[k].len : sizeof name - 1;
		memcpy(name, j->keys[k].at.p, n);
		name[n] = '\0';
		ihp_fail(j->sink, "%s: not strict JSON (the member \"%s\" appears twice in the top-level object)",
		         j->what, ihp_printable(name, name, sizeof name));
		return -1;
	}
	return 0;
}
int ihp_json_check(ihp_sink *sink, const char *what, const char *body, size_t len)
{
	char stack[IHP_JSON_DEPTH];
	size_t depth = 0;
	jcheck j;
	int rc = -1;
	unsigned char c;

	if (body == NULL || len == 0) {
		ihp_fail(sink, "%s: empty body", what);
		return -1;
	}
	if (len > INT_MAX) {
		ihp_fail(sink, "%s: body of %zu bytes is too large", what, len);
		return -1;
	}
	memset(&j, 0, sizeof j);
	j.b = (const unsigned char *)body;
	j.len = len;
	j.sink = sink;
	j.what = what;
value:
	jc_skip_ws(&j);
	if (j.i >= j.len) {
		jc_fail(&j, "");
		goto out;
	}
	c = j.b[j.i];
	if (c == '{' || c == '[') {
		if (depth >= IHP_JSON_DEPTH) {
			jc_fail(&j, "nested too deeply");
			goto out;
		}
		stack[depth++] = (char)c;
		j.i++;
		jc_skip_ws(&j);
		if (j.i < j.len && j.b[j.i] == (c == '{' ? '}' : ']')) {
			depth--;
			j.i++;
			goto after;
		}
		if (c == '[')
			goto value;
		goto key;
	}
	if (c == '"') {
		if (jc_string(&j, 0, 0) < 0)
			goto out;
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		if (jc_number(&j) < 0)
			goto out;
	} else if (jc_literal(&j) < 0) {
		goto out;
	}
after:
	jc_skip_ws(&j);
	if (depth == 0) {
		if (j.i < j.len) {
			ihp_fail(sink, "%s: unexpected data after the JSON value at byte %zu", what, j.i);
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (j.i >= j.len) {
		jc_fail(&j, "");
		goto out;
	}
	c = j.b[j.i];
	if (c == ',') {
		j.i++;
		if (stack[depth - 1] == '[')
			goto value;
		goto key;
	}
	if (c == (stack[depth - 1] == '{' ? '}' : ']')) {
		depth--;
		j.i++;
		goto after;
	}
	jc_fail(&j, stack[depth - 1] == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
	goto out;
key:
	jc_skip_ws(&j);
	if (j.i >= j.len || j.b[j.i] != '"') {
		jc_fail(&j, "expected a quoted member name");
		goto out;
	}
	if (jc_string(&j, 1, depth == 1) < 0)
		goto out;
	jc_skip_ws(&j);
	if (j.i >= j.len || j.b[j.i] != ':') {
		jc_fail(&j, "expected ':'");
		goto out;
	}
	j.i++;
	goto value;
out:
	if (rc == 0 && j.oom) {
		ihp_fail(sink, "%s: out of memory checking the body", what);
		rc = -1;
	}
	if (rc == 0)
		rc = jc_unique(&j);
	free(j.keys);
	free(j.names);
	return rc;
}

json_object *ihp_parse_body(ihp_sink *sink, const char *what, const char *body, size_t len)
{
	struct json_tokener *tok;
	json_object *obj;
	enum json_tokener_error jerr;
	size_t end;

	if (ihp_json_check(sink, what, body, len) < 0)
		return NULL;
	tok = json_tokener_new_ex(IHP_JSON_DEPTH + 1);
	if (tok == NULL) {
		ihp_fail(sink, "%s: out of memory", what);
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	if (obj == NULL && jerr == json_tokener_continue) /* a bare number ends with the input */
		obj = json_tokener_parse_ex(tok, "", 1);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (obj == NULL && jerr == json_tokener_success) {
		ihp_fail(sink, "%s: the answer is null", what);
		return NULL;
	}
	if (obj == NULL || jerr != json_tokener_success) {
		json_object_put(obj);
		ihp_fail(sink, "%s: not JSON (%s near byte %zu)", what, json_tokener_error_desc(jerr), end);
		return NULL;
	}
	return obj;
}

const char *ihp_str(json_object *v)
{
	const char *s;

	if (!json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if (s == NULL || (size_t)json_object_get_string_len(v) != strlen(s))
		return NULL;
	return s;
}

const char *ihp_get_str(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_is_type(obj, json_type_object) || !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return ihp_str(v);
}

int ihp_get_text(json_object *obj, const char *key, const char **out)
{
	json_object *v;

	if (!json_object_is_type(obj, json_type_object) || !json_object_object_get_ex(obj, key, &v) ||
	    v == NULL)
		return 0;
	*out = ihp_str(v);
	return *out != NULL ? 1 : -1;
}

char *ihp_printable(const char *s, char *out, size_t outsz)
{
	size_t i;

	if (outsz == 0)
		return out;
	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < outsz; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7F) ? s[i] : '?';
	out[i] = '\0';
	return out;
}

int ihp_get_int(json_object *obj, const char *key, int64_t *out)
{
	json_object *v;

	if (!json_object_is_type(obj, json_type_object) || !json_object_object_get_ex(obj, key, &v) ||
	    v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return -1;
	*out = json_object_get_int64(v);
	return 1;
}

static void buf_grow(ihp_buf *b, size_t more)
{
	size_t cap;
	char *s;

	if (b->failed || b->len + more + 1 <= b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1)
		cap *= 2;
	s = realloc(b->s, cap);
	if (s == NULL) {
		b->failed = 1;
		return;
	}
	b->s = s;
	b->cap = cap;
}

void ihp_buf_add(ihp_buf *b, const char *text)
{
	size_t n = strlen(text);

	buf_grow(b, n);
	if (b->failed)
		return;
	memcpy(b->s + b->len, text, n + 1);
	b->len += n;
}

void ihp_buf_addf(ihp_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if ((size_t)n < sizeof small) {
		ihp_buf_add(b, small);
		return;
	}
	buf_grow(b, (size_t)n);
	if (b->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void ihp_buf_add_urlenc(ihp_buf *b, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	char enc[4];
	const unsigned char *p;

	for (p = (const unsigned char *)text; *p != '\0'; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			enc[0] = (char)*p;
			enc[1] = '\0';
		} else {
			enc[0] = '%';
			enc[1] = hex[*p >> 4];
			enc[2] = hex[*p & 15];
			enc[3] = '\0';
		}
		ihp_buf_add(b, enc);
	}
}

void ihp_buf_free(ihp_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof *b);
}

int ihp_is_uuid(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

char *ihp_base_url(const char *base)
{
	size_t n;
	char *s;

	if (base == NULL)
		return NULL;
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	s = malloc(n + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, base, n);
	s[n] = '\0';
	return s;
}
