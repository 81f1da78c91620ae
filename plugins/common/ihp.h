/*
 * ihp -- helpers shared by the bundled marketplace plugins.
 *
 * Compiled into each plugin (not a library of its own), so a plugin still
 * depends on nothing but include/ingesthost/plugin.h and json-c.  Everything
 * here is pure: no host calls except through an ihp_sink, no globals, so the
 * test binaries link it directly.
 */
#ifndef IHP_H
#define IHP_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "ingesthost/plugin.h"

/* Largest money value accepted: 10^10 (currency units) - 0.01, in cents. */
#define IHP_MAX_CENTS 999999999999LL
/* Text room for any accepted money value: "9999999999.99" + NUL. */
#define IHP_MONEY_LEN 24

/*
 * Where parsers deliver what they find.  The plugins wrap the host services;
 * the tests collect into arrays.  err receives the reason when a parse
 * function returns IH_ERR_FATAL.
 */
typedef struct ihp_sink {
	void *ctx;
	int (*emit)(void *ctx, const ih_snapshot *snap);
	void (*mark_done)(void *ctx, int32_t card_id);
	void (*count)(void *ctx, ih_counter which, long n);
	void (*log)(void *ctx, int level, const char *msg);
	char err[256];
} ihp_sink;

/* Formatted log line through sink->log (may be NULL). */
void ihp_log(ihp_sink *sink, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Set sink->err and return IH_ERR_FATAL. */
int ihp_fail(ihp_sink *sink, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Bump a counter by one (no-op without a count callback). */
void ihp_count(ihp_sink *sink, ih_counter which);

/*
 * Money.  All three write "D.CC" style decimal text into out (size >= 
 * IHP_MONEY_LEN) and return 0, or -1 for a value that is not a non-negative
 * amount below 10^10.
 *  ihp_money_cents:   integer cents -> "12.34" (integer arithmetic only).
 *  ihp_money_decimal: plain decimal text ("18.13", "7", "0.5") validated and
 *                     passed through unchanged (no sign, no exponent).
 *  ihp_money_number:  a JSON number's source text ("1.005", "2e1") rounded
 *                     half-up to cents in decimal arithmetic, never through
 *                     binary floating point.
 */
int ihp_money_cents(long long cents, char *out, size_t outsz);
int ihp_money_decimal(const char *text, char *out, size_t outsz);
int ihp_money_number(const char *text, char *out, size_t outsz);
/* Parse a JSON number's source text into cents (half-up); 0 or -1 as above. */
int ihp_number_to_cents(const char *text, long long *cents);

/*
 * JSON.  Everything a marketplace sends is untrusted, so bodies are read as
 * strict RFC 8259 JSON only.
 *
 * ihp_json_check: body[0..len) is exactly one JSON value, with nothing but
 * JSON whitespace (space, tab, LF, CR) around it and between tokens: no
 * comments, single quotes, trailing commas, NaN or Infinity, no number with
 * a leading zero, a plus sign or a bare '.', no unescaped control character
 * in a string, no unknown escape, nesting at most IHP_JSON_DEPTH deep.  Two
 * more rules: no member name anywhere holds \u0000 (json-c would cut it
 * there), and when the value is an object its members' names are unique
 * (compared after unescaping).  Returns 0, or -1 with sink->err set to
 * `what` and the reason with its byte offset ("truncated JSON body" when
 * the body ends early).  One pass, no tree: memory is a few bytes per
 * top-level member.
 *
 * ihp_parse_body: ihp_json_check, then json-c's tokener in strict mode
 * (JSON_TOKENER_STRICT) over the whole body, which must consume it all.
 * Returns the tree (caller puts it) or NULL with sink->err set.
 */
#define IHP_JSON_DEPTH 32
int ihp_json_check(ihp_sink *sink, const char *what, const char *body, size_t len);
json_object *ihp_parse_body(ihp_sink *sink, const char *what, const char *body, size_t len);
/*
 * Strings.  json-c keeps a \u0000 inside a string value, but every C string
 * function stops there: "1.50\u0000junk" would read as "1.50".  A string
 * with an embedded NUL is therefore never returned as text.
 */
/* The text of v when it is a JSON string without an embedded NUL, else NULL. */
const char *ihp_str(json_object *v);
/* Member `key` of obj when it is a string without an embedded NUL, else NULL. */
const char *ihp_get_str(json_object *obj, const char *key);
/* Member `key` of obj: 1 and *out set when it is a string without an
 * embedded NUL; 0 when absent or null; -1 when of another type or holding a
 * NUL (the caller rejects what it belongs to). */
int ihp_get_text(json_object *obj, const char *key, const char **out);
/* Copy at most outsz - 1 bytes of s into out for a log line, each byte
 * outside printable ASCII shown as '?'.  Returns out. */
char *ihp_printable(const char *s, char *out, size_t outsz);
/* Member `key` when it is a JSON integer: 1 and *out set; 0 when absent or
 * null; -1 when of another type. */
int ihp_get_int(json_object *obj, const char *key, int64_t *out);

/* Append-only text buffer; on allocation failure `failed` is set and later
 * appends are ignored. */
typedef struct ihp_buf {
	char *s;
	size_t len, cap;
	int failed;
} ihp_buf;
void ihp_buf_add(ihp_buf *b, const char *text);
void ihp_buf_addf(ihp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append text form-urlencoded (RFC 3986 unreserved kept, the rest %XX). */
void ihp_buf_add_urlenc(ihp_buf *b, const char *text);
void ihp_buf_free(ihp_buf *b);

/* A UUID in text form (36 chars, hex and dashes)? */
int ihp_is_uuid(const char *s);
/* Copy base without trailing slashes into a new string (caller frees). */
char *ihp_base_url(const char *base);

#endif
