/*
 * import_card: the importer's card mapping (core/import/import_card.c,
 * imp_card_add and imp_chunk_seal) over JSON lines, each parsed by json-c
 * as the import's stream hands them over.
 *
 * Checks for an accepted card: id (and oracle_id when given) a UUID; name,
 * set, collector_number, lang non-empty; every string, in full, the one of
 * the record (no NUL inside, so a value cut at \u0000 is caught) and valid
 * UTF-8; the integer ids those of the record (0 for absent or null), within
 * 0 .. 2^31-1; every price kept is, in full, the record's string for its
 * key, non-negative decimal text that ih_valid_decimal accepts and that
 * fits numeric(12,2) after rounding (#14 finding 1: "9999999999.995" must
 * not reach COPY).  A refused card says why and leaves the chunk as it
 * was.  The sealed chunk points at the texts checked; a recycled chunk
 * gives the same answers.
 */
#include "config.h"

#include "fuzz.h"
#include "import/import_int.h"

static const char *const skeys[IMP_NSTR] = { "id", "oracle_id", "name", "set", "collector_number", "lang" };

static int utf8_ok(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], cp, len;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			return 0;
		if (i + len > n)
			return 0;
		for (unsigned k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += len;
	}
	return 1;
}

/* The record's string `key` in full and its length, or NULL. */
static const char *str_of(json_object *o, const char *key, size_t *len)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL || !json_object_is_type(v, json_type_string))
		return NULL;
	*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

static void check_card(const imp_chunk *k, size_t i, json_object *o, size_t p0, size_t p1)
{
	static const char *const idkeys[4] = { "tcgplayer_id", "tcgplayer_etched_id", "cardmarket_id", "mtgo_id" };
	const ih_card_row *r = &k->rows[i];
	const int32_t ids[4] = { r->tcgplayer_id, r->tcgplayer_etched_id, r->cardmarket_id, r->mtgo_id };
	json_object *prices = NULL, *v;

	for (int f = 0; f < IMP_NSTR; f++) {
		const char *got = imp_str(k, i, f), *want;
		size_t wl = 0;

		want = str_of(o, skeys[f], &wl);
		if (want == NULL) {
			FUZZ_CHECK(got == NULL, "card %zu: '%s' is '%.40s' but the record has no such string", i, skeys[f],
				   got);
			FUZZ_CHECK(f == IMP_OID, "card %zu accepted without '%s'", i, skeys[f]);
			continue;
		}
		FUZZ_CHECK(got != NULL, "card %zu: '%s' lost", i, skeys[f]);
		FUZZ_CHECK(strlen(got) == wl && memcmp(got, want, wl) == 0,
			   "card %zu: '%s' is '%.40s' (%zu bytes), the record's has %zu bytes (cut at a NUL?)", i, skeys[f],
			   got, strlen(got), wl);
		FUZZ_CHECK(utf8_ok((const unsigned char *)got, wl), "card %zu: '%s' is not valid UTF-8", i, skeys[f]);
		if (f != IMP_OID)
			FUZZ_CHECK(wl > 0, "card %zu: '%s' is empty", i, skeys[f]);
		if (f == IMP_SID || f == IMP_OID)
			FUZZ_CHECK(fuzz_is_uuid(got), "card %zu: '%s' = '%.40s' is not a UUID", i, skeys[f], got);
	}
	for (int d = 0; d < 4; d++) {
		int64_t want = 0;

		if (json_object_object_get_ex(o, idkeys[d], &v) && v != NULL && json_object_is_type(v, json_type_int))
			want = json_object_get_int64(v);
		FUZZ_CHECK(ids[d] >= 0 && (int64_t)ids[d] == want, "card %zu: %s %d, the record says %lld", i, idkeys[d],
			   (int)ids[d], (long long)want);
	}
	if (json_object_object_get_ex(o, "object", &v) && v != NULL)
		FUZZ_CHECK(json_object_is_type(v, json_type_string) && strcmp(json_object_get_string(v), "card") == 0,
			   "card %zu: accepted an 'object' that is not \"card\"", i);
	json_object_object_get_ex(o, "prices", &prices);
	for (size_t p = p0; p < p1; p++) {
		const imp_price *ip = &k->prices[p];
		const char *want;
		size_t wl = 0;

		FUZZ_CHECK(ip->card == i, "price %zu belongs to card %u, not %zu", p, ip->card, i);
		FUZZ_CHECK(ip->key < imp_nprice_keys, "price key %u", ip->key);
		FUZZ_CHECK(memchr(ip->value, '\0', sizeof ip->value) != NULL, "price text unterminated");
		want = prices != NULL ? str_of(prices, imp_price_keys[ip->key].key, &wl) : NULL;
		FUZZ_CHECK(want != NULL && strlen(ip->value) == wl && memcmp(ip->value, want, wl) == 0,
			   "card %zu: prices.%s = '%s' is not, in full, the record's", i, imp_price_keys[ip->key].key,
			   ip->value);
		FUZZ_CHECK(ih_valid_decimal(ip->value) && fuzz_is_price(ip->value),
			   "card %zu: prices.%s = '%s' would not fit numeric(12,2): COPY would fail the chunk", i,
			   imp_price_keys[ip->key].key, ip->value);
		for (size_t q = p0; q < p; q++)
			FUZZ_CHECK(k->prices[q].key != ip->key, "card %zu: prices.%s twice", i, imp_price_keys[ip->key].key);
	}
}

/* Add every line of text to k; objs[] receives the records accepted. */
static size_t add_lines(imp_chunk *k, const char *text, size_t size, json_object **objs, size_t *pstart,
			size_t max, int *answers)
{
	size_t n = 0, line = 0;

	for (size_t at = 0; at < size && n < max; line++) {
		const char *nl = memchr(text + at, '\n', size - at);
		size_t len = nl != NULL ? (size_t)(nl - (text + at)) : size - at;
		json_tokener *tok = json_tokener_new();
		json_object *o;
		char why[200];
		size_t n0 = k->n, np0 = k->np;
		int rc;

		if (tok == NULL)
			abort();
		o = len > 0 ? json_tokener_parse_ex(tok, text + at, (int)len) : NULL;
		json_tokener_free(tok);
		at += len + 1;
		if (o == NULL)
			continue;
		why[0] = '\0';
		rc = imp_card_add(k, o, why, sizeof why);
		FUZZ_CHECK(rc == 0 || rc == 1, "imp_card_add returned %d", rc);
		if (answers != NULL)
			answers[line < 256 ? line : 255] = rc;
		if (rc == 1) {
			FUZZ_CHECK(why[0] != '\0' && memchr(why, '\0', sizeof why) != NULL, "a refused card without a reason");
			FUZZ_CHECK(k->n == n0 && k->np == np0, "a refused card changed the chunk (%zu/%zu cards, %zu/%zu prices)",
				   n0, k->n, np0, k->np);
			json_object_put(o);
			continue;
		}
		FUZZ_CHECK(k->n == n0 + 1 && k->np >= np0 && k->np - np0 <= imp_nprice_keys,
			   "an accepted card: %zu -> %zu cards, %zu -> %zu prices", n0, k->n, np0, k->np);
		objs[n] = o;
		pstart[n] = np0;
		n++;
	}
	pstart[n] = k->np;
	return n;
}

#define MAXCARDS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	imp_chunk *k = calloc(1, sizeof *k);
	json_object *objs[MAXCARDS], *objs2[MAXCARDS];
	size_t pstart[MAXCARDS + 1], pstart2[MAXCARDS + 1], n, n2;
	int *a1 = calloc(256, sizeof *a1), *a2 = calloc(256, sizeof *a2);

	if (k == NULL || a1 == NULL || a2 == NULL || size > 0x7fffffff)
		abort();
	n = add_lines(k, (const char *)data, size, objs, pstart, MAXCARDS, a1);
	FUZZ_CHECK(imp_chunk_seal(k) == 0, "imp_chunk_seal failed");
	FUZZ_CHECK(k->n == n, "%zu cards in the chunk, %zu accepted", k->n, n);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(k->rows[i].scryfall_id == imp_str(k, i, IMP_SID) && k->uuids[i] == k->rows[i].scryfall_id &&
				   k->rows[i].name == imp_str(k, i, IMP_NAME) && k->rows[i].lang == imp_str(k, i, IMP_LANG),
			   "sealed row %zu does not point at its texts", i);
		check_card(k, i, objs[i], pstart[i], pstart[i + 1]);
	}
	/* a recycled chunk answers the same */
	imp_chunk_reset(k);
	n2 = add_lines(k, (const char *)data, size, objs2, pstart2, MAXCARDS, a2);
	FUZZ_CHECK(n2 == n && memcmp(a1, a2, 256 * sizeof *a1) == 0 && memcmp(pstart, pstart2, (n + 1) * sizeof *pstart) == 0,
		   "a recycled chunk answered differently");
	FUZZ_CHECK(imp_chunk_seal(k) == 0, "imp_chunk_seal failed");
	for (size_t i = 0; i < n; i++) {
		check_card(k, i, objs2[i], pstart2[i], pstart2[i + 1]);
		json_object_put(objs[i]);
		json_object_put(objs2[i]);
	}
	imp_chunk_free(k);
	free(a1);
	free(a2);
	return 0;
}
