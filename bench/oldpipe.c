/*
 * oldpipe -- the flow ingesthost replaces, for the load test only:
 * marketplaces one after another, one API request per card, one freshness
 * query per card, one autocommitted INSERT per row.  It reuses the plugins'
 * parsers so the two pipelines differ only in their shape.
 *
 *   oldpipe CONNINFO SIM_BASE_URL CARDS
 *
 * Prints one JSON line: seconds, requests per marketplace, rows written,
 * statements sent.
 */
#include "config.h"

#include <curl/curl.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cardtrader/cardtrader_parse.h"
#include "ihp.h"
#include "manapool/manapool_parse.h"
#include "scryfall/scryfall_parse.h"
#include "tcgplayer/tcgplayer_parse.h"

typedef struct card {
	int id;
	char scryfall_id[40], set_code[24], collector_number[16], lang[8];
	int tcgplayer_id, tcgplayer_etched_id;
	ih_card ic; /* the same card as the plugins' parsers see it */
} card;

static PGconn *db;
static CURL *curl;
static const char *base;
static char now_text[40];
static long statements, rows, requests[4];
static int cur_mkt; /* index into requests[] */
static int mkt_id[4];
static const char *const slugs[4] = { "scryfall", "cardtrader", "tcgplayer", "manapool" };
static card *cards;
static int ncards;

typedef struct buf {
	char *p;
	size_t len;
} buf;

static size_t on_body(char *d, size_t s, size_t n, void *ud)
{
	buf *b = ud;
	char *p = realloc(b->p, b->len + s * n + 1);

	if (p == NULL)
		return 0;
	b->p = p;
	memcpy(b->p + b->len, d, s * n);
	b->len += s * n;
	b->p[b->len] = '\0';
	return s * n;
}

/* One request; returns the status (0 on transport error), body in *out. */
static long http(const char *url, const char *post, const char *ctype, const char *auth, buf *out)
{
	struct curl_slist *h = NULL;
	char line[512];
	long status = 0;

	out->p = NULL;
	out->len = 0;
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "oldpipe/1");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
	h = curl_slist_append(h, "Accept: application/json");
	if (auth != NULL) {
		snprintf(line, sizeof line, "Authorization: %s", auth);
		h = curl_slist_append(h, line);
	}
	if (post != NULL) {
		snprintf(line, sizeof line, "Content-Type: %s", ctype);
		h = curl_slist_append(h, line);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, post);
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	requests[cur_mkt]++;
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	if (out->p == NULL)
		out->p = calloc(1, 1);
	return status;
}

static PGresult *q(const char *sql, int n, const char *const *params)
{
	statements++;
	return PQexecParams(db, sql, n, NULL, params, NULL, NULL, 0);
}

/* The old freshness check: one query per card. */
static int fresh(int card_id, long seconds)
{
	char id[16], mk[16], secs[24];
	const char *p[4] = { id, mk, now_text, secs };
	PGresult *r;
	int f;

	snprintf(id, sizeof id, "%d", card_id);
	snprintf(mk, sizeof mk, "%d", mkt_id[cur_mkt]);
	snprintf(secs, sizeof secs, "%ld", seconds);
	r = q("SELECT 1 FROM price_snapshots WHERE card_id = $1 AND marketplace_id = $2 "
	      "AND time > $3::timestamptz - make_interval(secs => $4::bigint) LIMIT 1",
	      4, p);
	f = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0;
	PQclear(r);
	return f;
}

/* One autocommitted INSERT per row. */
static void insert(int card_id, const char *cond, const char *finish, const char *lang, const char *cur,
		   const char *price, const char *low, const char *mid, const char *high, long listings)
{
	char id[16], mk[16], nl[24];
	const char *p[12] = { now_text, id, mk, cond, finish, lang, cur, price, low, mid, high, listings >= 0 ? nl : NULL };
	PGresult *r;

	snprintf(id, sizeof id, "%d", card_id);
	snprintf(mk, sizeof mk, "%d", mkt_id[cur_mkt]);
	snprintf(nl, sizeof nl, "%ld", listings);
	r = q("INSERT INTO price_snapshots (time, card_id, marketplace_id, condition, finish, language, currency, "
	      "price, price_low, price_mid, price_high, num_listings, source) "
	      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'oldpipe') "
	      "ON CONFLICT (time, card_id, marketplace_id, condition, finish, language, currency) DO UPDATE "
	      "SET price = EXCLUDED.price",
	      12, p);
	if (PQresultStatus(r) == PGRES_COMMAND_OK)
		rows++;
	else
		fprintf(stderr, "oldpipe: insert: %s", PQerrorMessage(db));
	PQclear(r);
}

/* ---- the parsers' snapshots become one INSERT each ----------------------- */

static const card *current; /* the card being fetched (NULL: resolve by scryfall id) */

static int sink_emit(void *ctx, const ih_snapshot *sn)
{
	char lang[8] = "en";
	int id = sn->card_id;

	(void)ctx;
	if (current != NULL) {
		id = current->id;
		snprintf(lang, sizeof lang, "%s", current->lang);
	} else {
		/* Mana Pool: one lookup and one freshness check per card (its rows come together) */
		static char last_sid[40], last_lang[8];
		static int last_id, last_skip;

		if (strcmp(last_sid, sn->scryfall_id) != 0) {
			const char *p[1] = { sn->scryfall_id };
			PGresult *r = q("SELECT id, coalesce(lang, 'en') FROM cards WHERE scryfall_id = $1::uuid", 1, p);

			snprintf(last_sid, sizeof last_sid, "%s", sn->scryfall_id);
			last_skip = 1;
			if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
				last_id = atoi(PQgetvalue(r, 0, 0));
				snprintf(last_lang, sizeof last_lang, "%s", PQgetvalue(r, 0, 1));
				last_skip = fresh(last_id, 7200);
			}
			PQclear(r);
		}
		if (last_skip)
			return 0;
		id = last_id;
		snprintf(lang, sizeof lang, "%s", last_lang);
	}
	insert(id, sn->condition, sn->finish, sn->language != NULL ? sn->language : lang, sn->currency, sn->price,
	       sn->price_low, sn->price_mid, sn->price_high, sn->num_listings);
	return 0;
}

static void sink_mark(void *ctx, int32_t id)
{
	(void)ctx;
	(void)id;
}

static void sink_count(void *ctx, ih_counter w, long n)
{
	(void)ctx;
	(void)w;
	(void)n;
}

static void sink_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (level <= IH_LOG_WARNING)
		fprintf(stderr, "oldpipe: %s\n", msg);
}

static ihp_sink sink = { NULL, sink_emit, sink_mark, sink_count, sink_log, "" };

/* ---- scryfall: GET /cards/{id} per card ------------------------------- */

static void run_scryfall(void)
{
	for (int i = 0; i < ncards; i++) {
		const ih_card *one = &cards[i].ic;
		char url[512], *list;
		buf b;

		if (fresh(cards[i].id, 86400))
			continue;
		snprintf(url, sizeof url, "%s/scryfall/cards/%s", base, cards[i].scryfall_id);
		if (http(url, NULL, NULL, NULL, &b) == 200) {
			/* the one-card answer, as the collection parser expects it */
			list = malloc(b.len + 64);
			sprintf(list, "{\"object\":\"list\",\"not_found\":[],\"data\":[%s]}", b.p);
			current = &cards[i];
			scry_parse_collection(list, strlen(list), &one, 1, &sink);
			free(list);
		}
		free(b.p);
	}
}

/* ---- tcgplayer: GET pricing/product/{id} per product ------------------- */

static void run_tcgplayer(void)
{
	char url[512], *token = NULL, auth[1024];
	const char *body = "grant_type=client_credentials&client_id=sim-public&client_secret=sim-private";
	long expires = 0, st;
	buf b;

	snprintf(url, sizeof url, "%s/tcgplayer/token", base);
	if (http(url, body, "application/x-www-form-urlencoded", NULL, &b) != 200 ||
	    tcg_parse_token(b.p, b.len, &token, &expires, &sink) != IH_OK) {
		fprintf(stderr, "oldpipe: tcgplayer token failed\n");
		free(b.p);
		return;
	}
	free(b.p);
	snprintf(auth, sizeof auth, "bearer %s", token);
	for (int i = 0; i < ncards; i++) {
		int ids[2] = { cards[i].tcgplayer_id, cards[i].tcgplayer_etched_id };

		if (ids[0] == 0 && ids[1] == 0)
			continue;
		if (fresh(cards[i].id, 7200))
			continue;
		for (int j = 0; j < 2; j++) {
			tcg_entry e = { ids[j], &cards[i].ic, j == 1, 0 };

			if (ids[j] == 0)
				continue;
			snprintf(url, sizeof url, "%s/tcgplayer/v1.39.0/pricing/product/%d", base, ids[j]);
			st = http(url, NULL, NULL, auth, &b);
			current = &cards[i];
			if (st == 200 || st == 404)
				tcg_parse_pricing(b.p, b.len, st, &e, 1, &sink);
			free(b.p);
		}
	}
	free(token);
}

/* ---- cardtrader: GET marketplace/products?blueprint_id= per card -------- */

static void run_cardtrader(void)
{
	const char *auth = "Bearer sim-token";
	ct_expansion *ex = NULL;
	ct_blueprint *bps = NULL; /* the blueprints of the expansion last looked up */
	size_t nex = 0, nbps = 0;
	int32_t bps_exp = 0;
	char url[512];
	buf b;

	snprintf(url, sizeof url, "%s/cardtrader/api/v2/expansions", base);
	if (http(url, NULL, NULL, auth, &b) != 200 || ct_parse_expansions(b.p, b.len, &ex, &nex, &sink) != IH_OK) {
		fprintf(stderr, "oldpipe: cardtrader expansions failed\n");
		free(b.p);
		return;
	}
	free(b.p);
	for (int i = 0; i < ncards; i++) {
		int32_t exp_id, bp;
		ct_want w;

		if (fresh(cards[i].id, 7200))
			continue;
		exp_id = ct_find_expansion(ex, nex, cards[i].set_code);
		if (exp_id == 0)
			continue;
		if (exp_id != bps_exp) {
			free(bps);
			bps = NULL;
			nbps = 0;
			snprintf(url, sizeof url, "%s/cardtrader/api/v2/blueprints/export?expansion_id=%d", base, (int)exp_id);
			if (http(url, NULL, NULL, auth, &b) == 200)
				ct_parse_blueprints(b.p, b.len, &bps, &nbps, &sink);
			free(b.p);
			bps_exp = exp_id;
		}
		bp = ct_match_blueprint(bps, nbps, &cards[i].ic);
		if (bp == 0)
			continue;
		snprintf(url, sizeof url, "%s/cardtrader/api/v2/marketplace/products?blueprint_id=%d", base, (int)bp);
		w.blueprint_id = bp;
		w.card = &cards[i].ic;
		w.rows = 0;
		current = &cards[i];
		if (http(url, NULL, NULL, auth, &b) == 200)
			ct_parse_products(b.p, b.len, &w, 1, &sink);
		free(b.p);
	}
	free(bps);
	free(ex);
}

/* ---- manapool: the export, then a lookup, a check and INSERTs per row --- */

static void run_manapool(void)
{
	char url[512];
	mp_stats st;
	buf b;

	snprintf(url, sizeof url, "%s/manapool/api/v1/prices/singles", base);
	current = NULL;
	if (http(url, NULL, NULL, NULL, &b) == 200)
		mp_parse_singles(b.p, b.len, &sink, &st);
	free(b.p);
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	PGresult *r;
	double t0;
	time_t now = time(NULL);
	struct tm tm;

	if (argc != 4) {
		fprintf(stderr, "usage: oldpipe CONNINFO SIM_BASE_URL CARDS\n");
		return 1;
	}
	base = argv[2];
	db = PQconnectdb(argv[1]);
	if (PQstatus(db) != CONNECTION_OK) {
		fprintf(stderr, "oldpipe: %s", PQerrorMessage(db));
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();
	gmtime_r(&now, &tm);
	strftime(now_text, sizeof now_text, "%Y-%m-%dT%H:%M:%SZ", &tm);
	t0 = mono();
	for (int i = 0; i < 4; i++) {
		const char *p[1] = { slugs[i] };

		r = q("INSERT INTO marketplaces (slug, name) VALUES ($1, $1) ON CONFLICT (slug) DO UPDATE SET slug = "
		      "EXCLUDED.slug RETURNING id",
		      1, p);
		mkt_id[i] = PQresultStatus(r) == PGRES_TUPLES_OK ? atoi(PQgetvalue(r, 0, 0)) : 0;
		PQclear(r);
	}
	{
		char lim[16];
		const char *p[1] = { lim };

		snprintf(lim, sizeof lim, "%d", atoi(argv[3]));
		r = q("SELECT id, scryfall_id, coalesce(set_code, ''), coalesce(collector_number, ''), "
		      "coalesce(lang, 'en'), coalesce(tcgplayer_id, 0), coalesce(tcgplayer_etched_id, 0) "
		      "FROM cards ORDER BY id LIMIT $1",
		      1, p);
	}
	ncards = PQntuples(r);
	cards = calloc((size_t)ncards + 1, sizeof *cards);
	for (int i = 0; i < ncards; i++) {
		cards[i].id = atoi(PQgetvalue(r, i, 0));
		snprintf(cards[i].scryfall_id, sizeof cards[i].scryfall_id, "%s", PQgetvalue(r, i, 1));
		snprintf(cards[i].set_code, sizeof cards[i].set_code, "%s", PQgetvalue(r, i, 2));
		snprintf(cards[i].collector_number, sizeof cards[i].collector_number, "%s", PQgetvalue(r, i, 3));
		snprintf(cards[i].lang, sizeof cards[i].lang, "%s", PQgetvalue(r, i, 4));
		cards[i].tcgplayer_id = atoi(PQgetvalue(r, i, 5));
		cards[i].tcgplayer_etched_id = atoi(PQgetvalue(r, i, 6));
	}
	for (int i = 0; i < ncards; i++) {
		ih_card *ic = &cards[i].ic;

		ic->card_id = cards[i].id;
		ic->scryfall_id = cards[i].scryfall_id;
		ic->set_code = cards[i].set_code;
		ic->collector_number = cards[i].collector_number;
		ic->lang = cards[i].lang;
		ic->tcgplayer_id = cards[i].tcgplayer_id;
		ic->tcgplayer_etched_id = cards[i].tcgplayer_etched_id;
	}
	PQclear(r);
	cur_mkt = 0;
	run_scryfall();
	cur_mkt = 1;
	run_cardtrader();
	cur_mkt = 2;
	run_tcgplayer();
	cur_mkt = 3;
	run_manapool();
	printf("{\"seconds\": %.3f, \"cards\": %d, \"rows\": %ld, \"statements\": %ld, \"requests\": {\"scryfall\": %ld, "
	       "\"cardtrader\": %ld, \"tcgplayer\": %ld, \"manapool\": %ld}}\n",
	       mono() - t0, ncards, rows, statements, requests[0], requests[1], requests[2], requests[3]);
	curl_easy_cleanup(curl);
	PQfinish(db);
	free(cards);
	return 0;
}
