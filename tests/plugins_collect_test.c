/*
 * End-to-end runs of each plugin module's collect() under tests/fakehost:
 * request counts and batching, token handling, caching across runs, the
 * outcome classes of failed requests, and stopping between requests.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "fakehost.h"
#include "net/http.h"

static char sids[1000][40];

static ih_card *mkcards(size_t n)
{
	ih_card *c = calloc(n, sizeof *c);
	size_t i;

	CU_ASSERT_FATAL(c != NULL);
	for (i = 0; i < n; i++) {
		snprintf(sids[i], sizeof sids[i], "%08zx-0000-4000-8000-000000000000", i + 1);
		c[i].card_id = (int32_t)(i + 1);
		c[i].scryfall_id = sids[i];
		c[i].lang = "en";
		c[i].set_code = "tst";
		c[i].collector_number = "1";
	}
	return c;
}

static fakehost *start(const char *name)
{
	fakehost *fh = fh_new(name);

	CU_ASSERT_PTR_NOT_NULL_FATAL(fh);
	return fh;
}

static int has_header(const fh_req *r, const char *line)
{
	return strstr(r->headers, line) != NULL;
}

/* ---- scryfall ------------------------------------------------------- */

/* Answers a collection request: every id found with two prices, except
 * ids whose first hex digits are a multiple of 50, reported not found. */
static int scry_answer(void *ud, const ih_http_request *req, long *status, char **body)
{
	json_object *in, *ids, *out, *data, *nf, *card, *prices, *found[100];
	size_t i, n, nfound = 0;

	(void)ud;
	if (strstr(req->url, "/cards/collection") == NULL || req->body == NULL)
		return -1;
	in = json_tokener_parse(req->body);
	if (in == NULL || !json_object_object_get_ex(in, "identifiers", &ids))
		return -1;
	out = json_object_new_object();
	data = json_object_new_array();
	nf = json_object_new_array();
	n = json_object_array_length(ids);
	if (n > 100)
		n = 100;
	for (i = 0; i < n; i++) {
		json_object *one = json_object_array_get_idx(ids, i), *idv;
		const char *id;

		json_object_object_get_ex(one, "id", &idv);
		id = json_object_get_string(idv);
		if (strtoul(id, NULL, 16) % 50 == 0) {
			json_object_array_add(nf, json_object_get(one));
			continue;
		}
		card = json_object_new_object();
		prices = json_object_new_object();
		json_object_object_add(card, "object", json_object_new_string("card"));
		json_object_object_add(card, "id", json_object_new_string(id));
		json_object_object_add(card, "lang", json_object_new_string("en"));
		json_object_object_add(prices, "usd", json_object_new_string("1.25"));
		json_object_object_add(prices, "usd_foil", NULL);
		json_object_object_add(prices, "eur", json_object_new_string("1.00"));
		json_object_object_add(card, "prices", prices);
		found[nfound++] = card;
	}
	/* reverse order: results must be matched by id, not position */
	while (nfound > 0)
		json_object_array_add(data, found[--nfound]);
	json_object_object_add(out, "object", json_object_new_string("list"));
	json_object_object_add(out, "not_found", nf);
	json_object_object_add(out, "data", data);
	*status = 200;
	*body = strdup(json_object_to_json_string(out));
	json_object_put(out);
	json_object_put(in);
	return 0;
}

static void test_scryfall_batches(void)
{
	ih_card *cards = mkcards(200);
	fakehost *fh = start("scryfall");
	size_t i;

	fh_config(fh, "base_url", "http://127.0.0.1:9/sf/");
	fh_handler(fh, scry_answer, NULL);
	CU_ASSERT_EQUAL_FATAL(fh_init(fh), IH_OK);
	CU_ASSERT_EQUAL(fh_collect(fh, cards, 200), IH_OK);
	CU_ASSERT_EQUAL(fh->nreqs, 3);
	CU_ASSERT_EQUAL(fh_requests(fh, "http://127.0.0.1:9/sf/cards/collection"), 3);
	for (i = 0; i < fh->nreqs; i++) {
		json_object *b = json_tokener_parse(fh->reqs[i].body), *ids;

		CU_ASSERT_EQUAL(fh->reqs[i].method, IH_HTTP_POST);
		CU_ASSERT(has_header(&fh->reqs[i], "Accept: application/json"));
		CU_ASSERT(strstr(fh->reqs[i].headers, "User-Agent") == NULL); /* the host's */
		CU_ASSERT(json_object_object_get_ex(b, "identifiers", &ids));
		CU_ASSERT_EQUAL(json_object_array_length(ids), i < 2 ? 75 : 50);
		json_object_put(b);
	}
	CU_ASSERT_EQUAL(fh->counts[IH_COUNT_NOT_FOUND], 4); /* 50, 100, 150, 200 */
	CU_ASSERT_EQUAL(fh->nsnaps, 196 * 2);
	CU_ASSERT_EQUAL(fh->counts[IH_COUNT_REJECTED], 0);
	fh_free(fh);
	free(cards);
}

static void test_scryfall_failures(void)
{
	static const struct {
		long status;
		const char *body;
		int rc;
	} cases[] = {
		{ 401, "{}", IH_ERR_AUTH },
		{ 429, "{}", IH_ERR_RATE_LIMITED },
		{ 503, "", IH_ERR_TRANSIENT },
		{ 400, "{\"object\":\"error\",\"code\":\"bad_request\",\"status\":400,\"details\":\"x\"}", IH_ERR_FATAL },
		{ 200, "<html>", IH_ERR_FATAL },
		{ 200, "{\"object\":\"list\",\"data\":[{\"id\":\"00000001-0000-4000-8000-0000", IH_ERR_FATAL },
	};
	ih_card *cards = mkcards(100);
	fakehost *fh;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fh = start("scryfall");
		fh_route(fh, "https://api.scryfall.com/cards/collection", cases[i].status, cases[i].body, -1);
		CU_ASSERT_EQUAL_FATAL(fh_init(fh), IH_OK);
		CU_ASSERT_EQUAL(fh_collect(fh, cards, 100), cases[i].rc);
		CU_ASSERT_EQUAL(fh->nreqs, 1); /* the run ends at the first failure */
		CU_ASSERT(strstr(fh->logs, "scryfall") != NULL);
		fh_free(fh);
	}
	/* stopping: after the first request, no second one */
	fh = start("scryfall");
	fh_handler(fh, scry_answer, NULL);
	fh->stop_after = 1;
	CU_ASSERT_EQUAL_FATAL(fh_init(fh), IH_OK);
	CU_ASSERT_EQUAL(fh_collect(fh, cards, 100), IH_ERR_STOPPED);
	CU_ASSERT_EQUAL(fh->nreqs, 1);
	CU_ASSERT_EQUAL(fh->nsnaps, 74 * 2); /* what was fetched is handed over */
	fh_free(fh);
	/* a card without a usable scryfall id is not sent */
	fh = start("scryfall");
	fh_handler(fh, scry_answer, NULL);
	cards[0].scryfall_id = "not-a-uuid";
	CU_ASSERT_EQUAL_FATAL(fh_init(fh), IH_OK);
	CU_ASSERT_EQUAL(fh_collect(fh, cards, 1), IH_OK);
	CU_ASSERT_EQUAL(fh->nreqs, 0);
	CU_ASSERT_EQUAL(fh->counts[IH_COUNT_NOT_FOUND], 1);
	fh_free(fh);
	free(cards);
}

/* ---- tcgplayer ------------------------------------------------------ */

/* Token endpoint and pricing: one Normal row per requested product. */
static int tcg_answer(void *ud, const ih_http_request *req, long *status, char **body)
{
	const char *ids = strstr(req->url, "/pricing/product/");
	char *list, *tok, *save = NULL, row[256];
	size_t cap = 64, len;
	char *out;

	(void)ud;
	if (strstr(req->url, "/token") != NULL) {
		*status = 200;
		*body = strdup("{\"access_token\":\"SECRET-TOKEN-1\",\"token_type\":\"bearer\",\"expires_in\":1209599}");
		return 0;
	}
	if (ids == NULL)
		return -1;
	list = strdup(ids + strlen("/pricing/product/"));
	out = malloc(cap);
	strcpy(out, "{\"success\":true,\"errors\":[],\"results\":[");
	len = strlen(out);
	for (tok = strtok_r(list, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		int n = snprintf(row, sizeof row, "%s{\"productId\":%s,\"lowPrice\":1.1,\"midPrice\":2.2,\"highPrice\":3.3,"
		                 "\"marketPrice\":1.5,\"directLowPrice\":null,\"subTypeName\":\"Normal\"}",
		                 len > 40 ? "," : "", tok);
		while (len + (size_t)n + 4 > cap)
			cap *= 2;
		out = realloc(out, cap);
		memcpy(out + len, row, (size_t)n + 1);
		len += (size_t)n;
	}
	strcpy(out + len, "]}");
	free(list);
	*status = 200;
	*body = out;
	return 0;
}

static fakehost *tcg_start(void)
{
	fakehost *fh = start("tcgplayer");

	fh_config(fh, "public_key", "PUB KEY&1");
	fh_config(fh, "private_key", "PRIVATE-KEY-XYZ");
	fh_handler(fh, tcg_answer, NULL);
	CU_ASSERT_EQUAL_FATAL(fh_init(fh), IH_OK);
	return fh;
}

static void test_tcg_batches_and_token_cache(void)
{
	ih_card *cards = mkcards(600);
	fakehost *fh = tcg_start();
	const char *pricing = "https://api.tcgplayer.com/v1.39.0/pricing/product/";
	size_t i;

	for (i = 0; i < 600; i++)
		cards[i].tcgplayer_id = (int32_t)(100000 + i);
	CU_ASSERT_EQUAL(fh_collect(fh, cards, 600), IH_OK);
	CU_ASSERT_EQUAL(fh_requests(fh, "https://api.tcgplayer.com/token"), 1);
	CU_ASSERT_EQUAL(fh_requests(fh, pricing), 3);
	CU_ASSERT_EQUAL(fh->nreqs, 4);
	CU_ASSERT_EQUAL(fh->nsnaps, 600);
	CU_ASSERT(fh->reqs[0].no_retry);
	CU_ASSERT_EQUAL(fh->reqs[0].method, IH_HTTP_POST);
	CU_ASSERT_STRING_EQUAL(fh->reqs[0].body,
	                       "grant_type=client_credentials&client_id=PUB%20KEY%261&client_secret=PRIVATE-KEY-XYZ");
	CU_ASSERT(has_header(&fh->reqs[1], "Authorization: bearer SECRET-TOKEN-1"));
	CU_ASSERT(has_header(&fh->reqs[1], "Accept: application/json"));
	CU_ASSERT_STRING_EQUAL(fh->snaps[0].price, "1.50");
	CU_ASSERT_STRING_EQUAL(fh->snaps[0].low, "1.10");
	CU_ASSERT_STRING_EQUAL(fh->snaps[0].finish, "nonfoil");
	CU_ASSERT(strstr(fh->logs, "SECRET-TOKEN-1") == NULL);
	CU_ASSERT(strstr(fh->logs, "PRIVATE-KEY-XYZ") == NULL);
	/* a second run reuses the token */
	fh_reset(fh);
	CU_ASSERT_EQUAL(fh_collect(fh, cards, 250), IH_OK);
	CU_ASSERT_EQUAL(fh_requests(fh, "https://api.tcgplayer.com/token"), 0);
	CU_ASSERT_EQUAL(fh_requests(fh, pricing), 1);
	fh_free(fh);
	free(cards);
}

static void test_tcg_etched_and_missing_ids(void)
{
	ih_card *cards = mkcards(4);
	fakehost *fh = tcg_start();

	cards[0].tcgplayer_id = 10;
	cards[0].tcgplayer_etched_id = 11;
	cards[1].tcgplayer_etched_id = 12;
	/* cards[2], cards[3]: no TCGplayer id: not requested, not_found, done */
	CU_ASSERT_EQUAL(fh_collect(fh, cards, 4), IH_OK);
	CU_ASSERT_EQUAL(fh_requests(fh, "https://api.tcgplayer.com/v1.39.0/pricing/product/10,11,12"), 1);
	CU_ASSERT_EQUAL(fh->nsnaps, 3);
	CU_ASSERT(fh->nsnaps == 3 && strcmp(fh->snaps[1].finish, "etched") == 0 && fh->snaps[1].card_id == 1);
	CU_ASSERT(fh->nsnaps == 3 && strcmp(fh->snaps[2].finish, "etched") == 0 && fh->snaps[2].card_id == 2);
	CU_ASSERT_EQUAL(fh->counts[IH_COUNT_NOT_FOUND], 2);
	CU_ASSERT_EQUAL(fh->ndone, 2);
	fh_free(fh);
	free(cards);
}

static void test_tcg_401_refresh(void)
{
	ih_card *cards = mkcards(10);
	fakehost *fh;
	size_t i;

	for (i = 0; i < 10; i++)
		cards[i].tcgplayer_id = (int32_t)(500 + i);
	/* one 401 on a data call: new token, the call repeated once, success */
	fh = tcg_start();
	fh_route(fh, "https://api.tcgplayer.com/v1.39.0/pricing/", 401, "{\"success\":false}", 1);
	CU_ASSERT_EQUAL(fh_collect(fh, cards, 10), IH_OK);
	CU_ASSERT_EQUAL(fh_requests(fh, "https://api.tcgplayer.com/token"), 2);
	CU_ASSERT_EQUAL(fh_requests(fh, "https://api.tcgplayer.com/v1.39.0/pricing/"), 2);
	CU_ASSERT_EQUAL(fh->nsnaps, 10);
	fh_free(fh);
	/* 401 every time: one refresh, then auth_failed */
	fh = tcg_start();
	fh_route(fh, "https://api.tcgplayer.com/v1.39.0/pricing/", 401, "{}", -1);
	CU_ASSERT_EQUAL(fh_collect(fh, cards, 10), IH_ERR_AUTH);
	CU_ASSERT_EQUAL(fh_requests(fh, "https://api.tcgplayer.com/token"), 2);
	CU_ASSERT_EQUAL(fh_requests(fh, "https://api.tcgplayer.com/v1.39.0/pricing/"), 2);
	fh_free(fh);
	/* the token endpoint refusing is final: no data call, no retry */
	fh = tcg_start();
	fh_route(fh, "https://api.tcgplayer.com/token", 401, "{\"error\":\"invalid_client\"}", -1);
	CU_ASSERT_EQUAL(fh_collect(fh, cards, 10), IH_ERR_AUTH);
	CU_ASSERT_EQUAL(fh->nreqs, 1);
	CU_ASSERT(strstr(fh->logs, "credentials") != NULL);
	fh_free(fh);
	/* a 404 with an envelope: no prices, every card marked done */
	fh = tcg_start();
	fh_route(fh, "https://api.tcgplayer.com/v1.39.0/pricing/", 404,
	         "{\"success\":false,\"errors\":[\"No products were found.\"],\"results\":[]}", -1);
	CU_ASSERT_EQUAL(fh_collect(fh, cards, 10), IH_OK);
	CU_ASSERT_EQUAL(fh->ndone, 10);
	CU_ASSERT_EQUAL(fh->nsnaps, 0);
	fh_free(fh);
	/* a 404 without one is fatal; a 5xx transient */
	fh = tcg_start();
	fh_route(fh, "https://api.tcgplayer.com/v1.39.0/pricing/", 404, "Not Found", -1);
	CU_ASSERT_EQUAL(fh_collect(fh, cards, 10), IH_ERR_FATAL);
	fh_free(fh);
	fh = tcg_start();
	fh_route(fh, "https://api.tcgplayer.com/v1.39.0/pricing/", 502, "", -1);
	CU_ASSERT_EQUAL(fh_collect(fh, cards, 10), IH_ERR_TRANSIENT);
	fh_free(fh);
	free(cards);
}

/* A token endpoint answering tokens[0], tokens[1], ... (the last one again
 * when they run out); pricing as tcg_answer. */
typedef struct tcg_seq {
	const char *const *tokens;
	size_t n, next;
} tcg_seq;

static int tcg_seq_answer(void *ud, const ih_http_request *req, long *status, char **body)
{
	tcg_seq *q = ud;

	if (strstr(req->url, "/token") != NULL) {
		*status = 200;
		*body = strdup(q->tokens[q->next < q->n ? q->next : q->n - 1]);
		q->next++;
		return 0;
	}
	return tcg_answer(NULL, req, status, body);
}

/*
 * The host's side of an extra header, around the fake host's http: what
 * ih_http_do does (core/net/http.c) before sending anything.  A header it
 * refuses (ih_http_headers_check, and here also any line naming
 * refused_token, as a stricter host might) gives IH_ERR_AUTH with status 0
 * and never reaches the marketplace.
 */
static int (*fake_http)(ih_ctx *, const ih_http_request *, ih_http_response *);
static const char *refused_token;

static int checking_http(ih_ctx *ctx, const ih_http_request *req, ih_http_response *resp)
{
	const char *const *h;

	memset(resp, 0, sizeof *resp);
	if (ih_http_headers_check(req->headers, resp->error, sizeof resp->error) != IH_OK)
		return IH_ERR_AUTH;
	for (h = req->headers; refused_token != NULL && h != NULL && *h != NULL; h++) {
		if (strstr(*h, refused_token) != NULL) {
			snprintf(resp->error, sizeof resp->error, "extra header refused");
			return IH_ERR_AUTH;
		}
	}
	return fake_http(ctx, req, resp);
}

static fakehost *tcg_start_seq(tcg_seq *q)
{
	fakehost *fh = start("tcgplayer");

	fh_config(fh, "public_key", "PUB");
	fh_config(fh, "private_key", "PRIV");
	fh_handler(fh, tcg_seq_answer, q);
	CU_ASSERT_EQUAL_FATAL(fh_init(fh), IH_OK);
	fake_http = fh->services.http;
	fh->services.http = checking_http;
	return fh;
}

/* Does any request carry a control character in a header? */
static int any_header_ctl(const fakehost *fh)
{
	size_t i;
	const char *p;

	for (i = 0; i < fh->nreqs; i++)
		for (p = fh->reqs[i].headers; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 && *p != '\n')
				return 1;
	return 0;
}

/*
 * #14 finding 3: a token "a\r\nX: 1" kept for a year meant every pricing
 * call was refused by the host, which is not a 401, so the token was never
 * replaced.  Now such a token is never taken, and a refused Authorization
 * header counts as an auth failure: one new token, the call repeated once.
 */
static void test_tcg_hostile_token(void)
{
	static const char *const crlf[] = {
		"{\"access_token\":\"a\\r\\nX: 1\",\"expires_in\":31536000}",
		"{\"access_token\":\"GOOD-TOKEN-2\",\"expires_in\":1209599}",
	};
	static const char *const two[] = {
		"{\"access_token\":\"REFUSED-TOKEN-1\",\"expires_in\":1209599}",
		"{\"access_token\":\"GOOD-TOKEN-2\",\"expires_in\":1209599}",
	};
	static const char *const always[] = {
		"{\"access_token\":\"REFUSED-TOKEN-1\",\"expires_in\":1209599}",
	};
	const char *tok = "https://api.tcgplayer.com/token", *pricing = "https://api.tcgplayer.com/v1.39.0/pricing/";
	ih_card *cards = mkcards(10);
	tcg_seq q;
	fakehost *fh;
	size_t i;

	for (i = 0; i < 10; i++)
		cards[i].tcgplayer_id = (int32_t)(700 + i);

	/* the reported answer: refused, never sent, not kept; the next run asks again */
	q = (tcg_seq){ crlf, 2, 0 };
	fh = tcg_start_seq(&q);
	CU_ASSERT_EQUAL(fh_collect(fh, cards, 10), IH_ERR_FATAL);
	CU_ASSERT_EQUAL(fh_requests(fh, tok), 1);
	CU_ASSERT_EQUAL(fh_requests(fh, pricing), 0);
	CU_ASSERT(!any_header_ctl(fh));
	CU_ASSERT(strstr(fh->logs, "access_token") != NULL);
	fh_reset(fh);
	CU_ASSERT_EQUAL(fh_collect(fh, cards, 10), IH_OK);
	CU_ASSERT_EQUAL(fh_requests(fh, tok), 1);
	CU_ASSERT_EQUAL(fh_requests(fh, pricing), 1);
	CU_ASSERT_EQUAL(fh->nsnaps, 10);
	CU_ASSERT(fh->nreqs == 2 && strstr(fh->reqs[1].headers, "Authorization: bearer GOOD-TOKEN-2\n") != NULL);
	CU_ASSERT(!any_header_ctl(fh));
	fh_free(fh);

	/* the host refuses the first token's header: one new token, the call once more */
	q = (tcg_seq){ two, 2, 0 };
	refused_token = "REFUSED-TOKEN-1";
	fh = tcg_start_seq(&q);
	CU_ASSERT_EQUAL(fh_collect(fh, cards, 10), IH_OK);
	CU_ASSERT_EQUAL(fh_requests(fh, tok), 2);
	CU_ASSERT_EQUAL(fh_requests(fh, pricing), 1); /* the refused one was never sent */
	CU_ASSERT_EQUAL(fh->nsnaps, 10);
	CU_ASSERT(strstr(fh->logs, "refused the Authorization header") != NULL);
	fh_free(fh);

	/* refused every time: one refresh only, then auth_failed */
	q = (tcg_seq){ always, 1, 0 };
	fh = tcg_start_seq(&q);
	CU_ASSERT_EQUAL(fh_collect(fh, cards, 10), IH_ERR_AUTH);
	CU_ASSERT_EQUAL(fh_requests(fh, tok), 2);
	CU_ASSERT_EQUAL(fh_requests(fh, pricing), 0);
	CU_ASSERT_EQUAL(fh->nsnaps, 0);
	fh_free(fh);
	refused_token = NULL;
	free(cards);
}

/* ---- cardtrader ----------------------------------------------------- */

/* A CardTrader fake; products answer products_status when not 200. */
static fakehost *ct_start(long products_status)
{
	fakehost *fh = start("cardtrader");
	const char *b = "https://api.cardtrader.com/api/v2";
	char p[256];

	fh_config(fh, "token", "CT-SECRET-JWT");
	if (products_status != 200) {
		snprintf(p, sizeof p, "%s/marketplace/products", b);
		fh_route(fh, p, products_status, "{\"error\":\"Too many requests\"}", -1);
	}
	snprintf(p, sizeof p, "%s/expansions", b);
	fh_route_file(fh, p, 200, "cardtrader/expansions.json", -1);
	snprintf(p, sizeof p, "%s/blueprints/export?expansion_id=2921", b);
	fh_route_file(fh, p, 200, "cardtrader/blueprints_neo.json", -1);
	snprintf(p, sizeof p, "%s/blueprints/export?expansion_id=1", b);
	fh_route(fh, p, 200, "[]", -1);
	snprintf(p, sizeof p, "%s/marketplace/products?expansion_id=2921", b);
	fh_route_file(fh, p, 200, "cardtrader/products_neo.json", -1);
	snprintf(p, sizeof p, "%s/marketplace/products?expansion_id=1", b);
	fh_route(fh, p, 200, "{}", -1);
	CU_ASSERT_EQUAL_FATAL(fh_init(fh), IH_OK);
	return fh;
}

static void ct_cards(ih_card *c)
{
	memset(c, 0, 6 * sizeof *c);
	c[0] = (ih_card){ .card_id = 1, .scryfall_id = "24c0d87b-0049-4beb-b9cb-6f813b7aa7dc", .set_code = "neo",
		          .collector_number = "141", .lang = "en" };
	c[1] = (ih_card){ .card_id = 2, .scryfall_id = "00000000-0000-4000-8000-000000000002", .set_code = "NEO",
		          .collector_number = "75", .lang = "en", .tcgplayer_id = 262230 };
	c[2] = (ih_card){ .card_id = 3, .scryfall_id = "00000000-0000-4000-8000-000000000003", .set_code = "neo",
		          .collector_number = "200", .lang = "en" };
	c[3] = (ih_card){ .card_id = 4, .scryfall_id = "00000000-0000-4000-8000-000000000004", .set_code = "neo",
		          .collector_number = "999", .lang = "en" };
	c[4] = (ih_card){ .card_id = 5, .scryfall_id = "00000000-0000-4000-8000-000000000005", .set_code = "zzz",
		          .collector_number = "1", .lang = "en" };
	c[5] = (ih_card){ .card_id = 6, .scryfall_id = "00000000-0000-4000-8000-000000000006", .set_code = "gnt",
		          .collector_number = "44", .lang = "en", .cardtrader_blueprint_id = 6 };
}

static void test_ct_runs(void)
{
	const char *b = "https://api.cardtrader.com/api/v2";
	char p[256];
	ih_card cards[6];
	fakehost *fh = ct_start(200);
	size_t i;

	ct_cards(cards);
	CU_ASSERT_EQUAL(fh_collect(fh, cards, 6), IH_OK);
	snprintf(p, sizeof p, "%s/expansions", b);
	CU_ASSERT_EQUAL(fh_requests(fh, p), 1);
	snprintf(p, sizeof p, "%s/blueprints/export", b);
	CU_ASSERT_EQUAL(fh_requests(fh, p), 1); /* gnt's only card already has its blueprint */
	snprintf(p, sizeof p, "%s/marketplace/products?expansion_id=", b);
	CU_ASSERT_EQUAL(fh_requests(fh, p), 2);
	CU_ASSERT_EQUAL(fh->nreqs, 4);
	for (i = 0; i < fh->nreqs; i++) {
		CU_ASSERT(has_header(&fh->reqs[i], "Authorization: Bearer CT-SECRET-JWT"));
		CU_ASSERT_EQUAL(fh->reqs[i].method, IH_HTTP_GET);
	}
	CU_ASSERT_EQUAL(fh->nbp, 3);
	CU_ASSERT(fh->nbp == 3 && fh->bp[0][0] == 1 && fh->bp[0][1] == 203562);
	CU_ASSERT(fh->nbp == 3 && fh->bp[1][0] == 2 && fh->bp[1][1] == 203565);
	CU_ASSERT(fh->nbp == 3 && fh->bp[2][0] == 3 && fh->bp[2][1] == 203570);
	CU_ASSERT_EQUAL(fh->counts[IH_COUNT_NOT_FOUND], 2);
	/* 2 broken expansions, 1 broken blueprint, 5 unusable listings */
	CU_ASSERT_EQUAL(fh->counts[IH_COUNT_REJECTED], 2 + 1 + 5);
	CU_ASSERT_EQUAL(fh->nsnaps, 4);
	CU_ASSERT_EQUAL(fh->ndone, 2); /* card 3 (no listing) and card 6 (empty answer) */
	CU_ASSERT(strstr(fh->logs, "CT-SECRET-JWT") == NULL);
	/* second run: expansions and exports come from the plugin's cache */
	fh_reset(fh);
	CU_ASSERT_EQUAL(fh_collect(fh, cards, 6), IH_OK);
	CU_ASSERT_EQUAL(fh->nreqs, 2);
	snprintf(p, sizeof p, "%s/marketplace/products?expansion_id=", b);
	CU_ASSERT_EQUAL(fh_requests(fh, p), 2);
	CU_ASSERT_EQUAL(fh->nsnaps, 4);
	fh_free(fh);
}

static void test_ct_failures(void)
{
	ih_card cards[6];
	fakehost *fh;

	ct_cards(cards);
	fh = start("cardtrader");
	fh_config(fh, "token", "bad");
	fh_route(fh, "https://api.cardtrader.com/api/v2/expansions", 401, "{\"error\":\"Unauthorized\"}", -1);
	CU_ASSERT_EQUAL_FATAL(fh_init(fh), IH_OK);
	CU_ASSERT_EQUAL(fh_collect(fh, cards, 6), IH_ERR_AUTH);
	CU_ASSERT_EQUAL(fh->nreqs, 1);
	fh_free(fh);

	fh = start("cardtrader");
	fh_config(fh, "token", "t");
	fh_route(fh, "https://api.cardtrader.com/api/v2/expansions", 200, "[{\"id\":1,\"code\":", -1);
	CU_ASSERT_EQUAL_FATAL(fh_init(fh), IH_OK);
	CU_ASSERT_EQUAL(fh_collect(fh, cards, 6), IH_ERR_FATAL);
	fh_free(fh);

	fh = ct_start(200);
	fh->stop_after = 2; /* expansions + one export */
	CU_ASSERT_EQUAL(fh_collect(fh, cards, 6), IH_ERR_STOPPED);
	CU_ASSERT_EQUAL(fh->nreqs, 2);
	fh_free(fh);

	fh = ct_start(429);
	CU_ASSERT_EQUAL(fh_collect(fh, cards, 6), IH_ERR_RATE_LIMITED);
	fh_free(fh);
}

/* ---- manapool ------------------------------------------------------- */

static void test_mp_run(void)
{
	fakehost *fh = start("manapool");

	fh_route_file(fh, "https://manapool.com/api/v1/prices/singles", 200, "manapool/singles.json", -1);
	CU_ASSERT_EQUAL_FATAL(fh_init(fh), IH_OK);
	CU_ASSERT_EQUAL(fh_collect(fh, NULL, 0), IH_OK);
	CU_ASSERT_EQUAL(fh->nreqs, 1);
	CU_ASSERT(fh->nreqs == 1 && has_header(&fh->reqs[0], "Accept: application/json"));
	CU_ASSERT_EQUAL(fh->nsnaps, 6);
	CU_ASSERT(fh->nsnaps > 0 && fh->snaps[0].card_id == 0 && fh->snaps[0].sid != NULL);
	CU_ASSERT_EQUAL(fh->counts[IH_COUNT_REJECTED], 7);
	fh_free(fh);

	fh = start("manapool");
	fh_route(fh, "https://manapool.com/api/v1/prices/singles", 200, "{\"meta\":{},\"data\":[{\"scryfall_id\":", -1);
	CU_ASSERT_EQUAL_FATAL(fh_init(fh), IH_OK);
	CU_ASSERT_EQUAL(fh_collect(fh, NULL, 0), IH_ERR_FATAL);
	CU_ASSERT(strstr(fh->logs, "truncated") != NULL);
	fh_free(fh);

	fh = start("manapool");
	fh_route(fh, "https://manapool.com/api/v1/prices/singles", 500, "oops", -1);
	CU_ASSERT_EQUAL_FATAL(fh_init(fh), IH_OK);
	CU_ASSERT_EQUAL(fh_collect(fh, NULL, 0), IH_ERR_TRANSIENT);
	fh_free(fh);

	fh = start("manapool");
	fh->stop_after = -1;
	CU_ASSERT_EQUAL_FATAL(fh_init(fh), IH_OK);
	fh->stop_after = 0;
	CU_ASSERT_EQUAL(fh->plugin->fetch_mode, IH_FETCH_BULK);
	fh_free(fh);
}

/* ---- descriptors ---------------------------------------------------- */

static void test_descriptors(void)
{
	static const char *const names[] = { "scryfall", "cardtrader", "tcgplayer", "manapool" };
	size_t i;

	for (i = 0; i < 4; i++) {
		fakehost *fh = start(names[i]);

		CU_ASSERT_EQUAL(fh->plugin->abi_major, IH_ABI_MAJOR);
		CU_ASSERT_EQUAL(fh->plugin->abi_minor, IH_ABI_MINOR);
		CU_ASSERT_STRING_EQUAL(fh->plugin->name, names[i]);
		CU_ASSERT_STRING_EQUAL(fh->plugin->marketplace, names[i]);
		CU_ASSERT_PTR_NOT_NULL(fh->plugin->config_keys);
		CU_ASSERT_PTR_NOT_NULL(fh->plugin->default_base_url);
		CU_ASSERT(fh->plugin->default_requests_per_second > 0);
		fh_free(fh);
	}
}

static CU_TestInfo tests[] = {
	{ "descriptors", test_descriptors },
	{ "scryfall: 200 cards in 3 requests", test_scryfall_batches },
	{ "scryfall: failures and stop", test_scryfall_failures },
	{ "tcgplayer: 600 ids in 3 requests, one token", test_tcg_batches_and_token_cache },
	{ "tcgplayer: etched products, cards without ids", test_tcg_etched_and_missing_ids },
	{ "tcgplayer: 401 refresh, token refusal, 404", test_tcg_401_refresh },
	{ "tcgplayer: hostile token not kept, refused header refreshes once", test_tcg_hostile_token },
	{ "cardtrader: one products request per expansion, cached export", test_ct_runs },
	{ "cardtrader: failures and stop", test_ct_failures },
	{ "manapool: export run", test_mp_run },
	CU_TEST_INFO_NULL,
};
static CU_SuiteInfo suites[] = {
	{ "plugin collect under a fake host", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL,
};

int main(void)
{
	return ih_test_main(suites);
}
