/*
 * Process isolation (#13): plugins run in a worker process each, and a
 * plugin that faults inside collect (tests/plugins/crash.c: a segfault,
 * abort(), exit(0), a loop that never stops, a 1 GiB allocation) ends its
 * own run -- `crashed` or `timeout` -- while the host and the other plugins
 * go on; what it emitted before the fault is stored, the next cycle starts a
 * fresh worker, a plugin that keeps crashing is quarantined, and nothing is
 * left behind (no zombie, no descriptor).
 *
 * An in-process host as in dispatch_test, against the suite's PostgreSQL (a
 * database of its own) and Redis (a db number of its own), with the fixture
 * plugins calling a responder in this process.  The real clock: the workers
 * are other processes.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/conf.h"
#include "fixtures.h"
#include "host/dispatch.h"
#include "host/host.h"
#include "host/instances.h"
#include "host/summary.h"
#include "host/run.h"
#include "net/http.h"
#include "pgtest.h"
#include "responder.h"
#include "testutil.h"
#include "worker/worker.h"

#define REDIS_DB 9
#define WORKER_EXE IH_TOP_BUILDDIR "/ingesthost"

static char conninfo[1024];
static int redis_port, port, db_ok;
static char *dir, conf[64], flag[128];
/* settings of the next write_conf */
static int g_deadline = 1800, g_stop_wait = 60;
static char g_extra[512]; /* more lines inside plugins: { } (crash_limit) */

/* ---- database and cache ---------------------------------------------------- */

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

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		v = atol(PQgetvalue(r, 0, 0));
	else
		printf("\n  query failed: %s: %s\n", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return v;
}

/* The first value of the query's one row as text, into out ("" if none). */
static void text_of(const char *sql, char *out, size_t len)
{
	PGconn *c = db();
	PGresult *r = PQexec(c, sql);

	out[0] = '\0';
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		snprintf(out, len, "%s", PQgetvalue(r, 0, 0));
	else
		printf("\n  query failed: %s: %s\n", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
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
	rep = redisCommand(r, "SELECT %d", REDIS_DB);
	freeReplyObject(rep);
	rep = redisCommand(r, "FLUSHDB");
	freeReplyObject(rep);
	redisFree(r);
}

/* An empty price history and cache, and exactly n cards (ids 1..n). */
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

/* Every card due again: no cache mark, no fresh row. */
static void forget_prices(void)
{
	exec_sql("DELETE FROM price_snapshots");
	redis_flush();
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

static long runs_logged(const char *plugin, const char *status)
{
	char sql[256];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM ingest_runs WHERE plugin = '%s' AND status = '%s'", plugin,
		 status);
	return scalar(sql);
}

/* ---- config, plugin dir and host ------------------------------------------ */

/* The fixture plugins of the config: name, route, and more keys of theirs. */
static struct {
	const char *name, *route;
	char extra[512];
} px[] = {
	{ "fx_ok", "/ok", "" },     { "fx_segv", "/segv", "" }, { "fx_abort", "/abort", "" },
	{ "fx_exit", "/exit", "" }, { "fx_spin", "/spin", "" }, { "fx_hog", "/hog", "" },
	{ "fx_garble", "/garble", "" }, { "fx_freeze", "/freeze", "" },
};

/* More keys for plugin `name`'s section in the next write_conf. */
static void plugin_keys(const char *name, const char *keys)
{
	for (size_t i = 0; i < sizeof px / sizeof px[0]; i++)
		if (strcmp(px[i].name, name) == 0)
			snprintf(px[i].extra, sizeof px[i].extra, "%s", keys);
}

static void write_conf(int cards_per_cycle)
{
	FILE *f;
	int fd;

	if (conf[0])
		unlink(conf);
	snprintf(conf, sizeof conf, "/tmp/ih-isolation.XXXXXX");
	fd = mkstemp(conf);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		perror(conf);
		return;
	}
	fprintf(f,
		"database: { conninfo = \"%s\"; pool_size = 6; };\n"
		"redis: { port = %d; db = %d; };\n"
		"ingest: { cards_per_cycle = %d; batch_size = 500; interval = 3600; max_retries = 3;\n"
		"          deadline = %d; stop_wait = %d; };\n"
		"plugins: {\n  dir = \"%s\";\n%s",
		conninfo, redis_port, REDIS_DB, cards_per_cycle, g_deadline, g_stop_wait, dir, g_extra);
	for (size_t i = 0; i < sizeof px / sizeof px[0]; i++)
		fprintf(f, "  %s: { base_url = \"http://127.0.0.1:%d%s\"; %s };\n", px[i].name, port, px[i].route,
			px[i].extra);
	fputs("};\n", f);
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

/* A host in this process over the config, on the real clock. */
static int open_host(ih_host *h)
{
	ih_config *cfg = NULL;
	ih_errors errs = { 0 };
	char err[512];

	if (ih_config_load(conf, &cfg, &errs) != 0) {
		ih_errors_print(&errs, stdout);
		ih_errors_clear(&errs);
		return -1;
	}
	if (ih_host_start(h, cfg, ih_clock_real(), err, sizeof err) != 0) {
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
	static ih_run_stats none = { .status = "(no run)", .error = "" };

	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->runs[i].name, name) == 0)
			return &c->runs[i];
	CU_FAIL("no such run");
	return &none;
}

static int has(const char *text, const char *part)
{
	if (strstr(text, part) != NULL)
		return 1;
	printf("\n  \"%s\" does not say \"%s\"\n", text, part);
	return 0;
}

/* No child of this process is left, reaped or not. */
static int no_child_left(void)
{
	pid_t p = waitpid(-1, NULL, WNOHANG);

	if (p == -1 && errno == ECHILD)
		return 1;
	printf("\n  waitpid(-1, WNOHANG) = %d (%s): a worker was left behind\n", (int)p,
	       p < 0 ? strerror(errno) : p == 0 ? "a child still running" : "a zombie");
	return 0;
}

/* ---- descriptors ------------------------------------------------------------ */

/*
 * The inodes of this process's TCP connections to PostgreSQL and Redis: the
 * pool may open one more connection in a later cycle than in an earlier
 * one (three runs at once), which is not a leak of the workers'.
 */
static size_t server_sockets(unsigned long *inode, size_t max)
{
	static const char *const tables[] = { "/proc/self/net/tcp", "/proc/self/net/tcp6" };
	const char *pgp = getenv("IH_TEST_PGPORT");
	unsigned pg = pgp != NULL ? (unsigned)atoi(pgp) : 0;
	size_t n = 0;

	for (size_t t = 0; t < 2; t++) {
		FILE *f = fopen(tables[t], "r");
		char line[512];

		if (f == NULL)
			continue;
		while (fgets(line, sizeof line, f) != NULL && n < max) {
			char rem[64];
			unsigned rport;
			unsigned long ino;
			char *colon;

			/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
			if (sscanf(line, " %*s %*s %63s %*s %*s %*s %*s %*s %*s %lu", rem, &ino) != 2)
				continue;
			colon = strrchr(rem, ':');
			if (colon == NULL || sscanf(colon + 1, "%x", &rport) != 1)
				continue;
			if ((pg != 0 && rport == pg) || rport == (unsigned)redis_port)
				inode[n++] = ino;
		}
		fclose(f);
	}
	return n;
}

/* This process's open descriptors, less its connections to the servers;
 * with list != NULL their targets, one a line. */
static int count_fds(char *list, size_t len)
{
	unsigned long srv[256];
	size_t nsrv = server_sockets(srv, 256), used = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (list != NULL)
		list[0] = '\0';
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char path[300], target[256];
		ssize_t k;
		unsigned long ino;
		int skip = 0;

		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
		k = readlink(path, target, sizeof target - 1);
		target[k > 0 ? k : 0] = '\0';
		if (sscanf(target, "socket:[%lu]", &ino) == 1)
			for (size_t i = 0; i < nsrv; i++)
				skip |= srv[i] == ino;
		if (skip)
			continue;
		n++;
		if (list != NULL && used + strlen(target) + 16 < len)
			used += (size_t)snprintf(list + used, len - used, "  %s -> %s\n", e->d_name, target);
	}
	closedir(d);
	return n;
}

/* ---- setup ------------------------------------------------------------------ */

static int setup(void)
{
	static const rsp_route routes[] = {
		{ "/ok", RSP_PRICES, 0, 0, 0 },   { "/segv", RSP_PRICES, 0, 0, 0 },
		{ "/abort", RSP_PRICES, 0, 0, 0 }, { "/exit", RSP_PRICES, 0, 0, 0 },
		{ "/spin", RSP_PRICES, 0, 0, 0 },  { "/hog", RSP_PRICES, 0, 0, 0 },
		{ "/garble", RSP_PRICES, 0, 0, 0 }, { "/freeze", RSP_PRICES, 0, 0, 0 },
	};
	static const char *const none[] = { NULL };
	const char *base = getenv("IH_TEST_CONNINFO");
	struct rlimit nocore = { 0, 0 };

	redis_port = getenv("IH_TEST_REDIS_PORT") ? atoi(getenv("IH_TEST_REDIS_PORT")) : 0;
	if (base == NULL || *base == '\0' || redis_port == 0)
		return 0; /* each test skips or fails visibly */
	if (pgt_fresh_db(base, "ih_isolation_test", 1, conninfo, sizeof conninfo) != 0)
		return -1;
	db_ok = 1;
	/* the workers crash on purpose, 60 and more times: no core files */
	setrlimit(RLIMIT_CORE, &nocore);
#ifdef __SANITIZE_ADDRESS__
	/* the workers (built with the sanitizers too) die by the real signal,
	 * and exit(0) exits 0, not with a leak report's status */
	setenv("ASAN_OPTIONS", "detect_leaks=0:handle_segv=0:handle_abort=0:allow_user_segv_handler=1", 1);
#endif
	ih_worker_set_exe(WORKER_EXE);
	port = rsp_start(routes, sizeof routes / sizeof routes[0]);
	dir = ih_fixture_dir(none);
	if (port <= 0 || dir == NULL)
		return -1;
	ih_http_global_init();
	snprintf(flag, sizeof flag, "%s/crash.flag", dir);
	write_conf(1000);
	return 0;
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
		CU_ASSERT_FATAL(db_ok);                                    \
		conf_defaults();                                           \
	} while (0)

/* The defaults of the config's settings (each test starts from them). */
static void conf_defaults(void)
{
	g_deadline = 1800;
	g_stop_wait = 60;
	g_extra[0] = '\0';
	for (size_t i = 0; i < sizeof px / sizeof px[0]; i++)
		px[i].extra[0] = '\0';
}

static void default_conf(void)
{
	conf_defaults();
	write_conf(1000);
}

/* ---- 1. a fault beside fx_ok ------------------------------------------------ */

/*
 * `name` faults after its first 3 requests (300 cards: 270 rows, 30
 * mark_done) beside fx_ok over 1,000 cards: the cycle returns, fx_ok is ok
 * with all its rows, `name` is crashed with `why` in its error and its 270
 * rows stored; the next cycle starts it again in a fresh worker, which finds
 * the cards of the crashed run marked (its rows' and those it marked done).
 */
static void fault_beside_ok(const char *name, const char *route, const char *why)
{
	const char *names[] = { "fx_ok", name, NULL };
	ih_host h;
	ih_cycle c1, c2;
	long asked;

	NEED_SERVERS();
	reset_data(1000);
	set_plugins(names);
	default_conf();
	CU_ASSERT_FATAL(open_host(&h) == 0);
	CU_ASSERT_EQUAL_FATAL(h.ninst, 2);
	asked = rsp_count(route);
	CU_ASSERT_EQUAL(ih_dispatch_cycle(&h, &c1), 3);
	ih_cycle_print_table(&c1, stdout);
	CU_ASSERT_STRING_EQUAL(run_of(&c1, "fx_ok")->status, "ok");
	CU_ASSERT_EQUAL(run_of(&c1, "fx_ok")->written, 1000);
	CU_ASSERT_EQUAL(run_of(&c1, "fx_ok")->requests, 10);
	CU_ASSERT_STRING_EQUAL(run_of(&c1, name)->status, "crashed");
	CU_ASSERT(has(run_of(&c1, name)->error, why));
	CU_ASSERT_EQUAL(run_of(&c1, name)->written, 270);
	/* the requests it made: the run's stats are the worker's counters */
	if (run_of(&c1, name)->requests != rsp_count(route) - asked)
		printf("\n  the run reports %ld requests, the responder answered %ld\n", run_of(&c1, name)->requests,
		       rsp_count(route) - asked);
	CU_ASSERT_EQUAL(run_of(&c1, name)->requests, 3);
	CU_ASSERT_EQUAL(rsp_count(route) - asked, 3);
	CU_ASSERT_EQUAL(rows_of("fx_ok"), 1000);
	CU_ASSERT_EQUAL(rows_of(name), 270);
	CU_ASSERT_EQUAL(wrong_prices(name), 0);
	CU_ASSERT_EQUAL(wrong_prices("fx_ok"), 0);
	CU_ASSERT_EQUAL(runs_logged(name, "crashed"), 1);
	CU_ASSERT_EQUAL(runs_logged("fx_ok", "ok"), 1);
	CU_ASSERT_TRUE(no_child_left());

	/* the next cycle: a fresh worker, past the 300 cards done */
	CU_ASSERT_EQUAL(ih_dispatch_cycle(&h, &c2), 3);
	ih_cycle_print_table(&c2, stdout);
	CU_ASSERT_STRING_EQUAL(run_of(&c2, "fx_ok")->status, "ok");
	CU_ASSERT_EQUAL(run_of(&c2, "fx_ok")->cache_hits, 1000);
	CU_ASSERT_STRING_EQUAL(run_of(&c2, name)->status, "crashed");
	CU_ASSERT(has(run_of(&c2, name)->error, why));
	/*
	 * All 300 cards it finished are marked: the 270 with rows and the 30 it
	 * marked done without a price -- also the 10 after its last request,
	 * which reach the host in the worker's last gasp.
	 */
	if (run_of(&c2, name)->cache_hits != 300)
		printf("\n  %ld of the 300 cards of the crashed run are marked\n", run_of(&c2, name)->cache_hits);
	CU_ASSERT_EQUAL(run_of(&c2, name)->cache_hits, 300);
	CU_ASSERT_EQUAL(run_of(&c2, name)->fetched, 1000 - run_of(&c2, name)->cache_hits);
	CU_ASSERT_EQUAL(rsp_count(route) - asked, 6);
	CU_ASSERT_EQUAL(rows_of(name), 540);
	CU_ASSERT_EQUAL(wrong_prices(name), 0);
	CU_ASSERT_TRUE(no_child_left());
	ih_cycle_free(&c1);
	ih_cycle_free(&c2);
	ih_host_stop(&h);
	CU_ASSERT_EQUAL(rows_of("fx_ok"), 1000);
}

static void test_segv(void)
{
	fault_beside_ok("fx_segv", "/segv", "signal 11");
}

static void test_abort(void)
{
	fault_beside_ok("fx_abort", "/abort", "signal 6");
}

static void test_exit(void)
{
	fault_beside_ok("fx_exit", "/exit", "exited with code 0");
}

/*
 * A worker that writes garbage into its channel (a frame of unknown type):
 * the host refuses the frame, kills the worker, and the run is crashed,
 * naming what was sent.  The rows of its first two requests had been sent
 * before it (at the request boundaries); those of the third were still in
 * the worker when it was killed.  fx_ok beside it is untouched.
 */
static void test_garble(void)
{
	const char *names[] = { "fx_ok", "fx_garble", NULL };
	ih_host h;
	ih_cycle c;

	NEED_SERVERS();
	reset_data(1000);
	set_plugins(names);
	default_conf();
	CU_ASSERT_FATAL(open_host(&h) == 0);
	CU_ASSERT_EQUAL(ih_dispatch_cycle(&h, &c), 3);
	ih_cycle_print_table(&c, stdout);
	CU_ASSERT_STRING_EQUAL(run_of(&c, "fx_ok")->status, "ok");
	CU_ASSERT_EQUAL(rows_of("fx_ok"), 1000);
	CU_ASSERT_STRING_EQUAL(run_of(&c, "fx_garble")->status, "crashed");
	CU_ASSERT(has(run_of(&c, "fx_garble")->error, "unknown frame type 99"));
	CU_ASSERT_EQUAL(rows_of("fx_garble"), 180);
	CU_ASSERT_EQUAL(wrong_prices("fx_garble"), 0);
	CU_ASSERT_TRUE(no_child_left());
	ih_cycle_free(&c);
	ih_host_stop(&h);
}

/*
 * A worker frozen whole (SIGSTOP: no thread of it runs) sends no heartbeat:
 * at heartbeat_timeout (2 s here, the deadline an hour) it is killed and
 * the run is crashed, naming the silence.  The rows it had sent are kept.
 */
static void test_freeze(void)
{
	const char *names[] = { "fx_ok", "fx_freeze", NULL };
	ih_host h;
	ih_cycle c;

	NEED_SERVERS();
	reset_data(1000);
	set_plugins(names);
	conf_defaults();
	plugin_keys("fx_freeze", "heartbeat_timeout = 2;");
	write_conf(1000);
	CU_ASSERT_FATAL(open_host(&h) == 0);
	CU_ASSERT_EQUAL(ih_dispatch_cycle(&h, &c), 3);
	ih_cycle_print_table(&c, stdout);
	CU_ASSERT_STRING_EQUAL(run_of(&c, "fx_ok")->status, "ok");
	CU_ASSERT_EQUAL(rows_of("fx_ok"), 1000);
	CU_ASSERT_STRING_EQUAL(run_of(&c, "fx_freeze")->status, "crashed");
	CU_ASSERT(has(run_of(&c, "fx_freeze")->error, "no heartbeat for"));
	CU_ASSERT_EQUAL(rows_of("fx_freeze"), 180);
	CU_ASSERT_TRUE(no_child_left());
	ih_cycle_free(&c);
	ih_host_stop(&h);
}

/* ---- 2. a loop that never stops ----------------------------------------------- */

/*
 * fx_spin spins after its first request's rows, never asking should_stop:
 * at the deadline its worker is told to stop, then killed stop_wait/2 later;
 * the run is `timeout` with the rows it sent kept, the cycle returns, and
 * the next cycle runs it again in a fresh worker (not `busy`: nothing of the
 * old run is left).
 */
static void test_spin_timeout(void)
{
	static const char *const names[] = { "fx_spin", NULL };
	ih_host h;
	ih_cycle c1, c2;
	long asked, got;

	NEED_SERVERS();
	reset_data(1000);
	set_plugins(names);
	g_deadline = 2;
	g_stop_wait = 2;
	plugin_keys("fx_spin", "crash_after = 1;");
	write_conf(1000);
	CU_ASSERT_FATAL(open_host(&h) == 0);
	asked = rsp_count("/spin");
	CU_ASSERT_EQUAL(ih_dispatch_cycle(&h, &c1), 3);
	ih_cycle_print_table(&c1, stdout);
	CU_ASSERT_STRING_EQUAL(c1.runs[0].status, "timeout");
	got = rsp_count("/spin") - asked;
	CU_ASSERT(got <= 1);
	/* the rows of the request it made (a loaded machine may reach the
	 * deadline before it): every answered row is kept */
	CU_ASSERT_EQUAL(rows_of("fx_spin"), 90 * got);
	CU_ASSERT_EQUAL(c1.runs[0].written, 90 * got);
	if (got == 1) /* it spun: killed */
		CU_ASSERT(has(c1.runs[0].error, "worker killed"));
	CU_ASSERT_EQUAL(runs_logged("fx_spin", "timeout"), 1);
	CU_ASSERT_TRUE(no_child_left());
	CU_ASSERT_PTR_NULL(h.inst[0]->live);

	asked = rsp_count("/spin");
	CU_ASSERT_EQUAL(ih_dispatch_cycle(&h, &c2), 3);
	ih_cycle_print_table(&c2, stdout);
	CU_ASSERT_STRING_EQUAL(c2.runs[0].status, "timeout"); /* ran again, not busy */
	/* its 90 rows' cards; its 10 mark_done since the request may be lost
	 * (the last-gasp batch holds rows only) */
	CU_ASSERT(c2.runs[0].cache_hits >= 90 * got && c2.runs[0].cache_hits <= 100 * got);
	CU_ASSERT_EQUAL(rows_of("fx_spin"), 90 * got + 90 * (rsp_count("/spin") - asked));
	CU_ASSERT_TRUE(no_child_left());
	ih_cycle_free(&c1);
	ih_cycle_free(&c2);
	ih_host_stop(&h);
	default_conf();
}

/* ---- 3. a 1 GiB allocation ---------------------------------------------------- */

/*
 * Under memory_limit_mb = 256 the hog's malloc fails and it writes through
 * NULL: crashed, its first request's rows kept.  Sanitizer builds do not
 * apply the limit (ASan reserves terabytes of address space): there it gets
 * its gigabyte and ends ok.
 */
static void test_hog(void)
{
	static const char *const names[] = { "fx_ok", "fx_hog", NULL };
	ih_host h;
	ih_cycle c;

	NEED_SERVERS();
	reset_data(1000);
	set_plugins(names);
	plugin_keys("fx_hog", "crash_after = 1; memory_limit_mb = 256;");
	write_conf(1000);
	CU_ASSERT_FATAL(open_host(&h) == 0);
#ifdef __SANITIZE_ADDRESS__
	CU_ASSERT_EQUAL(ih_dispatch_cycle(&h, &c), 0);
	ih_cycle_print_table(&c, stdout);
	CU_ASSERT_STRING_EQUAL(run_of(&c, "fx_hog")->status, "ok");
	CU_ASSERT_EQUAL(rows_of("fx_hog"), 900);
#else
	CU_ASSERT_EQUAL(ih_dispatch_cycle(&h, &c), 3);
	ih_cycle_print_table(&c, stdout);
	CU_ASSERT_STRING_EQUAL(run_of(&c, "fx_hog")->status, "crashed");
	CU_ASSERT(has(run_of(&c, "fx_hog")->error, "signal 11"));
	CU_ASSERT_EQUAL(rows_of("fx_hog"), 90);
#endif
	CU_ASSERT_STRING_EQUAL(run_of(&c, "fx_ok")->status, "ok");
	CU_ASSERT_EQUAL(rows_of("fx_ok"), 1000);
	CU_ASSERT_EQUAL(wrong_prices("fx_hog"), 0);
	CU_ASSERT_TRUE(no_child_left());
	ih_cycle_free(&c);
	ih_host_stop(&h);
	default_conf();
}

/* ---- 4. quarantine ------------------------------------------------------------- */

/* One cycle; the status of `name` in it (into st) and the requests it made. */
static long cycle_of(ih_host *h, const char *name, const char *route, char *st, size_t len, char *err, size_t errlen)
{
	long asked = rsp_count(route);
	ih_cycle c;

	ih_dispatch_cycle(h, &c);
	ih_cycle_print_table(&c, stdout);
	snprintf(st, len, "%s", run_of(&c, name)->status);
	if (err != NULL)
		snprintf(err, errlen, "%s", run_of(&c, name)->error);
	CU_ASSERT_STRING_EQUAL(run_of(&c, "fx_ok")->status, "ok");
	ih_cycle_free(&c);
	return rsp_count(route) - asked;
}

/*
 * crash_limit = 3: fx_segv crashes three cycles running, the fourth and
 * fifth report it quarantined without starting a worker (its route is not
 * asked), fx_ok is ok in every cycle; a restart clears it.
 */
static void test_quarantine(void)
{
	static const char *const names[] = { "fx_ok", "fx_segv", NULL };
	ih_host h;
	char st[16], err[512];

	NEED_SERVERS();
	reset_data(1000);
	set_plugins(names);
	snprintf(g_extra, sizeof g_extra, "  crash_limit = 3;\n");
	plugin_keys("fx_segv", "crash_after = 1;");
	write_conf(1000);
	CU_ASSERT_FATAL(open_host(&h) == 0);
	for (int i = 1; i <= 3; i++) {
		CU_ASSERT_EQUAL(cycle_of(&h, "fx_segv", "/segv", st, sizeof st, NULL, 0), 1);
		CU_ASSERT_STRING_EQUAL(st, "crashed");
	}
	CU_ASSERT_EQUAL(rows_of("fx_segv"), 3 * 90);
	for (int i = 4; i <= 5; i++) {
		CU_ASSERT_EQUAL(cycle_of(&h, "fx_segv", "/segv", st, sizeof st, err, sizeof err), 0);
		CU_ASSERT_STRING_EQUAL(st, "quarantined");
		CU_ASSERT(has(err, "set aside after 3 consecutive crashes"));
	}
	CU_ASSERT_EQUAL(runs_logged("fx_segv", "crashed"), 3);
	CU_ASSERT_EQUAL(rows_of("fx_segv"), 3 * 90);
	CU_ASSERT_EQUAL(rows_of("fx_ok"), 1000);
	CU_ASSERT_TRUE(no_child_left());
	ih_host_stop(&h);
	/* a restart: fresh instances, not quarantined */
	CU_ASSERT_FATAL(open_host(&h) == 0);
	CU_ASSERT_EQUAL(cycle_of(&h, "fx_segv", "/segv", st, sizeof st, NULL, 0), 1);
	CU_ASSERT_STRING_EQUAL(st, "crashed");
	ih_host_stop(&h);
	CU_ASSERT_TRUE(no_child_left());
	default_conf();
}

/*
 * A run that does not crash resets the count: crash, crash, ok, then three
 * more crashes before the quarantine (with the count kept across the ok run
 * it would come after the fourth crash).
 */
static void test_quarantine_reset(void)
{
	static const char *const names[] = { "fx_ok", "fx_segv", NULL };
	static const char *const want[] = { "crashed", "crashed", "ok", "crashed", "crashed", "crashed", "quarantined" };
	ih_host h;
	char st[16], keys[256];
	int fd;

	NEED_SERVERS();
	reset_data(1000);
	set_plugins(names);
	snprintf(g_extra, sizeof g_extra, "  crash_limit = 3;\n");
	snprintf(keys, sizeof keys, "crash_after = 1; crash_if = \"%s\";", flag);
	plugin_keys("fx_segv", keys);
	write_conf(1000);
	CU_ASSERT_FATAL(open_host(&h) == 0);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		if (strcmp(want[i], "ok") == 0) {
			unlink(flag);
		} else {
			fd = open(flag, O_WRONLY | O_CREAT, 0600);
			CU_ASSERT(fd >= 0);
			if (fd >= 0)
				close(fd);
		}
		forget_prices(); /* every card due again */
		cycle_of(&h, "fx_segv", "/segv", st, sizeof st, NULL, 0);
		if (strcmp(st, want[i]) != 0)
			printf("\n  cycle %zu: fx_segv %s, want %s\n", i + 1, st, want[i]);
		CU_ASSERT_STRING_EQUAL(st, want[i]);
	}
	CU_ASSERT_EQUAL(runs_logged("fx_segv", "crashed"), 5);
	CU_ASSERT_EQUAL(runs_logged("fx_segv", "ok"), 1);
	CU_ASSERT_TRUE(no_child_left());
	ih_host_stop(&h);
	unlink(flag);
	default_conf();
}

/* ---- 5. nothing left behind ---------------------------------------------------- */

/*
 * 60 crashed runs (fx_segv, fx_abort and fx_exit at once, 20 cycles, each
 * faulting before its first request): afterwards this process has the
 * descriptors it had before (less its server connections, which the pool
 * may grow) and no child, reaped or not.
 */
static void test_no_leaks(void)
{
	static const char *const names[] = { "fx_segv", "fx_abort", "fx_exit", NULL };
	static char before_list[8192], after_list[8192];
	ih_host h;
	ih_cycle c;
	int before, after, crashed = 0;
	long asked;

	NEED_SERVERS();
	reset_data(100);
	set_plugins(names);
	snprintf(g_extra, sizeof g_extra, "  crash_limit = 1000;\n");
	plugin_keys("fx_segv", "crash_after = 0;");
	plugin_keys("fx_abort", "crash_after = 0;");
	plugin_keys("fx_exit", "crash_after = 0;");
	write_conf(100);
	CU_ASSERT_FATAL(open_host(&h) == 0);
	CU_ASSERT_EQUAL_FATAL(h.ninst, 3);
	/* one cycle first: what the host opens once (pool, cache) is open */
	CU_ASSERT_EQUAL(ih_dispatch_cycle(&h, &c), 3);
	ih_cycle_print_table(&c, stdout);
	ih_cycle_free(&c);
	before = count_fds(before_list, sizeof before_list);
	asked = rsp_count("/segv") + rsp_count("/abort") + rsp_count("/exit");
	for (int i = 0; i < 20; i++) {
		CU_ASSERT_EQUAL(ih_dispatch_cycle(&h, &c), 3);
		for (size_t k = 0; k < c.n; k++)
			crashed += strcmp(c.runs[k].status, "crashed") == 0;
		if (i == 19)
			ih_cycle_print_table(&c, stdout);
		ih_cycle_free(&c);
	}
	CU_ASSERT_EQUAL(crashed, 60);
	CU_ASSERT_TRUE(no_child_left());
	after = count_fds(after_list, sizeof after_list);
	printf("\n  descriptors (less server connections): %d before, %d after 60 crashed runs\n", before, after);
	if (after != before)
		printf("\n  before:\n%s  after:\n%s", before_list, after_list);
	CU_ASSERT_EQUAL(after, before);
	CU_ASSERT_EQUAL(rsp_count("/segv") + rsp_count("/abort") + rsp_count("/exit"), asked); /* faulted first */
	ih_host_stop(&h);
	CU_ASSERT_TRUE(no_child_left());
	default_conf();
}

/* ---- 6. thread mode --------------------------------------------------------------- */

/* price_snapshots of `plugin` as one digest of (card, condition, finish, currency, price). */
static void digest_of(const char *plugin, char *out, size_t len)
{
	char sql[512];

	snprintf(sql, sizeof sql,
		 "SELECT md5(string_agg(s.card_id || ' ' || s.condition || ' ' || s.finish || ' ' || s.currency || ' ' || "
		 "s.price::text, ',' ORDER BY s.card_id, s.condition)) FROM price_snapshots s "
		 "JOIN marketplaces m ON m.id = s.marketplace_id WHERE m.slug = '%s'",
		 plugin);
	text_of(sql, out, len);
}

/*
 * isolation = "thread": fx_ok runs in the host, as before #13, and stores
 * the same rows as in a worker.  The worker executable is made unusable for
 * that cycle: a thread-mode plugin does not need it (and a process-mode one
 * beside it then cannot end ok, so the switch is real).
 */
static void test_thread_mode(void)
{
	static const char *const names[] = { "fx_ok", NULL };
	static const char *const both[] = { "fx_ok", "fx_segv", NULL };
	char in_worker[64], in_thread[64], keys[256];
	ih_host h;
	ih_cycle c;

	NEED_SERVERS();
	/* process mode (the default) */
	reset_data(1000);
	set_plugins(names);
	default_conf();
	CU_ASSERT_FATAL(open_host(&h) == 0);
	CU_ASSERT_EQUAL(ih_dispatch_cycle(&h, &c), 0);
	ih_cycle_print_table(&c, stdout);
	CU_ASSERT_STRING_EQUAL(run_of(&c, "fx_ok")->status, "ok");
	CU_ASSERT_EQUAL(run_of(&c, "fx_ok")->requests, 10);
	ih_cycle_free(&c);
	ih_host_stop(&h);
	CU_ASSERT_EQUAL(rows_of("fx_ok"), 1000);
	digest_of("fx_ok", in_worker, sizeof in_worker);

	/* thread mode, without a worker executable */
	reset_data(1000);
	set_plugins(both);
	plugin_keys("fx_ok", "isolation = \"thread\";");
	snprintf(keys, sizeof keys, "crash_if = \"%s\";", flag);
	plugin_keys("fx_segv", keys);
	write_conf(1000);
	unlink(flag); /* fx_segv would not fault: only the missing worker fails it */
	ih_worker_set_exe("/nonexistent/ingesthost");
	CU_ASSERT_FATAL(open_host(&h) == 0);
	CU_ASSERT_EQUAL(ih_dispatch_cycle(&h, &c), 3);
	ih_cycle_print_table(&c, stdout);
	CU_ASSERT_STRING_EQUAL(run_of(&c, "fx_ok")->status, "ok");
	CU_ASSERT_EQUAL(run_of(&c, "fx_ok")->requests, 10);
	CU_ASSERT_EQUAL(run_of(&c, "fx_ok")->written, 1000);
	CU_ASSERT_STRING_NOT_EQUAL(run_of(&c, "fx_segv")->status, "ok");
	ih_cycle_free(&c);
	ih_host_stop(&h);
	ih_worker_set_exe(WORKER_EXE);
	CU_ASSERT_EQUAL(rows_of("fx_ok"), 1000);
	CU_ASSERT_EQUAL(rows_of("fx_segv"), 0);
	CU_ASSERT_EQUAL(wrong_prices("fx_ok"), 0);
	digest_of("fx_ok", in_thread, sizeof in_thread);
	CU_ASSERT(in_worker[0] != '\0');
	CU_ASSERT_STRING_EQUAL(in_thread, in_worker);
	CU_ASSERT_TRUE(no_child_left());
	default_conf();
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{ "segfault beside fx_ok: crashed (signal 11), rows kept, next cycle runs", test_segv },
		{ "abort() beside fx_ok: crashed (signal 6), rows kept, next cycle runs", test_abort },
		{ "exit(0) beside fx_ok: crashed (exited with code 0), rows kept, next cycle runs", test_exit },
		{ "garbage in the worker's channel: refused, killed, crashed; fx_ok untouched", test_garble },
		{ "a worker frozen whole: no heartbeat, killed, crashed; fx_ok untouched", test_freeze },
		{ "a loop that never stops: timeout, killed, rows kept, a fresh worker next cycle", test_spin_timeout },
		{ "1 GiB under memory_limit_mb = 256: crashed (ok without the limit)", test_hog },
		{ "three crashes running: quarantined, no worker started; a restart clears it", test_quarantine },
		{ "a run that does not crash resets the crash count", test_quarantine_reset },
		{ "60 crashed runs: no zombie, no descriptor left", test_no_leaks },
		{ "isolation = \"thread\": the same rows as in a worker", test_thread_mode },
		CU_TEST_INFO_NULL,
	};
	static CU_SuiteInfo suites[] = {
		{ "isolation", setup, teardown, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return ih_test_main(suites);
}
