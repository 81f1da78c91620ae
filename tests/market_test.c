/*
 * The four shipped plugins through the real host against the bundled
 * simulator, PostgreSQL and Redis: request counts for a 5,000-card cycle,
 * every stored price against what the simulator served, and each fault.
 */
#include "config.h"

#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/conf.h"
#include "host/dispatch.h"
#include "host/host.h"
#include "host/instances.h"
#include "host/summary.h"
#include "net/http.h"
#include "mockmarket/expected.h"
#include "mockmarket/universe.h"
#include "testutil.h"
#include "worker/worker.h"

#define NCARDS 5000
#define SEED 42

static const char *conninfo;
static char own_conninfo[1024];
static int redis_port, port;
static pid_t sim;
static char conf[64], dir[64];

static void exec_sql(const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		printf("\n  %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

static void redis_flush(void)
{
	redisContext *r = redisConnect("127.0.0.1", redis_port);

	if (r != NULL && r->err == 0) {
		freeReplyObject(redisCommand(r, "SELECT 3"));
		freeReplyObject(redisCommand(r, "FLUSHDB"));
	}
	if (r != NULL)
		redisFree(r);
}

static size_t discard(char *d, size_t s, size_t n, void *ud)
{
	(void)d;
	(void)ud;
	return s * n;
}

/* POST a control request to the simulator. */
static void control(const char *path, const char *body)
{
	CURL *c = curl_easy_init();
	char url[128];

	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	CU_ASSERT(curl_easy_perform(c) == CURLE_OK);
	curl_easy_cleanup(c);
}

static int start_sim(void)
{
	int fds[2];
	char cards[16], line[64] = "";
	FILE *f;

	snprintf(cards, sizeof cards, "%d", NCARDS);
	if (pipe(fds) != 0)
		return -1;
	fflush(stdout);
	sim = fork();
	if (sim == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		execl(IH_TOP_BUILDDIR "/tests/mockmarket/ingest-mockmarket", "ingest-mockmarket", "--cards", cards,
		      "--seed", "42", "--port", "0", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	if (f == NULL || fgets(line, sizeof line, f) == NULL || sscanf(line, "port %d", &port) != 1)
		return -1;
	fclose(f);
	return 0;
}

/* The config: the four plugins against the simulator, in `iso` isolation. */
static int write_conf(const char *iso)
{
	FILE *f;
	int fd;

	if (conf[0])
		unlink(conf);
	snprintf(conf, sizeof conf, "/tmp/ih-market-conf.XXXXXX");
	fd = mkstemp(conf);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
		return -1;
	fprintf(f,
		"database: { conninfo = \"%s\"; };\n"
		"redis: { port = %d; db = 3; };\n"
		"ingest: { cards_per_cycle = %d; max_wait = 0; };\n"
		"plugins: {\n  dir = \"%s\";\n"
		"  scryfall: { isolation = \"%s\"; base_url = \"http://127.0.0.1:%d/scryfall\"; requests_per_second = 1000.0; };\n"
		"  cardtrader: { isolation = \"%s\"; base_url = \"http://127.0.0.1:%d/cardtrader/api/v2\"; token = \"sim-token\";\n"
		"                requests_per_second = 1000.0; };\n"
		"  tcgplayer: { isolation = \"%s\"; base_url = \"http://127.0.0.1:%d/tcgplayer\"; public_key = \"sim-public\";\n"
		"               private_key = \"sim-private\"; requests_per_second = 1000.0; };\n"
		"  manapool: { isolation = \"%s\"; base_url = \"http://127.0.0.1:%d/manapool/api/v1\"; timeout_ms = 5000; max_retries = 1; };\n"
		"};\n",
		conninfo, redis_port, NCARDS, dir, iso, port, iso, port, iso, port, iso, port);
	fclose(f);
	return 0;
}

static int setup(void)
{
	static const char *const names[] = { "scryfall", "cardtrader", "tcgplayer", "manapool" };
	char cmd[4096];

	conninfo = getenv("IH_TEST_CONNINFO");
	redis_port = getenv("IH_TEST_REDIS_PORT") ? atoi(getenv("IH_TEST_REDIS_PORT")) : 0;
	if (conninfo == NULL || redis_port == 0)
		return 0;
	/* a database of our own: other test binaries run beside this one */
	exec_sql("DROP DATABASE IF EXISTS ih_market_test");
	exec_sql("CREATE DATABASE ih_market_test");
	snprintf(own_conninfo, sizeof own_conninfo, "%s dbname=ih_market_test", conninfo);
	conninfo = own_conninfo;
	exec_sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
	if (start_sim() != 0)
		return -1;
	ih_http_global_init();
	ih_worker_set_exe(IH_TOP_BUILDDIR "/ingesthost"); /* process isolation's workers */
#if defined(__SANITIZE_ADDRESS__)
	/* the workers' own SIGSEGV handler runs, and they die by the signal */
	setenv("ASAN_OPTIONS", "handle_segv=0:handle_abort=0", 1);
#endif
	snprintf(dir, sizeof dir, "/tmp/ih-market.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	for (size_t i = 0; i < 4; i++) {
		char src[4096], dst[256];

		snprintf(src, sizeof src, "%s/plugins/%s/.libs/%s.so", IH_TOP_BUILDDIR, names[i], names[i]);
		snprintf(dst, sizeof dst, "%s/%s.so", dir, names[i]);
		if (symlink(src, dst) != 0)
			return -1;
	}
	if (write_conf("process") != 0)
		return -1;
	snprintf(cmd, sizeof cmd,
		 "'%s/ingesthost' -c %s --migrate -q >/dev/null && "
		 "'%s/tests/mockmarket/ingest-mockmarket' --cards %d --seed %d --seed-db '%s' 2>/dev/null",
		 IH_TOP_BUILDDIR, conf, IH_TOP_BUILDDIR, NCARDS, SEED, conninfo);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void)
{
	char cmd[128];

	if (sim > 0) {
		kill(sim, SIGTERM);
		waitpid(sim, NULL, 0);
	}
	if (conf[0])
		unlink(conf);
	if (dir[0]) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

/* Run one cycle of the named plugins (NULL: all), on an empty history unless keep. */
static int cycle_ex(const char *const *only, size_t nonly, int keep, ih_cycle *cyc)
{
	ih_config *cfg = NULL;
	ih_errors errs = { 0 };
	ih_host h;
	char err[512];
	int rc;

	if (!keep) {
		exec_sql("TRUNCATE price_snapshots, ingest_runs");
		exec_sql("UPDATE cards SET cardtrader_blueprint_id = NULL");
		redis_flush();
	}
	if (ih_config_load(conf, &cfg, &errs) != 0 || ih_host_start(&h, cfg, NULL, err, sizeof err) != 0 ||
	    ih_host_load_plugins(&h, only, nonly, &errs) != 0) {
		ih_errors_print(&errs, stdout);
		ih_errors_clear(&errs);
		return -1;
	}
	rc = ih_dispatch_cycle(&h, cyc);
	if (rc == 2)
		printf("\n  the cycle could not start: %s\n", cyc->infra_error);
	ih_cycle_print_table(cyc, stdout);
	ih_host_stop(&h);
	return rc;
}

static int cycle(const char *const *only, size_t nonly, ih_cycle *cyc)
{
	return cycle_ex(only, nonly, 0, cyc);
}

static const ih_run_stats *run_of(const ih_cycle *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->runs[i].name, name) == 0)
			return &c->runs[i];
	CU_FAIL_FATAL("no such run");
	return NULL;
}

#define NEED_SERVERS()                                                                                     \
	do {                                                                                               \
		if (ih_test_conninfo_or_skip(__func__) == NULL || ih_test_redis_port_or_skip(__func__) == 0) \
			return;                                                                            \
	} while (0)

/* ---- what the simulator served, as "sid|mkt|cond|finish|lang|cur|price|listings" ---- */

typedef struct lines {
	char **v;
	size_t n, cap;
} lines;

static void add(lines *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(lines *l, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = strdup(buf);
}

static void add_line(void *ud, const char *line)
{
	add(ud, "%s", line);
}

/* What the simulator served: the simulator's own definition (mockmarket/expected.c). */
static void expected(lines *l)
{
	mu_expected_lines(SEED, NCARDS, -1, add_line, l);
}

/* The four marketplaces' stored rows (not the crash fixture's). */
static void stored(lines *l)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r = PQexec(c, "SELECT c.scryfall_id, m.slug, s.condition, s.finish, s.language, s.currency, "
				"s.price::text, coalesce(s.num_listings, -1) FROM price_snapshots s "
				"JOIN cards c ON c.id = s.card_id JOIN marketplaces m ON m.id = s.marketplace_id "
				"WHERE m.slug <> 'segv_sim'");

	for (int i = 0; i < PQntuples(r); i++)
		add(l, "%s|%s|%s|%s|%s|%s|%s|%s", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
		    PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5), PQgetvalue(r, i, 6),
		    PQgetvalue(r, i, 7));
	PQclear(r);
	PQfinish(c);
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lines in a but not in b (both sorted); prints the first few. */
static size_t missing(const lines *a, const lines *b, const char *what)
{
	size_t i = 0, j = 0, n = 0;

	while (i < a->n) {
		int c = j < b->n ? strcmp(a->v[i], b->v[j]) : -1;

		if (c == 0) {
			i++;
			j++;
		} else if (c < 0) {
			if (n++ < 5)
				printf("\n  %s: %s", what, a->v[i]);
			i++;
		} else {
			j++;
		}
	}
	return n;
}

/* The cycle: request counts, and every price against the simulator's. */
static void full_cycle(void)
{
	ih_cycle cyc;
	lines want = { 0 }, got = { 0 };

	NEED_SERVERS();
	control("/_control/reset", "");
	exec_sql("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)");
	CU_ASSERT_EQUAL_FATAL(cycle(NULL, 0, &cyc), 0);
	{
		/* Mana Pool's rows resolve through the identity map inside their write,
		 * no separate lookups: at most one statement per batch of 500 (queued
		 * batches are written together, from 2,000 rows as COPY and one
		 * upsert from staging, also a WITH u AS ... statement) */
		const ih_run_stats *mp = run_of(&cyc, "manapool");
		long batches = (mp->written + mp->unmatched + 499) / 500, calls = -1;
		PGconn *c = PQconnectdb(conninfo);
		PGresult *r = PQexec(c, "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d "
					"ON d.oid = s.dbid WHERE d.datname = current_database() AND s.toplevel "
					"AND query ILIKE 'WITH u AS (SELECT * FROM %'");

		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			calls = atol(PQgetvalue(r, 0, 0));
		printf("\n  Mana Pool: %ld rows in %ld statements", mp->written + mp->unmatched, calls);
		CU_ASSERT(calls >= 1 && calls <= batches);
		PQclear(r);
		PQfinish(c);
	}
	CU_ASSERT(run_of(&cyc, "scryfall")->requests <= 67);
	CU_ASSERT(run_of(&cyc, "tcgplayer")->requests <= 20 + 1);
	/* CardTrader: the expansion list, then one export and one products request per expansion */
	CU_ASSERT_EQUAL(run_of(&cyc, "cardtrader")->requests, 1 + 2 * (NCARDS / MU_SET_SIZE));
	CU_ASSERT_EQUAL(run_of(&cyc, "manapool")->requests, 1);
	CU_ASSERT(run_of(&cyc, "manapool")->unmatched > 0);
	ih_cycle_free(&cyc);
	expected(&want);
	stored(&got);
	qsort(want.v, want.n, sizeof *want.v, cmp_line);
	qsort(got.v, got.n, sizeof *got.v, cmp_line);
	printf("\n  served %zu prices, stored %zu", want.n, got.n);
	CU_ASSERT_EQUAL(missing(&want, &got, "served but not stored"), 0);
	CU_ASSERT_EQUAL(missing(&got, &want, "stored but not served"), 0);
	/* a second cycle inside the TTL asks for no price of a card the first one wrote */
	CU_ASSERT_EQUAL_FATAL(cycle_ex(NULL, 0, 1, &cyc), 0);
	CU_ASSERT_EQUAL(run_of(&cyc, "scryfall")->requests, 0);
	CU_ASSERT_EQUAL(run_of(&cyc, "cardtrader")->requests, 0);
	CU_ASSERT_EQUAL(run_of(&cyc, "manapool")->requests, 0);
	CU_ASSERT_EQUAL(run_of(&cyc, "manapool")->written, 0);
	CU_ASSERT_EQUAL(run_of(&cyc, "scryfall")->cache_hits + run_of(&cyc, "scryfall")->fresh, NCARDS);
	ih_cycle_free(&cyc);
	{
		/* the export fetched again inside the TTL (its last run forgotten):
		 * every row's card is marked in Redis, so nothing is written twice */
		static const char *const mp[] = { "manapool" };
		long before = 0;
		PGconn *c = PQconnectdb(conninfo);
		PGresult *r = PQexec(c, "SELECT count(*) FROM price_snapshots s JOIN marketplaces m "
					"ON m.id = s.marketplace_id WHERE m.slug = 'manapool'");

		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			before = atol(PQgetvalue(r, 0, 0));
		PQclear(r);
		PQfinish(c);
		exec_sql("DELETE FROM ingest_runs WHERE plugin = 'manapool'");
		CU_ASSERT_EQUAL_FATAL(cycle_ex(mp, 1, 1, &cyc), 0);
		CU_ASSERT_EQUAL(run_of(&cyc, "manapool")->requests, 1);
		CU_ASSERT_EQUAL(run_of(&cyc, "manapool")->written, 0);
		CU_ASSERT_EQUAL(run_of(&cyc, "manapool")->cached_rows, before);
		CU_ASSERT(run_of(&cyc, "manapool")->cache_hits > 0);
		printf("\n  Mana Pool again inside the TTL: %ld rows of %ld cards dropped as cached",
		       run_of(&cyc, "manapool")->cached_rows, run_of(&cyc, "manapool")->cache_hits);
		ih_cycle_free(&cyc);
	}
	for (size_t i = 0; i < want.n; i++)
		free(want.v[i]);
	for (size_t i = 0; i < got.n; i++)
		free(got.v[i]);
	free(want.v);
	free(got.v);
}

/* Each fault of the simulator gives its class; the other plugins are not disturbed. */
static void test_faults(void)
{
	static const struct {
		const char *spec, *plugin, *status;
		long retries;
	} cases[] = {
		{ "tcgplayer:401", "tcgplayer", "auth_failed", 0 },
		{ "scryfall:429:2", "scryfall", "ok", 2 },
		{ "cardtrader:500:2", "cardtrader", "ok", 2 },
		{ "manapool:malformed", "manapool", "fatal", 0 },
		{ "scryfall:truncated", "scryfall", "fatal", 0 },
		{ "manapool:hang", "manapool", "transient", 1 },
	};

	NEED_SERVERS();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *only[2] = { cases[i].plugin, "scryfall" };
		ih_cycle cyc;

		control("/_control/reset", "");
		control("/_control/fault", cases[i].spec);
		printf("\n  fault %s:", cases[i].spec);
		cycle(only, strcmp(cases[i].plugin, "scryfall") == 0 ? 1 : 2, &cyc);
		CU_ASSERT_STRING_EQUAL(run_of(&cyc, cases[i].plugin)->status, cases[i].status);
		CU_ASSERT_EQUAL(run_of(&cyc, cases[i].plugin)->retries, cases[i].retries);
		if (strcmp(cases[i].plugin, "scryfall") != 0)
			CU_ASSERT_STRING_EQUAL(run_of(&cyc, "scryfall")->status, "ok");
		if (strcmp(cases[i].spec, "tcgplayer:401") == 0)
			CU_ASSERT_EQUAL(run_of(&cyc, "tcgplayer")->requests, 1);
		ih_cycle_free(&cyc);
	}
	control("/_control/reset", "");
}

static void test_full_cycle(void)
{
	full_cycle();
}

static long count_sql(const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r = PQexec(c, sql);
	long v = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		v = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return v;
}

/*
 * The scene: a plugin that segfaults beside the four real ones in
 * one cycle.  The cycle is 3 (a crashed run), the crash names signal 11,
 * the 300 rows the crashing plugin emitted are stored (they reach the host
 * through the worker's last gasp: it made no request), and the four others
 * are ok with every price the simulator served stored.
 */
static void test_segfault_beside_four(void)
{
	char src[4096], dst[4200];
	ih_cycle cyc;
	lines want = { 0 }, got = { 0 };
	const ih_run_stats *sv;

	NEED_SERVERS();
	snprintf(src, sizeof src, "%s/tests/plugins/.libs/segv_sim.so", IH_TOP_BUILDDIR);
	snprintf(dst, sizeof dst, "%s/segv_sim.so", dir);
	CU_ASSERT_FATAL(symlink(src, dst) == 0);
	control("/_control/reset", "");
	CU_ASSERT_EQUAL(cycle(NULL, 0, &cyc), 3);
	sv = run_of(&cyc, "segv_sim");
	CU_ASSERT_STRING_EQUAL(sv->status, "crashed");
	CU_ASSERT_PTR_NOT_NULL(strstr(sv->error, "signal 11"));
	CU_ASSERT_EQUAL(sv->written, 300);
	CU_ASSERT_EQUAL(count_sql("SELECT count(*) FROM price_snapshots s JOIN marketplaces m ON m.id = s.marketplace_id "
				  "WHERE m.slug = 'segv_sim' AND s.price = s.card_id / 100.0"),
			300);
	CU_ASSERT_STRING_EQUAL(run_of(&cyc, "scryfall")->status, "ok");
	CU_ASSERT_STRING_EQUAL(run_of(&cyc, "cardtrader")->status, "ok");
	CU_ASSERT_STRING_EQUAL(run_of(&cyc, "tcgplayer")->status, "ok");
	CU_ASSERT_STRING_EQUAL(run_of(&cyc, "manapool")->status, "ok");
	ih_cycle_free(&cyc);
	unlink(dst);
	expected(&want);
	stored(&got);
	qsort(want.v, want.n, sizeof *want.v, cmp_line);
	qsort(got.v, got.n, sizeof *got.v, cmp_line);
	printf("\n  beside the crash: served %zu prices, stored %zu", want.n, got.n);
	CU_ASSERT_EQUAL(missing(&want, &got, "served but not stored"), 0);
	CU_ASSERT_EQUAL(missing(&got, &want, "stored but not served"), 0);
	for (size_t i = 0; i < want.n; i++)
		free(want.v[i]);
	for (size_t i = 0; i < got.n; i++)
		free(got.v[i]);
	free(want.v);
	free(got.v);
}

static void test_full_cycle_thread(void)
{
	CU_ASSERT_FATAL(write_conf("thread") == 0);
	full_cycle();
	CU_ASSERT_FATAL(write_conf("process") == 0);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{ "5,000 cards: request counts and every stored price (process isolation)", test_full_cycle },
		{ "5,000 cards: the same in thread isolation", test_full_cycle_thread },
		{ "a plugin segfaulting beside the four: crashed, its rows and every served price stored",
		  test_segfault_beside_four },
		{ "simulator faults give their classes", test_faults },
		CU_TEST_INFO_NULL,
	};
	static CU_SuiteInfo suites[] = {
		{ "market", setup, teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return ih_test_main(suites);
}
