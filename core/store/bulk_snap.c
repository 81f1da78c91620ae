#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/bulk_int.h"
#include "store/pgexec.h"

/* Measured by bench/writes (see README): the faster statement shape and
 * COPY format, and rows per COPY transaction. */
static ih_bulk_shape g_shape = IH_SHAPE_UNNEST;
static int g_copy_binary = 1;
static long g_copy_chunk = 100000;

void ih_bulk_set_shape(ih_bulk_shape s)
{
	g_shape = s;
}

void ih_bulk_set_copy_binary(int binary)
{
	g_copy_binary = binary;
}

void ih_bulk_set_copy_chunk(long rows)
{
	g_copy_chunk = rows > 0 ? rows : 100000;
}

#define SNAP_COLS "card_id, marketplace_id, condition, finish, language, currency, price, price_low, " \
		  "price_mid, price_high, num_listings, source"
#define ON_CONFLICT                                                                                        \
	" ON CONFLICT (time, card_id, marketplace_id, condition, finish, language, currency) DO UPDATE SET " \
	"price = EXCLUDED.price, price_low = EXCLUDED.price_low, price_mid = EXCLUDED.price_mid, "         \
	"price_high = EXCLUDED.price_high, num_listings = EXCLUDED.num_listings, source = EXCLUDED.source"

static const char *const SQL_UNNEST =
	"INSERT INTO price_snapshots (time, " SNAP_COLS ") "
	"SELECT $1::timestamptz, * FROM unnest($2::int[], $3::smallint[], $4::text[], $5::text[], $6::text[], "
	"$7::text[], $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[], $12::int[], $13::text[])" ON_CONFLICT;

/* ---- array literals for the unnest shape -------------------------------- */

static void arr_text(ih_buf *b, const char *s)
{
	if (s == NULL) {
		ih_buf_puts(b, "NULL");
		return;
	}
	ih_buf_putc(b, '"');
	for (const char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			ih_buf_putc(b, '\\');
		ih_buf_putc(b, *p);
	}
	ih_buf_putc(b, '"');
}

static void arr_int(ih_buf *b, long v, int null)
{
	char tmp[24];

	if (null) {
		ih_buf_puts(b, "NULL");
		return;
	}
	snprintf(tmp, sizeof tmp, "%ld", v);
	ih_buf_puts(b, tmp);
}

/* Column `col` (0..11) of row r as an array element. */
static void arr_elem(ih_buf *b, const ih_snap_row *r, int col)
{
	switch (col) {
	case 0: arr_int(b, r->card_id, 0); break;
	case 1: arr_int(b, r->marketplace_id, 0); break;
	case 2: arr_text(b, r->condition); break;
	case 3: arr_text(b, r->finish); break;
	case 4: arr_text(b, r->language); break;
	case 5: arr_text(b, r->currency); break;
	case 6: arr_text(b, r->price); break;
	case 7: arr_text(b, r->price_low); break;
	case 8: arr_text(b, r->price_mid); break;
	case 9: arr_text(b, r->price_high); break;
	case 10: arr_int(b, r->num_listings, r->num_listings < 0); break;
	default: arr_text(b, r->source); break;
	}
}

static const char *row_value(const ih_snap_row *r, int col, char *tmp, size_t tmplen)
{
	switch (col) {
	case 0: snprintf(tmp, tmplen, "%d", (int)r->card_id); return tmp;
	case 1: snprintf(tmp, tmplen, "%d", (int)r->marketplace_id); return tmp;
	case 2: return r->condition;
	case 3: return r->finish;
	case 4: return r->language;
	case 5: return r->currency;
	case 6: return r->price;
	case 7: return r->price_low;
	case 8: return r->price_mid;
	case 9: return r->price_high;
	case 10:
		if (r->num_listings < 0)
			return NULL;
		snprintf(tmp, tmplen, "%d", (int)r->num_listings);
		return tmp;
	default: return r->source;
	}
}

/*
 * The 12 column arrays of rows[idx[k]] (rows[k] when idx is NULL), k < m,
 * as unnest parameters 2..13 after the time in params[0].  With sids, the
 * first column is those scryfall ids instead of card ids.  0, or -1 when
 * out of memory (free the arrays either way).
 */
static int snap_arrays(ih_buf arr[12], const char *params[13], const char *time_iso, const ih_snap_row *rows,
		       const size_t *idx, size_t m, const char *const *sids)
{
	int rc = 0;

	memset(arr, 0, 12 * sizeof *arr);
	for (int col = 0; col < 12; col++) {
		ih_buf_putc(&arr[col], '{');
		for (size_t k = 0; k < m; k++) {
			if (k > 0)
				ih_buf_putc(&arr[col], ',');
			if (col == 0 && sids != NULL)
				arr_text(&arr[col], sids[k]);
			else
				arr_elem(&arr[col], &rows[idx != NULL ? idx[k] : k], col);
		}
		ih_buf_put(&arr[col], "}", 2); /* with the NUL */
		if (arr[col].oom)
			rc = -1;
		params[col + 1] = arr[col].p;
	}
	params[0] = time_iso;
	return rc;
}

static void snap_arrays_free(ih_buf arr[12])
{
	for (int col = 0; col < 12; col++)
		ih_buf_free(&arr[col]);
}

/*
 * Snapshots named by scryfall id: resolved through cards, deduplicated (the
 * last of one key wins) and upserted in one statement.
 */
static const char *const SQL_BY_SCRYFALL =
	"WITH u AS (SELECT * FROM unnest($2::text[], $3::smallint[], $4::text[], $5::text[], $6::text[], $7::text[], "
	"  $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[], $12::int[], $13::text[]) WITH ORDINALITY "
	"  AS u(sid, mkt, cond, fin, lang, cur, price, lo, mid, hi, nl, src, ord)), "
	"m AS (SELECT u.ord, c.id AS card_id, u.mkt, u.cond, u.fin, coalesce(nullif(u.lang, ''), c.lang, 'en') AS lang, "
	"  u.cur, u.price, u.lo, u.mid, u.hi, u.nl, u.src FROM u JOIN cards c ON c.scryfall_id = "
	"  (CASE WHEN u.sid ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN u.sid::uuid END)), "
	"ins AS (INSERT INTO price_snapshots (time, " SNAP_COLS ") "
	"  SELECT DISTINCT ON (card_id, cond, fin, lang, cur) $1::timestamptz, card_id, mkt, cond, fin, lang, cur, "
	"  price, lo, mid, hi, nl, src FROM m ORDER BY card_id, cond, fin, lang, cur, ord DESC" ON_CONFLICT
	"  RETURNING 1) "
	"SELECT m.ord, m.card_id, (SELECT count(*) FROM ins) FROM m";

int ih_bulk_write_snapshots_by_scryfall(PGconn *c, const char *time_iso, const ih_snap_row *rows,
					const char *const *sids, size_t n, int32_t *card_ids, long *written, char *err,
					size_t errlen)
{
	ih_buf arr[12];
	const char *params[13];
	PGresult *r;
	int rc = 0;

	*written = 0;
	memset(card_ids, 0, n * sizeof *card_ids);
	if (n == 0)
		return 0;
	rc = snap_arrays(arr, params, time_iso, rows, NULL, n, sids);
	if (rc != 0) {
		snprintf(err, errlen, "snapshot batch: out of memory");
		rc = IH_BULK_ERR_DB;
	} else {
		if (ih_pg_exec(c, SQL_BY_SCRYFALL, 13, params, PGRES_TUPLES_OK, &r, "writing a snapshot batch by scryfall id",
			       err, errlen) != 0) {
			rc = IH_BULK_ERR_DB;
		} else {
			for (int i = 0; i < PQntuples(r); i++) {
				long ord = atol(PQgetvalue(r, i, 0));

				if (ord >= 1 && (size_t)ord <= n)
					card_ids[ord - 1] = (int32_t)atol(PQgetvalue(r, i, 1));
				*written = atol(PQgetvalue(r, i, 2));
			}
			PQclear(r);
		}
	}
	snap_arrays_free(arr);
	return rc;
}

/* One batch as one statement in autocommit: rows[idx[0..m)]. */
static int write_batch_unnest(PGconn *c, const char *time_iso, const ih_snap_row *rows, const size_t *idx, size_t m,
			      long *affected, char *err, size_t errlen)
{
	ih_buf arr[12];
	const char *params[13];
	PGresult *r;
	int rc = 0;

	rc = snap_arrays(arr, params, time_iso, rows, idx, m, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "snapshot batch: out of memory");
		rc = IH_BULK_ERR_DB;
	} else {
		if (ih_pg_exec(c, SQL_UNNEST, 13, params, PGRES_COMMAND_OK, &r, "writing a snapshot batch", err, errlen) !=
		    0) {
			rc = IH_BULK_ERR_DB;
		} else {
			*affected = atol(PQcmdTuples(r));
			PQclear(r);
		}
	}
	snap_arrays_free(arr);
	return rc;
}

static int write_batch_values(PGconn *c, const char *time_iso, const ih_snap_row *rows, const size_t *idx, size_t m,
			      long *affected, char *err, size_t errlen)
{
	ih_buf sql = { 0 };
	const char **params = malloc((1 + 12 * m) * sizeof *params);
	char (*nums)[3][16] = malloc((m ? m : 1) * sizeof *nums);
	PGresult *r;
	int rc = 0, np = 1;
	char tmp[32];

	if (params == NULL || nums == NULL) {
		free(params);
		free(nums);
		snprintf(err, errlen, "snapshot batch: out of memory");
		return IH_BULK_ERR_DB;
	}
	params[0] = time_iso;
	ih_buf_puts(&sql, "INSERT INTO price_snapshots (time, " SNAP_COLS ") VALUES ");
	for (size_t k = 0; k < m; k++) {
		const ih_snap_row *row = &rows[idx[k]];

		ih_buf_puts(&sql, k ? ",($1" : "($1");
		for (int col = 0; col < 12; col++) {
			const char *v = row_value(row, col, nums[k][col == 0 ? 0 : col == 1 ? 1 : 2], 16);

			params[np] = v;
			snprintf(tmp, sizeof tmp, ",$%d", ++np);
			ih_buf_puts(&sql, tmp);
		}
		ih_buf_putc(&sql, ')');
	}
	ih_buf_puts(&sql, ON_CONFLICT);
	ih_buf_putc(&sql, '\0');
	if (sql.oom) {
		snprintf(err, errlen, "snapshot batch: out of memory");
		rc = IH_BULK_ERR_DB;
	} else {
		if (ih_pg_exec(c, sql.p, np, params, PGRES_COMMAND_OK, &r, "writing a snapshot batch", err, errlen) != 0) {
			rc = IH_BULK_ERR_DB;
		} else {
			*affected = atol(PQcmdTuples(r));
			PQclear(r);
		}
	}
	ih_buf_free(&sql);
	free(params);
	free(nums);
	return rc;
}

/* One COPY chunk: staging, one upsert, one commit. */
static int write_chunk_copy(PGconn *c, const char *time_iso, const ih_snap_row *rows, const size_t *idx, size_t m,
			    long *affected, char *err, size_t errlen)
{
	const char *params[1] = { time_iso };
	PGresult *r;
	int rc;

	rc = ih_bulk_cmd(c,
			 "BEGIN; SET LOCAL client_min_messages = warning; "
			 "CREATE TEMP TABLE IF NOT EXISTS ih_stage_snap (card_id int, marketplace_id smallint, "
			 "condition text, finish text, language text, currency text, price numeric, price_low numeric, "
			 "price_mid numeric, price_high numeric, num_listings int, source text) ON COMMIT DELETE ROWS",
			 "creating the staging table", err, errlen);
	if (rc != 0)
		goto fail;
	rc = ih_copy_snapshots(c,
			       g_copy_binary ? "COPY ih_stage_snap FROM STDIN (FORMAT binary)"
					     : "COPY ih_stage_snap FROM STDIN",
			       g_copy_binary, NULL, NULL, rows, idx, m, NULL, err, errlen);
	if (rc != 0)
		goto fail;
	if (ih_pg_exec(c, "INSERT INTO price_snapshots (time, " SNAP_COLS ") SELECT $1::timestamptz, * FROM ih_stage_snap" ON_CONFLICT,
		       1, params, PGRES_COMMAND_OK, &r, "upserting snapshots from staging", err, errlen) != 0) {
		rc = IH_BULK_ERR_DB;
		goto fail;
	}
	*affected = atol(PQcmdTuples(r));
	PQclear(r);
	rc = ih_bulk_cmd(c, "COMMIT", "committing snapshots", err, errlen);
	if (rc == 0)
		return 0;
fail:
	ih_pg_rollback(c);
	return rc;
}

int ih_bulk_write_snapshots(PGconn *c, const char *time_iso, const ih_snap_row *rows, size_t n, int batch_size,
			    long copy_threshold, long *written, char *err, size_t errlen)
{
	size_t *idx = NULL, step;
	long m;
	int rc = 0, use_copy;

	*written = 0;
	if (n == 0)
		return 0;
	if (time_iso == NULL || *time_iso == '\0') {
		snprintf(err, errlen, "snapshot write: no time given");
		return IH_BULK_ERR_INPUT;
	}
	rc = ih_snap_validate(rows, n, err, errlen);
	if (rc != 0)
		return rc;
	m = ih_snap_dedupe(rows, n, &idx);
	if (m < 0) {
		snprintf(err, errlen, "snapshot write: out of memory");
		return IH_BULK_ERR_DB;
	}
	use_copy = (long)n >= copy_threshold;
	step = use_copy ? (size_t)g_copy_chunk : (size_t)(batch_size > 0 ? batch_size : 500);
	for (size_t off = 0; off < (size_t)m && rc == 0; off += step) {
		size_t k = (size_t)m - off < step ? (size_t)m - off : step;
		long affected = 0;

		if (use_copy)
			rc = write_chunk_copy(c, time_iso, rows, idx + off, k, &affected, err, errlen);
		else if (g_shape == IH_SHAPE_VALUES)
			rc = write_batch_values(c, time_iso, rows, idx + off, k, &affected, err, errlen);
		else
			rc = write_batch_unnest(c, time_iso, rows, idx + off, k, &affected, err, errlen);
		if (rc == 0)
			*written += affected;
	}
	free(idx);
	return rc;
}

int ih_bulk_marketplace_fresh(PGconn *c, int16_t marketplace_id, long freshness_seconds, const char *now_iso,
			      int *fresh, char *err, size_t errlen)
{
	char mkt[8], secs[24];
	const char *params[3] = { mkt, now_iso, secs };
	PGresult *r;
	int rc = 0;

	*fresh = 0;
	snprintf(mkt, sizeof mkt, "%d", (int)marketplace_id);
	snprintf(secs, sizeof secs, "%ld", freshness_seconds);
	/* a range scan of the primary key's leading time column: only recent rows are read */
	if (ih_pg_exec(c,
		       "SELECT 1 FROM price_snapshots WHERE marketplace_id = $1::smallint "
		       "AND time > coalesce($2::timestamptz, now()) - make_interval(secs => $3::bigint) LIMIT 1",
		       3, params, PGRES_TUPLES_OK, &r, "marketplace freshness", err, errlen) != 0) {
		rc = IH_BULK_ERR_DB;
	} else {
		*fresh = PQntuples(r) > 0;
		PQclear(r);
	}
	return rc;
}

int ih_bulk_fresh_cards(PGconn *c, int16_t marketplace_id, const int32_t *card_ids, size_t n, long freshness_seconds,
			const char *now_iso, uint8_t *fresh, char *err, size_t errlen)
{
	ih_buf ids = { 0 };
	char mkt[8], secs[24];
	const char *params[4];
	PGresult *r;
	int rc = 0;

	memset(fresh, 0, n);
	if (n == 0)
		return 0;
	ih_buf_putc(&ids, '{');
	for (size_t i = 0; i < n; i++) {
		char tmp[16];

		snprintf(tmp, sizeof tmp, i ? ",%d" : "%d", (int)card_ids[i]);
		ih_buf_puts(&ids, tmp);
	}
	ih_buf_put(&ids, "}", 2);
	if (ids.oom) {
		snprintf(err, errlen, "freshness lookup: out of memory");
		ih_buf_free(&ids);
		return IH_BULK_ERR_DB;
	}
	snprintf(mkt, sizeof mkt, "%d", (int)marketplace_id);
	snprintf(secs, sizeof secs, "%ld", freshness_seconds);
	params[0] = ids.p;
	params[1] = mkt;
	params[2] = now_iso;
	params[3] = secs;
	/* Per card, the newest row through the (card_id, marketplace_id, time
	 * DESC) index: the cost does not grow with the history. */
	if (ih_pg_exec(c,
		       "SELECT u.ord FROM unnest($1::int[]) WITH ORDINALITY AS u(card_id, ord) "
		       "CROSS JOIN LATERAL (SELECT s.time FROM price_snapshots s "
		       "WHERE s.card_id = u.card_id AND s.marketplace_id = $2::smallint "
		       "ORDER BY s.time DESC LIMIT 1) AS last "
		       "WHERE last.time > coalesce($3::timestamptz, now()) - make_interval(secs => $4::bigint)",
		       4, params, PGRES_TUPLES_OK, &r, "freshness lookup", err, errlen) != 0) {
		rc = IH_BULK_ERR_DB;
	} else {
		for (int i = 0; i < PQntuples(r); i++) {
			long ord = atol(PQgetvalue(r, i, 0));

			if (ord >= 1 && (size_t)ord <= n)
				fresh[ord - 1] = 1;
		}
		PQclear(r);
	}
	ih_buf_free(&ids);
	return rc;
}
