/*
 * jsonskim: the importer's skimmer (core/import/jsonskim.c, ih_skim)
 * against an independent strict reader of RFC 8259 JSON (fj_read in
 * fuzz.h, written for this purpose) and json-c in strict mode.
 *
 * Checks: the skimmer's verdict is the reference's -- complete (OK, or
 * ESCAPED_KEY exactly when a top-level key holds an escape), cut short
 * (INCOMPLETE) or invalid (INVALID; also for nesting deeper than 64) --
 * whatever the keys asked for; the error offset lies within the text; for
 * a complete object the span of each key asked for is the raw text of the
 * value of the last top-level member of that name (none: length 0), and
 * json-c (strict) reads from that span the value it reads for that member
 * from the whole text.
 */
#include "config.h"

#include "fuzz.h"
#include "import/jsonskim.h"

static const char *const keys[] = { "object", "id", "oracle_id", "name", "set", "collector_number", "lang",
				    "tcgplayer_id", "tcgplayer_etched_id", "cardmarket_id", "mtgo_id", "prices",
				    "a", "data", "" };
#define NKEYS (sizeof keys / sizeof keys[0])

static json_object *strict_parse(const char *p, size_t n, int *ok)
{
	json_tokener *tok = json_tokener_new_ex(200);
	json_object *o;

	if (tok == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, p, (int)n);
	if (o == NULL && json_tokener_get_error(tok) == json_tokener_continue)
		o = json_tokener_parse_ex(tok, " ", 1);
	*ok = json_tokener_get_error(tok) == json_tokener_success;
	if (*ok && json_tokener_get_parse_end(tok) < n) {
		size_t e = json_tokener_get_parse_end(tok);

		while (e < n && (p[e] == ' ' || p[e] == '\t' || p[e] == '\n' || p[e] == '\r'))
			e++;
		*ok = e == n;
	}
	json_tokener_free(tok);
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	ih_span spans[NKEYS];
	size_t at = (size_t)-1, at2;
	const char *what = NULL, *what2;
	fj *j;
	int rc, rc2, ref;

	if (size > 1 << 20)
		return 0;
	j = malloc(sizeof *j);
	if (j == NULL)
		abort();
	memset(spans, 0x5a, sizeof spans);
	rc = ih_skim(p, size, keys, NKEYS, spans, &at, &what);
	rc2 = ih_skim(p, size, NULL, 0, NULL, &at2, &what2);
	FUZZ_CHECK(rc == rc2, "the verdict depends on the keys asked for: %d with, %d without", rc, rc2);
	FUZZ_CHECK(what != NULL && at <= size, "offset %zu of %zu, what %p", at, size, (const void *)what);
	ref = fj_read(j, p, size, 64, 0);
	switch (ref) {
	case FJ_OK:
		FUZZ_CHECK(rc == (j->escaped_key ? IH_SKIM_ESCAPED_KEY : IH_SKIM_OK),
			   "valid JSON (escaped key: %d) skimmed as %d (%s at %zu)", j->escaped_key, rc, what, at);
		break;
	case FJ_INCOMPLETE:
		FUZZ_CHECK(rc == IH_SKIM_INCOMPLETE, "JSON cut short skimmed as %d (%s at %zu)", rc, what, at);
		break;
	default: /* invalid, or nested deeper than 64 */
		FUZZ_CHECK(rc == IH_SKIM_INVALID, "invalid JSON (reference %d, stopped at byte %zu) skimmed as %d", ref, j->i,
			   rc);
		FUZZ_CHECK(what[0] != '\0', "no reason for an invalid text");
		break;
	}
	if (rc == IH_SKIM_OK && j->top_object && j->all_keys == j->nkeys) {
		json_object *whole;
		int ok;

		for (size_t k = 0; k < NKEYS; k++) {
			size_t start = 0, len = 0, kl = strlen(keys[k]);

			for (size_t m = 0; m < j->nkeys; m++)
				if (j->keys[m].len == kl && memcmp(p + j->keys[m].start, keys[k], kl) == 0) {
					start = j->keys[m].vstart;
					len = j->keys[m].vlen;
				}
			FUZZ_CHECK(spans[k].len == len && (len == 0 || spans[k].start == start),
				   "key '%s': span %zu+%zu, the reference says %zu+%zu", keys[k], spans[k].start, spans[k].len,
				   start, len);
		}
		whole = strict_parse(p, size, &ok);
		for (size_t k = 0; ok && k < NKEYS; k++) {
			json_object *member = NULL, *span;
			int sok;

			if (spans[k].len == 0)
				continue;
			span = strict_parse(p + spans[k].start, spans[k].len, &sok);
			if (sok && json_object_object_get_ex(whole, keys[k], &member))
				FUZZ_CHECK(json_object_equal(member, span), "key '%s': the span's value differs from json-c's",
					   keys[k]);
			json_object_put(span);
		}
		json_object_put(whole);
	}
	free(j);
	return 0;
}
