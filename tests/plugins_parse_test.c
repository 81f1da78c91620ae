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
static CU_SuiteInfo suites[] = {
	{ "money", NULL, NULL, NULL, NULL, money_tests },
	{ "scryfall parse", NULL, NULL, NULL, NULL, scry_tests },
	{ "cardtrader parse", NULL, NULL, NULL, NULL, ct_tests },
	{ "tcgplayer parse", NULL, NULL, NULL, NULL, tcg_tests },
	{ "manapool parse", NULL, NULL, NULL, NULL, mp_tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return ih_test_main(suites);
}
