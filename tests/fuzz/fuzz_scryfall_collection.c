/*
 * scryfall_collection: plugins/scryfall's POST /cards/collection answer
 * (scry_parse_collection) for a chunk of cards.
 *
 * The chunk: three fixed cards (ids of tests/data and of the simulator's
 * universe) and the UUIDs the body itself names under "id" (every other
 * one, by the input's hash), at most 75.  Checks beyond fuzz_plugin.h's:
 * a row's price is, in full, the text of a price key of the body (so a
 * value cut at an embedded \u0000 is caught), its finish and currency are
 * the ones of that key, its language is the card's own or, in full, a
 * "lang" of the body; its card is named, in full, by an "id" of the body
 * (an id cut at \u0000 matches nothing); mark_done at most once a card;
 * never more not_found than cards.
 */
#include "config.h"

#include "fuzz_plugin.h"
#include "scryfall_parse.h"

typedef struct chunk {
	ih_card cards[SCRY_CHUNK];
	const ih_card *ptr[SCRY_CHUNK];
	char ids[SCRY_CHUNK][37];
	size_t n;
	uint64_t h;
} chunk;

static void add_card(chunk *c, const char *id, const char *lang)
{
	ih_card *k;

	if (c->n >= SCRY_CHUNK || !fuzz_is_uuid(id))
		return;
	for (size_t i = 0; i < c->n; i++)
		if (strcasecmp(c->ids[i], id) == 0)
			return;
	k = &c->cards[c->n];
	memset(k, 0, sizeof *k);
	memcpy(c->ids[c->n], id, 37);
	k->card_id = (int32_t)(c->n + 1);
	k->scryfall_id = c->ids[c->n];
	k->name = "Card";
	k->set_code = "neo";
	k->collector_number = "1";
	k->lang = lang;
	c->ptr[c->n] = k;
	c->n++;
}

static void body_id(void *ud, json_object *v)
{
	chunk *c = ud;

	if ((c->h = c->h * 31 + 7) & 2) /* ask for about half of them */
		add_card(c, json_object_get_string(v), (c->h & 4) ? "en" : "ja");
}

static const struct {
	const char *key, *finish, *currency;
} price_keys[] = {
	{ "usd", "nonfoil", "USD" },       { "usd_foil", "foil", "USD" }, { "usd_etched", "etched", "USD" },
	{ "eur", "nonfoil", "EUR" },       { "eur_foil", "foil", "EUR" }, { "eur_etched", "etched", "EUR" },
	{ "tix", "nonfoil", "TIX" },
};

static int check_row(fuzz_psink *ps, const ih_snapshot *s)
{
	const ih_card *card = fuzz_card_of(ps, s);
	int known = 0;

	FUZZ_CHECK(strcmp(s->condition, "NM") == 0, "condition %s", s->condition);
	FUZZ_CHECK(s->price_low == NULL && s->price_mid == NULL && s->price_high == NULL && s->num_listings == -1,
		   "Scryfall gives one price, no listings");
	for (size_t k = 0; k < sizeof price_keys / sizeof price_keys[0]; k++) {
		if (strcmp(price_keys[k].finish, s->finish) != 0 || strcmp(price_keys[k].currency, s->currency) != 0)
			continue;
		known = 1;
		if (ps->tree != NULL)
			FUZZ_CHECK(fuzz_json_has_string(ps->tree, price_keys[k].key, s->price, 0),
				   "price '%s' is not, in full, the %s of the body", s->price, price_keys[k].key);
	}
	FUZZ_CHECK(known, "finish %s with currency %s is no Scryfall price key", s->finish, s->currency);
	FUZZ_CHECK(s->language != NULL, "a Scryfall row has a language");
	if (card != NULL && ps->tree != NULL)
		FUZZ_CHECK(fuzz_json_has_string(ps->tree, "id", card->scryfall_id, 1),
			   "a row for %s, which no \"id\" of the body names in full (an id cut at a NUL?)",
			   card->scryfall_id);
	if (card != NULL && ps->tree != NULL && (card->lang == NULL || strcmp(s->language, card->lang) != 0))
		FUZZ_CHECK(fuzz_json_has_string(ps->tree, "lang", s->language, 0),
			   "language '%s' is neither the card's nor, in full, a lang of the body", s->language);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_psink ps;
	chunk c;
	int rc;

	memset(&c, 0, sizeof c);
	fuzz_psink_init(&ps, data, size);
	c.h = fuzz_hash(data, size);
	add_card(&c, "00000000-0000-4000-8000-000000000001", "en");
	add_card(&c, "b2a93747-720a-4ddf-8325-36db78e0a584", "en");
	add_card(&c, "0000579f-7b35-4ed3-b44c-db2a538066fe", "ja");
	fuzz_json_each_string(ps.tree, "id", body_id, &c);
	ps.cards = c.ptr;
	ps.ncards = c.n;
	ps.unique = 1;
	ps.check = check_row;
	rc = scry_parse_collection((const char *)data, size, c.ptr, c.n, &ps.s);
	fuzz_plugin_returned(&ps, rc, data, size);
	FUZZ_CHECK(ps.counts[IH_COUNT_NOT_FOUND] <= (long)c.n, "%ld not found of %zu cards",
		   ps.counts[IH_COUNT_NOT_FOUND], c.n);
	FUZZ_CHECK(ps.ndone <= c.n, "mark_done %zu times for %zu cards", ps.ndone, c.n);
	fuzz_psink_free(&ps);
	return 0;
}
