#include "base/buf.h"
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/import_int.h"

/* CONTRACT section 4: Scryfall's price keys and the rows they become. */
const imp_price_key imp_price_keys[] = {
	{ "usd", "nonfoil", "USD" },    { "usd_foil", "foil", "USD" }, { "usd_etched", "etched", "USD" },
	{ "eur", "nonfoil", "EUR" },    { "eur_foil", "foil", "EUR" }, { "eur_etched", "etched", "EUR" },
	{ "tix", "nonfoil", "TIX" },
};
const size_t imp_nprice_keys = sizeof imp_price_keys / sizeof imp_price_keys[0];

void imp_chunk_reset(imp_chunk *k)
{
	k->n = 0;
	k->np = 0;
	k->arena.len = 0;
	k->arena.oom = 0;
}

void imp_chunk_free(imp_chunk *k)
{
	if (k == NULL)
		return;
	free(k->off);
	free(k->rows);
	free(k->ids);
	free(k->uuids);
	free(k->prices);
	ih_buf_free(&k->arena);
	free(k);
}

const char *imp_str(const imp_chunk *k, size_t i, int f)
{
	size_t o = k->off[i][f];

	return o == IMP_NULL ? NULL : k->arena.p + o;
}

static int grow_cards(imp_chunk *k)
{
	size_t cap = k->cap ? k->cap * 2 : 1024;
	void *a = realloc(k->off, cap * sizeof *k->off);

	if (a == NULL)
		return -1;
	k->off = a;
	a = realloc(k->rows, cap * sizeof *k->rows);
	if (a == NULL)
		return -1;
	k->rows = a;
	a = realloc(k->ids, cap * sizeof *k->ids);
	if (a == NULL)
		return -1;
	k->ids = a;
	a = realloc(k->uuids, cap * sizeof *k->uuids);
	if (a == NULL)
		return -1;
	k->uuids = a;
	k->cap = cap;
	return 0;
}

/* 1 if s[0..n) is well-formed UTF-8 (what PostgreSQL will accept). */
static int utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len;
		unsigned cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + len > n)
			return 0;
		for (size_t k = 1; k < len; k++) {
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

/* A string field: absent or null -> IMP_NULL; not a string -> error. */
static int get_str(json_object *obj, const char *key, int required, size_t *len, const char **s, char *why,
		   size_t whylen)
{
	json_object *v;

	*s = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || v == NULL) {
		if (required) {
			snprintf(why, whylen, "'%s' is missing", key);
			return 1;
		}
		return 0;
	}
	if (!json_object_is_type(v, json_type_string)) {
		snprintf(why, whylen, "'%s' is not a string (%s)", key, json_type_to_name(json_object_get_type(v)));
		return 1;
	}
	*s = json_object_get_string(v);
	*len = (size_t)json_object_get_string_len(v);
	if (memchr(*s, '\0', *len) != NULL) {
		snprintf(why, whylen, "'%s' holds a NUL character", key);
		return 1;
	}
	if (!utf8_ok((const unsigned char *)*s, *len)) {
		snprintf(why, whylen, "'%s' is not valid UTF-8", key);
		return 1;
	}
	if (required && *len == 0) {
		snprintf(why, whylen, "'%s' is empty", key);
		return 1;
	}
	return 0;
}

/* An integer id: absent, null or 0 -> 0 (no id); else a positive int32. */
static int get_id(json_object *obj, const char *key, int32_t *out, char *why, size_t whylen)
{
	json_object *v;
	int64_t x;

	*out = 0;
	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_int)) {
		snprintf(why, whylen, "'%s' is not an integer (%s)", key, json_type_to_name(json_object_get_type(v)));
		return 1;
	}
	x = json_object_get_int64(v);
	if (x < 0 || x > INT32_MAX) { /* 0: no id, as some exports write it */
		snprintf(why, whylen, "'%s' is out of range (%lld)", key, (long long)x);
		return 1;
	}
	*out = (int32_t)x;
	return 0;
}

static size_t put_str(imp_chunk *k, const char *s, size_t len)
{
	size_t o;

	if (s == NULL)
		return IMP_NULL;
	o = k->arena.len;
	ih_buf_put(&k->arena, s, len);
	ih_buf_putc(&k->arena, '\0');
	return o;
}

/*
 * Why the text of a price (len bytes, as json-c decoded it) cannot be
 * stored, or NULL when it can: a non-negative decimal that fits
 * numeric(12,2) after PostgreSQL rounds it to cents, without a NUL (a
 * C string would silently end there: "1.50\u0000junk" is not 1.50).
 */
static const char *price_problem(const char *p, size_t len)
{
	size_t k = 0, digits = 0, dots = 0;

	if (memchr(p, '\0', len) != NULL)
		return "holds a NUL character";
	if (len == 0)
		return "is empty";
	if (*p == '-')
		return "is negative";
	for (k = 0; k < len; k++) {
		if (p[k] >= '0' && p[k] <= '9')
			digits++;
		else if (p[k] == '.')
			dots++;
		else
			break;
	}
	if (k < len || digits == 0 || dots > 1 || p[0] == '.' || p[len - 1] == '.')
		return "is not a decimal number";
	if (len >= sizeof ((imp_price *)0)->value || !ih_valid_decimal(p))
		return "does not fit numeric(12,2) once rounded to cents";
	return NULL;
}

int imp_card_add_ex(imp_chunk *k, json_object *obj, char *why, size_t whylen, imp_dropped *dropped)
{
	static const char *const skeys[IMP_NSTR] = { "id", "oracle_id", "name", "set", "collector_number", "lang" };
	static const int required[IMP_NSTR] = { 1, 0, 1, 1, 1, 1 };
	const char *s[IMP_NSTR];
	size_t len[IMP_NSTR];
	int32_t ids[4];
	json_object *v, *prices = NULL;
	ih_card_row *r;
	size_t first_price = k->np;

	if (dropped != NULL) {
		dropped->n = 0;
		dropped->why[0] = '\0';
	}
	if (!json_object_is_type(obj, json_type_object)) {
		snprintf(why, whylen, "not a JSON object (%s)", json_type_to_name(json_object_get_type(obj)));
		return 1;
	}
	if (json_object_object_get_ex(obj, "object", &v) &&
	    (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) != 4 ||
	     memcmp(json_object_get_string(v), "card", 4) != 0)) {
		snprintf(why, whylen, "not a card object ('object' is %.60s)", json_object_to_json_string(v));
		return 1;
	}
	for (int f = 0; f < IMP_NSTR; f++)
		if (get_str(obj, skeys[f], required[f], &len[f], &s[f], why, whylen))
			return 1;
	if (!ih_valid_uuid(s[IMP_SID])) {
		snprintf(why, whylen, "'id' is not a uuid ('%.40s')", s[IMP_SID]);
		return 1;
	}
	if (s[IMP_OID] != NULL && !ih_valid_uuid(s[IMP_OID])) {
		snprintf(why, whylen, "'oracle_id' is not a uuid ('%.40s')", s[IMP_OID]);
		return 1;
	}
	if (get_id(obj, "tcgplayer_id", &ids[0], why, whylen) || get_id(obj, "tcgplayer_etched_id", &ids[1], why, whylen) ||
	    get_id(obj, "cardmarket_id", &ids[2], why, whylen) || get_id(obj, "mtgo_id", &ids[3], why, whylen))
		return 1;
	if (json_object_object_get_ex(obj, "prices", &prices) && prices != NULL &&
	    !json_object_is_type(prices, json_type_object)) {
		snprintf(why, whylen, "'prices' is not an object (%s)", json_type_to_name(json_object_get_type(prices)));
		return 1;
	}
	if (k->n == k->cap && grow_cards(k) != 0)
		return -1;
	/* a price that cannot be stored is left out, and counted; the card and
	 * its other prices are kept */
	for (size_t i = 0; prices != NULL && i < imp_nprice_keys; i++) {
		const char *p, *bad;
		size_t plen;
		imp_price *ip;
		char shown[48];

		if (!json_object_object_get_ex(prices, imp_price_keys[i].key, &v) || v == NULL)
			continue;
		if (!json_object_is_type(v, json_type_string)) {
			if (dropped != NULL && dropped->n++ == 0)
				snprintf(dropped->why, sizeof dropped->why, "'prices.%s' is not a string (%s)",
					 imp_price_keys[i].key, json_type_to_name(json_object_get_type(v)));
			continue;
		}
		p = json_object_get_string(v);
		plen = (size_t)json_object_get_string_len(v);
		if ((bad = price_problem(p, plen)) != NULL) {
			if (dropped != NULL && dropped->n++ == 0) {
				/* shown up to a NUL or a control character, never raw */
				size_t m = 0;

				while (m < plen && m < 40 && (unsigned char)p[m] >= 0x20 && p[m] != 0x7f)
					m++;
				snprintf(shown, sizeof shown, "%.*s%s", (int)m, p, m < plen ? "..." : "");
				snprintf(dropped->why, sizeof dropped->why, "'prices.%s' = '%s' %s", imp_price_keys[i].key,
					 shown, bad);
			}
			continue;
		}
		if (ih_array_room(&k->prices, &k->pcap, k->np + 1, sizeof *k->prices) != 0) {
			k->np = first_price;
			return -1;
		}
		ip = &k->prices[k->np++];
		ip->card = (uint32_t)k->n;
		ip->key = (uint8_t)i;
		memcpy(ip->value, p, plen + 1);
	}
	for (int f = 0; f < IMP_NSTR; f++)
		k->off[k->n][f] = put_str(k, s[f], len[f]);
	if (k->arena.oom)
		return -1;
	r = &k->rows[k->n];
	memset(r, 0, sizeof *r);
	r->tcgplayer_id = ids[0];
	r->tcgplayer_etched_id = ids[1];
	r->cardmarket_id = ids[2];
	r->mtgo_id = ids[3];
	k->n++;
	return 0;
}

int imp_card_add(imp_chunk *k, json_object *obj, char *why, size_t whylen)
{
	return imp_card_add_ex(k, obj, why, whylen, NULL);
}

int imp_chunk_seal(imp_chunk *k)
{
	if (k->arena.oom)
		return -1;
	for (size_t i = 0; i < k->n; i++) {
		ih_card_row *r = &k->rows[i];

		r->scryfall_id = (char *)imp_str(k, i, IMP_SID);
		r->oracle_id = (char *)imp_str(k, i, IMP_OID);
		r->name = (char *)imp_str(k, i, IMP_NAME);
		r->set_code = (char *)imp_str(k, i, IMP_SET);
		r->collector_number = (char *)imp_str(k, i, IMP_CN);
		r->lang = (char *)imp_str(k, i, IMP_LANG);
		k->uuids[i] = r->scryfall_id;
	}
	return 0;
}
