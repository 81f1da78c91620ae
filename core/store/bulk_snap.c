#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
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

/* ---- statement texts, written once from ih_snap_cols ------------------- */

static char g_cols[256];         /* card_id, marketplace_id, ..., source */
static char g_sql_unnest[1024];  /* by card id, one statement */
static char g_sql_by_sid[2048];  /* by scryfall id, one statement (from unnest) */
static char g_sql_stage[512];    /* the staging table by card id */
static char g_sql_stage_up[1024];
static char g_sql_stage_sid[512];
static char g_sql_stage_sid_up[2048];
static char g_sql_values[768];   /* INSERT ... VALUES: the head; rows and ON CONFLICT follow */
static char g_on_conflict[512];
static pthread_once_t g_sql_once = PTHREAD_ONCE_INIT;

static void cat(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cat(char *dst, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(dst);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst + len, cap - len, fmt, ap);
	va_end(ap);
}
#define CAT(dst, ...) cat(dst, sizeof dst, __VA_ARGS__)

/* The staging DDL: (first column, the snapshot columns after card_id,
 * trailing column); a session temp table emptied at every commit. */
static void stage_ddl(char *dst, size_t cap, const char *table, const char *first, const char *last)
{
	cat(dst, cap, "SET LOCAL client_min_messages = warning; CREATE TEMP TABLE IF NOT EXISTS %s (%s", table, first);
	for (int i = 1; i < IH_SNAP_NCOLS; i++)
		cat(dst, cap, ", %s %s", ih_snap_cols[i].name, ih_snap_cols[i].type);
	cat(dst, cap, "%s) ON COMMIT DELETE ROWS", last);
}

/*
 * Rows named by scryfall id, from `source` (an unnest or the staging table
 * with columns sid, the snapshot columns after card_id, ord): resolved
 * through cards (language "" = the card's own), deduplicated (the last of
 * one key wins), upserted; answers (ord, card_id, rows written) per
 * resolved row.
 */
static void by_sid_sql(char *dst, size_t cap, const char *source)
{
	cat(dst, cap, "WITH u AS (SELECT * FROM %s), m AS (SELECT u.ord, c.id AS card_id", source);
	for (int i = 1; i < IH_SNAP_NCOLS; i++) {
		const char *n = ih_snap_cols[i].name;

		if (strcmp(n, "language") == 0)
			cat(dst, cap, ", coalesce(nullif(u.language, ''), c.lang, 'en') AS language");
		else
			cat(dst, cap, ", u.%s", n);
	}
	cat(dst, cap, " FROM u JOIN cards c ON c.scryfall_id = (CASE WHEN u.sid ~* "
		      "'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN u.sid::uuid END)), "
		      "ins AS (INSERT INTO price_snapshots (time, %s) SELECT DISTINCT ON (", g_cols);
	for (int i = 0, k = 0; i < IH_SNAP_NCOLS; i++)
		if (ih_snap_cols[i].key)
			cat(dst, cap, "%s%s", k++ ? ", " : "", ih_snap_cols[i].name);
	cat(dst, cap, ") $1::timestamptz, %s FROM m ORDER BY ", g_cols);
	for (int i = 0; i < IH_SNAP_NCOLS; i++)
		if (ih_snap_cols[i].key)
			cat(dst, cap, "%s, ", ih_snap_cols[i].name);
	cat(dst, cap, "ord DESC%s RETURNING 1) SELECT m.ord, m.card_id, (SELECT count(*) FROM ins) FROM m",
	    g_on_conflict);
}

static void make_sql(void)
{
	char unnest[512] = "", alias[256] = "";

	for (int i = 0; i < IH_SNAP_NCOLS; i++)
		CAT(g_cols, "%s%s", i ? ", " : "", ih_snap_cols[i].name);
	CAT(g_on_conflict, " ON CONFLICT (time");
	for (int i = 0; i < IH_SNAP_NCOLS; i++)
		if (ih_snap_cols[i].key)
			CAT(g_on_conflict, ", %s", ih_snap_cols[i].name);
	CAT(g_on_conflict, ") DO UPDATE SET ");
	for (int i = 0, k = 0; i < IH_SNAP_NCOLS; i++)
		if (!ih_snap_cols[i].key)
			CAT(g_on_conflict, "%s%s = EXCLUDED.%s", k++ ? ", " : "", ih_snap_cols[i].name,
			    ih_snap_cols[i].name);
	/* unnest($2::int[], ...): $1 is the time */
	for (int i = 0; i < IH_SNAP_NCOLS; i++)
		CAT(unnest, "%s$%d::%s[]", i ? ", " : "", i + 2, ih_snap_cols[i].type);
	CAT(g_sql_unnest, "INSERT INTO price_snapshots (time, %s) SELECT $1::timestamptz, * FROM unnest(%s)%s",
	    g_cols, unnest, g_on_conflict);
	CAT(g_sql_values, "INSERT INTO price_snapshots (time, %s) VALUES ", g_cols);
	/* by scryfall id: the first array holds the ids as text */
	unnest[0] = '\0';
	CAT(unnest, "unnest($2::text[]");
	CAT(alias, "sid");
	for (int i = 1; i < IH_SNAP_NCOLS; i++) {
		CAT(unnest, ", $%d::%s[]", i + 2, ih_snap_cols[i].type);
		CAT(alias, ", %s", ih_snap_cols[i].name);
	}
	CAT(unnest, ") WITH ORDINALITY AS u(%s, ord)", alias);
	by_sid_sql(g_sql_by_sid, sizeof g_sql_by_sid, unnest);
	stage_ddl(g_sql_stage, sizeof g_sql_stage, "ih_stage_snap", "card_id int", "");
	CAT(g_sql_stage_up, "INSERT INTO price_snapshots (time, %s) SELECT $1::timestamptz, * FROM ih_stage_snap%s",
	    g_cols, g_on_conflict);
	stage_ddl(g_sql_stage_sid, sizeof g_sql_stage_sid, "ih_stage_snap_sid", "sid text", ", ord int");
	by_sid_sql(g_sql_stage_sid_up, sizeof g_sql_stage_sid_up, "ih_stage_snap_sid");
}

const char *ih_snap_sql_columns(void)
{
	pthread_once(&g_sql_once, make_sql);
	return g_cols;
}

const char *ih_snap_sql_on_conflict(void)
{
	pthread_once(&g_sql_once, make_sql);
	return g_on_conflict;
}

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

/*
 * The 12 column arrays of rows[idx[k]] (rows[k] when idx is NULL), k < m,
 * as unnest parameters 2..13 after the time in params[0].  With sids, the
 * first column is those scryfall ids instead of card ids.  0, or -1 when
 * out of memory (free the arrays either way).
 */
static int snap_arrays(ih_buf arr[IH_SNAP_NCOLS], const char *params[1 + IH_SNAP_NCOLS], const char *time_iso,
		       const ih_snap_row *rows, const size_t *idx, size_t m, const char *const *sids)
{
	char tmp[24];
	int rc = 0;

	memset(arr, 0, IH_SNAP_NCOLS * sizeof *arr);
	for (int col = 0; col < IH_SNAP_NCOLS; col++) {
		int quoted = ih_snap_cols[col].kind == IH_SNAP_TEXT || ih_snap_cols[col].kind == IH_SNAP_NUMERIC;

		ih_buf_putc(&arr[col], '{');
		for (size_t k = 0; k < m; k++) {
			const char *v;

			if (k > 0)
				ih_buf_putc(&arr[col], ',');
			if (col == 0 && sids != NULL) {
				arr_text(&arr[col], sids[k]);
				continue;
			}
			v = ih_snap_text(&rows[idx != NULL ? idx[k] : k], col, tmp);
			if (quoted || v == NULL)
				arr_text(&arr[col], v);
			else
				ih_buf_puts(&arr[col], v);
		}
		ih_buf_put(&arr[col], "}", 2); /* with the NUL */
		if (arr[col].oom)
			rc = -1;
		params[col + 1] = arr[col].p;
	}
	params[0] = time_iso;
	return rc;
}

static void snap_arrays_free(ih_buf arr[IH_SNAP_NCOLS])
{
	for (int col = 0; col < IH_SNAP_NCOLS; col++)
		ih_buf_free(&arr[col]);
}

/* ---- one write: a statement or a COPY chunk ------------------------------ */

/* What a call writes: its rows, named by card id (sids NULL, idx the
 * deduplicated order) or by scryfall id (sids, idx NULL). */
typedef struct wset {
	const char *time_iso;
	const ih_snap_row *rows;
	const size_t *idx;
	const char *const *sids;
	int32_t *card_ids; /* by scryfall id: rows[k]'s card, 0 = not in cards */
	int own_tx;        /* a COPY chunk commits itself */
} wset;

/* The by-scryfall answer: (ord, card_id, written) per resolved row, ord
 * counting from 1 at rows[off]. */
static void read_by_sid(const PGresult *r, const wset *w, size_t off, size_t m, long *affected)
{
	for (int i = 0; i < PQntuples(r); i++) {
		long ord = atol(PQgetvalue(r, i, 0));

		if (ord >= 1 && (size_t)ord <= m)
			w->card_ids[off + (size_t)ord - 1] = (int32_t)atol(PQgetvalue(r, i, 1));
		*affected = atol(PQgetvalue(r, i, 2));
	}
}

/* Run sql and add what it wrote: rows affected, or the by-scryfall answer. */
static int run_write(PGconn *c, const char *sql, int np, const char *const *params, const wset *w, size_t off,
		     size_t m, long *affected, const char *what, char *err, size_t errlen)
{
	PGresult *r;

	if (ih_pg_exec(c, sql, np, params, w->sids != NULL ? PGRES_TUPLES_OK : PGRES_COMMAND_OK, &r, what, err,
		       errlen) != 0)
		return IH_BULK_ERR_DB;
	if (w->sids != NULL)
		read_by_sid(r, w, off, m, affected);
	else
		*affected = atol(PQcmdTuples(r));
	PQclear(r);
	return 0;
}

/* One statement (the unnest shape) of the m rows from position off. */
static int write_unnest(PGconn *c, const wset *w, size_t off, size_t m, long *affected, char *err, size_t errlen)
{
	ih_buf arr[IH_SNAP_NCOLS];
	const char *params[1 + IH_SNAP_NCOLS];
	int rc;

	if (snap_arrays(arr, params, w->time_iso, w->sids != NULL ? w->rows + off : w->rows,
			w->idx != NULL ? w->idx + off : NULL, m, w->sids != NULL ? w->sids + off : NULL) != 0) {
		snprintf(err, errlen, "snapshot batch: out of memory");
		rc = IH_BULK_ERR_DB;
	} else {
		rc = run_write(c, w->sids != NULL ? g_sql_by_sid : g_sql_unnest, 1 + IH_SNAP_NCOLS, params, w, off, m,
			       affected, w->sids != NULL ? "writing a snapshot batch by scryfall id"
							 : "writing a snapshot batch", err, errlen);
	}
	snap_arrays_free(arr);
	return rc;
}

/* One statement in the VALUES shape (rows by card id only). */
static int write_values(PGconn *c, const wset *w, size_t off, size_t m, long *affected, char *err, size_t errlen)
{
	ih_buf sql = { 0 };
	const char **params = malloc((1 + IH_SNAP_NCOLS * m) * sizeof *params);
	char (*nums)[IH_SNAP_NCOLS][24] = malloc((m ? m : 1) * sizeof *nums);
	int rc = 0, np = 1;
	char tmp[16];

	if (params == NULL || nums == NULL) {
		free(params);
		free(nums);
		snprintf(err, errlen, "snapshot batch: out of memory");
		return IH_BULK_ERR_DB;
	}
	params[0] = w->time_iso;
	ih_buf_puts(&sql, g_sql_values);
	for (size_t k = 0; k < m; k++) {
		ih_buf_puts(&sql, k ? ",($1" : "($1");
		for (int col = 0; col < IH_SNAP_NCOLS; col++) {
			params[np] = ih_snap_text(&w->rows[w->idx[off + k]], col, nums[k][col]);
			snprintf(tmp, sizeof tmp, ",$%d", ++np);
			ih_buf_puts(&sql, tmp);
		}
		ih_buf_putc(&sql, ')');
	}
	ih_buf_puts(&sql, g_on_conflict);
	ih_buf_putc(&sql, '\0');
	if (sql.oom) {
		snprintf(err, errlen, "snapshot batch: out of memory");
		rc = IH_BULK_ERR_DB;
	} else {
		rc = run_write(c, sql.p, np, params, w, off, m, affected, "writing a snapshot batch", err, errlen);
	}
	ih_buf_free(&sql);
	free(params);
	free(nums);
	return rc;
}

/* One COPY chunk: the staging table, COPY, one upsert (committed when the
 * chunk owns its transaction). */
static int write_copy(PGconn *c, const wset *w, size_t off, size_t m, long *affected, char *err, size_t errlen)
{
	const char *params[1] = { w->time_iso };
	int rc, by_sid = w->sids != NULL;

	if (w->own_tx && (rc = ih_bulk_cmd(c, "BEGIN", "starting a snapshot chunk", err, errlen)) != 0)
		goto fail;
	rc = ih_bulk_cmd(c, by_sid ? g_sql_stage_sid : g_sql_stage, "creating the staging table", err, errlen);
	if (rc != 0)
		goto fail;
	if (by_sid)
		rc = ih_copy_snapshots_by_sid(c,
					      g_copy_binary ? "COPY ih_stage_snap_sid FROM STDIN (FORMAT binary)"
							    : "COPY ih_stage_snap_sid FROM STDIN",
					      g_copy_binary, w->rows + off, w->sids + off, m, err, errlen);
	else
		rc = ih_copy_snapshots(c,
				       g_copy_binary ? "COPY ih_stage_snap FROM STDIN (FORMAT binary)"
						     : "COPY ih_stage_snap FROM STDIN",
				       g_copy_binary, NULL, NULL, w->rows, w->idx + off, m, NULL, err, errlen);
	if (rc != 0)
		goto fail;
	rc = run_write(c, by_sid ? g_sql_stage_sid_up : g_sql_stage_up, 1, params, w, off, m, affected,
		       "upserting snapshots from staging", err, errlen);
	if (rc == 0 && w->own_tx)
		rc = ih_bulk_cmd(c, "COMMIT", "committing snapshots", err, errlen);
	if (rc == 0)
		return 0;
fail:
	if (w->own_tx)
		ih_pg_rollback(c);
	return rc;
}

/* ---- the write functions -------------------------------------------------- */

/* Rows k and k + 1 (positions in the set) are of one card. */
static int same_card(const wset *w, size_t k)
{
	if (w->sids != NULL)
		return strcmp(w->sids[k], w->sids[k + 1]) == 0;
	return w->rows[w->idx[k]].card_id == w->rows[w->idx[k + 1]].card_id;
}

/*
 * Write the set's m rows: below copy_threshold in statements of batch_size
 * rows, each extended to the end of its last card; at or above it through
 * COPY, in chunks of g_copy_chunk rows (one chunk when one_tx).
 */
static int write_set(PGconn *c, wset *w, size_t m, int batch_size, long copy_threshold, int one_tx,
		     long *written, char *err, size_t errlen)
{
	int use_copy = (long)m >= copy_threshold, rc = 0;
	size_t step = use_copy ? (one_tx ? m : (size_t)g_copy_chunk) : (size_t)(batch_size > 0 ? batch_size : 500);

	w->own_tx = !one_tx;
	for (size_t off = 0, k; off < m && rc == 0; off += k) {
		long affected = 0;

		k = m - off < step ? m - off : step;
		while (!use_copy && off + k < m && same_card(w, off + k - 1))
			k++;
		if (use_copy)
			rc = write_copy(c, w, off, k, &affected, err, errlen);
		else if (g_shape == IH_SHAPE_VALUES && w->sids == NULL)
			rc = write_values(c, w, off, k, &affected, err, errlen);
		else
			rc = write_unnest(c, w, off, k, &affected, err, errlen);
		if (rc == 0)
			*written += affected;
	}
	return rc;
}

/* Split rows into those named by card id and those by scryfall id. */
typedef struct split {
	ih_snap_row *id_rows, *sid_rows;
	const char **sids;
	size_t *id_pos, *sid_pos; /* their positions in the call's rows */
	int32_t *sid_cards;
	size_t nid, nsid;
} split;

static void split_free(split *s)
{
	free(s->id_rows);
	free(s->sid_rows);
	free(s->sids);
	free(s->id_pos);
	free(s->sid_pos);
	free(s->sid_cards);
}

static int split_rows(split *s, const ih_snap_row *rows, const char *const *sids, size_t n)
{
	memset(s, 0, sizeof *s);
	s->id_rows = malloc((n + 1) * sizeof *s->id_rows);
	s->sid_rows = malloc((n + 1) * sizeof *s->sid_rows);
	s->sids = malloc((n + 1) * sizeof *s->sids);
	s->id_pos = malloc((n + 1) * sizeof *s->id_pos);
	s->sid_pos = malloc((n + 1) * sizeof *s->sid_pos);
	s->sid_cards = calloc(n + 1, sizeof *s->sid_cards);
	if (s->id_rows == NULL || s->sid_rows == NULL || s->sids == NULL || s->id_pos == NULL || s->sid_pos == NULL ||
	    s->sid_cards == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (sids != NULL && sids[i] != NULL) {
			s->sids[s->nsid] = sids[i];
			s->sid_pos[s->nsid] = i;
			s->sid_rows[s->nsid++] = rows[i];
		} else {
			s->id_pos[s->nid] = i;
			s->id_rows[s->nid++] = rows[i];
		}
	}
	return 0;
}

int ih_bulk_write_snapshots_ex(PGconn *c, const char *time_iso, const ih_snap_row *rows, const char *const *sids,
			       size_t n, int batch_size, long copy_threshold, unsigned flags, int32_t *card_ids,
			       long *written, char *err, size_t errlen)
{
	int one_tx = (flags & IH_BULK_ONE_TX) != 0, rc;
	size_t *idx = NULL;
	long m = 0;
	split s;

	*written = 0;
	if (card_ids != NULL)
		memset(card_ids, 0, n * sizeof *card_ids);
	if (n == 0)
		return 0;
	if (time_iso == NULL || *time_iso == '\0') {
		snprintf(err, errlen, "snapshot write: no time given");
		return IH_BULK_ERR_INPUT;
	}
	pthread_once(&g_sql_once, make_sql);
	if (split_rows(&s, rows, sids, n) != 0 || (m = ih_snap_dedupe(s.id_rows, s.nid, &idx)) < 0) {
		split_free(&s);
		snprintf(err, errlen, "snapshot write: out of memory");
		return IH_BULK_ERR_DB;
	}
	/* every row is checked before anything is sent */
	rc = ih_snap_validate(s.id_rows, s.nid, err, errlen);
	if (rc == 0)
		rc = ih_snap_validate_by_sid(s.sid_rows, s.nsid, err, errlen);
	if (rc == 0 && one_tx)
		rc = ih_bulk_cmd(c, "BEGIN", "starting a snapshot write", err, errlen);
	if (rc == 0 && m > 0) {
		wset w = { time_iso, s.id_rows, idx, NULL, NULL, 0 };

		rc = write_set(c, &w, (size_t)m, batch_size, copy_threshold, one_tx, written, err, errlen);
	}
	if (rc == 0 && s.nsid > 0) {
		wset w = { time_iso, s.sid_rows, NULL, s.sids, s.sid_cards, 0 };

		rc = write_set(c, &w, s.nsid, batch_size, copy_threshold, one_tx, written, err, errlen);
	}
	if (rc == 0 && one_tx)
		rc = ih_bulk_cmd(c, "COMMIT", "committing snapshots", err, errlen);
	if (rc != 0 && one_tx && rc != IH_BULK_ERR_INPUT) {
		ih_pg_rollback(c);
		*written = 0;
	}
	if (card_ids != NULL && (rc == 0 || !one_tx)) {
		for (size_t i = 0; i < s.nid; i++)
			card_ids[s.id_pos[i]] = s.id_rows[i].card_id;
		for (size_t i = 0; i < s.nsid; i++)
			card_ids[s.sid_pos[i]] = s.sid_cards[i];
	}
	free(idx);
	split_free(&s);
	return rc;
}

int ih_bulk_write_snapshots(PGconn *c, const char *time_iso, const ih_snap_row *rows, size_t n, int batch_size,
			    long copy_threshold, long *written, char *err, size_t errlen)
{
	return ih_bulk_write_snapshots_ex(c, time_iso, rows, NULL, n, batch_size, copy_threshold, 0, NULL, written,
					  err, errlen);
}

int ih_bulk_write_snapshots_by_scryfall(PGconn *c, const char *time_iso, const ih_snap_row *rows,
					const char *const *sids, size_t n, int32_t *card_ids, long *written, char *err,
					size_t errlen)
{
	/* one statement, autocommitted */
	return ih_bulk_write_snapshots_ex(c, time_iso, rows, sids, n, n < INT32_MAX ? (int)n : INT32_MAX, LONG_MAX,
					  0, card_ids, written, err, errlen);
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
