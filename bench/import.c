/*
 * bench/import -- the pieces of `make bench-import` (bench/import.sh runs
 * them and prints the figures):
 *
 *   import gen N FILE [SEED]        a gzip JSONL bulk file of N cards of
 *                                   about 8 KB each (bench/import_card_template.json)
 *   import parse FILE               decompress + parse + check, no database
 *   import import DB FILE copy|one|bulk   the importer in-process, one write path or another
 *   import copy SRC DST             the rows SRC holds, plain COPY into DST
 *   import inserts SRC DST ROWS     a sample of ROWS of them through per-row INSERTs
 *
 * SRC/DST are conninfo strings; DST must be freshly migrated.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "store/bulk_int.h"
#include "import/import_scryfall.h"
#include "store/pool.h"

#define CARD_COLS "id, scryfall_id, oracle_id, name, set_code, collector_number, lang, tcgplayer_id, " \
		  "tcgplayer_etched_id, cardmarket_id, cardtrader_blueprint_id, mtgo_id, updated_at"
#define SNAP_COLS "time, card_id, marketplace_id, condition, finish, language, currency, price, price_low, " \
		  "price_mid, price_high, num_listings, source"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long long rng(unsigned long long *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		perror(path);
		exit(1);
	}
	p = malloc((size_t)n + 1);
	if (p == NULL || fread(p, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(1);
	}
	p[n] = '\0';
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		p[--n] = '\0';
	fclose(f);
	return p;
}

static int gen(long n, const char *out, const char *tmpl_path, unsigned long long seed)
{
	char *tmpl = slurp(tmpl_path);
	gzFile f = gzopen(out, "wb6");
	ih_buf b = { 0 };
	unsigned long long s = seed * 2654435761ULL + 88172645463325252ULL;

	if (f == NULL) {
		perror(out);
		return 1;
	}
	gzbuffer(f, 1 << 20);
	for (long i = 0; i < n; i++) {
		char v[16][80];
		static const char *const keys[] = { "ID", "OID", "CN", "TCG", "CM", "MTGO", "USD", "FOIL", "EUR", "EURF", "TIX" };
		unsigned long long r = rng(&s);

		snprintf(v[0], sizeof v[0], "%08lx-%04llx-4%03llx-8%03llx-%012llx", (unsigned long)i, seed & 0xffff,
			 r & 0xfff, (r >> 12) & 0xfff, (r >> 24) & 0xffffffffffffULL);
		snprintf(v[1], sizeof v[1], "%08lx-%04llx-4aaa-9bbb-%012llx", (unsigned long)(i / 3), seed & 0xffff,
			 (unsigned long long)i / 3);
		snprintf(v[2], sizeof v[2], "%ld", i + 1);
		snprintf(v[3], sizeof v[3], "%ld", 100000 + i);
		snprintf(v[4], sizeof v[4], "%ld", 200000 + i);
		snprintf(v[5], sizeof v[5], "%ld", 300000 + i);
		for (int k = 6; k < 11; k++)
			snprintf(v[k], sizeof v[k], "%llu.%02llu", rng(&s) % 200, rng(&s) % 100);
		b.len = 0;
		for (const char *p = tmpl; *p;) {
			const char *e;
			int hit = 0;

			if (*p == '%' && (e = strchr(p + 1, '%')) != NULL) {
				for (int k = 0; k < 11; k++)
					if ((size_t)(e - p - 1) == strlen(keys[k]) && strncmp(p + 1, keys[k], (size_t)(e - p - 1)) == 0) {
						ih_buf_puts(&b, v[k]);
						p = e + 1;
						hit = 1;
						break;
					}
			}
			if (!hit)
				ih_buf_putc(&b, *p++);
		}
		ih_buf_putc(&b, '\n');
		if (gzwrite(f, b.p, (unsigned)b.len) != (int)b.len) {
			fprintf(stderr, "gen: write failed\n");
			return 1;
		}
	}
	gzclose(f);
	printf("generated %ld cards (%zu bytes each) into %s\n", n, b.len, out);
	ih_buf_free(&b);
	free(tmpl);
	return 0;
}

static int parse_only(const char *path)
{
	ih_import_opts o = { .path = path };
	ih_import_stats st;
	char err[512];
	int rc = ih_import_scryfall(NULL, 0, &o, &st, err, sizeof err);

	if (rc != 0) {
		fprintf(stderr, "parse: %s\n", err);
		return 1;
	}
	printf("parse-only: %ld cards, %ld rejected, %.1f MB in, %.1f MB JSON, %.2f s, %.0f cards/s, %.0f MB/s of JSON\n",
	       st.cards_read, st.rejected, (double)st.bytes_in / 1e6, (double)st.bytes_out / 1e6, st.seconds,
	       (double)st.cards_read / st.seconds, (double)st.bytes_out / 1e6 / st.seconds);
	return 0;
}

static PGconn *conn(const char *ci);

/* The importer in-process with a chosen write path, into a migrated DB. */
static int import_mode(const char *ci, const char *path, int mode)
{
	PGconn *c = conn(ci);
	ih_import_opts o = { .path = path, .write_mode = mode };
	ih_import_stats st;
	char err[512];
	int16_t mkt;
	int rc;

	if (ih_bulk_ensure_marketplace(c, "scryfall", "scryfall", "USD", &mkt, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	rc = ih_import_scryfall(c, mkt, &o, &st, err, sizeof err);
	printf("import (%s): ", mode == IH_IMPORT_WRITE_COPY  ? "COPY of the snapshots"
				: mode == IH_IMPORT_WRITE_ONE ? "one statement per chunk"
							      : "three bulk calls per chunk");
	ih_import_print_summary(stdout, &st, rc, err);
	PQfinish(c);
	return rc != 0;
}

static PGconn *conn(const char *ci)
{
	char err[512];
	PGconn *c = ih_pg_connect(ci, 10, err, sizeof err);

	if (c == NULL) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	return c;
}

static void exec_or_die(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
		exit(1);
	}
	PQclear(r);
}

static void copy_out(PGconn *c, const char *sql, ih_buf *b, long *rows)
{
	PGresult *r = PQexec(c, sql);
	char *line;
	int n;

	if (PQresultStatus(r) != PGRES_COPY_OUT) {
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
		exit(1);
	}
	PQclear(r);
	while ((n = PQgetCopyData(c, &line, 0)) > 0) {
		ih_buf_put(b, line, (size_t)n);
		(*rows)++;
		PQfreemem(line);
	}
	while ((r = PQgetResult(c)) != NULL)
		PQclear(r);
}

static void copy_in(PGconn *c, const char *sql, const ih_buf *b)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COPY_IN) {
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
		exit(1);
	}
	PQclear(r);
	for (size_t off = 0; off < b->len; off += 1 << 20) {
		size_t k = b->len - off < (1u << 20) ? b->len - off : (1u << 20);

		if (PQputCopyData(c, b->p + off, (int)k) != 1)
			exit(1);
	}
	PQputCopyEnd(c, NULL);
	while ((r = PQgetResult(c)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
			exit(1);
		}
		PQclear(r);
	}
}

/* Plain COPY of everything SRC holds into DST, in one transaction. */
static int plain_copy(const char *src, const char *dst)
{
	PGconn *s = conn(src), *d = conn(dst);
	ih_buf mk = { 0 }, cards = { 0 }, snaps = { 0 };
	long nm = 0, nc = 0, ns = 0;
	double t;

	copy_out(s, "COPY marketplaces TO STDOUT", &mk, &nm);
	copy_out(s, "COPY cards (" CARD_COLS ") TO STDOUT", &cards, &nc);
	copy_out(s, "COPY price_snapshots (" SNAP_COLS ") TO STDOUT", &snaps, &ns);
	copy_in(d, "COPY marketplaces FROM STDIN", &mk);
	t = now_s();
	exec_or_die(d, "BEGIN");
	copy_in(d, "COPY cards (" CARD_COLS ") FROM STDIN", &cards);
	copy_in(d, "COPY price_snapshots (" SNAP_COLS ") FROM STDIN", &snaps);
	exec_or_die(d, "COMMIT");
	t = now_s() - t;
	printf("plain COPY: %ld cards + %ld snapshots = %ld rows in %.2f s, %.0f rows/s\n", nc, ns, nc + ns, t,
	       (double)(nc + ns) / t);
	PQfinish(s);
	PQfinish(d);
	return 0;
}

/* Per-row INSERTs (autocommit, parameterised) of a sample, extrapolated. */
static int per_row(const char *src, const char *dst, long want)
{
	PGconn *s = conn(src), *d = conn(dst);
	PGresult *cards, *snaps, *tot;
	ih_buf mk = { 0 };
	long nm = 0, done = 0, total;
	double per_card, t;
	char lim[32];
	const char *p[1] = { lim };

	tot = PQexec(s, "SELECT (SELECT count(*) FROM cards) + (SELECT count(*) FROM price_snapshots), "
			"(SELECT count(*) FROM price_snapshots)::float8 / greatest(1, (SELECT count(*) FROM cards))");
	total = atol(PQgetvalue(tot, 0, 0));
	per_card = atof(PQgetvalue(tot, 0, 1));
	PQclear(tot);
	snprintf(lim, sizeof lim, "%ld", (long)((double)want / (1.0 + per_card)) + 1);
	cards = PQexecParams(s, "SELECT " CARD_COLS " FROM cards ORDER BY id LIMIT $1::int", 1, NULL, p, NULL, NULL, 0);
	snaps = PQexecParams(s, "SELECT " SNAP_COLS " FROM price_snapshots WHERE card_id IN "
				"(SELECT id FROM cards ORDER BY id LIMIT $1::int)", 1, NULL, p, NULL, NULL, 0);
	copy_out(s, "COPY marketplaces TO STDOUT", &mk, &nm);
	copy_in(d, "COPY marketplaces FROM STDIN", &mk);
	t = now_s();
	for (int i = 0; i < PQntuples(cards); i++, done++) {
		const char *v[13];
		PGresult *r;

		for (int k = 0; k < 13; k++)
			v[k] = PQgetisnull(cards, i, k) ? NULL : PQgetvalue(cards, i, k);
		r = PQexecParams(d, "INSERT INTO cards (" CARD_COLS ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)", 13,
				 NULL, v, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			fprintf(stderr, "insert: %s", PQerrorMessage(d));
		PQclear(r);
	}
	for (int i = 0; i < PQntuples(snaps); i++, done++) {
		const char *v[13];
		PGresult *r;

		for (int k = 0; k < 13; k++)
			v[k] = PQgetisnull(snaps, i, k) ? NULL : PQgetvalue(snaps, i, k);
		r = PQexecParams(d, "INSERT INTO price_snapshots (" SNAP_COLS ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)",
				 13, NULL, v, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			fprintf(stderr, "insert: %s", PQerrorMessage(d));
		PQclear(r);
	}
	t = now_s() - t;
	printf("per-row INSERTs: sample of %ld rows in %.2f s, %.0f rows/s; extrapolated to %ld rows: %.1f s\n", done, t,
	       (double)done / t, total, t * (double)total / (double)(done ? done : 1));
	PQclear(cards);
	PQclear(snaps);
	PQfinish(s);
	PQfinish(d);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "gen") == 0)
		return gen(atol(argv[2]), argv[3], argc > 5 ? argv[5] : IH_BENCH_TEMPLATE,
			   argc > 4 ? strtoull(argv[4], NULL, 10) : 1);
	if (argc == 3 && strcmp(argv[1], "parse") == 0)
		return parse_only(argv[2]);
	if (argc == 5 && strcmp(argv[1], "import") == 0)
		return import_mode(argv[2], argv[3],
				   strcmp(argv[4], "bulk") == 0  ? IH_IMPORT_WRITE_BULK
				   : strcmp(argv[4], "one") == 0 ? IH_IMPORT_WRITE_ONE
								 : IH_IMPORT_WRITE_COPY);
	if (argc == 4 && strcmp(argv[1], "copy") == 0)
		return plain_copy(argv[2], argv[3]);
	if (argc == 5 && strcmp(argv[1], "inserts") == 0)
		return per_row(argv[2], argv[3], atol(argv[4]));
	fprintf(stderr, "usage: import gen N FILE [SEED [TEMPLATE]] | parse FILE | import DB FILE copy|one|bulk | copy SRC DST | "
			"inserts SRC DST ROWS\n");
	return 2;
}
