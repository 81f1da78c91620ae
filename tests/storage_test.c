/*
 * storage_test -- migrations and bulk operations against the suite's
 * PostgreSQL (a private database, dropped and re-created at start).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/bulk.h"
#include "store/bulk_int.h"
#include "store/migrate.h"
#include "pgtest.h"
#include "store/pool.h"
#include "testutil.h"

#define NCARDS 1200
#define T0 "2024-05-01T12:00:00Z"

static char g_conninfo[1024];
static PGconn *g_c;       /* the connection the bulk functions use */
static PGconn *g_q;       /* a second one for checks */
static int16_t g_mkt, g_mkt2;
static int32_t g_card[NCARDS];
static char g_uuid[NCARDS][37];

static void make_uuid(char *out, int i, int salt)
{
	snprintf(out, 37, "%08x-0000-4000-8000-%012x", (unsigned)i, (unsigned)salt);
}

static int init_db(void)
{
	const char *base = getenv("IH_TEST_CONNINFO");
	char err[512];

	if (base == NULL || *base == '\0')
		return 0; /* the tests skip */
	if (pgt_fresh_db(base, "ih_storage_test", 0, g_conninfo, sizeof g_conninfo) != 0)
		return -1;
	g_c = ih_pg_connect(g_conninfo, 10, err, sizeof err);
	g_q = ih_pg_connect(g_conninfo, 10, err, sizeof err);
	return g_c != NULL && g_q != NULL ? 0 : -1;
}

static int fini_db(void)
{
	PQfinish(g_c);
	PQfinish(g_q);
	return 0;
}

static long q(const char *sql)
{
	return pgt_long(g_q, sql);
}

/* ---- migrations ----------------------------------------------------------- */

static void test_migrate_twice(void)
{
	char err[512];
	int applied = -1, version = -1;

	if (ih_test_conninfo_or_skip("migrate") == NULL)
		return;
	CU_ASSERT_FATAL(g_c != NULL);
	CU_ASSERT_EQUAL(ih_migrate(g_c, ih_migrations, ih_nmigrations, &applied, &version, err, sizeof err), 0);
	CU_ASSERT_EQUAL(applied, (int)ih_nmigrations);
	CU_ASSERT_EQUAL(version, ih_migrate_latest());
	CU_ASSERT_EQUAL(ih_migrate(g_c, ih_migrations, ih_nmigrations, &applied, &version, err, sizeof err), 0);
	CU_ASSERT_EQUAL(applied, 0);
	CU_ASSERT_EQUAL(version, ih_migrate_latest());
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM ih_schema_version"), (long)ih_nmigrations);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM information_schema.columns WHERE table_name = 'price_snapshots' "
			  "AND column_name = 'is_foil' AND is_generated = 'ALWAYS'"),
			1);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM pg_indexes WHERE indexname = 'price_snapshots_card_mkt_time' "
			  "AND indexdef LIKE '%(card_id, marketplace_id, \"time\" DESC)%'"),
			1);
}

static void test_migrate_newer_refused(void)
{
	char err[512] = "";
	int applied, version;

	if (ih_test_conninfo_or_skip("migrate newer") == NULL)
		return;
	CU_ASSERT_EQUAL_FATAL(pgt_exec(g_q, "INSERT INTO ih_schema_version VALUES (999, '999_future')"), 0);
	CU_ASSERT_EQUAL(ih_migrate(g_c, ih_migrations, ih_nmigrations, &applied, &version, err, sizeof err), -1);
	CU_ASSERT_EQUAL(applied, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "version 999, newer"));
	pgt_exec(g_q, "DELETE FROM ih_schema_version WHERE version = 999");
}

/* ---- setup of cards and marketplaces ---------------------------------------- */

static void test_cards_and_marketplaces(void)
{
	static ih_card_row rows[NCARDS];
	char err[512], names[NCARDS][24];
	const char *uuids[NCARDS];
	int16_t again;

	if (ih_test_conninfo_or_skip("cards") == NULL)
		return;
	CU_ASSERT_EQUAL(ih_bulk_ensure_marketplace(g_c, "testmkt", "Test market", "USD", &g_mkt, err, sizeof err), 0);
	CU_ASSERT_EQUAL(ih_bulk_ensure_marketplace(g_c, "testmkt", "Test market", "USD", &again, err, sizeof err), 0);
	CU_ASSERT_EQUAL(again, g_mkt);
	CU_ASSERT_EQUAL(ih_bulk_ensure_marketplace(g_c, "other", NULL, NULL, &g_mkt2, err, sizeof err), 0);
	CU_ASSERT_EQUAL(g_mkt2, g_mkt + 1); /* no identity value burnt by the second call */
	for (int i = 0; i < NCARDS; i++) {
		make_uuid(g_uuid[i], i, 1);
		snprintf(names[i], sizeof names[i], "Card %d", i);
		memset(&rows[i], 0, sizeof rows[i]);
		rows[i].scryfall_id = g_uuid[i];
		rows[i].name = names[i];
		rows[i].set_code = "tst";
		rows[i].lang = i % 7 == 0 ? "ja" : "en";
		rows[i].tcgplayer_id = i + 100;
		uuids[i] = g_uuid[i];
	}
	rows[3].name = "Jötun Grunt \"東京\"\t\\";
	CU_ASSERT_EQUAL_FATAL(ih_bulk_upsert_cards(g_c, rows, NCARDS, err, sizeof err), 0);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM cards"), NCARDS);
	CU_ASSERT_EQUAL(ih_bulk_resolve_scryfall(g_c, uuids, NCARDS, g_card, err, sizeof err), 0);
	for (int i = 0; i < NCARDS; i++)
		CU_ASSERT(g_card[i] > 0);
	{
		PGresult *r = PQexec(g_q, "SELECT name FROM cards WHERE tcgplayer_id = 103");

		CU_ASSERT_STRING_EQUAL(PQgetvalue(r, 0, 0), "Jötun Grunt \"東京\"\t\\");
		PQclear(r);
	}
	/* blueprint set by a plugin survives a re-import that does not know it */
	CU_ASSERT_EQUAL(ih_bulk_set_blueprint(g_c, g_card[5], 777, err, sizeof err), 0);
	rows[5].name = "Renamed";
	rows[5].tcgplayer_id = 0;
	CU_ASSERT_EQUAL(ih_bulk_upsert_cards(g_c, &rows[5], 1, err, sizeof err), 0);
	{
		char sql[160];

		snprintf(sql, sizeof sql, "SELECT cardtrader_blueprint_id FROM cards WHERE id = %d AND name = 'Renamed' "
			 "AND tcgplayer_id = 105", (int)g_card[5]);
		CU_ASSERT_EQUAL(q(sql), 777);
	}
	rows[6].scryfall_id = "not-a-uuid";
	CU_ASSERT_EQUAL(ih_bulk_upsert_cards(g_c, rows, 10, err, sizeof err), IH_BULK_ERR_INPUT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "card row 6"));
	rows[6].scryfall_id = g_uuid[6];
}

static void test_resolve(void)
{
	const char *u[5];
	int32_t ids[5];
	char err[512];

	if (ih_test_conninfo_or_skip("resolve") == NULL)
		return;
	u[0] = g_uuid[10];
	u[1] = "00000000-0000-4000-8000-ffffffffffff";
	u[2] = "garbage";
	u[3] = NULL;
	u[4] = g_uuid[11];
	CU_ASSERT_EQUAL(ih_bulk_resolve_scryfall(g_c, u, 5, ids, err, sizeof err), 0);
	CU_ASSERT_EQUAL(ids[0], g_card[10]);
	CU_ASSERT_EQUAL(ids[1], 0);
	CU_ASSERT_EQUAL(ids[2], 0);
	CU_ASSERT_EQUAL(ids[3], 0);
	CU_ASSERT_EQUAL(ids[4], g_card[11]);
}

/* ---- snapshot writes -------------------------------------------------------- */

static ih_snap_row *make_rows(size_t n, const char *price)
{
	ih_snap_row *rows = calloc(n ? n : 1, sizeof *rows);

	for (size_t i = 0; i < n; i++) {
		rows[i].card_id = g_card[i % NCARDS];
		rows[i].marketplace_id = g_mkt;
		rows[i].condition = "NM";
		rows[i].finish = i % 3 == 0 ? "foil" : "nonfoil";
		rows[i].language = "en";
		rows[i].currency = "USD";
		rows[i].price = price;
		rows[i].price_low = i % 2 ? "0.10" : NULL;
		rows[i].num_listings = i % 2 ? (int32_t)i : -1;
		rows[i].source = "test";
	}
	return rows;
}

static void stmt_reset(void)
{
	pgt_exec(g_q, "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = "
		      "current_database()), 0)");
}

static long stmt_calls(const char *like)
{
	char sql[512];

	snprintf(sql, sizeof sql,
		 "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
		 "WHERE datname = current_database()) AND query LIKE '%s'",
		 like);
	return q(sql);
}

static void upsert_n(size_t n)
{
	char err[512] = "", sql[256];
	long written = -1;
	ih_snap_row *rows = make_rows(n, "1.25");
	long want_stmts = (long)((n + 499) / 500);

	snprintf(sql, sizeof sql, "DELETE FROM price_snapshots WHERE time = '%s'", T0);
	pgt_exec(g_q, sql);
	stmt_reset();
	CU_ASSERT_EQUAL(ih_bulk_write_snapshots(g_c, T0, rows, n, 500, 1000000, &written, err, sizeof err), 0);
	CU_ASSERT_EQUAL(written, (long)n);
	CU_ASSERT_EQUAL(stmt_calls("INSERT INTO price_snapshots%"), want_stmts);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM price_snapshots WHERE time = '%s' AND price = 1.25", T0);
	CU_ASSERT_EQUAL(q(sql), (long)n);
	/* every row conflicts now: updated in place */
	for (size_t i = 0; i < n; i++)
		rows[i].price = "2.50";
	stmt_reset();
	CU_ASSERT_EQUAL(ih_bulk_write_snapshots(g_c, T0, rows, n, 500, 1000000, &written, err, sizeof err), 0);
	CU_ASSERT_EQUAL(written, (long)n);
	CU_ASSERT_EQUAL(stmt_calls("INSERT INTO price_snapshots%"), want_stmts);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM price_snapshots WHERE time = '%s' AND price = 2.50", T0);
	CU_ASSERT_EQUAL(q(sql), (long)n);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM price_snapshots WHERE time = '%s'", T0);
	CU_ASSERT_EQUAL(q(sql), (long)n);
	free(rows);
}

static void test_upsert_sizes(void)
{
	static const size_t sizes[] = { 0, 1, 499, 500, 501, 1001 };

	if (ih_test_conninfo_or_skip("upsert sizes") == NULL)
		return;
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
		upsert_n(sizes[s]);
	ih_bulk_set_shape(IH_SHAPE_VALUES);
	upsert_n(1001);
	ih_bulk_set_shape(IH_SHAPE_UNNEST);
}

static void test_fresh_one_statement(void)
{
	static int32_t ids[3000];
	static uint8_t fresh[3000];
	char err[512];
	ih_snap_row rows[2];
	long written;
	size_t nfresh = 0;

	if (ih_test_conninfo_or_skip("fresh") == NULL)
		return;
	memset(rows, 0, sizeof rows);
	for (int k = 0; k < 2; k++) {
		rows[k].card_id = g_card[k];
		rows[k].marketplace_id = g_mkt2;
		rows[k].condition = "NM";
		rows[k].finish = "nonfoil";
		rows[k].language = "en";
		rows[k].currency = "EUR";
		rows[k].price = "3.00";
		rows[k].num_listings = -1;
	}
	/* card 0 written an hour before "now", card 1 three hours before */
	CU_ASSERT_EQUAL(ih_bulk_write_snapshots(g_c, "2024-06-01T11:00:00Z", rows, 1, 500, 2000, &written, err, sizeof err), 0);
	CU_ASSERT_EQUAL(ih_bulk_write_snapshots(g_c, "2024-06-01T09:00:00Z", rows + 1, 1, 500, 2000, &written, err, sizeof err), 0);
	for (int i = 0; i < 3000; i++)
		ids[i] = i < NCARDS ? g_card[i] : 900000 + i;
	ids[2999] = g_card[0]; /* a duplicate id is answered too */
	stmt_reset();
	CU_ASSERT_EQUAL(ih_bulk_fresh_cards(g_c, g_mkt2, ids, 3000, 7200, "2024-06-01T12:00:00Z", fresh, err, sizeof err), 0);
	CU_ASSERT_EQUAL(stmt_calls("SELECT u.ord FROM unnest%"), 1);
	CU_ASSERT_EQUAL(fresh[0], 1);
	CU_ASSERT_EQUAL(fresh[1], 0);
	CU_ASSERT_EQUAL(fresh[2999], 1);
	for (int i = 0; i < 3000; i++)
		nfresh += fresh[i];
	CU_ASSERT_EQUAL(nfresh, 2);
	/* with a window of four hours card 1 is fresh too */
	CU_ASSERT_EQUAL(ih_bulk_fresh_cards(g_c, g_mkt2, ids, 2, 14400, "2024-06-01T12:00:00Z", fresh, err, sizeof err), 0);
	CU_ASSERT(fresh[0] == 1 && fresh[1] == 1);
	CU_ASSERT_EQUAL(ih_bulk_fresh_cards(g_c, g_mkt2, ids, 0, 7200, NULL, fresh, err, sizeof err), 0);
}

static void test_money_nulls_text(void)
{
	static const char *prices[] = { "0.10", "99999.99", "9999999999.99", "0", "0.05", "12345.6", "1000.00" };
	const size_t np = sizeof prices / sizeof prices[0];
	ih_snap_row rows[7];
	char err[512], sql[256];
	long written;
	const char *when[3] = { "2024-07-01T00:00:00Z", "2024-07-01T00:00:01Z", "2024-07-01T00:00:02Z" };

	if (ih_test_conninfo_or_skip("money") == NULL)
		return;
	for (int path = 0; path < 3; path++) {
		memset(rows, 0, sizeof rows);
		for (size_t i = 0; i < np; i++) {
			rows[i].card_id = g_card[i];
			rows[i].marketplace_id = g_mkt;
			rows[i].condition = "LP";
			rows[i].finish = "etched";
			rows[i].language = "ja";
			rows[i].currency = "JPY";
			rows[i].price = prices[i];
			rows[i].price_high = i == 1 ? "99999.99" : NULL;
			rows[i].num_listings = -1;
			rows[i].source = "Zürich – 東京 \"q\" \\ tab\there\nnewline";
		}
		ih_bulk_set_copy_binary(path == 1);
		/* path 0: upsert, 1: binary COPY, 2: text COPY */
		CU_ASSERT_EQUAL(ih_bulk_write_snapshots(g_c, when[path], rows, np, 500, path == 0 ? 1000 : 1, &written,
							err, sizeof err), 0);
		CU_ASSERT_EQUAL(written, (long)np);
		for (size_t i = 0; i < np; i++) {
			PGresult *r;
			static const char *want[] = { "0.10", "99999.99", "9999999999.99", "0.00", "0.05", "12345.60", "1000.00" };

			snprintf(sql, sizeof sql,
				 "SELECT price, price_low IS NULL AND price_mid IS NULL, price_high, num_listings IS NULL, "
				 "source, is_foil FROM price_snapshots WHERE time = '%s' AND card_id = %d",
				 when[path], (int)g_card[i]);
			r = PQexec(g_q, sql);
			CU_ASSERT_EQUAL_FATAL(PQntuples(r), 1);
			CU_ASSERT_STRING_EQUAL(PQgetvalue(r, 0, 0), want[i]);
			CU_ASSERT_STRING_EQUAL(PQgetvalue(r, 0, 1), "t");
			CU_ASSERT_EQUAL(PQgetisnull(r, 0, 2), i != 1);
			if (i == 1)
				CU_ASSERT_STRING_EQUAL(PQgetvalue(r, 0, 2), "99999.99");
			CU_ASSERT_STRING_EQUAL(PQgetvalue(r, 0, 3), "t");
			CU_ASSERT_STRING_EQUAL(PQgetvalue(r, 0, 4), rows[0].source);
			CU_ASSERT_STRING_EQUAL(PQgetvalue(r, 0, 5), "t");
			PQclear(r);
		}
	}
	ih_bulk_set_copy_binary(1);
	rows[2].price = "1,50";
	CU_ASSERT_EQUAL(ih_bulk_write_snapshots(g_c, when[0], rows, np, 500, 1000, &written, err, sizeof err),
			IH_BULK_ERR_INPUT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "row 2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "1,50"));
	CU_ASSERT_EQUAL(written, 0);
}

/* The COPY paths store exactly what the upsert path stores. */
static void test_copy_equals_upsert(void)
{
	const size_t n = NCARDS + 1;
	ih_snap_row *rows;
	char err[512], sql[1024];
	const char *when[3] = { "2024-08-01T00:00:00Z", "2024-08-02T00:00:00Z", "2024-08-03T00:00:00Z" };
	long written;

	if (ih_test_conninfo_or_skip("copy equals upsert") == NULL)
		return;
	rows = make_rows(n, "4.20");
	for (size_t i = 0; i < n; i++) {
		rows[i].condition = (const char *[]){ "NM", "LP", "MP", "HP", "DMG" }[i % 5];
		rows[i].price = (const char *[]){ "0.01", "17.5", "99999.99", "0.10", "1234567.89" }[i % 5];
		rows[i].price_mid = i % 4 ? "2.22" : NULL;
		rows[i].price_high = i % 5 ? "-3.30" : NULL;
		rows[i].source = i % 6 ? "src\t\"é\"\\" : NULL;
	}
	/* duplicates of earlier keys with other prices: the last must win */
	rows[NCARDS] = rows[10];
	rows[NCARDS].price = "9.99";
	for (int path = 0; path < 3; path++) {
		ih_bulk_set_copy_binary(path == 1);
		CU_ASSERT_EQUAL(ih_bulk_write_snapshots(g_c, when[path], rows, n, 500, path == 0 ? 100000 : 100, &written,
							err, sizeof err), 0);
		CU_ASSERT_EQUAL(written, (long)n - 1);
	}
	ih_bulk_set_copy_binary(1);
	for (int path = 1; path < 3; path++) {
		snprintf(sql, sizeof sql,
			 "SELECT count(*) FROM ((SELECT card_id, marketplace_id, condition, finish, language, currency, "
			 "price, price_low, price_mid, price_high, num_listings, source, is_foil FROM price_snapshots "
			 "WHERE time = '%s' EXCEPT SELECT card_id, marketplace_id, condition, finish, language, currency, "
			 "price, price_low, price_mid, price_high, num_listings, source, is_foil FROM price_snapshots "
			 "WHERE time = '%s') UNION ALL (SELECT card_id, marketplace_id, condition, finish, language, "
			 "currency, price, price_low, price_mid, price_high, num_listings, source, is_foil FROM "
			 "price_snapshots WHERE time = '%s' EXCEPT SELECT card_id, marketplace_id, condition, finish, "
			 "language, currency, price, price_low, price_mid, price_high, num_listings, source, is_foil FROM "
			 "price_snapshots WHERE time = '%s')) d",
			 when[0], when[path], when[path], when[0]);
		CU_ASSERT_EQUAL(q(sql), 0);
	}
	snprintf(sql, sizeof sql, "SELECT price FROM price_snapshots WHERE time = '%s' AND card_id = %d AND "
		 "condition = 'NM' AND finish = 'nonfoil'", when[2], (int)g_card[10]);
	CU_ASSERT_EQUAL(q(sql), 9);
	free(rows);
}

/* A failing batch leaves the committed ones in place. */
static void test_partial_failure(void)
{
	const size_t n = 1001;
	ih_snap_row *rows = NULL;
	char err[512] = "", sql[256];
	long written = -1;

	if (ih_test_conninfo_or_skip("partial failure") == NULL)
		return;
	rows = make_rows(n, "5.00");
	rows[700].card_id = 99999999; /* not in cards: the second batch fails */
	CU_ASSERT_EQUAL(ih_bulk_write_snapshots(g_c, "2024-09-01T00:00:00Z", rows, n, 500, 100000, &written, err,
						sizeof err), IH_BULK_ERR_DB);
	CU_ASSERT_EQUAL(written, 500);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "foreign key"));
	snprintf(sql, sizeof sql, "SELECT count(*) FROM price_snapshots WHERE time = '2024-09-01T00:00:00Z'");
	CU_ASSERT_EQUAL(q(sql), 500);
	CU_ASSERT_EQUAL(PQtransactionStatus(g_c), PQTRANS_IDLE);
	/* the same through COPY: nothing of the failed chunk stays */
	CU_ASSERT_EQUAL(ih_bulk_write_snapshots(g_c, "2024-09-02T00:00:00Z", rows, n, 500, 1, &written, err,
						sizeof err), IH_BULK_ERR_DB);
	CU_ASSERT_EQUAL(written, 0);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots WHERE time = '2024-09-02T00:00:00Z'"), 0);
	CU_ASSERT_EQUAL(PQtransactionStatus(g_c), PQTRANS_IDLE);
	free(rows);
}

/* Statements end on a card boundary: with 3 rows a card, the first of 500
 * rows is extended to 501, and a failing card after it loses only itself
 * and what follows. */
static void test_card_boundary(void)
{
	const size_t n = 1500;
	ih_snap_row *rows = NULL;
	char err[512] = "";
	long written = -1;

	if (ih_test_conninfo_or_skip("card boundary") == NULL)
		return;
	rows = make_rows(n, "5.00");
	for (size_t i = 0; i < n; i++) {
		rows[i].card_id = g_card[i / 3];
		rows[i].condition = (const char *[]){ "NM", "LP", "MP" }[i % 3];
	}
	for (size_t i = 501; i < 504; i++)
		rows[i].card_id = 99999999; /* card 167: not in cards */
	CU_ASSERT_EQUAL(ih_bulk_write_snapshots(g_c, "2024-09-03T00:00:00Z", rows, n, 500, 100000, &written, err,
						sizeof err), IH_BULK_ERR_DB);
	CU_ASSERT_EQUAL(written, 501);
	CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots WHERE time = '2024-09-03T00:00:00Z'"), 501);
	free(rows);
}

/* IH_BULK_ONE_TX: rows by card id and by scryfall id in one transaction,
 * through statements or COPY; a failure anywhere leaves nothing. */
static void test_one_transaction(void)
{
	const size_t n = 1200;
	ih_snap_row *rows;
	const char **sids = calloc(n, sizeof *sids);
	int32_t *ids = calloc(n, sizeof *ids);
	const char *when[2] = { "2024-10-01T00:00:00Z", "2024-10-02T00:00:00Z" };
	char err[512] = "", sql[1024];
	long written = -1;

	if (ih_test_conninfo_or_skip("one transaction") == NULL) {
		free(sids);
		free(ids);
		return;
	}
	rows = make_rows(n, "6.00");
	/* the second half by scryfall id; language "" = the card's own */
	for (size_t i = n / 2; i < n; i++) {
		sids[i] = g_uuid[i % NCARDS];
		rows[i].card_id = 0;
		rows[i].language = i % 7 == 0 ? "" : "en";
	}
	sids[n - 1] = "00000000-0000-4000-8000-ffffffffffff"; /* not in cards */
	for (int path = 0; path < 2; path++) {
		/* path 0: statements of 500 in one transaction; 1: COPY */
		stmt_reset();
		CU_ASSERT_EQUAL(ih_bulk_write_snapshots_ex(g_c, when[path], rows, sids, n, 500, path == 0 ? 100000 : 500,
							   IH_BULK_ONE_TX, ids, &written, err, sizeof err), 0);
		CU_ASSERT_EQUAL(written, (long)n - 1);
		CU_ASSERT_EQUAL(ids[0], g_card[0]);
		CU_ASSERT_EQUAL(ids[n - 2], g_card[(n - 2) % NCARDS]);
		CU_ASSERT_EQUAL(ids[n - 1], 0);
		CU_ASSERT_EQUAL(stmt_calls("BEGIN"), 1);
		CU_ASSERT_EQUAL(stmt_calls("COMMIT"), 1);
		CU_ASSERT_EQUAL(stmt_calls("INSERT INTO price_snapshots%"), path == 0 ? 2 : 1);
		CU_ASSERT_EQUAL(stmt_calls("WITH u AS (SELECT * FROM unnest(%"), path == 0 ? 2 : 0);
		CU_ASSERT_EQUAL(stmt_calls("WITH u AS (SELECT * FROM ih_stage_snap_sid)%"), path == 0 ? 0 : 1);
		CU_ASSERT_EQUAL(PQtransactionStatus(g_c), PQTRANS_IDLE);
	}
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM (SELECT card_id, condition, finish, language, currency, price, price_low, "
		 "num_listings, source FROM price_snapshots WHERE time = '%s' EXCEPT SELECT card_id, condition, finish, "
		 "language, currency, price, price_low, num_listings, source FROM price_snapshots WHERE time = '%s') d",
		 when[0], when[1]);
	CU_ASSERT_EQUAL(q(sql), 0);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM price_snapshots WHERE time = '%s' AND card_id = %d AND "
		 "language = 'ja'", when[1], (int)g_card[(n / 2 + 2) % NCARDS]);
	CU_ASSERT_EQUAL(q(sql), 1); /* row and card 602: 602 = 7 * 86, a ja card, language "" */
	/* a marketplace that does not exist: the rows by scryfall id fail, the
	 * rows by card id written before them in the transaction go too */
	for (size_t i = n / 2; i < n; i++)
		rows[i].marketplace_id = 32000;
	for (int path = 0; path < 2; path++) {
		CU_ASSERT_EQUAL(ih_bulk_write_snapshots_ex(g_c, "2024-10-03T00:00:00Z", rows, sids, n, 500,
							   path == 0 ? 100000 : 500, IH_BULK_ONE_TX, ids, &written,
							   err, sizeof err), IH_BULK_ERR_DB);
		CU_ASSERT_EQUAL(written, 0);
		CU_ASSERT_EQUAL(ids[0], 0);
		CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots WHERE time = '2024-10-03T00:00:00Z'"), 0);
		CU_ASSERT_EQUAL(PQtransactionStatus(g_c), PQTRANS_IDLE);
	}
	free(rows);
	free(sids);
	free(ids);
}

static void test_priority(void)
{
	ih_card_list l;
	char err[512];
	ih_snap_row row;
	long written;

	if (ih_test_conninfo_or_skip("priority") == NULL)
		return;
	pgt_exec(g_q, "DELETE FROM price_snapshots");
	memset(&row, 0, sizeof row);
	row.condition = "NM";
	row.finish = "nonfoil";
	row.language = "en";
	row.currency = "USD";
	row.price = "1";
	row.num_listings = -1;
	/* card 0: 10:00 on one marketplace but 12:00 on the other: newest 12:00;
	 * card 1: 09:00; card 2: 11:00 */
	row.card_id = g_card[0], row.marketplace_id = g_mkt;
	ih_bulk_write_snapshots(g_c, "2024-01-01T10:00:00Z", &row, 1, 500, 2000, &written, err, sizeof err);
	row.marketplace_id = g_mkt2;
	ih_bulk_write_snapshots(g_c, "2024-01-01T12:00:00Z", &row, 1, 500, 2000, &written, err, sizeof err);
	row.card_id = g_card[1];
	ih_bulk_write_snapshots(g_c, "2024-01-01T09:00:00Z", &row, 1, 500, 2000, &written, err, sizeof err);
	row.card_id = g_card[2];
	ih_bulk_write_snapshots(g_c, "2024-01-01T11:00:00Z", &row, 1, 500, 2000, &written, err, sizeof err);
	stmt_reset();
	CU_ASSERT_EQUAL_FATAL(ih_bulk_priority_cards(g_c, NCARDS, &l, err, sizeof err), 0);
	CU_ASSERT_EQUAL(stmt_calls("SELECT id, scryfall_id%"), 1);
	CU_ASSERT_EQUAL_FATAL(l.n, NCARDS);
	CU_ASSERT_EQUAL(l.v[0].id, g_card[3]); /* never priced, by id */
	CU_ASSERT_EQUAL(l.v[NCARDS - 4].id, g_card[NCARDS - 1]);
	CU_ASSERT_EQUAL(l.v[NCARDS - 3].id, g_card[1]);
	CU_ASSERT_EQUAL(l.v[NCARDS - 2].id, g_card[2]);
	CU_ASSERT_EQUAL(l.v[NCARDS - 1].id, g_card[0]);
	CU_ASSERT_STRING_EQUAL(l.v[NCARDS - 1].scryfall_id, g_uuid[0]);
	CU_ASSERT_EQUAL(l.v[NCARDS - 1].tcgplayer_id, 100);
	CU_ASSERT_PTR_NULL(l.v[NCARDS - 1].oracle_id);
	ih_card_list_free(&l);
	CU_ASSERT_EQUAL(ih_bulk_priority_cards(g_c, 2, &l, err, sizeof err), 0);
	CU_ASSERT_EQUAL(l.n, 2);
	ih_card_list_free(&l);
}

static void test_numeric_encoding(void)
{
	CU_ASSERT(ih_valid_decimal("0"));
	CU_ASSERT(ih_valid_decimal("-1.5"));
	CU_ASSERT(ih_valid_decimal("9999999999.99"));
	CU_ASSERT(!ih_valid_decimal("99999999999"));
	CU_ASSERT(!ih_valid_decimal(".5"));
	CU_ASSERT(!ih_valid_decimal("1e5"));
	CU_ASSERT(!ih_valid_decimal(""));
	CU_ASSERT(!ih_valid_decimal(NULL));
	CU_ASSERT(ih_valid_uuid("0a0b0c0d-1111-4000-8000-ABCDEFabcdef"));
	CU_ASSERT(!ih_valid_uuid("0a0b0c0d-1111-4000-8000-ABCDEFabcdeg"));
}

/*
 * ih_valid_decimal says yes exactly when PostgreSQL can store the text in
 * price_snapshots.price (numeric(12,2): rounded to 2 decimals, half away
 * from zero, then at most 10 integer digits).  Issue 14: 9999999999.995
 * passed the check and rounded to 10^10, so one such price made the COPY
 * of its whole chunk fail ("numeric field overflow").
 */
static void test_decimal_fits_column(void)
{
	static const char *const texts[] = {
		"9999999999.99", "9999999999.994", "9999999999.9949999999", "9999999999.995", "9999999999.99500",
		"9999999999.999", "9999999999.99999999999999999999", "-9999999999.995", "-9999999999.994",
		"0999999999.995", "999999999.995", "9999999998.995", "9999999999.985", "9999999999.9",
		"0.005", "0.004", "0", "1", "12.3",
	};
	char err[512];
	long written;

	/* the rounding rule on its own, no server needed */
	CU_ASSERT(ih_valid_decimal("9999999999.994"));
	CU_ASSERT(!ih_valid_decimal("9999999999.995"));
	CU_ASSERT(!ih_valid_decimal("-9999999999.995"));
	CU_ASSERT(!ih_valid_decimal("9999999999.99999999999999999999"));
	CU_ASSERT(ih_valid_decimal("999999999.995"));
	CU_ASSERT(ih_valid_decimal("9999999999.985"));
	if (ih_test_conninfo_or_skip("decimal fits the column") == NULL)
		return;
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		const char *params[1] = { texts[i] };
		PGresult *r = PQexecParams(g_q, "SELECT $1::numeric(12,2)", 1, NULL, params, NULL, NULL, 0);
		int fits = PQresultStatus(r) == PGRES_TUPLES_OK;

		if (fits != ih_valid_decimal(texts[i]))
			printf("\n  '%s': PostgreSQL %s it, ih_valid_decimal says %d\n", texts[i], fits ? "stores" : "refuses",
			       ih_valid_decimal(texts[i]));
		CU_ASSERT_EQUAL(fits, ih_valid_decimal(texts[i]));
		PQclear(r);
	}
	/* the write path refuses the row by name before anything is sent */
	{
		ih_snap_row row;

		memset(&row, 0, sizeof row);
		row.card_id = g_card[0];
		row.marketplace_id = g_mkt;
		row.condition = "NM";
		row.finish = "nonfoil";
		row.language = "en";
		row.currency = "USD";
		row.price = "9999999999.995";
		row.num_listings = -1;
		for (int binary = 0; binary < 2; binary++) {
			ih_bulk_set_copy_binary(binary);
			CU_ASSERT_EQUAL(ih_bulk_write_snapshots(g_c, "2024-07-02T00:00:00Z", &row, 1, 500, 1, &written, err,
								sizeof err), IH_BULK_ERR_INPUT);
			CU_ASSERT_PTR_NOT_NULL(strstr(err, "9999999999.995"));
		}
		CU_ASSERT_EQUAL(q("SELECT count(*) FROM price_snapshots WHERE time = '2024-07-02T00:00:00Z'"), 0);
	}
}

int main(void)
{
	CU_TestInfo migrate[] = {
		{ "migrate twice", test_migrate_twice },
		{ "newer database refused", test_migrate_newer_refused },
		CU_TEST_INFO_NULL,
	};
	CU_TestInfo bulk[] = {
		{ "validation helpers", test_numeric_encoding },
		{ "cards and marketplaces", test_cards_and_marketplaces },
		{ "resolve scryfall ids", test_resolve },
		{ "upsert 0,1,499,500,501,1001 rows with statement counts", test_upsert_sizes },
		{ "freshness lookup is one statement", test_fresh_one_statement },
		{ "exact money, NULLs, non-ASCII on every path", test_money_nulls_text },
		{ "COPY stores what the upsert stores", test_copy_equals_upsert },
		{ "a failing batch keeps committed ones", test_partial_failure },
		{ "statements end on a card boundary", test_card_boundary },
		{ "one transaction: by id and by scryfall id, statements and COPY", test_one_transaction },
		{ "priority list", test_priority },
		{ "a valid decimal fits numeric(12,2) after rounding", test_decimal_fits_column },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "migrate", init_db, NULL, NULL, NULL, migrate },
		{ "bulk", NULL, fini_db, NULL, NULL, bulk },
		CU_SUITE_INFO_NULL,
	};

	return ih_test_main(suites);
}
