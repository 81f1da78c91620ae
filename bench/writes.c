/*
 * bench/writes -- how fast snapshots reach PostgreSQL, by method, and how
 * the freshness lookup scales with the price history.  `make bench-writes`
 * runs it against throwaway servers with durable settings (bench/writes.sh).
 *
 *   writes [--quick] [--full]     conninfo from $IH_TEST_CONNINFO
 *
 * Per-row methods run on the first 20,000 rows of each size (their rate
 * does not depend on the size; --full runs them on every row).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/bulk.h"
#include "store/bulk_int.h"
#include "store/migrate.h"
#include "store/pool.h"

#define ROWS_PER_CARD 4
#define PER_ROW_SAMPLE 20000

static PGconn *g_c;
static int16_t g_mkt;
static int g_full;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench: %s: %s\n", what, PQerrorMessage(g_c));
	exit(1);
}

static void exec(const char *sql)
{
	PGresult *r = PQexec(g_c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		die(sql);
	PQclear(r);
}

static long qlong(const char *sql)
{
	PGresult *r = PQexec(g_c, sql);
	long v;

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		die(sql);
	v = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

/* ---- rows ------------------------------------------------------------------ */

static ih_snap_row *g_rows;
static char (*g_price)[2][16];
static size_t g_nrows;

static void make_rows(size_t n, int32_t first_card, int variant)
{
	for (size_t i = 0; i < n; i++) {
		ih_snap_row *r = &g_rows[i];

		r->card_id = first_card + (int32_t)(i / ROWS_PER_CARD);
		r->marketplace_id = g_mkt;
		r->condition = (i / 2) % 2 ? "LP" : "NM";
		r->finish = i % 2 ? "foil" : "nonfoil";
		r->language = "en";
		r->currency = "USD";
		snprintf(g_price[i][0], 16, "%zu.%02d", (i * 7 + (size_t)variant) % 5000, (int)((i + (size_t)variant) % 100));
		snprintf(g_price[i][1], 16, "%zu.%02d", (i * 3) % 4000, (int)(i % 100));
		r->price = g_price[i][0];
		r->price_low = g_price[i][1];
		r->price_mid = i % 3 ? g_price[i][0] : NULL;
		r->price_high = NULL;
		r->num_listings = (int32_t)(i % 40);
		r->source = "bench";
	}
	g_nrows = n;
}

/* ---- the five methods ---------------------------------------------------- */

static long per_row(const char *t, size_t n, int one_tx)
{
	char tmp[IH_SNAP_NCOLS][24], sql[1024];

	/* the old way's statement, from the columns the host writes */
	snprintf(sql, sizeof sql, "INSERT INTO price_snapshots (time, %s) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
		 "$10, $11, $12, $13)%s", ih_snap_sql_columns(), ih_snap_sql_on_conflict());
	if (one_tx)
		exec("BEGIN");
	for (size_t i = 0; i < n; i++) {
		const char *p[1 + IH_SNAP_NCOLS];
		PGresult *res;

		p[0] = t;
		for (int col = 0; col < IH_SNAP_NCOLS; col++)
			p[1 + col] = ih_snap_text(&g_rows[i], col, tmp[col]);
		res = PQexecParams(g_c, sql, 13, NULL, p, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			die("per-row insert");
		PQclear(res);
	}
	if (one_tx)
		exec("COMMIT");
	return (long)n;
}

static long bulk(const char *t, size_t n, long threshold)
{
	char err[512];
	long written;

	if (ih_bulk_write_snapshots(g_c, t, g_rows, n, 500, threshold, &written, err, sizeof err) != 0) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	return written;
}

static long plain_copy(const char *t, size_t n, int binary)
{
	char err[512], sql[512];
	int64_t us;

	snprintf(sql, sizeof sql, "COPY price_snapshots (time, %s) FROM STDIN%s", ih_snap_sql_columns(),
		 binary ? " (FORMAT binary)" : "");
	if (ih_pg_time_us(g_c, t, &us, err, sizeof err) != 0) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	if (ih_copy_snapshots(g_c, sql, binary, t, &us, g_rows, NULL, n, NULL, err, sizeof err) != 0) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	return (long)n;
}

enum { M_AUTOCOMMIT, M_ONE_TX, M_BATCH, M_BATCH_VALUES, M_STAGE_BIN, M_STAGE_TEXT, M_COPY_BIN, M_COPY_TEXT, M_N };
static const char *mname[M_N] = {
	"per-row INSERT, autocommit (the old way)", "per-row INSERT, one transaction",
	"batch upsert (500 rows, unnest arrays)", "batch upsert (500 rows, VALUES list)",
	"COPY binary -> staging -> upsert", "COPY text -> staging -> upsert",
	"plain COPY binary, no conflicts (ceiling)", "plain COPY text, no conflicts"
};

/* Empty the table and settle the server, untimed. */
static void reset_table(void)
{
	exec("TRUNCATE price_snapshots");
	exec("CHECKPOINT");
}

static double run(int m, size_t n, int conflict, long *rows_out)
{
	const char *t = "2025-01-01T00:00:00Z";
	size_t k = n;
	double t0, dt;
	long w = 0;

	if ((m == M_AUTOCOMMIT || m == M_ONE_TX) && !g_full && k > PER_ROW_SAMPLE)
		k = PER_ROW_SAMPLE;
	reset_table();
	make_rows(n, 1, 0);
	if (conflict) { /* the same keys already stored, with other prices */
		bulk(t, n, 0);
		exec("VACUUM ANALYZE price_snapshots");
		exec("CHECKPOINT");
		make_rows(n, 1, 1);
	}
	ih_bulk_set_shape(m == M_BATCH_VALUES ? IH_SHAPE_VALUES : IH_SHAPE_UNNEST);
	ih_bulk_set_copy_binary(m != M_STAGE_TEXT);
	t0 = now_s();
	switch (m) {
	case M_AUTOCOMMIT: w = per_row(t, k, 0); break;
	case M_ONE_TX: w = per_row(t, k, 1); break;
	case M_BATCH:
	case M_BATCH_VALUES: w = bulk(t, k, 100000000L); break;
	case M_STAGE_BIN:
	case M_STAGE_TEXT: w = bulk(t, k, 0); break;
	case M_COPY_BIN: w = plain_copy(t, k, 1); break;
	default: w = plain_copy(t, k, 0); break;
	}
	dt = now_s() - t0;
	ih_bulk_set_shape(IH_SHAPE_UNNEST);
	ih_bulk_set_copy_binary(1);
	*rows_out = w;
	return dt;
}

static void write_table(size_t n, int conflict)
{
	double rate[M_N], secs[M_N];
	long rows[M_N];

	for (int m = 0; m < M_N; m++) {
		rate[m] = 0;
		if (conflict && (m == M_COPY_BIN || m == M_COPY_TEXT))
			continue;
		secs[m] = run(m, n, conflict, &rows[m]);
		rate[m] = rows[m] / secs[m];
		fprintf(stderr, "  %zu %s: %s: %ld rows in %.3f s\n", n, conflict ? "conflicting" : "fresh", mname[m],
			rows[m], secs[m]);
	}
	printf("\n### %zu rows, %s\n\n", n, conflict ? "every row conflicts (update)" : "fresh rows (insert)");
	printf("| method | rows timed | seconds | rows/s | x per-row autocommit | x plain COPY binary |\n");
	printf("|---|---:|---:|---:|---:|---:|\n");
	for (int m = 0; m < M_N; m++) {
		if (rate[m] == 0)
			continue;
		printf("| %s | %ld | %.3f | %.0f | %.1fx |", mname[m], rows[m], secs[m], rate[m],
		       rate[m] / rate[M_AUTOCOMMIT]);
		if (conflict)
			printf(" n/a |\n");
		else
			printf(" %.2fx |\n", rate[m] / rate[M_COPY_BIN]);
	}
	fflush(stdout);
}

/* ---- copy_threshold: where COPY overtakes the batch upsert ------------------ */

static void threshold_table(void)
{
	static const size_t sizes[] = { 500, 1000, 1500, 2000, 3000, 5000, 10000 };

	printf("\n### copy_threshold: batch upsert vs COPY->staging->upsert, fresh rows (best of 3)\n\n");
	printf("| rows | batch upsert s | COPY path s | faster |\n|---:|---:|---:|---|\n");
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		double best[2] = { 1e9, 1e9 };
		long rows;

		for (int rep = 0; rep < 3; rep++)
			for (int k = 0; k < 2; k++) {
				double dt = run(k == 0 ? M_BATCH : M_STAGE_BIN, sizes[s], 0, &rows);

				if (dt < best[k])
					best[k] = dt;
			}
		printf("| %zu | %.4f | %.4f | %s |\n", sizes[s], best[0], best[1], best[0] <= best[1] ? "batch" : "COPY");
		fflush(stdout);
	}
}

/* ---- freshness lookup over a long history ---------------------------------- */

#define LOOKUP_CARDS 5000

static double lookup_one(const char *sql_kind, int reps)
{
	static int32_t ids[LOOKUP_CARDS];
	static uint8_t fresh[LOOKUP_CARDS];
	char err[512];
	double best = 1e9;

	for (int i = 0; i < LOOKUP_CARDS; i++)
		ids[i] = i + 1;
	for (int rep = 0; rep < reps; rep++) {
		double t0 = now_s();

		if (strcmp(sql_kind, "lateral") == 0) {
			if (ih_bulk_fresh_cards(g_c, g_mkt, ids, LOOKUP_CARDS, 7200, "2025-06-01T00:00:00Z", fresh, err,
						sizeof err) != 0) {
				fprintf(stderr, "bench: %s\n", err);
				exit(1);
			}
		} else if (strcmp(sql_kind, "groupby") == 0) {
			char arr[LOOKUP_CARDS * 8 + 8];
			size_t len = 0;
			const char *p[2] = { arr, NULL };
			char mkt[8];
			PGresult *r;

			snprintf(mkt, sizeof mkt, "%d", (int)g_mkt);
			p[1] = mkt;
			arr[len++] = '{';
			for (int i = 0; i < LOOKUP_CARDS; i++)
				len += (size_t)snprintf(arr + len, sizeof arr - len, i ? ",%d" : "%d", (int)ids[i]);
			snprintf(arr + len, sizeof arr - len, "}");
			r = PQexecParams(g_c,
					 "SELECT card_id FROM price_snapshots WHERE card_id = ANY($1::int[]) "
					 "AND marketplace_id = $2::smallint GROUP BY card_id "
					 "HAVING max(time) > '2025-06-01T00:00:00Z'::timestamptz - interval '7200 seconds'",
					 2, NULL, p, NULL, NULL, 0);
			if (PQresultStatus(r) != PGRES_TUPLES_OK)
				die("group by lookup");
			PQclear(r);
		} else {
			char a[16], mkt[8];
			const char *p[2] = { a, mkt };

			snprintf(mkt, sizeof mkt, "%d", (int)g_mkt);
			for (int i = 0; i < LOOKUP_CARDS; i++) {
				PGresult *r;

				snprintf(a, sizeof a, "%d", (int)ids[i]);
				r = PQexecParams(g_c,
						 "SELECT time FROM price_snapshots WHERE card_id = $1::int "
						 "AND marketplace_id = $2::smallint ORDER BY time DESC LIMIT 1",
						 2, NULL, p, NULL, NULL, 0);
				if (PQresultStatus(r) != PGRES_TUPLES_OK)
					die("single lookup");
				PQclear(r);
			}
		}
		if (now_s() - t0 < best)
			best = now_s() - t0;
	}
	return best;
}

/* History rows: per card, one row per hour going back `per_card` hours. */
static void grow_history(long from_hour, long to_hour)
{
	char sql[1024];

	snprintf(sql, sizeof sql,
		 "INSERT INTO price_snapshots (time, card_id, marketplace_id, condition, finish, language, currency, "
		 "price) SELECT '2025-06-01T00:00:00Z'::timestamptz - h * interval '1 hour', c, %d, 'NM', 'nonfoil', "
		 "'en', 'USD', ((c * 7 + h) %% 10000) / 100.0 FROM generate_series(%ld, %ld) h, "
		 "generate_series(1, %d) c",
		 (int)g_mkt, from_hour, to_hour, LOOKUP_CARDS);
	exec("SET synchronous_commit = off");
	exec(sql);
	exec("RESET synchronous_commit");
	exec("VACUUM ANALYZE price_snapshots");
}

static void freshness_table(int quick)
{
	long sizes[2] = { quick ? 100000 : 1000000, quick ? 400000 : 4000000 };
	double t0;

	printf("\n### freshness lookup, %d cards, one marketplace (best of 5; single queries best of 2)\n\n",
	       LOOKUP_CARDS);
	printf("| history rows | build s | 1 query, LATERAL ... LIMIT 1 | 1 query, GROUP BY max(time) | %d single queries |\n",
	       LOOKUP_CARDS);
	printf("|---:|---:|---:|---:|---:|\n");
	reset_table();
	for (int s = 0; s < 2; s++) {
		long hours = sizes[s] / LOOKUP_CARDS, have = s == 0 ? 0 : sizes[0] / LOOKUP_CARDS;
		double lat, grp, single;

		t0 = now_s();
		grow_history(have + 1, hours);
		t0 = now_s() - t0;
		lookup_one("lateral", 2); /* warm the cache */
		lat = lookup_one("lateral", 5);
		grp = lookup_one("groupby", 5);
		single = lookup_one("single", 2);
		printf("| %ld | %.1f | %.4f s | %.4f s | %.4f s |\n", qlong("SELECT count(*) FROM price_snapshots"), t0, lat,
		       grp, single);
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	const char *base = getenv("IH_TEST_CONNINFO");
	char err[512], ci[1024];
	int quick = 0, applied, version;
	size_t sizes[2] = { 20000, 200000 };
	PGconn *admin;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = 1;
		else if (strcmp(argv[i], "--full") == 0)
			g_full = 1;
		else {
			fprintf(stderr, "usage: writes [--quick] [--full]\n");
			return 1;
		}
	}
	if (base == NULL || *base == '\0') {
		fprintf(stderr, "bench: set IH_TEST_CONNINFO (make bench-writes starts servers for you)\n");
		return 1;
	}
	if (quick) {
		sizes[0] = 2000;
		sizes[1] = 20000;
	}
	admin = ih_pg_connect(base, 10, err, sizeof err);
	if (admin == NULL) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	PQclear(PQexec(admin, "DROP DATABASE IF EXISTS ih_bench WITH (FORCE)"));
	PQclear(PQexec(admin, "CREATE DATABASE ih_bench"));
	PQfinish(admin);
	snprintf(ci, sizeof ci, "%s dbname=ih_bench", base);
	g_c = ih_pg_connect(ci, 10, err, sizeof err);
	if (g_c == NULL || ih_migrate(g_c, ih_migrations, ih_nmigrations, &applied, &version, err, sizeof err) != 0 ||
	    ih_bulk_ensure_marketplace(g_c, "bench", NULL, "USD", &g_mkt, err, sizeof err) != 0) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	{
		char sql[256];

		snprintf(sql, sizeof sql,
			 "INSERT INTO cards (scryfall_id, name) SELECT md5(i::text)::uuid, 'card ' || i "
			 "FROM generate_series(1, %zu) i",
			 sizes[1] / ROWS_PER_CARD + LOOKUP_CARDS);
		exec(sql);
	}
	g_rows = calloc(sizes[1], sizeof *g_rows);
	g_price = calloc(sizes[1], sizeof *g_price);
	printf("## bench/writes: %s\n\nPostgreSQL %s, durable settings (fsync and synchronous_commit on).\n",
	       quick ? "quick run" : "full run", PQparameterStatus(g_c, "server_version"));
	if (!g_full)
		printf("Per-row methods time the first %d rows of each size (their rate does not depend on the size).\n",
		       PER_ROW_SAMPLE);
	for (int s = 0; s < 2; s++)
		for (int conflict = 0; conflict < 2; conflict++)
			write_table(sizes[s], conflict);
	threshold_table();
	freshness_table(quick);
	free(g_rows);
	free(g_price);
	PQfinish(g_c);
	return 0;
}
