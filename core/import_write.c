#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_int.h"

/*
 * One chunk in one transaction and two statements: COPY the cards with
 * their seven prices as one staging row each, then one statement upserts
 * the cards and, from their RETURNING ids, the snapshots.  The staging
 * volume is one row per card instead of one per snapshot, and no round
 * trip resolves ids.  (The foreign key checks of the snapshots run at the
 * end of the statement and see the cards inserted by its first part.)
 */

#define STAGE_COLS "seq int, scryfall_id uuid, oracle_id uuid, name text, set_code text, collector_number text, " \
		   "lang text, tcgplayer_id int, tcgplayer_etched_id int, cardmarket_id int, mtgo_id int, "         \
		   "usd numeric, usd_foil numeric, usd_etched numeric, eur numeric, eur_foil numeric, "             \
		   "eur_etched numeric, tix numeric"

static const char *const SQL_UPSERT =
	"WITH src AS (SELECT DISTINCT ON (scryfall_id) * FROM ih_stage_import ORDER BY scryfall_id, seq DESC), "
	"up AS (INSERT INTO cards (scryfall_id, oracle_id, name, set_code, collector_number, lang, tcgplayer_id, "
	"  tcgplayer_etched_id, cardmarket_id, mtgo_id, updated_at) "
	"  SELECT scryfall_id, oracle_id, name, set_code, collector_number, lang, tcgplayer_id, tcgplayer_etched_id, "
	"  cardmarket_id, mtgo_id, now() FROM src "
	"  ON CONFLICT (scryfall_id) DO UPDATE SET oracle_id = coalesce(EXCLUDED.oracle_id, cards.oracle_id), "
	"  name = EXCLUDED.name, set_code = EXCLUDED.set_code, collector_number = EXCLUDED.collector_number, "
	"  lang = EXCLUDED.lang, tcgplayer_id = coalesce(EXCLUDED.tcgplayer_id, cards.tcgplayer_id), "
	"  tcgplayer_etched_id = coalesce(EXCLUDED.tcgplayer_etched_id, cards.tcgplayer_etched_id), "
	"  cardmarket_id = coalesce(EXCLUDED.cardmarket_id, cards.cardmarket_id), "
	"  mtgo_id = coalesce(EXCLUDED.mtgo_id, cards.mtgo_id), updated_at = now() "
	"  RETURNING id, scryfall_id), "
	"ins AS (INSERT INTO price_snapshots (time, card_id, marketplace_id, condition, finish, language, currency, "
	"  price, source) "
	"  SELECT $1::timestamptz, up.id, $2::smallint, 'NM', p.finish, src.lang, p.currency, p.price, 'scryfall-bulk' "
	"  FROM src JOIN up USING (scryfall_id) "
	"  CROSS JOIN LATERAL (VALUES ('nonfoil', 'USD', src.usd), ('foil', 'USD', src.usd_foil), "
	"   ('etched', 'USD', src.usd_etched), ('nonfoil', 'EUR', src.eur), ('foil', 'EUR', src.eur_foil), "
	"   ('etched', 'EUR', src.eur_etched), ('nonfoil', 'TIX', src.tix)) AS p(finish, currency, price) "
	"  WHERE p.price IS NOT NULL "
	"  ON CONFLICT (time, card_id, marketplace_id, condition, finish, language, currency) DO UPDATE SET "
	"  price = EXCLUDED.price, price_low = EXCLUDED.price_low, price_mid = EXCLUDED.price_mid, "
	"  price_high = EXCLUDED.price_high, num_listings = EXCLUDED.num_listings, source = EXCLUDED.source "
	"  RETURNING 1) "
	"SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM ins)";

static void field(ih_buf *b, const char *s)
{
	if (s == NULL) {
		ih_buf_put(b, "\\N\t", 3);
		return;
	}
	for (const char *p = s; *p;) {
		const char *q = p;

		while (*q && *q != '\\' && *q != '\t' && *q != '\n' && *q != '\r')
			q++;
		ih_buf_put(b, p, (size_t)(q - p));
		if (*q == '\0')
			break;
		ih_buf_putc(b, '\\');
		ih_buf_putc(b, *q == '\t' ? 't' : *q == '\n' ? 'n' : *q == '\r' ? 'r' : '\\');
		p = q + 1;
	}
	ih_buf_putc(b, '\t');
}

static void int_field(ih_buf *b, long v, int null)
{
	char tmp[24];
	int n;

	if (null) {
		ih_buf_put(b, "\\N\t", 3);
		return;
	}
	n = snprintf(tmp, sizeof tmp, "%ld\t", v);
	ih_buf_put(b, tmp, (size_t)n);
}

static int exec_ok(PGconn *c, const char *sql, const char *what, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;

	if (!ok)
		ih_pg_error(err, errlen, what, c, r);
	PQclear(r);
	return ok ? 0 : IH_BULK_ERR_DB;
}

static int copy_chunk(PGconn *c, const imp_chunk *k, ih_buf *b, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, "COPY ih_stage_import FROM STDIN");
	size_t pi = 0;
	int rc = 0;

	if (PQresultStatus(r) != PGRES_COPY_IN) {
		ih_pg_error(err, errlen, "COPY into staging", c, r);
		PQclear(r);
		return IH_BULK_ERR_DB;
	}
	PQclear(r);
	b->len = 0;
	for (size_t i = 0; i < k->n && rc == 0; i++) {
		const ih_card_row *row = &k->rows[i];
		const char *price[8] = { NULL };

		for (; pi < k->np && k->prices[pi].card == i; pi++)
			price[k->prices[pi].key] = k->prices[pi].value;
		int_field(b, (long)i, 0);
		field(b, row->scryfall_id);
		field(b, row->oracle_id);
		field(b, row->name);
		field(b, row->set_code);
		field(b, row->collector_number);
		field(b, row->lang);
		int_field(b, row->tcgplayer_id, row->tcgplayer_id == 0);
		int_field(b, row->tcgplayer_etched_id, row->tcgplayer_etched_id == 0);
		int_field(b, row->cardmarket_id, row->cardmarket_id == 0);
		int_field(b, row->mtgo_id, row->mtgo_id == 0);
		for (size_t kk = 0; kk < imp_nprice_keys; kk++)
			field(b, price[kk]);
		if (!b->oom)
			b->p[b->len - 1] = '\n'; /* the last tab ends the row */
		if (b->oom) {
			snprintf(err, errlen, "COPY into staging: out of memory");
			rc = IH_BULK_ERR_DB;
		} else if (b->len >= 256 * 1024 || i + 1 == k->n) {
			if (PQputCopyData(c, b->p, (int)b->len) != 1) {
				ih_pg_error(err, errlen, "COPY into staging", c, NULL);
				rc = IH_BULK_ERR_DB;
			}
			b->len = 0;
		}
	}
	if (PQputCopyEnd(c, rc == 0 ? NULL : "client error") != 1 && rc == 0) {
		ih_pg_error(err, errlen, "COPY into staging: ending", c, NULL);
		rc = IH_BULK_ERR_DB;
	}
	while ((r = PQgetResult(c)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == 0) {
			ih_pg_error(err, errlen, "COPY into staging", c, r);
			rc = IH_BULK_ERR_DB;
		}
		PQclear(r);
	}
	return rc;
}

int imp_write_chunk_one(PGconn *c, int marketplace_id, const char *time_iso, const imp_chunk *k, ih_buf *b,
			long *cards, long *snaps, char *err, size_t errlen)
{
	char mkt[16];
	const char *params[2] = { time_iso, mkt };
	PGresult *r;
	int rc;

	*cards = *snaps = 0;
	if (k->n == 0)
		return 0;
	snprintf(mkt, sizeof mkt, "%d", marketplace_id);
	rc = exec_ok(c,
		     "BEGIN; SET LOCAL client_min_messages = warning; "
		     "CREATE TEMP TABLE IF NOT EXISTS ih_stage_import (" STAGE_COLS ") ON COMMIT DELETE ROWS",
		     "creating the import staging table", err, errlen);
	if (rc == 0)
		rc = copy_chunk(c, k, b, err, errlen);
	if (rc == 0) {
		r = PQexecParams(c, SQL_UPSERT, 2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
			ih_pg_error(err, errlen, "upserting cards and snapshots", c, r);
			rc = IH_BULK_ERR_DB;
		} else {
			*cards = atol(PQgetvalue(r, 0, 0));
			*snaps = atol(PQgetvalue(r, 0, 1));
		}
		PQclear(r);
	}
	if (rc == 0)
		rc = exec_ok(c, "COMMIT", "committing a chunk", err, errlen);
	if (rc != 0) {
		*cards = *snaps = 0;
		if (PQtransactionStatus(c) != PQTRANS_IDLE)
			PQclear(PQexec(c, "ROLLBACK"));
	}
	return rc;
}
