/*
 * price_test -- the price plugin's collect() against canned HTTP answers,
 * with the installed test kit: the host's loader opens price.so, the host's
 * validator checks every emitted row, the host's classifier reads every
 * status.  No database, no network.
 *
 *   ./price_test ./price.so
 */
#include <stdio.h>
#include <string.h>

#include <ingesthost/plugin-testkit.h>

#define URL "https://prices.example.com/v1/prices"
#define SID1 "00000000-0000-4000-8000-000000000001"
#define SID2 "00000000-0000-4000-8000-000000000002"
#define SID3 "00000000-0000-4000-8000-000000000003"

static int failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			printf("not ok: %s (line %d)\n", #cond, __LINE__);     \
			failures++;                                            \
		}                                                              \
	} while (0)

static const ih_card cards[3] = {
	{ .card_id = 1, .scryfall_id = SID1, .name = "One" },
	{ .card_id = 2, .scryfall_id = SID2, .name = "Two" },
	{ .card_id = 3, .scryfall_id = SID3, .name = "Three" },
};

/* A kit with price.so opened, configured and init'ed. */
static ih_testkit *start(const char *so)
{
	char err[512];
	ih_testkit *k = ih_testkit_open(so, err, sizeof err);

	if (k == NULL) {
		printf("not ok: cannot open %s: %s\n", so, err);
		return NULL;
	}
	ih_testkit_config(k, "api_key", "k-123");
	if (ih_testkit_init(k) != IH_OK) {
		printf("not ok: init: %s\n", ih_testkit_error(k));
		ih_testkit_free(k);
		return NULL;
	}
	return k;
}

/* Prices for two cards (one row the host refuses), none for the third. */
static int test_prices(const char *so)
{
	ih_testkit *k = start(so);
	const ih_snapshot *s;

	if (k == NULL)
		return -1;
	ih_testkit_route(k, URL, 200,
			 SID1 " NM nonfoil 1.25 7\n"
			 SID2 " LP foil 10.50 2\n"
			 SID1 " NM foil 3.00 1\n"
			 SID2 " MINT nonfoil 99.00 1\n", /* not a condition the host knows */
			 1);
	CHECK(ih_testkit_collect(k, cards, 3) == IH_OK);
	CHECK(ih_testkit_requests(k, URL) == 1);
	CHECK(ih_testkit_snapshot_count(k) == 3);
	/* a card's rows one after another: SID1 twice, then SID2 */
	s = ih_testkit_snapshot(k, 0);
	CHECK(s != NULL && s->card_id == 1 && strcmp(s->price, "1.25") == 0 && strcmp(s->finish, "nonfoil") == 0);
	s = ih_testkit_snapshot(k, 1);
	CHECK(s != NULL && s->card_id == 1 && strcmp(s->finish, "foil") == 0);
	s = ih_testkit_snapshot(k, 2);
	CHECK(s != NULL && s->card_id == 2 && strcmp(s->condition, "LP") == 0 && s->num_listings == 2);
	CHECK(ih_testkit_rejected(k) == 1);
	CHECK(strstr(ih_testkit_last_rejection(k), "MINT") != NULL);
	CHECK(ih_testkit_marked(k) == 1 && ih_testkit_counter(k, IH_COUNT_NOT_FOUND) == 1);
	printf("ok: 200: 3 rows accepted, 1 rejected by the host (%s), 1 card marked\n", ih_testkit_last_rejection(k));
	ih_testkit_free(k);
	return 0;
}

/* Each failure class ends the run with that class and a useful error. */
static int test_errors(const char *so)
{
	static const struct {
		long status;
		int want;
		const char *says;
	} cases[] = {
		{ 401, IH_ERR_AUTH, "api_key" },
		{ 403, IH_ERR_AUTH, "api_key" },
		{ 429, IH_ERR_RATE_LIMITED, "rate limited" },
		{ 503, IH_ERR_TRANSIENT, "unavailable" },
		{ 408, IH_ERR_TRANSIENT, "unavailable" },
		{ 404, IH_ERR_FATAL, "request failed" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ih_testkit *k = start(so);
		int rc;

		if (k == NULL)
			return -1;
		ih_testkit_route(k, URL, cases[i].status, "", -1);
		rc = ih_testkit_collect(k, cards, 3);
		CHECK(rc == cases[i].want);
		CHECK(strstr(ih_testkit_error(k), cases[i].says) != NULL);
		CHECK(ih_testkit_snapshot_count(k) == 0);
		printf("ok: HTTP %ld: %s, error text \"%s\"\n", cases[i].status, ih_testkit_status_name(rc),
		       ih_testkit_error(k));
		ih_testkit_free(k);
	}
	return 0;
}

/* Stopping: no request after the host asked to stop; no error text. */
static int test_stopped(const char *so)
{
	ih_card many[120];
	ih_testkit *k = start(so);

	if (k == NULL)
		return -1;
	for (size_t i = 0; i < 120; i++)
		many[i] = cards[i % 3];
	ih_testkit_route(k, URL, 200, SID1 " NM nonfoil 1.25 7\n", -1);
	ih_testkit_stop_after(k, 1);
	CHECK(ih_testkit_collect(k, many, 120) == IH_ERR_STOPPED);
	CHECK(ih_testkit_requests(k, URL) == 1);
	CHECK(ih_testkit_error(k)[0] == '\0');
	printf("ok: stopped after 1 of 3 requests, %zu rows handed over\n", ih_testkit_snapshot_count(k));
	ih_testkit_free(k);
	return 0;
}

/* No api_key: init refuses, and says which key to set. */
static int test_no_key(const char *so)
{
	char err[512];
	ih_testkit *k = ih_testkit_open(so, err, sizeof err);

	if (k == NULL)
		return -1;
	CHECK(ih_testkit_init(k) == IH_ERR_FATAL);
	CHECK(strstr(ih_testkit_error(k), "plugins.price.api_key") != NULL);
	printf("ok: no api_key: init refused: %s\n", ih_testkit_error(k));
	ih_testkit_free(k);
	return 0;
}

int main(int argc, char **argv)
{
	const char *so = argc > 1 ? argv[1] : "./price.so";

	if (test_prices(so) != 0 || test_errors(so) != 0 || test_stopped(so) != 0 || test_no_key(so) != 0)
		failures++;
	printf("%s: price plugin kit test\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}
