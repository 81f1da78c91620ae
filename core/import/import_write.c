#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/import_int.h"
#include "store/pgexec.h"

/*
 * One chunk, one transaction.  The chunk's cards go through COPY into a
 * staging table, one row per card (with its seven prices in upsert mode).
 * Then:
 *
 * - COPY mode (the default): one statement upserts the cards and answers
 *   each one's id, keyed by its place in the chunk; the snapshots go
 *   straight into price_snapshots through a binary COPY.  A fresh import
 *   time has no rows yet, so nothing can conflict -- unless the time is
 *   reused (a rerun within the same second, or an explicit time) or the
 *   file holds a card twice.  The first COPY that meets an existing key
 *   (SQLSTATE 23505) rolls its chunk back and the import goes on in
 *   upsert mode, from that chunk on.
 * - upsert mode: one statement upserts the cards and, from their RETURNING
 *   ids, the snapshots (ON CONFLICT DO UPDATE), so a rerun converges.
 *
 * Within a chunk the last copy of a card wins (DISTINCT ON ... seq DESC);
 * across chunks, the later chunk's write wins because chunks are written
 * in order.  The foreign key checks of the snapshots see the cards the
 * same transaction inserted.
 */

#define STAGE_COLS "seq int, scryfall_id uuid, oracle_id uuid, name text, set_code text, collector_number text, " \
		   "lang text, tcgplayer_id int, tcgplayer_etched_id int, cardmarket_id int, mtgo_id int, "         \
		   "usd numeric, usd_foil numeric, usd_etched numeric, eur numeric, eur_foil numeric, "             \
		   "eur_etched numeric, tix numeric"

/* The staging rows, the last copy of each card only; then the cards upsert. */
#define SQL_SRC_UP                                                                                              \
	"WITH src AS (SELECT DISTINCT ON (scryfall_id) * FROM ih_stage_import ORDER BY scryfall_id, seq DESC), " \
	"up AS (INSERT INTO cards (scryfall_id, oracle_id, name, set_code, collector_number, lang, tcgplayer_id, " \
	"  tcgplayer_etched_id, cardmarket_id, mtgo_id, updated_at) "                                           \
	"  SELECT scryfall_id, oracle_id, name, set_code, collector_number, lang, tcgplayer_id, tcgplayer_etched_id, " \
	"  cardmarket_id, mtgo_id, now() FROM src "                                                              \
	"  ON CONFLICT (scryfall_id) DO UPDATE SET oracle_id = coalesce(EXCLUDED.oracle_id, cards.oracle_id), "  \
	"  name = EXCLUDED.name, set_code = EXCLUDED.set_code, collector_number = EXCLUDED.collector_number, "    \
	"  lang = EXCLUDED.lang, tcgplayer_id = coalesce(EXCLUDED.tcgplayer_id, cards.tcgplayer_id), "           \
	"  tcgplayer_etched_id = coalesce(EXCLUDED.tcgplayer_etched_id, cards.tcgplayer_etched_id), "            \
	"  cardmarket_id = coalesce(EXCLUDED.cardmarket_id, cards.cardmarket_id), "                              \
	"  mtgo_id = coalesce(EXCLUDED.mtgo_id, cards.mtgo_id), updated_at = now() "                             \
	"  RETURNING id, scryfall_id)"

/* upsert mode: cards and snapshots in one statement; answers the two counts */
static const char *const SQL_UPSERT =
	SQL_SRC_UP ", "
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

/* COPY mode: the cards upsert; answers (place in the chunk, card id) */
static const char *const SQL_CARDS = SQL_SRC_UP " SELECT src.seq, up.id FROM up JOIN src USING (scryfall_id)";


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

/* prices: 0 leaves the seven price columns out (NULL): COPY mode sends the
 * snapshots on their own. */
static int copy_chunk(PGconn *c, const imp_chunk *k, int prices, ih_buf *b, char *err, size_t errlen)
{
	size_t pi = 0;
	int rc = 0;

	if (ih_pg_exec(c,
		       prices ? "COPY ih_stage_import FROM STDIN"
			      : "COPY ih_stage_import (seq, scryfall_id, oracle_id, name, set_code, "
				"collector_number, lang, tcgplayer_id, tcgplayer_etched_id, cardmarket_id, "
				"mtgo_id) FROM STDIN",
		       -1, NULL, PGRES_COPY_IN, NULL, "COPY into staging", err, errlen) != 0)
		return IH_BULK_ERR_DB;
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
		for (size_t kk = 0; prices && kk < imp_nprice_keys; kk++)
			field(b, price[kk]);
		if (!b->oom)
			b->p[b->len - 1] = '\n'; /* the last tab ends the row */
		if (b->oom) {
			snprintf(err, errlen, "COPY into staging: out of memory");
			rc = IH_BULK_ERR_DB;
		} else if (b->len >= 256 * 1024 || i + 1 == k->n) {
			if (ih_pg_copy_put(c, b->p, b->len, "COPY into staging", err, errlen) != 0)
				rc = IH_BULK_ERR_DB;
			b->len = 0;
		}
	}
	if (rc == 0)
		rc = ih_pg_copy_end(c, NULL, NULL, "COPY into staging", err, errlen) == 0 ? 0 : IH_BULK_ERR_DB;
	else
		(void)ih_pg_copy_end(c, "client error", NULL, "COPY into staging", NULL, 0);
	return rc;
}

/* BEGIN, the staging table (session-wide, emptied at each commit), the COPY. */
static int stage_chunk(PGconn *c, const imp_chunk *k, int prices, ih_buf *b, char *err, size_t errlen)
{
	int rc = ih_bulk_cmd(c,
			     "BEGIN; SET LOCAL client_min_messages = warning; "
			     "CREATE TEMP TABLE IF NOT EXISTS ih_stage_import (" STAGE_COLS ") ON COMMIT DELETE ROWS",
			     "creating the import staging table", err, errlen);

	return rc == 0 ? copy_chunk(c, k, prices, b, err, errlen) : rc;
}

static int end_chunk(PGconn *c, int rc, char *err, size_t errlen)
{
	if (rc == 0)
		rc = ih_bulk_cmd(c, "COMMIT", "committing a chunk", err, errlen);
	if (rc != 0)
		ih_pg_rollback(c);
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
	rc = stage_chunk(c, k, 1, b, err, errlen);
	if (rc == 0) {
		if (ih_pg_exec(c, SQL_UPSERT, 2, params, PGRES_TUPLES_OK, &r, "upserting cards and snapshots", err,
			       errlen) != 0) {
			rc = IH_BULK_ERR_DB;
		} else {
			if (PQntuples(r) != 1) {
				snprintf(err, errlen, "upserting cards and snapshots: no counts returned");
				rc = IH_BULK_ERR_DB;
			} else {
				*cards = atol(PQgetvalue(r, 0, 0));
				*snaps = atol(PQgetvalue(r, 0, 1));
			}
			PQclear(r);
		}
	}
	rc = end_chunk(c, rc, err, errlen);
	if (rc != 0)
		*cards = *snaps = 0;
	return rc;
}

int imp_chunk_snaps(const imp_chunk *k, int marketplace_id, imp_snaps *sn)
{
	sn->n = 0;
	if (k->np > sn->cap) {
		ih_snap_row *a = realloc(sn->rows, k->np * sizeof *a);

		if (a == NULL)
			return -1;
		sn->rows = a;
		sn->cap = k->np;
	}
	for (size_t i = 0; i < k->np; i++) {
		const imp_price *p = &k->prices[i];
		ih_snap_row *r = &sn->rows[sn->n];

		if (k->ids[p->card] <= 0)
			continue; /* an earlier copy of a card the chunk holds twice */
		memset(r, 0, sizeof *r);
		r->card_id = k->ids[p->card];
		r->marketplace_id = (int16_t)marketplace_id;
		r->condition = "NM";
		r->finish = imp_price_keys[p->key].finish;
		r->currency = imp_price_keys[p->key].currency;
		r->language = k->rows[p->card].lang;
		r->price = p->value;
		r->num_listings = -1;
		r->source = "scryfall-bulk";
		sn->n++;
	}
	return 0;
}

int imp_write_chunk_copy(PGconn *c, int marketplace_id, int64_t time_us, imp_chunk *k, ih_buf *b, imp_snaps *sn,
			 long *cards, long *snaps, int *conflict, char *err, size_t errlen)
{
	char state[6] = "", copy_sql[512];
	PGresult *r;
	int rc;

	*cards = *snaps = 0;
	*conflict = 0;
	if (k->n == 0)
		return 0;
	rc = stage_chunk(c, k, 0, b, err, errlen);
	if (rc != 0)
		return end_chunk(c, rc, err, errlen);
	if (ih_pg_exec(c, SQL_CARDS, -1, NULL, PGRES_TUPLES_OK, &r, "upserting cards", err, errlen) != 0)
		return end_chunk(c, IH_BULK_ERR_DB, err, errlen);
	memset(k->ids, 0, k->n * sizeof *k->ids);
	for (int i = 0; i < PQntuples(r); i++) {
		long seq = atol(PQgetvalue(r, i, 0));

		if (seq >= 0 && (size_t)seq < k->n)
			k->ids[seq] = (int32_t)atol(PQgetvalue(r, i, 1));
	}
	*cards = PQntuples(r);
	PQclear(r);
	if (imp_chunk_snaps(k, marketplace_id, sn) != 0) {
		snprintf(err, errlen, "out of memory");
		return end_chunk(c, IH_BULK_ERR_DB, err, errlen);
	}
	/* the columns as the store's one table names them */
	snprintf(copy_sql, sizeof copy_sql, "COPY price_snapshots (time, %s) FROM STDIN (FORMAT binary)",
		 ih_snap_sql_columns());
	rc = ih_copy_snapshots(c, copy_sql, 1, NULL, &time_us, sn->rows, NULL, sn->n, state, err, errlen);
	if (rc != 0 && strcmp(state, "23505") == 0)
		*conflict = 1; /* rolled back below; the caller writes it again in upsert mode */
	rc = end_chunk(c, rc, err, errlen);
	if (rc != 0)
		*cards = 0;
	else
		*snaps = (long)sn->n;
	return rc;
}
