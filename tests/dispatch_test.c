/*
 * The dispatch pipeline against the real PostgreSQL and Redis of
 * scripts/check, with fixture plugins calling a responder in this process.
 */
#include "config.h"

#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/conf.h"
#include "host/dispatch.h"
#include "fixtures.h"
#include "host/host.h"
#include "host/instances.h"
#include "host/summary.h"
#include "net/http.h"
#include "responder.h"
#include "host/run.h"
#include "testutil.h"
#include "fakeclock.h"

static const char *conninfo;
static int redis_port, port;
static char *dir, conf[64];
/* ingest settings of the next write_conf */
static int g_deadline = 1800, g_stop_wait = 60, g_batch = 500, g_pool = 6, g_redis_db = 0;
static const char *g_log = "";
/* plugins.<name>.isolation: these tests move a fake clock through the
 * host's threads; the process mode has tests of its own (isolation_test),
 * and the SIGTERM test runs in both */
static const char *g_iso = "thread";
static char fifo[64];



/* ---- database and cache helpers ----------------------------------------- */

static PGconn *db(void)
{
	PGconn *c = PQconnectdb(conninfo);

	CU_ASSERT_FATAL(PQstatus(c) == CONNECTION_OK);
	return c;
}

static long scalar(const char *sql)
{
	PGconn *c = db();
	PGresult *r = PQexec(c, sql);
	long v = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		v = atol(PQgetvalue(r, 0, 0));
	else
		printf("\n  query failed: %s: %s\n", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return v;
}

static void exec_sql(const char *sql)
{
	PGconn *c = db();
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		printf("\n  exec failed: %s: %s\n", sql, PQerrorMessage(c));
	CU_ASSERT(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
	PQclear(r);
	PQfinish(c);
}

static void redis_flush(void)
{
	redisContext *r = redisConnect("127.0.0.1", redis_port);
	redisReply *rep;

	CU_ASSERT_FATAL(r != NULL && r->err == 0);
	rep = redisCommand(r, "FLUSHDB");
	freeReplyObject(rep);
	redisFree(r);
}

/* An empty price history and cache, and exactly n cards. */
static void reset_data(int ncards)
{
	char sql[256];

	exec_sql("TRUNCATE price_snapshots, ingest_runs, cards RESTART IDENTITY CASCADE");
	snprintf(sql, sizeof sql,
		 "INSERT INTO cards (scryfall_id, name, set_code, collector_number, lang) "
		 "SELECT gen_random_uuid(), 'card ' || g, 'tst', g::text, 'en' FROM generate_series(1, %d) g",
		 ncards);
	exec_sql(sql);
	redis_flush();
}

/* What is in price_snapshots, by marketplace and time: a failure's evidence. */
static void show_rows_by_time(void)
{
	PGconn *c = db();
	PGresult *r = PQexec(c, "SELECT coalesce(m.slug, '?'), s.time::text, count(*), min(s.card_id), max(s.card_id) "
				"FROM price_snapshots s LEFT JOIN marketplaces m ON m.id = s.marketplace_id "
				"GROUP BY 1, 2 ORDER BY 2, 1");

	for (int i = 0; i < PQntuples(r); i++)
		printf("\n  %s %s: %s rows (cards %s..%s)", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
		       PQgetvalue(r, i, 3), PQgetvalue(r, i, 4));
	printf("\n");
	PQclear(r);
	PQfinish(c);
}

static long rows_of(const char *plugin)
{
	char sql[256];

	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM price_snapshots s JOIN marketplaces m ON m.id = s.marketplace_id "
		 "WHERE m.slug = '%s'",
		 plugin);
	return scalar(sql);
}

/* Rows whose price differs from what the responder served: must be 0. */
static long wrong_prices(const char *plugin)
{
	PGconn *c = db();
	PGresult *r;
	char sql[256];
	long wrong = 0;

	snprintf(sql, sizeof sql,
		 "SELECT s.card_id, s.price::text FROM price_snapshots s JOIN marketplaces m ON m.id = s.marketplace_id "
		 "WHERE m.slug = '%s'",
		 plugin);
	r = PQexec(c, sql);
	for (int i = 0; i < PQntuples(r); i++) {
		char want[32];

		rsp_price(atoi(PQgetvalue(r, i, 0)), want, sizeof want);
		wrong += strcmp(want, PQgetvalue(r, i, 1)) != 0;
	}
	PQclear(r);
	PQfinish(c);
	return wrong;
}

/* ---- config and plugin dir ------------------------------------------------ */

static void write_conf(int cards_per_cycle, int interval)
{
	FILE *f;
	int fd;

	snprintf(conf, sizeof conf, "/tmp/ih-dispatch.XXXXXX");
	fd = mkstemp(conf);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		perror(conf);
		return;
	}
	fprintf(f,
		"%s"
		"database: { conninfo = \"%s\"; pool_size = %d; };\n"
		"redis: { port = %d; db = %d; };\n"
		"ingest: { cards_per_cycle = %d; batch_size = %d; interval = %d; max_retries = 3; deadline = %d;\n"
		"          stop_wait = %d; };\n"
		"plugins: {\n  dir = \"%s\";\n"
		"  fx_ok: { isolation = \"%s\"; base_url = \"http://127.0.0.1:%d/ok\"; };\n"
		"  fx_auth: { isolation = \"%s\"; base_url = \"http://127.0.0.1:%d/auth\"; };\n"
		"  fx_rl: { isolation = \"%s\"; base_url = \"http://127.0.0.1:%d/rl\"; };\n"
		"  fx_late: { isolation = \"%s\"; base_url = \"http://127.0.0.1:%d/late\"; fail_after = 700; };\n"
		"  fx_extra: { isolation = \"%s\"; base_url = \"http://127.0.0.1:%d/extra\"; };\n"
		"  fx_block: { isolation = \"%s\"; base_url = \"http://127.0.0.1:%d/block\"; block_fifo = \"%s\"; };\n"
		"  fx_multi: { isolation = \"%s\"; base_url = \"http://127.0.0.1:%d/multi\"; rows_per_card = 3; chunk = 50; };\n"
		"};\n",
		g_log, conninfo, g_pool, redis_port, g_redis_db, cards_per_cycle, g_batch, interval, g_deadline, g_stop_wait, dir,
		g_iso, port, g_iso, port, g_iso, port, g_iso, port, g_iso, port, g_iso, port, fifo, g_iso, port);
	fclose(f);
}

static void set_plugins(const char *const *names)
{
	char cmd[4200];

	snprintf(cmd, sizeof cmd, "rm -f '%s'/*.so", dir);
	CU_ASSERT(system(cmd) == 0);
	for (; *names != NULL; names++)
		CU_ASSERT(ih_fixture_add(dir, *names, NULL) == 0);
}

static int open_host_clock(ih_host *h, const ih_clock *clock);

/* Start a host in this process over the config, with the fake clock. */
static int open_host(ih_host *h)
{
	return open_host_clock(h, &fake_clock);
}

static int open_host_clock(ih_host *h, const ih_clock *clock)
{
	ih_config *cfg = NULL;
	ih_errors errs = { 0 };
	char err[512];

	if (ih_config_load(conf, &cfg, &errs) != 0) {
		ih_errors_print(&errs, stdout);
		ih_errors_clear(&errs);
		return -1;
	}
	if (ih_host_start(h, cfg, clock, err, sizeof err) != 0) {
		printf("\n  host: %s\n", err);
		return -1;
	}
	if (ih_host_load_plugins(h, NULL, 0, &errs) != 0) {
		ih_errors_print(&errs, stdout);
		ih_errors_clear(&errs);
		return -1;
	}
	return 0;
}

static const ih_run_stats *run_of(const ih_cycle *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->runs[i].name, name) == 0)
			return &c->runs[i];
	CU_FAIL("no such run");
	return &c->runs[0];
}

static int setup(void)
{
	static const rsp_route routes[] = {
		{ "/ok", RSP_PRICES, 0, 0, 1 },
		{ "/auth", RSP_401, 0, 0, 0 },
		{ "/rl", RSP_429_FIRST, 2, 7, 1 },
		{ "/late", RSP_PRICES, 0, 0, 0 },
		{ "/extra", RSP_PRICES, 0, 0, 0 },
		{ "/block", RSP_PRICES, 0, 0, 0 },
		{ "/multi", RSP_PRICES, 0, 0, 0 },
	};
	static const char *const none[] = { NULL };
	char cmd[4300];

	conninfo = getenv("IH_TEST_CONNINFO");
	redis_port = getenv("IH_TEST_REDIS_PORT") ? atoi(getenv("IH_TEST_REDIS_PORT")) : 0;
	if (conninfo == NULL || redis_port == 0)
		return 0; /* each test skips or fails visibly */
	port = rsp_start(routes, sizeof routes / sizeof routes[0]);
	dir = ih_fixture_dir(none);
	if (port <= 0 || dir == NULL)
		return -1;
	ih_http_global_init();
	snprintf(fifo, sizeof fifo, "%s/block.fifo", dir);
	if (mkfifo(fifo, 0600) != 0)
		return -1;
	write_conf(1000, 3600);
	snprintf(cmd, sizeof cmd, "'%s/ingesthost' -c %s --migrate -q", IH_TOP_BUILDDIR, conf);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void)
{
	rsp_stop();
	ih_fixture_dir_remove(dir);
	if (conf[0])
		unlink(conf);
	return 0;
}

#define NEED_SERVERS()                                                     \
	do {                                                               \
		if (ih_test_conninfo_or_skip(__func__) == NULL ||          \
		    ih_test_redis_port_or_skip(__func__) == 0)             \
			return;                                            \
	} while (0)

/*
 * The cycle: ok; auth_failed; rate-limited twice then ok; failing
 * after 700 rows.  Runs overlap, the 401 is asked once, Retry-After is
 * honoured through the clock, rows before the late failure stay.
 */
static void test_four_plugins(void)
{
	static const char *const names[] = { "fx_ok", "fx_auth", "fx_rl", "fx_late", NULL };
	ih_host h;
	ih_cycle cyc;
	long before_auth = rsp_count("/auth");
	int sevens = 0;

	NEED_SERVERS();
	reset_data(1000);
	set_plugins(names);
	fake_nslept = 0;
	CU_ASSERT_FATAL(open_host(&h) == 0);
	CU_ASSERT_EQUAL(h.ninst, 4);
	CU_ASSERT_EQUAL(ih_dispatch_cycle(&h, &cyc), 3);
	ih_cycle_print_table(&cyc, stdout);
	CU_ASSERT_STRING_EQUAL(run_of(&cyc, "fx_ok")->status, "ok");
	CU_ASSERT_STRING_EQUAL(run_of(&cyc, "fx_auth")->status, "auth_failed");
	CU_ASSERT_STRING_EQUAL(run_of(&cyc, "fx_rl")->status, "ok");
	CU_ASSERT_STRING_EQUAL(run_of(&cyc, "fx_late")->status, "fatal");
	CU_ASSERT_EQUAL(run_of(&cyc, "fx_rl")->retries, 2);
	CU_ASSERT_EQUAL(run_of(&cyc, "fx_auth")->requests, 1);
	CU_ASSERT_EQUAL(rsp_count("/auth") - before_auth, 1);
	CU_ASSERT_EQUAL(run_of(&cyc, "fx_ok")->written, 1000);
	CU_ASSERT_EQUAL(run_of(&cyc, "fx_late")->written, 700);
	for (int i = 0; i < fake_nslept; i++)
		sevens += fake_slept[i] >= 6.999 && fake_slept[i] <= 7.001;
	CU_ASSERT_EQUAL(sevens, 2);
	CU_ASSERT_TRUE(rsp_barrier_met()); /* fx_ok and fx_rl were in flight together */
	ih_cycle_free(&cyc);
	ih_host_stop(&h);
	CU_ASSERT_EQUAL(rows_of("fx_ok"), 1000);
	CU_ASSERT_EQUAL(rows_of("fx_rl"), 1000);
	CU_ASSERT_EQUAL(rows_of("fx_late"), 700);
	CU_ASSERT_EQUAL(rows_of("fx_auth"), 0);
	CU_ASSERT_EQUAL(wrong_prices("fx_ok"), 0);
	CU_ASSERT_EQUAL(wrong_prices("fx_rl"), 0);
	/* every row of the cycle carries its start time */
	if (scalar("SELECT count(DISTINCT time) FROM price_snapshots") != 1) {
		CU_FAIL("rows of more than one time");
		show_rows_by_time();
	}
}

/* Cards marked in Redis are not fetched; nor are cards fresh in the DB. */
static void test_cache_then_db_freshness(void)
{
	static const char *const names[] = { "fx_ok", NULL };
	ih_host h;
	ih_cycle cyc;
	long asked;

	NEED_SERVERS();
	reset_data(300);
	set_plugins(names);
	CU_ASSERT_FATAL(open_host(&h) == 0);
	CU_ASSERT_EQUAL(ih_dispatch_cycle(&h, &cyc), 0);
	CU_ASSERT_EQUAL(run_of(&cyc, "fx_ok")->written, 300);
	ih_cycle_free(&cyc);
	asked = rsp_count("/ok");
	/* inside the TTL: every card is a cache hit, no price request */
	CU_ASSERT_EQUAL(ih_dispatch_cycle(&h, &cyc), 0);
	CU_ASSERT_EQUAL(run_of(&cyc, "fx_ok")->cache_hits, 300);
	CU_ASSERT_EQUAL(run_of(&cyc, "fx_ok")->requests, 0);
	CU_ASSERT_EQUAL(rsp_count("/ok"), asked);
	ih_cycle_free(&cyc);
	/* the cache gone: the database still knows they are fresh */
	redis_flush();
	CU_ASSERT_EQUAL(ih_dispatch_cycle(&h, &cyc), 0);
	CU_ASSERT_EQUAL(run_of(&cyc, "fx_ok")->cache_hits, 0);
	CU_ASSERT_EQUAL(run_of(&cyc, "fx_ok")->fresh, 300);
	CU_ASSERT_EQUAL(rsp_count("/ok"), asked);
	ih_cycle_free(&cyc);
	ih_host_stop(&h);
	CU_ASSERT_EQUAL(rows_of("fx_ok"), 300);
}

/* 5,000 cards: one freshness read per plugin and at most ceil(rows/500) writes. */
static void test_statement_counts(void)
{
	static const char *const names[] = { "fx_ok", "fx_rl", NULL };
	ih_host h;
	ih_cycle cyc;
	long fresh_reads, writes;

	NEED_SERVERS();
	reset_data(5000);
	set_plugins(names);
	unlink(conf);
	write_conf(5000, 3600);
	CU_ASSERT_FATAL(open_host(&h) == 0);
	exec_sql("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)");
	CU_ASSERT_EQUAL(ih_dispatch_cycle(&h, &cyc), 0);
	CU_ASSERT_EQUAL(run_of(&cyc, "fx_ok")->written, 5000);
	CU_ASSERT_EQUAL(run_of(&cyc, "fx_rl")->written, 5000);
	ih_cycle_free(&cyc);
	ih_host_stop(&h);
	/* this database only: other test binaries write beside this one */
	fresh_reads = scalar("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d "
			     "ON d.oid = s.dbid WHERE d.datname = current_database() "
			     "AND query ILIKE 'SELECT u.ord FROM unnest(%' AND query ILIKE '%make_interval%'");
	writes = scalar("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d "
			"ON d.oid = s.dbid WHERE d.datname = current_database() "
			"AND query ILIKE 'INSERT INTO price_snapshots%'");
	printf("\n  freshness reads %ld, snapshot writes %ld\n", fresh_reads, writes);
	CU_ASSERT_EQUAL(fresh_reads, 2);      /* one per plugin */
	/* the writer takes the batches queued behind a write together, in one
	 * transaction (COPY and one upsert from 2,000 rows): at least one write
	 * per plugin, never more than ceil(5000 / 500) */
	CU_ASSERT(writes >= 2 && writes <= 2 * 10);
	unlink(conf);
	write_conf(1000, 3600);
}

/* Run the binary; returns its exit status. */
static int run_bin(const char *args)
{
	char cmd[4300];
	int st;

	snprintf(cmd, sizeof cmd, "'%s/ingesthost' -c %s %s >/dev/null 2>&1", IH_TOP_BUILDDIR, conf, args);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_exit_codes(void)
{
	static const char *const ok[] = { "fx_ok", NULL };
	static const char *const bad[] = { "fx_ok", "fx_auth", NULL };
	char cmd[4300];
	long asked;
	int st;

	NEED_SERVERS();
	reset_data(50);
	set_plugins(ok);
	CU_ASSERT_EQUAL(run_bin("--once"), 0);
	/* a second --once inside the TTL: no price request for those cards */
	asked = rsp_count("/ok");
	CU_ASSERT_EQUAL(run_bin("--once --json"), 0);
	CU_ASSERT_EQUAL(rsp_count("/ok"), asked);
	set_plugins(bad);
	reset_data(50);
	CU_ASSERT_EQUAL(run_bin("--once"), 3);
	CU_ASSERT_EQUAL(run_bin("--once --plugin fx_ok"), 0);
	CU_ASSERT_EQUAL(run_bin("--once --plugin nosuch"), 1);
	/* a database that is not there: 2 */
	snprintf(cmd, sizeof cmd,
		 "printf 'database: { conninfo = \"host=127.0.0.1 port=1 dbname=x connect_timeout=2\"; };\\n' > %s.down && "
		 "'%s/ingesthost' -c %s.down --once >/dev/null 2>&1",
		 conf, IH_TOP_BUILDDIR, conf);
	st = system(cmd);
	CU_ASSERT_EQUAL(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 2);
	snprintf(cmd, sizeof cmd, "%s.down", conf);
	unlink(cmd);
}

static pid_t child;
static long term_at;

/* Signal the child when it makes its third request of this test. */
static void term_child(long count, void *ud)
{
	(void)ud;
	if (count == term_at)
		kill(child, SIGTERM);
}

/* SIGTERM mid-cycle: the plugin stops between requests, what it got is written, exit 0. */
static void sigterm_loses_nothing(const char *isolation)
{
	static const char *const ok[] = { "fx_ok", NULL };
	char cfgarg[128];
	long answered, rows;
	int st;

	NEED_SERVERS();
	printf("\n  isolation = %s", isolation);
	g_iso = isolation;
	unlink(conf);
	write_conf(1000, 3600);
	g_iso = "thread";
	reset_data(1000);
	set_plugins(ok);
	term_at = rsp_count("/ok") + 3;
	answered = 0;
	rsp_on_request("/ok", term_child, NULL);
	fflush(stdout);
	child = fork();
	if (child == 0) {
		snprintf(cfgarg, sizeof cfgarg, "%s", conf);
		execl(IH_TOP_BUILDDIR "/ingesthost", "ingesthost", "-c", cfgarg, "--once", "-q", (char *)NULL);
		_exit(127);
	}
	CU_ASSERT_FATAL(child > 0);
	CU_ASSERT_EQUAL(waitpid(child, &st, 0), child);
	rsp_on_request("/ok", NULL, NULL);
	CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/*
	 * kill() returns before the signal is handled, so the child may send one
	 * more request before it sees the stop: every answered request's 100
	 * rows are written, and the run stopped well before its 10 requests.
	 */
	answered = rsp_count("/ok") - (term_at - 3);
	CU_ASSERT(answered >= 3 && answered < 10);
	/*
	 * The last request may still be waiting for its answer when the stop
	 * comes: a transfer whose answer has not begun is abandoned (a hung
	 * marketplace must not hold a stop), and its rows never arrived.
	 * Every answer that arrived is stored.
	 */
	rows = rows_of("fx_ok");
	if (rows != 100 * answered && rows != 100 * (answered - 1))
		printf("\n  %ld rows for %ld requests", rows, answered);
	CU_ASSERT(rows == 100 * answered || rows == 100 * (answered - 1));
	CU_ASSERT_EQUAL(wrong_prices("fx_ok"), 0);
	unlink(conf);
	write_conf(1000, 3600);
}

/* The stop reaches the plugin at its next request in a thread of the host
 * and in a worker process (relayed as SIGTERM) alike. */
static void test_sigterm_loses_nothing(void)
{
	sigterm_loses_nothing("thread");
	sigterm_loses_nothing("process");
}

/* SIGHUP re-scans the plugin dir: a dropped-in plugin runs in the next cycle. */
static void test_sighup_picks_up_plugin(void)
{
	static const char *const ok[] = { "fx_ok", NULL };
	long asked;
	int st;

	NEED_SERVERS();
	reset_data(20);
	set_plugins(ok);
	unlink(conf);
	write_conf(1000, 1);
	asked = rsp_count("/ok");
	fflush(stdout);
	child = fork();
	if (child == 0) {
		execl(IH_TOP_BUILDDIR "/ingesthost", "ingesthost", "-c", conf, "--foreground", "-q", (char *)NULL);
		_exit(127);
	}
	CU_ASSERT_FATAL(child > 0);
	CU_ASSERT_EQUAL(rsp_wait("/ok", asked + 1, 60), 0);
	CU_ASSERT_EQUAL(rsp_count("/extra"), 0);
	CU_ASSERT(ih_fixture_add(dir, "fx_extra", NULL) == 0);
	kill(child, SIGHUP);
	CU_ASSERT_EQUAL(rsp_wait("/extra", 1, 60), 0);
	/* its rows stored: a SIGTERM before the answer is read would stop the
	 * request itself (that case is the SIGTERM test's) */
	for (int i = 0; i < 600 && rows_of("fx_extra") < 20; i++)
		usleep(50000);
	kill(child, SIGTERM);
	CU_ASSERT_EQUAL(waitpid(child, &st, 0), child);
	CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CU_ASSERT_EQUAL(rows_of("fx_extra"), 20);
	unlink(conf);
	write_conf(1000, 3600);
}

/* ---- runs that outlive their deadline ----------------------------------- */

static int fifo_fd = -1;

/*
 * A clock the test moves by hand (sleeps move it too, as the fake clock's
 * do), so the deadline comes when the plugin is known to be blocked, not
 * when a loaded machine happens to get there.
 */
static pthread_mutex_t hand_mu = PTHREAD_MUTEX_INITIALIZER;
static double hand_t;

static double hand_now(void *ud)
{
	double t;

	(void)ud;
	pthread_mutex_lock(&hand_mu);
	t = hand_t;
	pthread_mutex_unlock(&hand_mu);
	return t;
}

static void hand_move(double s)
{
	pthread_mutex_lock(&hand_mu);
	hand_t += s;
	pthread_mutex_unlock(&hand_mu);
}

static int hand_sleep(void *ud, double s, const atomic_int *stop)
{
	(void)ud;
	if (stop != NULL && *stop)
		return -1;
	hand_move(s);
	return 0;
}

static const ih_clock hand_clock = { hand_now, hand_sleep, NULL, NULL };

/*
 * Opens the FIFO for writing, which returns once the plugin blocks reading
 * it; then moves the clock past the deadline, waits until the run was told
 * to stop, and moves it past stop_wait: the cycle returns with the run alive.
 */
static void *open_fifo(void *arg)
{
	ih_host *h = arg;

	fifo_fd = open(fifo, O_WRONLY);
	hand_move(g_deadline + 1);
	for (int i = 0; i < 600 && h->inst[0]->live != NULL && h->inst[0]->live->stop_cause == IH_STOP_NONE; i++)
		usleep(50000);
	hand_move(g_stop_wait + 1);
	return NULL;
}

/* Opens the FIFO and lets the plugin go at once. */
static void *release_fifo(void *arg)
{
	int fd = open(fifo, O_WRONLY);

	(void)arg;
	if (fd >= 0) {
		if (write(fd, "x", 1) != 1)
			perror(fifo);
		close(fd);
	}
	return NULL;
}

static void rewrite_conf(int deadline, int stop_wait, int batch)
{
	g_deadline = deadline;
	g_stop_wait = stop_wait;
	g_batch = batch;
	unlink(conf);
	write_conf(1000, 3600);
}

/*
 * fx_block over 300 cards with a deadline and stop_wait of 100 s on the
 * hand-moved clock: one cycle, which returns with the run still blocked in
 * collect (ignoring stop).
 */
static int blocked_cycle(ih_host *h, ih_cycle *c1)
{
	static const char *const names[] = { "fx_block", NULL };
	pthread_t t;
	int rc;

	reset_data(300);
	set_plugins(names);
	rewrite_conf(100, 100, 500);
	if (open_host_clock(h, &hand_clock) != 0 || pthread_create(&t, NULL, open_fifo, h) != 0)
		return -1;
	rc = ih_dispatch_cycle(h, c1);
	pthread_join(t, NULL); /* the plugin opened the FIFO: it is blocked reading it */
	return rc == 3 && fifo_fd >= 0 ? 0 : -1;
}

/*
 * A plugin that does not return at its deadline: its cycle reports it
 * timeout, the next cycle busy without a second collect (the fixture fails
 * on two at once), and when it returns its rows carry its own cycle's time
 * and the plugin runs again.
 */
static void test_deadline_busy(void)
{
	ih_host h;
	ih_cycle c1, c2, c3;
	pthread_t t;
	long asked;
	char sql[256];

	NEED_SERVERS();
	CU_ASSERT_FATAL(blocked_cycle(&h, &c1) == 0);
	ih_cycle_print_table(&c1, stdout);
	CU_ASSERT_STRING_EQUAL(c1.runs[0].status, "timeout");
	CU_ASSERT_PTR_NOT_NULL(strstr(c1.runs[0].error, "later cycles report it busy"));
	asked = rsp_count("/block");
	CU_ASSERT_EQUAL(ih_dispatch_cycle(&h, &c2), 3);
	ih_cycle_print_table(&c2, stdout);
	CU_ASSERT_STRING_EQUAL(c2.runs[0].status, "busy");
	CU_ASSERT_EQUAL(rsp_count("/block"), asked); /* no second collect */
	/* let it go: it stops at its next request and writes what it had */
	CU_ASSERT_EQUAL(write(fifo_fd, "x", 1), 1);
	close(fifo_fd);
	for (int i = 0; i < 600 && !ih_run_finished(h.inst[0]->live); i++)
		ih_run_wait_any(0.1);
	CU_ASSERT_TRUE(ih_run_finished(h.inst[0]->live));
	snprintf(sql, sizeof sql, "SELECT count(*) FROM price_snapshots WHERE time = '%s'", c1.time);
	CU_ASSERT_EQUAL(scalar(sql), 100); /* the first request's rows, at cycle 1's time */
	h.cfg->ingest.deadline = 1800;
	CU_ASSERT_FATAL(pthread_create(&t, NULL, release_fifo, NULL) == 0);
	CU_ASSERT_EQUAL(ih_dispatch_cycle(&h, &c3), 0); /* reaps it, runs again */
	pthread_join(t, NULL);
	ih_cycle_print_table(&c3, stdout);
	CU_ASSERT_STRING_EQUAL(c3.runs[0].status, "ok");
	CU_ASSERT_EQUAL(c3.runs[0].written, 200);
	CU_ASSERT_PTR_NULL(h.inst[0]->live);
	CU_ASSERT_EQUAL(rows_of("fx_block"), 300);
	CU_ASSERT_EQUAL(scalar("SELECT count(*) FROM ingest_runs WHERE plugin = 'fx_block' AND status = 'timeout'"), 1);
	ih_cycle_free(&c1);
	ih_cycle_free(&c2);
	ih_cycle_free(&c3);
	ih_host_stop(&h);
	rewrite_conf(1800, 60, 500);
}

/*
 * This test stops PostgreSQL, which the test binaries running beside it
 * must not see: it starts a PostgreSQL and Redis of its own (servers.sh,
 * in a temp dir) and points the helpers above at them.
 */
static char priv[64];
static char priv_conninfo[640];

/*
 * Exit with a run that has not returned: its plugin is not unloaded, so
 * when the run wakes up after the host stopped, it goes on in the plugin's
 * code and writes its rows through the pool left to it, without a crash.
 */
static void test_stop_with_live_run(void)
{
	ih_host h;
	ih_cycle c1;
	ih_run *r;
	char sql[256];

	NEED_SERVERS();
	CU_ASSERT_FATAL(blocked_cycle(&h, &c1) == 0);
	r = h.inst[0]->live;
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL(ih_dispatch_drain(&h), 1); /* its stop_wait is over: no more waiting */
	ih_host_stop(&h);
	CU_ASSERT_TRUE(h.leaked);
	/* wake it: it runs on in the plugin, which is still loaded */
	CU_ASSERT_EQUAL(write(fifo_fd, "x", 1), 1);
	close(fifo_fd);
	for (int i = 0; i < 600 && !ih_run_finished(r); i++)
		ih_run_wait_any(0.1);
	CU_ASSERT_TRUE(ih_run_finished(r));
	snprintf(sql, sizeof sql, "SELECT count(*) FROM price_snapshots WHERE time = '%s'", c1.time);
	CU_ASSERT_EQUAL(scalar(sql), 100);
	ih_cycle_free(&c1);
	rewrite_conf(1800, 60, 500);
}

static void servers(const char *what)
{
	char cmd[1024];

	snprintf(cmd, sizeof cmd, "'%s' %s '%s/s' >/dev/null 2>&1", getenv("IH_TEST_SERVERS"), what, priv);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

static int private_servers(void)
{
	char cmd[1024], line[600];
	FILE *f;
	int got = 0;

	snprintf(priv, sizeof priv, "/tmp/ih-outage.XXXXXX");
	if (mkdtemp(priv) == NULL || chmod(priv, 0755) != 0) /* as root, the cluster belongs to postgres */
		return -1;
	snprintf(cmd, sizeof cmd, "'%s' start '%s/s' >/dev/null", getenv("IH_TEST_SERVERS"), priv);
	if (system(cmd) != 0)
		return -1;
	snprintf(cmd, sizeof cmd, "%s/s/env", priv);
	f = fopen(cmd, "r");
	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		char *q;

		if (sscanf(line, "export IH_TEST_REDIS_PORT=%d", &redis_port) == 1)
			got |= 1;
		if (strncmp(line, "export IH_TEST_CONNINFO=\"", 25) == 0 && (q = strrchr(line + 25, '"')) != NULL) {
			*q = '\0';
			snprintf(priv_conninfo, sizeof priv_conninfo, "%s", line + 25);
			conninfo = priv_conninfo;
			got |= 2;
		}
	}
	if (f != NULL)
		fclose(f);
	if (got != 3)
		return -1;
	rewrite_conf(1800, 60, 500);
	snprintf(cmd, sizeof cmd, "'%s/ingesthost' -c %s --migrate -q", IH_TOP_BUILDDIR, conf);
	return system(cmd) == 0 ? 0 : -1;
}

static void private_servers_stop(const char *shared_conninfo, int shared_redis)
{
	char cmd[1024];

	servers("stop");
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", priv);
	CU_ASSERT_EQUAL(system(cmd), 0);
	conninfo = shared_conninfo;
	redis_port = shared_redis;
}

static long stop_at;

static void stop_pg_at(long count, void *ud)
{
	(void)ud;
	if (count == stop_at)
		servers("stop-pg");
}

/*
 * The database gone past the deadline: the run ends transient with its
 * unwritten rows counted; every card is stored whole or not at all (a
 * batch ends on a card boundary), only whole cards are marked in Redis,
 * and the next cycle fetches exactly the others and stores everything.
 */
static void test_outage_past_deadline(void)
{
	static const char *const names[] = { "fx_multi", NULL };
	ih_host h;
	ih_cycle c1, c2;
	long cards_with_rows;
	redisContext *rc;
	redisReply *rep;

	const char *shared_conninfo = conninfo;
	int shared_redis = redis_port;

	NEED_SERVERS();
	if (getenv("IH_TEST_SERVERS") == NULL) {
		CU_FAIL("IH_TEST_SERVERS (tests/servers.sh) is needed to start a PostgreSQL this test may stop");
		return;
	}
	if (private_servers() != 0) {
		CU_FAIL("cannot start private servers with tests/servers.sh");
		private_servers_stop(shared_conninfo, shared_redis);
		return;
	}
	reset_data(600);
	set_plugins(names);
	rewrite_conf(6, 10, 100);
	CU_ASSERT_FATAL(open_host_clock(&h, ih_clock_real()) == 0);
	stop_at = rsp_count("/multi") + 3;
	rsp_on_request("/multi", stop_pg_at, NULL);
	CU_ASSERT_EQUAL(ih_dispatch_cycle(&h, &c1), 3);
	rsp_on_request("/multi", NULL, NULL);
	servers("start-pg");
	ih_cycle_print_table(&c1, stdout);
	CU_ASSERT_STRING_EQUAL(c1.runs[0].status, "transient");
	CU_ASSERT(c1.runs[0].unwritten > 0);
	CU_ASSERT_EQUAL(c1.runs[0].written + c1.runs[0].unwritten, 1800);
	CU_ASSERT_EQUAL(rows_of("fx_multi"), c1.runs[0].written);
	/* whole cards only */
	CU_ASSERT_EQUAL(scalar("SELECT count(*) FROM (SELECT card_id FROM price_snapshots GROUP BY card_id "
			       "HAVING count(*) <> 3) x"), 0);
	cards_with_rows = scalar("SELECT count(DISTINCT card_id) FROM price_snapshots");
	/* the cards marked are exactly those stored */
	rc = redisConnect("127.0.0.1", redis_port);
	CU_ASSERT_FATAL(rc != NULL && rc->err == 0);
	rep = redisCommand(rc, "DBSIZE");
	CU_ASSERT_FATAL(rep != NULL && rep->type == REDIS_REPLY_INTEGER);
	CU_ASSERT_EQUAL(rep->integer, cards_with_rows);
	freeReplyObject(rep);
	redisFree(rc);
	/* the next cycle fetches the rest and stores everything */
	h.cfg->ingest.deadline = 1800;
	CU_ASSERT_EQUAL_FATAL(ih_dispatch_cycle(&h, &c2), 0);
	ih_cycle_print_table(&c2, stdout);
	CU_ASSERT_STRING_EQUAL(c2.runs[0].status, "ok");
	CU_ASSERT_EQUAL(c2.runs[0].cache_hits, cards_with_rows);
	CU_ASSERT_EQUAL(c2.runs[0].fetched, 600 - cards_with_rows);
	CU_ASSERT_EQUAL(rows_of("fx_multi"), 1800);
	CU_ASSERT_EQUAL(scalar("SELECT count(*) FROM (SELECT card_id FROM price_snapshots GROUP BY card_id "
			       "HAVING count(*) <> 3) x"), 0);
	ih_cycle_free(&c1);
	ih_cycle_free(&c2);
	ih_host_stop(&h);
	private_servers_stop(shared_conninfo, shared_redis);
	rewrite_conf(1800, 60, 500);
}

/* Bounded wait for `text` in the file (the daemon's log). */
static int file_has(const char *path, const char *text, int tries)
{
	char buf[65536];

	for (int i = 0; i < tries; i++) {
		FILE *f = fopen(path, "r");
		size_t n = f != NULL ? fread(buf, 1, sizeof buf - 1, f) : 0;

		if (f != NULL)
			fclose(f);
		buf[n] = '\0';
		if (strstr(buf, text) != NULL)
			return 1;
		usleep(50000);
	}
	return 0;
}

/*
 * SIGHUP applies what changed: a new log level at once, a new pool for a
 * changed database group, a new cache client for a changed redis group,
 * and names what cannot change live (log.syslog).
 */
static void test_sighup_applies(void)
{
	static const char *const ok[] = { "fx_ok", NULL };
	char logf[128], old[64];
	int st, fd;

	NEED_SERVERS();
	reset_data(20);
	set_plugins(ok);
	unlink(conf);
	write_conf(1000, 1);
	snprintf(logf, sizeof logf, "%s.log", conf);
	fflush(stdout);
	child = fork();
	if (child == 0) {
		fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		execl(IH_TOP_BUILDDIR "/ingesthost", "ingesthost", "-c", conf, "--foreground", (char *)NULL);
		_exit(127);
	}
	CU_ASSERT_FATAL(child > 0);
	CU_ASSERT_TRUE(file_has(logf, "run ended: ok", 600));
	/* the same path, new contents */
	snprintf(old, sizeof old, "%s", conf);
	g_pool = 3;
	g_redis_db = 5;
	g_log = "log: { level = \"debug\"; syslog = true; };\n";
	write_conf(1000, 1);
	CU_ASSERT_EQUAL(rename(conf, old), 0);
	snprintf(conf, sizeof conf, "%s", old);
	kill(child, SIGHUP);
	CU_ASSERT_TRUE(file_has(logf, "SIGHUP: reloaded", 600));
	CU_ASSERT_TRUE(file_has(logf, "a new database pool, a new cache client", 1));
	CU_ASSERT_TRUE(file_has(logf, "SIGHUP: log.level is now debug", 1));
	CU_ASSERT_TRUE(file_has(logf, "log.syslog cannot change while running", 1));
	CU_ASSERT_TRUE(file_has(logf, " DEBUG ", 600)); /* debug lines appear */
	kill(child, SIGTERM);
	CU_ASSERT_EQUAL(waitpid(child, &st, 0), child);
	CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CU_ASSERT_TRUE(file_has(logf, "stopping: every collected snapshot is written", 1));
	unlink(logf);
	g_pool = 6;
	g_redis_db = 0;
	g_log = "";
	unlink(conf);
	write_conf(1000, 3600);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{ "four plugins: ok, auth_failed, rate-limited then ok, late failure", test_four_plugins },
		{ "cache hits and fresh cards are not fetched", test_cache_then_db_freshness },
		{ "5,000 cards: one read and at most ceil(n/500) writes per plugin", test_statement_counts },
		{ "exit codes 0, 1, 2, 3", test_exit_codes },
		{ "SIGTERM mid-cycle loses nothing", test_sigterm_loses_nothing },
		{ "SIGHUP picks up a dropped-in plugin", test_sighup_picks_up_plugin },
		{ "SIGHUP applies database, redis and log, names what it keeps", test_sighup_applies },
		{ "a run past its deadline: timeout, then busy, never two collects", test_deadline_busy },
		{ "database gone past the deadline: whole cards, unmarked, refetched", test_outage_past_deadline },
		{ "stopping with a live run: its plugin stays loaded, no crash", test_stop_with_live_run },
		CU_TEST_INFO_NULL,
	};
	static CU_SuiteInfo suites[] = {
		{ "dispatch", setup, teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return ih_test_main(suites);
}
