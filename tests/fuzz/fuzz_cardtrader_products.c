/*
 * cardtrader_products: plugins/cardtrader's GET /marketplace/products
 * answer (ct_parse_products): listings folded per blueprint, condition,
 * finish, language and currency into snapshots.
 *
 * The cards asked for: two fixed blueprints (of tests/data) and every key
 * of the body that is a canonical blueprint id, one or two cards each
 * (English, Japanese).  Checks beyond fuzz_plugin.h's (which include one
 * row per card, condition, finish, language -- NULL is the card's own --
 * and currency): finish nonfoil or foil; price = price_low <= price_mid <=
 * price_high, each with exactly two decimals; at least one listing; the
 * currency is in full a price_currency or currency of the body; each
 * card's `rows` is the number of rows emitted for it.
 */
#include "config.h"

#include "cardtrader_parse.h"
#include "fuzz_plugin.h"

#define MAXW 48

typedef struct wants {
	ct_want w[MAXW];
	ih_card cards[MAXW];
	const ih_card *ptr[MAXW];
	char ids[MAXW][37];
	long emitted[MAXW];
	size_t n;
} wants;

static void want(wants *x, int32_t bp, const char *lang)
{
	ih_card *c;

	for (size_t i = 0; i < x->n; i++)
		if (x->w[i].blueprint_id == bp && strcmp(x->cards[i].lang, lang) == 0)
			return;
	if (x->n >= MAXW)
		return;
	c = &x->cards[x->n];
	memset(c, 0, sizeof *c);
	c->card_id = (int32_t)(x->n + 1);
	fuzz_uuid_of((uint64_t)x->n + 1, x->ids[x->n]);
	c->scryfall_id = x->ids[x->n];
	c->lang = lang;
	c->cardtrader_blueprint_id = bp;
	x->w[x->n].blueprint_id = bp;
	x->w[x->n].card = c;
	x->ptr[x->n] = c;
	x->n++;
}

static int canonical_id(const char *k, int32_t *out)
{
	long long v = 0;

	if (*k < '1' || *k > '9')
		return 0;
	for (; *k; k++) {
		if (*k < '0' || *k > '9' || v > 214748364)
			return 0;
		v = v * 10 + (*k - '0');
	}
	if (v > INT32_MAX)
		return 0;
	*out = (int32_t)v;
	return 1;
}

static int check_row(fuzz_psink *ps, const ih_snapshot *s)
{
	wants *x = ps->ud;

	FUZZ_CHECK(strcmp(s->finish, "etched") != 0, "CardTrader has no etched finish");
	FUZZ_CHECK(s->price_low != NULL && s->price_mid != NULL && s->price_high != NULL, "a fold gives all prices");
	FUZZ_CHECK(strcmp(s->price, s->price_low) == 0, "price %s is not the lowest %s", s->price, s->price_low);
	FUZZ_CHECK(fuzz_decimals(s->price) == 2 && fuzz_decimals(s->price_mid) == 2 && fuzz_decimals(s->price_high) == 2,
		   "prices from cents have two decimals: %s %s %s", s->price, s->price_mid, s->price_high);
	FUZZ_CHECK(fuzz_decimal_cmp(s->price_low, s->price_mid) <= 0 && fuzz_decimal_cmp(s->price_mid, s->price_high) <= 0,
		   "not low <= mid <= high: %s %s %s", s->price_low, s->price_mid, s->price_high);
	FUZZ_CHECK(s->num_listings >= 1, "%d listings", (int)s->num_listings);
	if (ps->tree != NULL)
		FUZZ_CHECK(fuzz_json_has_string(ps->tree, "price_currency", s->currency, 0) ||
				   fuzz_json_has_string(ps->tree, "currency", s->currency, 0),
			   "currency '%s' is not, in full, one of the body", s->currency);
	for (size_t i = 0; i < x->n; i++)
		if (x->cards[i].card_id == s->card_id)
			x->emitted[i]++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_psink ps;
	wants x;
	int rc;
	long sum = 0;

	memset(&x, 0, sizeof x);
	fuzz_psink_init(&ps, data, size);
	want(&x, 203562, "en");
	want(&x, 203562, "ja");
	want(&x, 1, "en");
	if (ps.tree != NULL && json_object_is_type(ps.tree, json_type_object)) {
		json_object_object_foreach(ps.tree, key, val) {
			int32_t bp;

			(void)val;
			if (canonical_id(key, &bp)) {
				want(&x, bp, "en");
				if (bp % 2)
					want(&x, bp, "ja");
			}
		}
	}
	ps.cards = x.ptr;
	ps.ncards = x.n;
	ps.unique = 1;
	ps.check = check_row;
	ps.ud = &x;
	rc = ct_parse_products((const char *)data, size, x.w, x.n, &ps.s);
	fuzz_plugin_returned(&ps, rc, data, size);
	for (size_t i = 0; i < x.n; i++) {
		FUZZ_CHECK(x.w[i].rows == x.emitted[i], "card %zu: rows %d, %ld emitted", i, x.w[i].rows, x.emitted[i]);
		sum += x.w[i].rows;
	}
	FUZZ_CHECK(sum == ps.emitted, "rows %ld, emitted %ld", sum, ps.emitted);
	fuzz_psink_free(&ps);
	return 0;
}
