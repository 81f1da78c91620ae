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

json_object *ihp_parse_body(ihp_sink *sink, const char *what, const char *body, size_t len)
{
	struct json_tokener *tok;
	json_object *obj;
	enum json_tokener_error jerr;
	size_t end;

	if (body == NULL || len == 0) {
		ihp_fail(sink, "%s: empty body", what);
		return NULL;
	}
	if (len > INT_MAX) {
		ihp_fail(sink, "%s: body of %zu bytes is too large", what, len);
		return NULL;
	}
	tok = json_tokener_new();
	if (tok == NULL) {
		ihp_fail(sink, "%s: out of memory", what);
		return NULL;
	}
	obj = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (obj == NULL) {
		if (jerr == json_tokener_continue || jerr == json_tokener_success)
			ihp_fail(sink, "%s: truncated JSON body (%zu bytes)", what, len);
		else
			ihp_fail(sink, "%s: not JSON (%s near byte %zu)", what,
			         json_tokener_error_desc(jerr), end);
		return NULL;
	}
	for (; end < len; end++) {
		if (!isspace((unsigned char)body[end])) {
			json_object_put(obj);
			ihp_fail(sink, "%s: unexpected data after the JSON value at byte %zu", what, end);
			return NULL;
		}
	}
	return obj;
}

const char *ihp_get_str(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_is_type(obj, json_type_object) || !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
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
