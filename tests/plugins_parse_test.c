/*
 * Parser tests of the four bundled plugins: our own data in the real shapes
 * and excerpts of real captures (tests/data/<marketplace>/, provenance in
 * tests/data/SOURCES.md), and malformed input for each.  Links the plugins'
 * parse code directly.  Every file is the project's own: nothing skips.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "plugins_collector.h"
#include "cardtrader_parse.h"
#include "manapool_parse.h"
#include "scryfall_parse.h"
#include "tcgplayer_parse.h"

static char *data_file(const char *rel, size_t *len)
{
	const char *top = getenv("IH_TOP_SRCDIR");
	char path[4096];
	char *buf;

	snprintf(path, sizeof path, "%s/tests/data/%s", top != NULL ? top : IH_TOP_SRCDIR, rel);
	buf = coll_slurp(path, len);
	if (buf == NULL)
		CU_FAIL_FATAL("test data file missing");
	return buf;
}

static ih_card mkcard(int32_t id, const char *sid, const char *lang)
{
	ih_card c;

	memset(&c, 0, sizeof c);
	c.card_id = id;
	c.scryfall_id = sid;
	c.lang = lang;
	return c;
}

/* Every malformed body a parser must refuse without crashing. */
static const char *const bad_bodies[] = {
	"", "   ", "not json", "<html>502 Bad Gateway</html>", "{", "{\"data\":[", "{\"data\":[{\"a\":1",
	"[1,2", "{\"data\": [] } trailing", "\"just a string\"", "{\"results\": 5", "nul", "{\"data\":[}]}",
};

/* ---- money ---------------------------------------------------------- */

static void test_money(void)
{
	char out[IHP_MONEY_LEN];
	long long c;

	CU_ASSERT(ihp_money_cents(0, out, sizeof out) == 0 && strcmp(out, "0.00") == 0);
	CU_ASSERT(ihp_money_cents(1813, out, sizeof out) == 0 && strcmp(out, "18.13") == 0);
	CU_ASSERT(ihp_money_cents(5, out, sizeof out) == 0 && strcmp(out, "0.05") == 0);
	CU_ASSERT(ihp_money_cents(IHP_MAX_CENTS, out, sizeof out) == 0 && strcmp(out, "9999999999.99") == 0);
	CU_ASSERT(ihp_money_cents(IHP_MAX_CENTS + 1, out, sizeof out) < 0);
	CU_ASSERT(ihp_money_cents(-1, out, sizeof out) < 0);

	CU_ASSERT(ihp_money_decimal("18.13", out, sizeof out) == 0 && strcmp(out, "18.13") == 0);
	CU_ASSERT(ihp_money_decimal("7", out, sizeof out) == 0 && strcmp(out, "7") == 0);
	CU_ASSERT(ihp_money_decimal("0009999999999.5", out, sizeof out) == 0);
	CU_ASSERT(ihp_money_decimal("10000000000.00", out, sizeof out) < 0);
	CU_ASSERT(ihp_money_decimal("-1.00", out, sizeof out) < 0);
	CU_ASSERT(ihp_money_decimal("1.", out, sizeof out) < 0);
	CU_ASSERT(ihp_money_decimal(".5", out, sizeof out) < 0);
	CU_ASSERT(ihp_money_decimal("1e3", out, sizeof out) < 0);
	CU_ASSERT(ihp_money_decimal("", out, sizeof out) < 0);
	CU_ASSERT(ihp_money_decimal(NULL, out, sizeof out) < 0);
	CU_ASSERT(ihp_money_decimal("1.2.3", out, sizeof out) < 0);

	/* JSON number text: half-up in decimal, never through a double */
	CU_ASSERT(ihp_money_number("18.125", out, sizeof out) == 0 && strcmp(out, "18.13") == 0);
	CU_ASSERT(ihp_money_number("1.005", out, sizeof out) == 0 && strcmp(out, "1.01") == 0);
	CU_ASSERT(ihp_money_number("0.285", out, sizeof out) == 0 && strcmp(out, "0.29") == 0);
	CU_ASSERT(ihp_money_number("1.00499999", out, sizeof out) == 0 && strcmp(out, "1.00") == 0);
	CU_ASSERT(ihp_money_number("45", out, sizeof out) == 0 && strcmp(out, "45.00") == 0);
	CU_ASSERT(ihp_money_number("2.5e1", out, sizeof out) == 0 && strcmp(out, "25.00") == 0);
	CU_ASSERT(ihp_money_number("125E-2", out, sizeof out) == 0 && strcmp(out, "1.25") == 0);
	CU_ASSERT(ihp_money_number("0.004", out, sizeof out) == 0 && strcmp(out, "0.00") == 0);
	CU_ASSERT(ihp_money_number("0.005", out, sizeof out) == 0 && strcmp(out, "0.01") == 0);
	CU_ASSERT(ihp_money_number("0.0000001", out, sizeof out) == 0 && strcmp(out, "0.00") == 0);
	CU_ASSERT(ihp_money_number("-0.0", out, sizeof out) == 0 && strcmp(out, "0.00") == 0);
	CU_ASSERT(ihp_money_number("9999999999.994", out, sizeof out) == 0 && strcmp(out, "9999999999.99") == 0);
	CU_ASSERT(ihp_money_number("9999999999.995", out, sizeof out) < 0);
	CU_ASSERT(ihp_money_number("1e10", out, sizeof out) < 0);
	CU_ASSERT(ihp_money_number("1e99999999999", out, sizeof out) < 0);
	CU_ASSERT(ihp_money_number("5e-99999999999", out, sizeof out) == 0 && strcmp(out, "0.00") == 0);
	CU_ASSERT(ihp_money_number("-1.5", out, sizeof out) < 0);
	CU_ASSERT(ihp_money_number("1.", out, sizeof out) < 0);
	CU_ASSERT(ihp_money_number("abc", out, sizeof out) < 0);
	CU_ASSERT(ihp_money_number("1e", out, sizeof out) < 0);
	CU_ASSERT(ihp_money_number("18446744073709551615", out, sizeof out) < 0);
	CU_ASSERT(ihp_number_to_cents("0.1", &c) == 0 && c == 10);
}

/* ---- scryfall ------------------------------------------------------- */

static void test_scryfall_own_data(void)
{
	ih_card cards[5];
	const ih_card *chunk[5];
	const coll_snap *s;
	size_t len, i;
	char *body = data_file("scryfall/collection_mixed.json", &len);
	coll c;
	ihp_sink sink = coll_sink(&c);

	cards[0] = mkcard(1, "00000000-0000-4000-8000-000000000001", "en");
	cards[1] = mkcard(2, "00000000-0000-4000-8000-000000000002", "ja");
	cards[2] = mkcard(3, "00000000-0000-4000-8000-000000000003", "en");
	cards[3] = mkcard(4, "00000000-0000-4000-8000-000000000004", "de");
	cards[4] = mkcard(5, "00000000-0000-4000-8000-000000000005", "en");
	for (i = 0; i < 5; i++)
		chunk[i] = &cards[i];
	CU_ASSERT_EQUAL(scry_parse_collection(body, len, chunk, 5, &sink), IH_OK);
	CU_ASSERT_EQUAL(c.n, 8);
	CU_ASSERT_EQUAL(c.counts[IH_COUNT_REJECTED], 8);
	CU_ASSERT_EQUAL(c.counts[IH_COUNT_NOT_FOUND], 1);
	CU_ASSERT_EQUAL(c.ndone, 1);
	CU_ASSERT_EQUAL(c.done[0], 2);
	s = coll_find(&c, 1, NULL, "NM", "nonfoil", "en", "USD");
	CU_ASSERT(s != NULL && strcmp(s->price, "18.13") == 0 && s->low[0] == '\0' && s->num_listings < 0);
	s = coll_find(&c, 1, NULL, "NM", "foil", "en", "USD");
	CU_ASSERT(s != NULL && strcmp(s->price, "20.50") == 0);
	s = coll_find(&c, 1, NULL, "NM", "etched", "en", "USD");
	CU_ASSERT(s != NULL && strcmp(s->price, "31.00") == 0);
	s = coll_find(&c, 1, NULL, "NM", "nonfoil", "en", "EUR");
	CU_ASSERT(s != NULL && strcmp(s->price, "15.99") == 0);
	s = coll_find(&c, 1, NULL, "NM", "foil", "en", "EUR");
	CU_ASSERT(s != NULL && strcmp(s->price, "17.25") == 0);
	s = coll_find(&c, 1, NULL, "NM", "etched", "en", "EUR");
	CU_ASSERT(s != NULL && strcmp(s->price, "29.10") == 0);
	s = coll_find(&c, 1, NULL, "NM", "nonfoil", "en", "TIX");
	CU_ASSERT(s != NULL && strcmp(s->price, "0.20") == 0);
	s = coll_find(&c, 4, NULL, "NM", "foil", "de", "EUR");
	CU_ASSERT(s != NULL && strcmp(s->price, "0.07") == 0);
	coll_free(&c);
	free(body);
}

static void test_scryfall_real(void)
{
	ih_card cards[2];
	const ih_card *chunk[2] = { &cards[0], &cards[1] };
	const coll_snap *s;
	size_t len;
	/* POST /cards/collection, 2026: one card found (MTGO-only prices), two misses */
	char *body = data_file("scryfall/collection_not_found_2026.json", &len);
	coll c;
	ihp_sink sink = coll_sink(&c);

	cards[0] = mkcard(10, "0001b119-a224-4d24-879c-aeb2cc9861a1", "en");
	cards[1] = mkcard(11, "BD8FA327-DD41-4737-8F19-2CF5EB1F7CDD", "en");
	CU_ASSERT_EQUAL(scry_parse_collection(body, len, chunk, 2, &sink), IH_OK);
	CU_ASSERT_EQUAL(c.n, 1);
	s = coll_find(&c, 11, NULL, "NM", "nonfoil", "en", "TIX");
	CU_ASSERT(s != NULL && strcmp(s->price, "65.32") == 0);
	CU_ASSERT_EQUAL(c.counts[IH_COUNT_NOT_FOUND], 1);
	CU_ASSERT_EQUAL(c.counts[IH_COUNT_REJECTED], 0);
	free(body);
	coll_free(&c);

	/* GET /cards/search, first page: a List of cards in the collection's shape */
	body = data_file("scryfall/search_page1.json", &len);
	sink = coll_sink(&c);
	cards[0] = mkcard(20, "d99a9a7d-d9ca-4c11-80ab-e39d5943a315", "en");
	cards[1] = mkcard(21, "c7e6915b-2077-45aa-93e7-29b5f14beb51", "en");
	CU_ASSERT_EQUAL(scry_parse_collection(body, len, chunk, 2, &sink), IH_OK);
	CU_ASSERT_EQUAL(c.n, 5 + 4);
	s = coll_find(&c, 20, NULL, "NM", "foil", "en", "USD");
	CU_ASSERT(s != NULL && strcmp(s->price, "2.99") == 0);
	s = coll_find(&c, 21, NULL, "NM", "foil", "en", "EUR");
	CU_ASSERT(s != NULL && strcmp(s->price, "0.48") == 0);
	CU_ASSERT(coll_find(&c, 21, NULL, NULL, NULL, NULL, "TIX") == NULL);
	free(body);
	coll_free(&c);
}

static void test_scryfall_malformed(void)
{
	ih_card card = mkcard(1, "00000000-0000-4000-8000-000000000001", "en");
	const ih_card *chunk[1] = { &card };
	static const char *const more[] = {
		"{\"object\":\"list\"}", "{\"data\":{}}", "{\"data\":null}", "[]", "{\"data\":\"x\"}",
	};
	const char *b;
	coll c;
	ihp_sink sink;
	size_t i;

	for (i = 0; i < sizeof bad_bodies / sizeof bad_bodies[0]; i++) {
		sink = coll_sink(&c);
		CU_ASSERT_EQUAL(scry_parse_collection(bad_bodies[i], strlen(bad_bodies[i]), chunk, 1, &sink), IH_ERR_FATAL);
		CU_ASSERT(sink.err[0] != '\0');
		CU_ASSERT_EQUAL(c.n, 0);
	}
	for (i = 0; i < sizeof more / sizeof more[0]; i++) {
		sink = coll_sink(&c);
		CU_ASSERT_EQUAL(scry_parse_collection(more[i], strlen(more[i]), chunk, 1, &sink), IH_ERR_FATAL);
	}
	/* a card with null prices object, wrong id type, nested garbage */
	sink = coll_sink(&c);
	b = "{\"data\":[{\"id\":5},{\"id\":\"00000000-0000-4000-8000-000000000001\",\"prices\":null}]}";
	CU_ASSERT_EQUAL(scry_parse_collection(b, strlen(b), chunk, 1, &sink), IH_OK);
	CU_ASSERT_EQUAL(c.counts[IH_COUNT_REJECTED], 2);
	CU_ASSERT_EQUAL(c.n, 0);
	/* emit saying the host cannot go on stops the parse with its status */
	sink = coll_sink(&c);
	c.emit_rc = IH_ERR_TRANSIENT;
	b = "{\"data\":[{\"id\":\"00000000-0000-4000-8000-000000000001\",\"prices\":{\"usd\":\"1.00\",\"eur\":\"2.00\"}}]}";
	CU_ASSERT_EQUAL(scry_parse_collection(b, strlen(b), chunk, 1, &sink), IH_ERR_TRANSIENT);
	CU_ASSERT_EQUAL(c.n, 1);
	coll_free(&c);
}

static void test_scryfall_body(void)
{
	ih_card cards[2] = { mkcard(1, "00000000-0000-4000-8000-000000000001", "en"),
		             mkcard(2, "00000000-0000-4000-8000-000000000002", "en") };
	const ih_card *chunk[2] = { &cards[0], &cards[1] };
	char *b = scry_collection_body(chunk, 2);

	CU_ASSERT_STRING_EQUAL(b, "{\"identifiers\":[{\"id\":\"00000000-0000-4000-8000-000000000001\"},"
	                          "{\"id\":\"00000000-0000-4000-8000-000000000002\"}]}");
	free(b);
}

/* ---- cardtrader ----------------------------------------------------- */

static void test_ct_vocabulary(void)
{
	char l[8];

	CU_ASSERT_STRING_EQUAL(ct_condition("Mint"), "NM");
	CU_ASSERT_STRING_EQUAL(ct_condition("Near Mint"), "NM");
	CU_ASSERT_STRING_EQUAL(ct_condition("Slightly Played"), "LP");
	CU_ASSERT_STRING_EQUAL(ct_condition("Moderately Played"), "MP");
	CU_ASSERT_STRING_EQUAL(ct_condition("Played"), "HP");
	CU_ASSERT_STRING_EQUAL(ct_condition("Heavily Played"), "HP");
	CU_ASSERT_STRING_EQUAL(ct_condition("Poor"), "DMG");
	CU_ASSERT_PTR_NULL(ct_condition("Excellent"));
	CU_ASSERT_PTR_NULL(ct_condition(NULL));
	CU_ASSERT(ct_language("jp", l, sizeof l) == 0 && strcmp(l, "ja") == 0);
	CU_ASSERT(ct_language("kr", l, sizeof l) == 0 && strcmp(l, "ko") == 0);
	CU_ASSERT(ct_language("zh-CN", l, sizeof l) == 0 && strcmp(l, "zhs") == 0);
	CU_ASSERT(ct_language("zh-TW", l, sizeof l) == 0 && strcmp(l, "zht") == 0);
	CU_ASSERT(ct_language("it", l, sizeof l) == 0 && strcmp(l, "it") == 0);
	CU_ASSERT(ct_language("EN", l, sizeof l) < 0);
	CU_ASSERT(ct_language("english", l, sizeof l) < 0);
	CU_ASSERT(ct_language("", l, sizeof l) < 0);
}

static void test_ct_expansions_blueprints(void)
{
	ct_expansion *x = NULL;
	ct_blueprint *bp = NULL;
	size_t nx = 0, nb = 0, len;
	char *body = data_file("cardtrader/expansions.json", &len);
	ih_card card;
	coll c;
	ihp_sink sink = coll_sink(&c);

	CU_ASSERT_EQUAL(ct_parse_expansions(body, len, &x, &nx, &sink), IH_OK);
	CU_ASSERT_EQUAL(nx, 2);
	CU_ASSERT_EQUAL(ct_find_expansion(x, nx, "NEO"), 2921);
	CU_ASSERT_EQUAL(ct_find_expansion(x, nx, "gnt"), 1);
	CU_ASSERT_EQUAL(ct_find_expansion(x, nx, "zzz"), 0);
	CU_ASSERT_EQUAL(ct_find_expansion(x, nx, NULL), 0);
	CU_ASSERT_EQUAL(c.counts[IH_COUNT_REJECTED], 2);
	free(x);
	free(body);

	body = data_file("cardtrader/blueprints_neo.json", &len);
	sink = coll_sink(&c);
	CU_ASSERT_EQUAL(ct_parse_blueprints(body, len, &bp, &nb, &sink), IH_OK);
	CU_ASSERT_EQUAL(nb, 3); /* the sealed product and the broken entry are left out */
	memset(&card, 0, sizeof card);
	card.scryfall_id = "24C0D87B-0049-4BEB-B9CB-6F813B7AA7DC";
	card.collector_number = "75"; /* scryfall id wins over the number */
	CU_ASSERT_EQUAL(ct_match_blueprint(bp, nb, &card), 203562);
	card.scryfall_id = "11111111-0049-4beb-b9cb-6f813b7aa7dc";
	card.tcgplayer_id = 262230;
	CU_ASSERT_EQUAL(ct_match_blueprint(bp, nb, &card), 203565);
	card.tcgplayer_id = 1;
	card.collector_number = "200";
	CU_ASSERT_EQUAL(ct_match_blueprint(bp, nb, &card), 203570);
	card.collector_number = "999";
	CU_ASSERT_EQUAL(ct_match_blueprint(bp, nb, &card), 0);
	free(bp);
	free(body);
	coll_free(&c);
}

static void test_ct_products_own(void)
{
	ih_card cards[3] = { mkcard(1, "24c0d87b-0049-4beb-b9cb-6f813b7aa7dc", "en"),
		             mkcard(2, "00000000-0000-4000-8000-000000000002", "en"),
		             mkcard(3, "00000000-0000-4000-8000-000000000003", "en") };
	ct_want w[3] = { { 203562, &cards[0], 0 }, { 203565, &cards[1], 0 }, { 203570, &cards[2], 0 } };
	const coll_snap *s;
	size_t len;
	char *body = data_file("cardtrader/products_neo.json", &len);
	coll c;
	ihp_sink sink = coll_sink(&c);

	CU_ASSERT_EQUAL(ct_parse_products(body, len, w, 3, &sink), IH_OK);
	CU_ASSERT_EQUAL(c.n, 4);
	CU_ASSERT_EQUAL(c.counts[IH_COUNT_REJECTED], 5);
	s = coll_find(&c, 1, NULL, "NM", "nonfoil", "en", "EUR");
	CU_ASSERT(s != NULL && strcmp(s->price, "3.00") == 0 && strcmp(s->low, "3.00") == 0 &&
	          strcmp(s->mid, "4.00") == 0 && strcmp(s->high, "5.00") == 0 && s->num_listings == 3);
	s = coll_find(&c, 1, NULL, "LP", "foil", "ja", "EUR");
	CU_ASSERT(s != NULL && strcmp(s->price, "10.00") == 0 && strcmp(s->mid, "11.01") == 0 &&
	          strcmp(s->high, "12.01") == 0 && s->num_listings == 2);
	s = coll_find(&c, 1, NULL, "DMG", "nonfoil", "zhs", "EUR");
	CU_ASSERT(s != NULL && strcmp(s->price, "0.99") == 0 && s->num_listings == 1);
	s = coll_find(&c, 2, NULL, "HP", "nonfoil", "ko", "USD");
	CU_ASSERT(s != NULL && strcmp(s->price, "2.50") == 0 && strcmp(s->mid, "2.55") == 0 &&
	          strcmp(s->high, "2.60") == 0 && s->num_listings == 2);
	CU_ASSERT_EQUAL(w[0].rows, 3);
	CU_ASSERT_EQUAL(w[1].rows, 1);
	CU_ASSERT_EQUAL(w[2].rows, 0);
	coll_free(&c);
	free(body);
}

/* Two cards of one blueprint: rows go to the card of the listing's language. */
static void test_ct_products_language_pick(void)
{
	ih_card cards[2] = { mkcard(1, "00000000-0000-4000-8000-000000000001", "en"),
		             mkcard(2, "00000000-0000-4000-8000-000000000002", "ja") };
	ct_want w[2] = { { 7, &cards[0], 0 }, { 7, &cards[1], 0 } };
	const char *b = "{\"7\":[{\"price_cents\":100,\"price_currency\":\"EUR\",\"properties_hash\":{\"condition\":\"Near Mint\",\"mtg_language\":\"jp\"}},"
	                "{\"price_cents\":50,\"price_currency\":\"EUR\",\"properties_hash\":{\"condition\":\"Near Mint\",\"mtg_language\":\"de\"}},"
	                "{\"price_cents\":70,\"price_currency\":\"EUR\",\"properties_hash\":{\"condition\":\"Near Mint\"}}]}";
	coll c;
	ihp_sink sink = coll_sink(&c);

	CU_ASSERT_EQUAL(ct_parse_products(b, strlen(b), w, 2, &sink), IH_OK);
	CU_ASSERT_EQUAL(c.n, 3);
	CU_ASSERT_PTR_NOT_NULL(coll_find(&c, 2, NULL, "NM", "nonfoil", "ja", "EUR"));
	CU_ASSERT_PTR_NOT_NULL(coll_find(&c, 1, NULL, "NM", "nonfoil", "de", "EUR"));
	CU_ASSERT_PTR_NOT_NULL(coll_find(&c, 1, NULL, "NM", "nonfoil", "", "EUR"));
	coll_free(&c);
}

/* Excerpts of real answers: products of one blueprint (2022, NZD account),
 * an expansion's export in the 2022 form and two NEO blueprints in the 2026 form. */
static void test_ct_real(void)
{
	ih_card card = mkcard(1, "b2a93747-720a-4ddf-8325-36db78e0a584", "en"), other;
	ct_want w[1] = { { 1, &card, 0 } };
	ct_blueprint *bp = NULL;
	const coll_snap *s;
	size_t len, nb = 0, i;
	long listings = 0;
	char *body = data_file("cardtrader/products_bp1_2022.json", &len);
	coll c;
	ihp_sink sink = coll_sink(&c);

	/* 8 listings: MP foil 4.07; LP foil 4.15 5.54 9.23; NM foil 5.53 9.15;
	 * NM nonfoil 6.29 11.10 (price = lowest, mid = median, high = highest) */
	CU_ASSERT_EQUAL(ct_parse_products(body, len, w, 1, &sink), IH_OK);
	CU_ASSERT_EQUAL(c.n, 4);
	CU_ASSERT_EQUAL(c.counts[IH_COUNT_REJECTED], 0);
	for (i = 0; i < c.n; i++) {
		listings += c.s[i].num_listings;
		CU_ASSERT_STRING_EQUAL(c.s[i].cur, "NZD");
	}
	CU_ASSERT_EQUAL(listings, 8);
	CU_ASSERT_EQUAL(w[0].rows, 4);
	s = coll_find(&c, 1, NULL, "LP", "foil", "en", "NZD");
	CU_ASSERT(s != NULL && strcmp(s->price, "4.15") == 0 && strcmp(s->low, "4.15") == 0 &&
	          strcmp(s->mid, "5.54") == 0 && strcmp(s->high, "9.23") == 0 && s->num_listings == 3);
	s = coll_find(&c, 1, NULL, "NM", "nonfoil", "en", "NZD");
	CU_ASSERT(s != NULL && strcmp(s->price, "6.29") == 0 && strcmp(s->mid, "8.70") == 0 &&
	          strcmp(s->high, "11.10") == 0 && s->num_listings == 2);
	s = coll_find(&c, 1, NULL, "NM", "foil", "en", "NZD");
	CU_ASSERT(s != NULL && strcmp(s->price, "5.53") == 0 && strcmp(s->mid, "7.34") == 0 &&
	          strcmp(s->high, "9.15") == 0 && s->num_listings == 2);
	s = coll_find(&c, 1, NULL, "MP", "foil", "en", "NZD");
	CU_ASSERT(s != NULL && strcmp(s->price, "4.07") == 0 && s->num_listings == 1);
	free(body);
	coll_free(&c);

	/* 3 singles and 2 double-faced tokens (category 2, left out) */
	body = data_file("cardtrader/blueprints_gnt_2022.json", &len);
	sink = coll_sink(&c);
	CU_ASSERT_EQUAL(ct_parse_blueprints(body, len, &bp, &nb, &sink), IH_OK);
	CU_ASSERT_EQUAL(nb, 3);
	CU_ASSERT_EQUAL(ct_match_blueprint(bp, nb, &card), 6);
	memset(&other, 0, sizeof other);
	other.scryfall_id = "00000000-0000-4000-8000-000000000009";
	other.tcgplayer_id = 180425; /* Siege-Gang Commander by its TCGplayer id */
	CU_ASSERT_EQUAL(ct_match_blueprint(bp, nb, &other), 7);
	free(bp);
	free(body);
	coll_free(&c);

	body = data_file("cardtrader/blueprints_neo_2026.json", &len);
	sink = coll_sink(&c);
	card.scryfall_id = "24c0d87b-0049-4beb-b9cb-6f813b7aa7dc";
	CU_ASSERT_EQUAL(ct_parse_blueprints(body, len, &bp, &nb, &sink), IH_OK);
	CU_ASSERT_EQUAL(nb, 2);
	CU_ASSERT_EQUAL(ct_match_blueprint(bp, nb, &card), 203562);
	free(bp);
	free(body);
	coll_free(&c);
}

static void test_ct_malformed(void)
{
	ih_card card = mkcard(1, "00000000-0000-4000-8000-000000000001", "en");
	ct_want w[1] = { { 5, &card, 0 } };
	ct_expansion *x;
	ct_blueprint *bp;
	size_t i, n;
	coll c;
	ihp_sink sink;
	const char *b;

	for (i = 0; i < sizeof bad_bodies / sizeof bad_bodies[0]; i++) {
		b = bad_bodies[i];
		sink = coll_sink(&c);
		x = NULL;
		bp = NULL;
		CU_ASSERT_EQUAL(ct_parse_products(b, strlen(b), w, 1, &sink), IH_ERR_FATAL);
		CU_ASSERT_EQUAL(ct_parse_expansions(b, strlen(b), &x, &n, &sink), IH_ERR_FATAL);
		CU_ASSERT_EQUAL(ct_parse_blueprints(b, strlen(b), &bp, &n, &sink), IH_ERR_FATAL);
		CU_ASSERT(sink.err[0] != '\0');
		CU_ASSERT_EQUAL(c.n, 0);
	}
	sink = coll_sink(&c);
	CU_ASSERT_EQUAL(ct_parse_products("[1,2]", 5, w, 1, &sink), IH_ERR_FATAL);
	CU_ASSERT_EQUAL(ct_parse_expansions("{\"a\":1}", 7, &x, &n, &sink), IH_ERR_FATAL);
	/* wrong types inside: each listing rejected, no crash */
	b = "{\"5\":[null,1,\"x\",{},{\"properties_hash\":null},{\"properties_hash\":{\"condition\":5}},"
	    "{\"price_cents\":\"100\",\"price_currency\":\"EUR\",\"properties_hash\":{\"condition\":\"Mint\"}},"
	    "{\"price_cents\":100,\"price_currency\":\"euro\",\"properties_hash\":{\"condition\":\"Mint\"}},"
	    "{\"price_cents\":100.5,\"price_currency\":\"EUR\",\"properties_hash\":{\"condition\":\"Mint\"}},"
	    "{\"price\":{\"cents\":null},\"properties_hash\":{\"condition\":\"Mint\"}},"
	    "{\"price_cents\":100,\"price_currency\":\"EUR\",\"properties_hash\":{\"condition\":\"Mint\",\"mtg_language\":7}},"
	    "{\"price_cents\":99999999999999999999999,\"price_currency\":\"EUR\",\"properties_hash\":{\"condition\":\"Mint\"}}]}";
	CU_ASSERT_EQUAL(ct_parse_products(b, strlen(b), w, 1, &sink), IH_OK);
	CU_ASSERT_EQUAL(c.n, 0);
	CU_ASSERT_EQUAL(c.counts[IH_COUNT_REJECTED], 12);
	coll_free(&c);
}

/* ---- tcgplayer ------------------------------------------------------ */

static void test_tcg_token(void)
{
	size_t len;
	char *body = data_file("tcgplayer/token.json", &len), *tok = NULL;
	long exp = 0;
	coll c;
	ihp_sink sink = coll_sink(&c);

	CU_ASSERT_EQUAL(tcg_parse_token(body, len, &tok, &exp, &sink), IH_OK);
	CU_ASSERT(tok != NULL && strcmp(tok, "T0KEN-abc.def") == 0);
	CU_ASSERT_EQUAL(exp, 1209599);
	free(tok);
	free(body);
	CU_ASSERT_EQUAL(tcg_parse_token("{\"access_token\":\"x\"}", 20, &tok, &exp, &sink), IH_OK);
	CU_ASSERT_EQUAL(exp, 3600);
	free(tok);
	CU_ASSERT_EQUAL(tcg_parse_token("{\"access_token\":5}", 18, &tok, &exp, &sink), IH_ERR_FATAL);
	CU_ASSERT_EQUAL(tcg_parse_token("{\"error\":\"invalid_client\"}", 26, &tok, &exp, &sink), IH_ERR_FATAL);
	CU_ASSERT_EQUAL(tcg_parse_token("{\"access_token\":\"x\"", 19, &tok, &exp, &sink), IH_ERR_FATAL);
}

static int token_of(const char *body, char **tok, long *exp)
{
	coll c;
	ihp_sink sink = coll_sink(&c);

	*tok = NULL;
	*exp = 0;
	return tcg_parse_token(body, strlen(body), tok, exp, &sink);
}

/* #14 finding 3: a token must be a sane header value, its lifetime at most a
 * day beyond the documented 14 days. */
static void test_tcg_token_hostile(void)
{
	static const char *const bad[] = {
		"{\"access_token\":\"a\\r\\nX: 1\",\"expires_in\":31536000}", /* the reported one */
		"{\"access_token\":\"a b\"}", "{\"access_token\":\"a\\tb\"}", "{\"access_token\":\"a\\nb\"}",
		"{\"access_token\":\"ab\\u0000\"}", "{\"access_token\":\"a\\u0000\\r\\nX: 1\"}",
		"{\"access_token\":\"\\u007f\"}", "{\"access_token\":\"caf\\u00e9\"}", "{\"access_token\":\"caf\xc3\xa9\"}",
		"{\"access_token\":\" \"}", "{\"access_token\":\"\"}", "{\"access_token\":null}",
	};
	ihp_buf b = { 0 };
	char *tok;
	long exp;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CU_ASSERT_EQUAL(token_of(bad[i], &tok, &exp), IH_ERR_FATAL);
		CU_ASSERT_PTR_NULL(tok);
		free(tok);
	}
	/* the documented lifetime is kept, a longer one clamped to 15 days */
	CU_ASSERT(token_of("{\"access_token\":\"T0KEN-abc.def~+/=\",\"expires_in\":31536000}", &tok, &exp) == IH_OK &&
	          tok != NULL && strcmp(tok, "T0KEN-abc.def~+/=") == 0);
	CU_ASSERT_EQUAL(exp, 15L * 86400);
	free(tok);
	CU_ASSERT(token_of("{\"access_token\":\"t\",\"expires_in\":1209599}", &tok, &exp) == IH_OK && exp == 1209599);
	free(tok);
	CU_ASSERT(token_of("{\"access_token\":\"t\",\"expires_in\":1296000}", &tok, &exp) == IH_OK && exp == 1296000);
	free(tok);
	CU_ASSERT(token_of("{\"access_token\":\"t\",\"expires_in\":1296001}", &tok, &exp) == IH_OK && exp == 1296000);
	free(tok);
	CU_ASSERT(token_of("{\"access_token\":\"t\",\"expires_in\":9223372036854775807}", &tok, &exp) == IH_OK &&
	          exp == 1296000);
	free(tok);
	CU_ASSERT(token_of("{\"access_token\":\"t\",\"expires_in\":-5}", &tok, &exp) == IH_OK && exp == 3600);
	free(tok);
	/* a sane length: 4096 characters pass, 4097 do not */
	ihp_buf_add(&b, "{\"access_token\":\"");
	for (i = 0; i < 4096; i++)
		ihp_buf_add(&b, "k");
	ihp_buf_add(&b, "\"}");
	CU_ASSERT_FATAL(!b.failed);
	CU_ASSERT(token_of(b.s, &tok, &exp) == IH_OK && tok != NULL && strlen(tok) == 4096);
	free(tok);
	ihp_buf_free(&b);
	ihp_buf_add(&b, "{\"access_token\":\"");
	for (i = 0; i < 4097; i++)
		ihp_buf_add(&b, "k");
	ihp_buf_add(&b, "\"}");
	CU_ASSERT_EQUAL(token_of(b.s, &tok, &exp), IH_ERR_FATAL);
	free(tok);
	ihp_buf_free(&b);
}

static void test_tcg_pricing_own(void)
{
	ih_card cards[4] = { mkcard(1, "00000000-0000-4000-8000-000000000001", "en"),
		             mkcard(2, "00000000-0000-4000-8000-000000000002", "en"),
		             mkcard(3, "00000000-0000-4000-8000-000000000003", "fr"),
		             mkcard(4, "00000000-0000-4000-8000-000000000004", "en") };
	tcg_entry e[5] = { { 262222, &cards[0], 0, 0 }, { 262223, &cards[0], 1, 0 }, { 300000, &cards[1], 0, 0 },
		           { 300001, &cards[2], 0, 0 }, { 111, &cards[3], 0, 0 } };
	const coll_snap *s;
	size_t len;
	char *body = data_file("tcgplayer/pricing.json", &len);
	coll c;
	ihp_sink sink = coll_sink(&c);

	CU_ASSERT_EQUAL(tcg_parse_pricing(body, len, 200, e, 5, &sink), IH_OK);
	CU_ASSERT_EQUAL(c.n, 4);
	CU_ASSERT_EQUAL(c.counts[IH_COUNT_REJECTED], 7);
	s = coll_find(&c, 1, NULL, "NM", "nonfoil", "en", "USD");
	CU_ASSERT(s != NULL && strcmp(s->price, "18.13") == 0 && strcmp(s->low, "16.50") == 0 &&
	          strcmp(s->mid, "19.99") == 0 && strcmp(s->high, "45.00") == 0 && s->num_listings < 0);
	s = coll_find(&c, 1, NULL, "NM", "foil", "en", "USD");
	CU_ASSERT(s != NULL && strcmp(s->price, "24.00") == 0 && strcmp(s->low, "21.01") == 0);
	/* both rows of the etched product are etched */
	CU_ASSERT_EQUAL(c.s[2].card_id, 1);
	CU_ASSERT_STRING_EQUAL(c.s[2].finish, "etched");
	CU_ASSERT_STRING_EQUAL(c.s[2].price, "30.00");
	CU_ASSERT(c.s[2].mid[0] == '\0' && c.s[2].high[0] == '\0');
	CU_ASSERT_STRING_EQUAL(c.s[3].finish, "etched");
	CU_ASSERT_STRING_EQUAL(c.s[3].price, "0.11");
	CU_ASSERT_STRING_EQUAL(c.s[3].low, "10.00");
	CU_ASSERT_EQUAL(e[0].state, TCG_PRICED);
	CU_ASSERT_EQUAL(e[1].state, TCG_PRICED);
	CU_ASSERT_EQUAL(e[2].state, TCG_NOPRICE);
	CU_ASSERT_EQUAL(e[3].state, TCG_UNSEEN);
	CU_ASSERT_EQUAL(e[4].state, TCG_UNSEEN);
	coll_free(&c);
	free(body);

	body = data_file("tcgplayer/pricing_404.json", &len);
	sink = coll_sink(&c);
	e[3].state = e[4].state = TCG_UNSEEN;
	CU_ASSERT_EQUAL(tcg_parse_pricing(body, len, 404, e + 3, 2, &sink), IH_OK);
	CU_ASSERT_EQUAL(e[3].state, TCG_NOPRICE);
	CU_ASSERT_EQUAL(e[4].state, TCG_NOPRICE);
	CU_ASSERT_EQUAL(c.n, 0);
	/* a 404 that is not an envelope is an error */
	CU_ASSERT_EQUAL(tcg_parse_pricing("{\"message\":\"Not Found\"}", 23, 404, e, 1, &sink), IH_ERR_FATAL);
	coll_free(&c);
	free(body);
}

static void test_tcg_malformed(void)
{
	ih_card card = mkcard(1, "00000000-0000-4000-8000-000000000001", "en");
	tcg_entry e[1] = { { 5, &card, 0, 0 } };
	const char *b;
	size_t i;
	coll c;
	ihp_sink sink;

	for (i = 0; i < sizeof bad_bodies / sizeof bad_bodies[0]; i++) {
		b = bad_bodies[i];
		sink = coll_sink(&c);
		CU_ASSERT_EQUAL(tcg_parse_pricing(b, strlen(b), 200, e, 1, &sink), IH_ERR_FATAL);
		CU_ASSERT(sink.err[0] != '\0');
	}
	sink = coll_sink(&c);
	b = "{\"success\":true,\"results\":{}}";
	CU_ASSERT_EQUAL(tcg_parse_pricing(b, strlen(b), 200, e, 1, &sink), IH_ERR_FATAL);
	b = "{\"success\":true}";
	CU_ASSERT_EQUAL(tcg_parse_pricing(b, strlen(b), 200, e, 1, &sink), IH_ERR_FATAL);
	b = "{\"success\":true,\"results\":[{\"productId\":5,\"marketPrice\":1e400,\"subTypeName\":\"Normal\"},"
	    "{\"productId\":5,\"marketPrice\":true,\"subTypeName\":\"Normal\"},"
	    "{\"productId\":5,\"marketPrice\":1.5,\"subTypeName\":null},"
	    "{\"productId\":\"5\",\"marketPrice\":1.5,\"subTypeName\":\"Normal\"},"
	    "{\"productId\":5,\"marketPrice\":123456789012345678901234567890,\"subTypeName\":\"Normal\"}]}";
	CU_ASSERT_EQUAL(tcg_parse_pricing(b, strlen(b), 200, e, 1, &sink), IH_OK);
	CU_ASSERT_EQUAL(c.n, 0);
	CU_ASSERT_EQUAL(c.counts[IH_COUNT_REJECTED], 5);
	coll_free(&c);
}

/* ---- manapool ------------------------------------------------------- */

static void test_mp_own(void)
{
	const char *fable = "24c0d87b-0049-4beb-b9cb-6f813b7aa7dc", *etched = "00000000-0000-4000-8000-0000000000e1";
	const coll_snap *s;
	mp_stats st;
	size_t len;
	char *body = data_file("manapool/singles.json", &len);
	coll c;
	ihp_sink sink = coll_sink(&c);

	CU_ASSERT_EQUAL(mp_parse_singles(body, len, &sink, &st), IH_OK);
	CU_ASSERT_EQUAL(st.rows, 6);
	CU_ASSERT_EQUAL(c.n, 6);
	CU_ASSERT_EQUAL(c.counts[IH_COUNT_REJECTED], 7);
	s = coll_find(&c, 0, fable, "NM", "nonfoil", "", "USD");
	CU_ASSERT(s != NULL && strcmp(s->price, "17.99") == 0 && s->num_listings == 42 && s->low[0] == '\0');
	s = coll_find(&c, 0, fable, "LP", "nonfoil", "", "USD");
	CU_ASSERT(s != NULL && strcmp(s->price, "16.50") == 0);
	s = coll_find(&c, 0, fable, "NM", "foil", "", "USD");
	CU_ASSERT(s != NULL && strcmp(s->price, "23.50") == 0);
	CU_ASSERT_PTR_NULL(coll_find(&c, 0, fable, "LP", "foil", NULL, NULL));
	s = coll_find(&c, 0, etched, "NM", "etched", "", "USD");
	CU_ASSERT(s != NULL && strcmp(s->price, "5.05") == 0 && s->num_listings == 3);
	s = coll_find(&c, 0, etched, "LP", "etched", "", "USD");
	CU_ASSERT(s != NULL && strcmp(s->price, "4.99") == 0);
	s = coll_find(&c, 0, "00000000-0000-4000-8000-0000000000b1", "NM", "etched", "", "USD");
	CU_ASSERT(s != NULL && strcmp(s->price, "7.00") == 0 && s->num_listings < 0);
	coll_free(&c);
	free(body);
}

static void test_mp_malformed(void)
{
	static const char *const more[] = {
		"{\"meta\":{}}", "{\"data\":{}}", "{\"data\":5}", "[]", "{\"data\":[{},{}] x",
		"{\"data\":[{} {}]}", "{\"meta\":{\"as_of\":\"x\"},\"data\":[{\"scryfall_id\":\"24c0d87b-0049-4beb-b9cb-6f813b7aa7dc\",\"price_cents_nm\":5",
		"{\"data\":[]", "{\"data\":[],", "{data:[]}", "{\"data\" []}",
	};
	const char *b;
	size_t i;
	coll c;
	ihp_sink sink;

	for (i = 0; i < sizeof bad_bodies / sizeof bad_bodies[0]; i++) {
		b = bad_bodies[i];
		sink = coll_sink(&c);
		CU_ASSERT_EQUAL(mp_parse_singles(b, strlen(b), &sink, NULL), IH_ERR_FATAL);
		CU_ASSERT(sink.err[0] != '\0');
	}
	for (i = 0; i < sizeof more / sizeof more[0]; i++) {
		b = more[i];
		sink = coll_sink(&c);
		CU_ASSERT_EQUAL(mp_parse_singles(b, strlen(b), &sink, NULL), IH_ERR_FATAL);
		CU_ASSERT(sink.err[0] != '\0');
	}
	sink = coll_sink(&c);
	b = " { \"meta\" : null , \"data\" : [ ] , \"extra\" : [1,{\"a\":\"]\"}] } ";
	CU_ASSERT_EQUAL(mp_parse_singles(b, strlen(b), &sink, NULL), IH_OK);
	CU_ASSERT_EQUAL(c.n, 0);
	coll_free(&c);
}

/* A large generated export parses row by row with the expected counts. */
static void test_mp_large(void)
{
	const size_t rows = 20000;
	ihp_buf b = { 0 };
	mp_stats st;
	size_t i;
	coll c;
	ihp_sink sink = coll_sink(&c);

	ihp_buf_add(&b, "{\"meta\":{\"as_of\":\"2026-11-28T00:00:00Z\"},\"data\":[");
	for (i = 0; i < rows; i++)
		ihp_buf_addf(&b, "%s{\"name\":\"Card %zu\",\"set_code\":\"TST\",\"number\":\"%zu\",\"scryfall_id\":\"%08zx-0000-4000-8000-000000000000\","
		             "\"available_quantity\":%zu,\"price_cents\":%zu,\"price_cents_lp_plus\":%zu,\"price_cents_nm\":%zu,"
		             "\"price_cents_foil\":null,\"price_cents_lp_plus_foil\":null,\"price_cents_nm_foil\":%s}",
		             i ? "," : "", i, i, i, i % 50, 100 + i, i % 3 ? 90 + i : 0, 100 + i, i % 2 ? "null" : "1234");
	ihp_buf_add(&b, "]}");
	CU_ASSERT_FATAL(!b.failed);
	CU_ASSERT_EQUAL(mp_parse_singles(b.s, b.len, &sink, &st), IH_OK);
	CU_ASSERT_EQUAL(st.rows, rows);
	/* NM always, LP unless i % 3 == 0, foil NM when i is even */
	CU_ASSERT_EQUAL(c.n, rows + (rows - (rows + 2) / 3) + rows / 2);
	CU_ASSERT_EQUAL(c.counts[IH_COUNT_REJECTED], 0);
	ihp_buf_free(&b);
	coll_free(&c);
}

/* ---- hostile input (#14) -------------------------------------------- */

#define U1 "00000000-0000-4000-8000-000000000001"
#define U2 "00000000-0000-4000-8000-000000000002"
#define U3 "00000000-0000-4000-8000-000000000003"

/*
 * Finding 5: bodies only a lenient parser takes.  Each is built around one
 * member "K": V that the plugin would use, so accepting the body means
 * using its rows.  %1$s is K, %2$s is V.
 */
static const char *const lenient[] = {
	"{\"%1$s\":%2$s,}",                          /* trailing comma in an object */
	"{\"%1$s\":%2$s,\"x\":[1,2,]}",              /* ... in an array */
	"/* c */{\"%1$s\":%2$s}",                    /* comments */
	"{\"%1$s\":%2$s}// c",
	"{\"%1$s\":%2$s}# c",
	"{'%1$s':%2$s}",                             /* single quotes */
	"{\"%1$s\":%2$s,\"x\":'s'}",
	"{\"%1$s\":%2$s,\"x\":NaN}",                 /* not numbers */
	"{\"%1$s\":%2$s,\"x\":Infinity}",
	"{\"%1$s\":%2$s,\"x\":-Infinity}",
	"{\"%1$s\":%2$s,\"x\":01}",                  /* leading zeros, signs, bare dots */
	"{\"%1$s\":%2$s,\"x\":-01}",
	"{\"%1$s\":%2$s,\"x\":00}",
	"{\"%1$s\":%2$s,\"x\":+1}",
	"{\"%1$s\":%2$s,\"x\":1.}",
	"{\"%1$s\":%2$s,\"x\":.5}",
	"{\"%1$s\":%2$s,\"x\":0x10}",
	"{\"%1$s\":%2$s,\"x\":True}",
	"\f{\"%1$s\":%2$s}",                         /* whitespace JSON does not have */
	"{\"%1$s\":\v%2$s}",
	"{\"%1$s\":%2$s}\f",
	"{\"%1$s\":%2$s\v,\"x\":1}",
	"\xef\xbb\xbf{\"%1$s\":%2$s}",               /* a byte-order mark */
	"{\"%1$s\":%2$s,\"x\":\"a\tb\"}",             /* raw control characters in a string */
	"{\"%1$s\":%2$s,\"x\":\"a\nb\"}",
	"{\"%1$s\":%2$s,\"x\":\"\\q\"}",              /* unknown escape */
	"{\"%1$s\":%2$s,\"%1$s\":%2$s}",             /* duplicate top-level keys */
	"{\"%1$s\":[],\"%1$s\":%2$s}",
	"{\"%1$s\":%2$s,\"x\\u0000y\":1}",            /* a member name json-c would cut */
	"{\"%1$s\":%2$s,\"x\":{\"a\\u0000\":1}}",
};

typedef int (*hostile_parse)(const char *body, size_t len, ihp_sink *sink, coll *c);

/* The good body must give rows; every lenient variant must be refused whole. */
static void check_lenient(const char *name, const char *key, const char *value, hostile_parse parse)
{
	char body[4096];
	size_t i, len;
	coll c;
	ihp_sink sink;
	int rc;

	len = (size_t)snprintf(body, sizeof body, "{\"%s\":%s}", key, value);
	sink = coll_sink(&c);
	CU_ASSERT_EQUAL(parse(body, len, &sink, &c), IH_OK);
	CU_ASSERT(c.n > 0);
	coll_free(&c);
	for (i = 0; i < sizeof lenient / sizeof lenient[0]; i++) {
		len = (size_t)snprintf(body, sizeof body, lenient[i], key, value);
		CU_ASSERT_FATAL(len < sizeof body);
		sink = coll_sink(&c);
		rc = parse(body, len, &sink, &c);
		if (rc != IH_ERR_FATAL || c.n != 0 || sink.err[0] == '\0')
			fprintf(stderr, "\n  %s accepted lenient body %zu: %s (rc %d, %zu rows)", name, i, body, rc, c.n);
		CU_ASSERT_EQUAL(rc, IH_ERR_FATAL);
		CU_ASSERT_EQUAL(c.n, 0);
		CU_ASSERT(sink.err[0] != '\0');
		coll_free(&c);
	}
}

static ih_card hostile_cards[3];
static const ih_card *hostile_chunk[3] = { &hostile_cards[0], &hostile_cards[1], &hostile_cards[2] };

static int parse_scry(const char *b, size_t len, ihp_sink *sink, coll *c)
{
	(void)c;
	return scry_parse_collection(b, len, hostile_chunk, 1, sink);
}

static int parse_ct_products(const char *b, size_t len, ihp_sink *sink, coll *c)
{
	ct_want w[1] = { { 12, &hostile_cards[0], 0 } };

	(void)c;
	return ct_parse_products(b, len, w, 1, sink);
}

/* expansions and blueprints give no rows: one "row" per entry kept */
static int parse_ct_expansions(const char *b, size_t len, ihp_sink *sink, coll *c)
{
	ct_expansion *x = NULL;
	size_t n = 0;
	int rc = ct_parse_expansions(b, len, &x, &n, sink);

	free(x);
	c->n = n;
	return rc;
}

static int parse_ct_blueprints(const char *b, size_t len, ihp_sink *sink, coll *c)
{
	ct_blueprint *bp = NULL;
	size_t n = 0;
	int rc = ct_parse_blueprints(b, len, &bp, &n, sink);

	free(bp);
	c->n = n;
	return rc;
}

static int parse_tcg_pricing(const char *b, size_t len, ihp_sink *sink, coll *c)
{
	tcg_entry e[1] = { { 5, &hostile_cards[0], 0, 0 } };

	(void)c;
	return tcg_parse_pricing(b, len, 200, e, 1, sink);
}

static int parse_tcg_token(const char *b, size_t len, ihp_sink *sink, coll *c)
{
	char *tok = NULL;
	long exp;
	int rc = tcg_parse_token(b, len, &tok, &exp, sink);

	c->n = tok != NULL;
	free(tok);
	return rc;
}

static int parse_mp(const char *b, size_t len, ihp_sink *sink, coll *c)
{
	(void)c;
	return mp_parse_singles(b, len, sink, NULL);
}

static void test_strict_json(void)
{
	hostile_cards[0] = mkcard(1, U1, "en");
	check_lenient("scryfall", "data", "[{\"id\":\"" U1 "\",\"prices\":{\"usd\":\"1.00\"}}]", parse_scry);
	check_lenient("cardtrader products", "12",
	              "[{\"price_cents\":100,\"price_currency\":\"EUR\",\"properties_hash\":{\"condition\":\"Mint\"}}]",
	              parse_ct_products);
	check_lenient("cardtrader expansions", "array", "[{\"id\":1,\"game_id\":1,\"code\":\"neo\"}]", parse_ct_expansions);
	check_lenient("cardtrader blueprints", "array", "[{\"id\":1,\"category_id\":1}]", parse_ct_blueprints);
	check_lenient("tcgplayer pricing", "results",
	              "[{\"productId\":5,\"marketPrice\":1.5,\"subTypeName\":\"Normal\"}]", parse_tcg_pricing);
	check_lenient("tcgplayer token", "access_token", "\"T0KEN\"", parse_tcg_token);
	check_lenient("manapool", "data", "[{\"scryfall_id\":\"" U1 "\",\"price_cents_nm\":100}]", parse_mp);
}

/* The strict check itself: what RFC 8259 allows passes. */
static void test_strict_json_accepts(void)
{
	static const char *const good[] = {
		"{}", "[]", " \t\r\n{ \"a\" : [ 1 , -0 , 0.5 , -1.5e-3 , 2E+10 , 1e5 ] , \"b\" : { } } \r\n",
		"{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\ud83d\\ude00\"}", "{\"a\":\"caf\xc3\xa9\"}",
		"{\"a\":{\"x\":1,\"x\":2}}", /* duplicates below the top level: json-c keeps the last */
		"{\"a\":\"\\u0000\"}",         /* a NUL in a value: the reader rejects the row */
		"{\"A\":1,\"a\":2}", "{\"\\u00e9\":1,\"\\u00c9\":2}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
		"\"s\"", "1", "true", "null",
	};
	static const char *const bad[] = {
		"", " ", "{", "[", "{\"a\"", "{\"a\":", "{\"a\":1", "[1,", "\"abc", "\"\\u12", "tru", "nul", "-", "1e",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", /* 33 deep */
		"{\"\\u00e9\":1,\"\xc3\xa9\":2}", "{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}", "{\"\":1,\"\":2}",
		"{}{}", "[] []", "{\"a\":1}}",
	};
	ihp_sink sink;
	json_object *o;
	coll c;
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		sink = coll_sink(&c);
		CU_ASSERT_EQUAL(ihp_json_check(&sink, "t", good[i], strlen(good[i])), 0);
		if (strcmp(good[i], "null") == 0)
			continue; /* json-c's tree for it is NULL: no parser wants it */
		o = ihp_parse_body(&sink, "t", good[i], strlen(good[i]));
		if (o == NULL)
			fprintf(stderr, "\n  refused %s: %s", good[i], sink.err);
		CU_ASSERT_PTR_NOT_NULL(o);
		json_object_put(o);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sink = coll_sink(&c);
		CU_ASSERT_EQUAL(ihp_json_check(&sink, "t", bad[i], strlen(bad[i])), -1);
		CU_ASSERT(sink.err[0] != '\0');
		CU_ASSERT_PTR_NULL(ihp_parse_body(&sink, "t", bad[i], strlen(bad[i])));
	}
	/* a raw NUL byte, inside or after the value */
	sink = coll_sink(&c);
	CU_ASSERT_EQUAL(ihp_json_check(&sink, "t", "{\"a\":\"\0\"}", 9), -1);
	CU_ASSERT_EQUAL(ihp_json_check(&sink, "t", "{}\0", 3), -1);
	CU_ASSERT(strstr(sink.err, "after the JSON value") != NULL);
	CU_ASSERT_EQUAL(ihp_json_check(&sink, "t", "{\"a\":[1", 7), -1);
	CU_ASSERT(strstr(sink.err, "truncated") != NULL);
}

/* Finding 4: a string with an embedded NUL is never read as its prefix. */
static void test_nul_scryfall(void)
{
	const char *b = "{\"object\":\"list\",\"data\":["
	                "{\"id\":\"" U1 "\",\"lang\":\"en\",\"prices\":{\"usd\":\"1.50\\u0000junk\",\"eur\":\"2.00\",\"tix\":\"0.10\\u0000\"}},"
	                "{\"id\":\"" U2 "\\u0000x\",\"lang\":\"en\",\"prices\":{\"usd\":\"3.00\"}},"
	                "{\"id\":\"" U3 "\",\"lang\":\"en\\u0000x\",\"prices\":{\"usd\":\"4.00\"}}]}";
	const coll_snap *s;
	coll c;
	ihp_sink sink = coll_sink(&c);

	hostile_cards[0] = mkcard(1, U1, "en");
	hostile_cards[1] = mkcard(2, U2, "en");
	hostile_cards[2] = mkcard(3, U3, "en");
	CU_ASSERT_EQUAL(scry_parse_collection(b, strlen(b), hostile_chunk, 3, &sink), IH_OK);
	CU_ASSERT_EQUAL(c.n, 1);
	s = coll_find(&c, 1, NULL, "NM", "nonfoil", "en", "EUR");
	CU_ASSERT(s != NULL && strcmp(s->price, "2.00") == 0);
	CU_ASSERT_PTR_NULL(coll_find(&c, -1, NULL, NULL, NULL, NULL, "USD"));
	CU_ASSERT_PTR_NULL(coll_find(&c, -1, NULL, NULL, NULL, NULL, "TIX"));
	/* usd and tix of card 1, the id of card 2, the lang of card 3 */
	CU_ASSERT_EQUAL(c.counts[IH_COUNT_REJECTED], 4);
	CU_ASSERT_EQUAL(c.counts[IH_COUNT_NOT_FOUND], 1); /* card 2 */
	CU_ASSERT_EQUAL(c.ndone, 0);
	coll_free(&c);
}

static void test_nul_cardtrader(void)
{
	const char *exp = "[{\"id\":1,\"game_id\":1,\"code\":\"neo\\u0000x\"},{\"id\":2,\"game_id\":1,\"code\":\"mh3\"}]";
	const char *bps = "[{\"id\":1,\"category_id\":1,\"scryfall_id\":\"" U1 "\\u0000x\"},"
	                  "{\"id\":2,\"category_id\":1,\"scryfall_id\":\"" U2 "\",\"fixed_properties\":{\"collector_number\":\"7\\u0000\"}},"
	                  "{\"id\":3,\"category_id\":1,\"scryfall_id\":\"" U3 "\",\"fixed_properties\":{\"collector_number\":\"7\"}}]";
	const char *prod = "{\"12\":["
	                   "{\"price_cents\":100,\"price_currency\":\"EUR\\u0000x\",\"price\":{\"cents\":100,\"currency\":\"EUR\"},\"properties_hash\":{\"condition\":\"Mint\"}},"
	                   "{\"price\":{\"cents\":100,\"currency\":\"USD\\u0000x\"},\"properties_hash\":{\"condition\":\"Mint\"}},"
	                   "{\"price_cents\":100,\"price_currency\":\"EUR\",\"properties_hash\":{\"condition\":\"Near Mint\\u0000x\"}},"
	                   "{\"price_cents\":100,\"price_currency\":\"EUR\",\"properties_hash\":{\"condition\":\"Mint\",\"mtg_language\":\"it\\u0000x\"}},"
	                   "{\"price_cents\":250,\"price_currency\":\"EUR\",\"properties_hash\":{\"condition\":\"Mint\",\"mtg_language\":\"it\"}}]}";
	ct_want w[1] = { { 12, &hostile_cards[0], 0 } };
	ct_expansion *x = NULL;
	ct_blueprint *bp = NULL;
	size_t n = 0;
	ih_card card;
	coll c;
	ihp_sink sink = coll_sink(&c);

	CU_ASSERT_EQUAL(ct_parse_expansions(exp, strlen(exp), &x, &n, &sink), IH_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(ct_find_expansion(x, n, "neo"), 0);
	CU_ASSERT_EQUAL(ct_find_expansion(x, n, "mh3"), 2);
	CU_ASSERT_EQUAL(c.counts[IH_COUNT_REJECTED], 1);
	free(x);

	sink = coll_sink(&c);
	CU_ASSERT_EQUAL(ct_parse_blueprints(bps, strlen(bps), &bp, &n, &sink), IH_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(c.counts[IH_COUNT_REJECTED], 2);
	memset(&card, 0, sizeof card);
	card.scryfall_id = U1; /* "<uuid>\u0000x" must not match it */
	CU_ASSERT_EQUAL(ct_match_blueprint(bp, n, &card), 0);
	card.collector_number = "7"; /* only blueprint 3 says 7 */
	CU_ASSERT_EQUAL(ct_match_blueprint(bp, n, &card), 3);
	free(bp);

	hostile_cards[0] = mkcard(1, U1, "en");
	sink = coll_sink(&c);
	CU_ASSERT_EQUAL(ct_parse_products(prod, strlen(prod), w, 1, &sink), IH_OK);
	CU_ASSERT_EQUAL(c.n, 1);
	CU_ASSERT(c.n == 1 && strcmp(c.s[0].price, "2.50") == 0 && strcmp(c.s[0].lang, "it") == 0 &&
	          c.s[0].num_listings == 1);
	CU_ASSERT_EQUAL(c.counts[IH_COUNT_REJECTED], 4);
	coll_free(&c);
}

static void test_nul_tcg_mp(void)
{
	const char *pr = "{\"success\":true,\"results\":[{\"productId\":5,\"marketPrice\":1.5,\"subTypeName\":\"Foil\\u0000x\"},"
	                 "{\"productId\":5,\"marketPrice\":2.5,\"subTypeName\":\"Normal\"}]}";
	const char *mp = "{\"meta\":{},\"data\":[{\"scryfall_id\":\"" U1 "\\u0000x\",\"price_cents_nm\":100},"
	                 "{\"scryfall_id\":\"" U2 "\",\"price_cents_nm\":200}]}";
	tcg_entry e[1] = { { 5, &hostile_cards[0], 0, 0 } };
	coll c;
	ihp_sink sink = coll_sink(&c);

	hostile_cards[0] = mkcard(1, U1, "en");
	CU_ASSERT_EQUAL(tcg_parse_pricing(pr, strlen(pr), 200, e, 1, &sink), IH_OK);
	CU_ASSERT(c.n == 1 && strcmp(c.s[0].finish, "nonfoil") == 0 && strcmp(c.s[0].price, "2.50") == 0);
	CU_ASSERT_EQUAL(c.counts[IH_COUNT_REJECTED], 1);
	coll_free(&c);

	sink = coll_sink(&c);
	CU_ASSERT_EQUAL(mp_parse_singles(mp, strlen(mp), &sink, NULL), IH_OK);
	CU_ASSERT(c.n == 1 && strcmp(c.s[0].sid, U2) == 0);
	CU_ASSERT_EQUAL(c.counts[IH_COUNT_REJECTED], 1);
	coll_free(&c);
}

/* The helpers: text only without a NUL. */
static void test_nul_helpers(void)
{
	json_object *o = json_tokener_parse("{\"a\":\"x\\u0000y\",\"b\":\"xy\",\"c\":5,\"d\":null}");
	const char *t = "unset";

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_PTR_NULL(ihp_get_str(o, "a"));
	CU_ASSERT_STRING_EQUAL(ihp_get_str(o, "b"), "xy");
	CU_ASSERT_EQUAL(ihp_get_text(o, "a", &t), -1);
	CU_ASSERT_PTR_NULL(t);
	CU_ASSERT(ihp_get_text(o, "b", &t) == 1 && strcmp(t, "xy") == 0);
	CU_ASSERT_EQUAL(ihp_get_text(o, "c", &t), -1);
	CU_ASSERT_EQUAL(ihp_get_text(o, "d", &t), 0);
	CU_ASSERT_EQUAL(ihp_get_text(o, "zz", &t), 0);
	json_object_put(o);
}

/* Finding 5: one blueprint, one spelling of its key. */
static void test_ct_canonical_keys(void)
{
	static const char *const bad[] = {
		"0203562", "+203562", " 203562", "203562 ", "-203562", "0", "00", "2147483648", "99999999999",
		"20356x", "", "2e5", "203562.0", "\xd9\xa1", /* ARABIC-INDIC DIGIT ONE */
	};
	const char *L = "[{\"price_cents\":%d,\"price_currency\":\"EUR\",\"properties_hash\":{\"condition\":\"Mint\"}}]";
	ct_want w[1] = { { 203562, &hostile_cards[0], 0 } };
	char body[8192], one[256];
	size_t i, len;
	int32_t id;
	coll c;
	ihp_sink sink;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CU_ASSERT_EQUAL(ct_blueprint_key(bad[i], &id), -1);
	CU_ASSERT(ct_blueprint_key("203562", &id) == 0 && id == 203562);
	CU_ASSERT(ct_blueprint_key("1", &id) == 0 && id == 1);
	CU_ASSERT(ct_blueprint_key("2147483647", &id) == 0 && id == INT32_MAX);
	CU_ASSERT_EQUAL(ct_blueprint_key(NULL, &id), -1);

	/* the four spellings of the report, and the other bad keys: only the
	 * canonical one is folded, once; the others are counted rejected */
	hostile_cards[0] = mkcard(1, U1, "en");
	len = (size_t)snprintf(body, sizeof body, "{\"203562\":");
	len += (size_t)snprintf(body + len, sizeof body - len, L, 100);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(one, sizeof one, L, 200 + (int)i);
		len += (size_t)snprintf(body + len, sizeof body - len, ",\"%s\":%s", bad[i], one);
	}
	len += (size_t)snprintf(body + len, sizeof body - len, "}");
	CU_ASSERT_FATAL(len < sizeof body);
	sink = coll_sink(&c);
	CU_ASSERT_EQUAL(ct_parse_products(body, len, w, 1, &sink), IH_OK);
	CU_ASSERT_EQUAL(c.n, 1);
	CU_ASSERT(c.n == 1 && strcmp(c.s[0].price, "1.00") == 0 && c.s[0].num_listings == 1);
	CU_ASSERT_EQUAL(w[0].rows, 1);
	CU_ASSERT_EQUAL(c.counts[IH_COUNT_REJECTED], (long)(sizeof bad / sizeof bad[0]));
	coll_free(&c);
}

/* Finding 5, Mana Pool: both copies of "data" were processed, \f and \v
 * taken for whitespace. */
static void test_mp_strict(void)
{
	const char *row = "{\"scryfall_id\":\"" U1 "\",\"price_cents_nm\":100}";
	static const char *const forms[] = {
		"{\"data\":[%s],\"data\":[%s]}", "{\"data\":[%s],\"meta\":{},\"d\\u0061ta\":[%s]}",
		"{\f\"data\":[%s,%s]}", "{\"data\":[%s,\v%s]}", "{\"data\":[%s,%s]\f}",
		"{\"data\":[%s,%s,]}", "{\"data\":[%s,%s]}\v",
	};
	char body[1024];
	size_t i;
	coll c;
	ihp_sink sink;

	for (i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		snprintf(body, sizeof body, forms[i], row, row);
		sink = coll_sink(&c);
		CU_ASSERT_EQUAL(mp_parse_singles(body, strlen(body), &sink, NULL), IH_ERR_FATAL);
		CU_ASSERT_EQUAL(c.n, 0);
		CU_ASSERT(sink.err[0] != '\0');
		coll_free(&c);
	}
	/* a "data" below the top level is just a member of that object */
	snprintf(body, sizeof body, "{\"meta\":{\"data\":[1]},\"data\":[%s]}", row);
	sink = coll_sink(&c);
	CU_ASSERT_EQUAL(mp_parse_singles(body, strlen(body), &sink, NULL), IH_OK);
	CU_ASSERT_EQUAL(c.n, 1);
	coll_free(&c);
}

static CU_TestInfo money_tests[] = {
	{ "decimal money conversions", test_money },
	CU_TEST_INFO_NULL,
};
static CU_TestInfo scry_tests[] = {
	{ "collection answer in the real shape", test_scryfall_own_data },
	{ "real captures (excerpts)", test_scryfall_real },
	{ "malformed bodies", test_scryfall_malformed },
	{ "request body", test_scryfall_body },
	CU_TEST_INFO_NULL,
};
static CU_TestInfo ct_tests[] = {
	{ "grades and languages", test_ct_vocabulary },
	{ "expansions, export, matching", test_ct_expansions_blueprints },
	{ "listings folded", test_ct_products_own },
	{ "rows go to the card of the language", test_ct_products_language_pick },
	{ "real captures (excerpts)", test_ct_real },
	{ "malformed bodies", test_ct_malformed },
	CU_TEST_INFO_NULL,
};
static CU_TestInfo tcg_tests[] = {
	{ "token answer", test_tcg_token },
	{ "hostile token answers refused, lifetime clamped", test_tcg_token_hostile },
	{ "pricing envelope, 404", test_tcg_pricing_own },
	{ "malformed bodies", test_tcg_malformed },
	CU_TEST_INFO_NULL,
};
static CU_TestInfo mp_tests[] = {
	{ "singles export", test_mp_own },
	{ "malformed bodies", test_mp_malformed },
	{ "20000-row export", test_mp_large },
	CU_TEST_INFO_NULL,
};
static CU_TestInfo hostile_tests[] = {
	{ "strict JSON: lenient bodies refused by every parser", test_strict_json },
	{ "strict JSON: what RFC 8259 allows passes", test_strict_json_accepts },
	{ "embedded NUL: scryfall price, id, lang", test_nul_scryfall },
	{ "embedded NUL: cardtrader code, ids, currency, grade, language", test_nul_cardtrader },
	{ "embedded NUL: tcgplayer subTypeName, manapool scryfall_id", test_nul_tcg_mp },
	{ "embedded NUL: the text helpers", test_nul_helpers },
	{ "cardtrader: blueprint keys are canonical integers", test_ct_canonical_keys },
	{ "manapool: one data key, JSON whitespace only", test_mp_strict },
	CU_TEST_INFO_NULL,
};
static CU_SuiteInfo suites[] = {
	{ "money", NULL, NULL, NULL, NULL, money_tests },
	{ "scryfall parse", NULL, NULL, NULL, NULL, scry_tests },
	{ "cardtrader parse", NULL, NULL, NULL, NULL, ct_tests },
	{ "tcgplayer parse", NULL, NULL, NULL, NULL, tcg_tests },
	{ "manapool parse", NULL, NULL, NULL, NULL, mp_tests },
	{ "hostile input (#14)", NULL, NULL, NULL, NULL, hostile_tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return ih_test_main(suites);
}
