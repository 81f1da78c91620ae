/*
 * pool_test -- the libpq pool against the suite's PostgreSQL: bounds,
 * rollback on return, connections terminated by the server, a full server
 * restart, an unreachable server (fast failure, recovery), many threads;
 * and no call waiting forever (core/pgexec): a connection that falls
 * silent (tests/ih-silentproxy), a lock held by another session, the
 * sessions' timeouts, keepalives and application_name.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "store/pgexec.h"
#include "pgtest.h"
#include "store/pool.h"
#include "testutil.h"

#define APP "ih_pool_test"

static char g_conninfo[1024];

static int init(void)
{
	const char *base = getenv("IH_TEST_CONNINFO");

	if (base == NULL || *base == '\0')
		return 0;
	snprintf(g_conninfo, sizeof g_conninfo, "%s application_name=" APP, base);
	return 0;
}

static int select1(PGconn *c)
{
	PGresult *r = PQexec(c, "SELECT 1");
	int ok = PQresultStatus(r) == PGRES_TUPLES_OK;

	PQclear(r);
	return ok;
}

static void test_bounded(void)
{
	char err[256] = "";
	PGconn *c[3];
	ih_pool *p;
	ih_pool_stats st;

	if (ih_test_conninfo_or_skip("pool bounded") == NULL)
		return;
	p = ih_pool_new(g_conninfo, 3, 5, 50);
	for (int i = 0; i < 3; i++) {
		c[i] = ih_pool_get(p, err, sizeof err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c[i]);
	}
	CU_ASSERT_PTR_NULL(ih_pool_get(p, err, sizeof err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "pool_size = 3"));
	ih_pool_put(p, c[1]);
	CU_ASSERT_PTR_EQUAL(ih_pool_get(p, err, sizeof err), c[1]); /* reused, not reopened */
	for (int i = 0; i < 3; i++)
		ih_pool_put(p, c[i]);
	ih_pool_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.opened, 3);
	CU_ASSERT_EQUAL(st.idle, 3);
	ih_pool_free(p);
}

static void test_rollback_on_put(void)
{
	char err[256];
	ih_pool *p;
	PGconn *c;

	if (ih_test_conninfo_or_skip("pool rollback") == NULL)
		return;
	p = ih_pool_new(g_conninfo, 1, 5, 1000);
	c = ih_pool_get(p, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	pgt_exec(c, "BEGIN; CREATE TEMP TABLE t_pool (x int)");
	CU_ASSERT_EQUAL(PQtransactionStatus(c), PQTRANS_INTRANS);
	ih_pool_put(p, c);
	c = ih_pool_get(p, err, sizeof err);
	CU_ASSERT_EQUAL(PQtransactionStatus(c), PQTRANS_IDLE);
	CU_ASSERT_EQUAL(pgt_long(c, "SELECT count(*) FROM pg_class WHERE relname = 't_pool'"), 0);
	/* a failed transaction too */
	PQclear(PQexec(c, "BEGIN"));
	PQclear(PQexec(c, "SELECT no_such_column"));
	CU_ASSERT_EQUAL(PQtransactionStatus(c), PQTRANS_INERROR);
	ih_pool_put(p, c);
	c = ih_pool_get(p, err, sizeof err);
	CU_ASSERT(select1(c));
	ih_pool_put(p, c);
	ih_pool_free(p);
}

/* Wait (bounded by a count, not a clock) until no backend of ours is left. */
static long wait_backends_gone(PGconn *admin)
{
	long n = -1;

	for (int i = 0; i < 10000; i++) {
		n = pgt_long(admin, "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" APP "' "
				    "AND pid <> pg_backend_pid()");
		if (n == 0)
			break;
		usleep(1000);
	}
	return n;
}

static void use_all(ih_pool *p, int n)
{
	char err[256] = "";
	PGconn *c[8];

	for (int i = 0; i < n; i++) {
		c[i] = ih_pool_get(p, err, sizeof err);
		CU_ASSERT_PTR_NOT_NULL(c[i]);
		if (c[i] != NULL)
			CU_ASSERT(select1(c[i]));
	}
	for (int i = 0; i < n; i++)
		ih_pool_put(p, c[i]);
}

static void test_terminated(void)
{
	char err[256];
	ih_pool *p;
	PGconn *admin;
	ih_pool_stats st;

	if (ih_test_conninfo_or_skip("pool terminated") == NULL)
		return;
	admin = ih_pg_connect(getenv("IH_TEST_CONNINFO"), 5, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(admin);
	p = ih_pool_new(g_conninfo, 4, 5, 1000);
	use_all(p, 4);
	CU_ASSERT_EQUAL(pgt_long(admin, "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" APP "'"), 4);
	CU_ASSERT_EQUAL(pgt_long(admin, "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
					"WHERE application_name = '" APP "') t"),
			4);
	CU_ASSERT_EQUAL(wait_backends_gone(admin), 0);
	use_all(p, 4); /* every one found broken and replaced */
	ih_pool_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.dropped, 4);
	CU_ASSERT_EQUAL(st.opened, 8);
	ih_pool_free(p);
	PQfinish(admin);
}

static void test_server_restart(void)
{
	ih_pool *p;
	ih_pool_stats st;

	if (ih_test_conninfo_or_skip("pool restart") == NULL)
		return;
	p = ih_pool_new(g_conninfo, 3, 5, 1000);
	use_all(p, 3);
	CU_ASSERT_EQUAL_FATAL(ih_test_servers("restart-pg"), 0);
	use_all(p, 3);
	ih_pool_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.dropped, 3);
	ih_pool_free(p);
}

/* A loopback port nobody listens on. */
static int dead_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(s, (struct sockaddr *)&a, sizeof a);
	getsockname(s, (struct sockaddr *)&a, &len);
	port = ntohs(a.sin_port);
	close(s);
	return port;
}

static void test_unreachable_fast_fail(void)
{
	char ci[256], err[512] = "", err2[512] = "";
	ih_pool *p;
	ih_pool_stats st;

	snprintf(ci, sizeof ci, "host=127.0.0.1 port=%d dbname=x", dead_port());
	p = ih_pool_new(ci, 2, 5, 1000);
	ih_pool_set_retry(p, 60000, 60000);
	CU_ASSERT_PTR_NULL(ih_pool_get(p, err, sizeof err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "refused"));
	CU_ASSERT_FALSE(ih_pool_reachable(p));
	for (int i = 0; i < 50; i++)
		CU_ASSERT_PTR_NULL(ih_pool_get(p, err2, sizeof err2));
	CU_ASSERT_STRING_EQUAL(err, err2); /* the cached error */
	ih_pool_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.attempts, 1); /* no new attempt inside the retry delay */
	CU_ASSERT_EQUAL(st.fastfail, 50);
	ih_pool_retry_now(p);
	CU_ASSERT_PTR_NULL(ih_pool_get(p, err2, sizeof err2));
	ih_pool_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.attempts, 2);
	ih_pool_free(p);
}

static void test_down_and_back(void)
{
	char err[512] = "";
	ih_pool *p;
	PGconn *c;

	if (ih_test_conninfo_or_skip("pool down and back") == NULL)
		return;
	p = ih_pool_new(g_conninfo, 2, 5, 1000);
	ih_pool_set_retry(p, 0, 0); /* retry at once: the test controls the server */
	use_all(p, 2);
	CU_ASSERT_EQUAL_FATAL(ih_test_servers("stop-pg"), 0);
	c = ih_pool_get(p, err, sizeof err);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT(strlen(err) > 0);
	CU_ASSERT_FALSE(ih_pool_reachable(p));
	CU_ASSERT_EQUAL_FATAL(ih_test_servers("start-pg"), 0);
	c = ih_pool_get(p, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL(c);
	if (c != NULL)
		CU_ASSERT(select1(c));
	ih_pool_put(p, c);
	CU_ASSERT_TRUE(ih_pool_reachable(p));
	ih_pool_free(p);
}

static ih_pool *g_tp;
static int g_terr;
static pthread_mutex_t g_tmu = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
	char err[256];

	(void)arg;
	for (int i = 0; i < 100; i++) {
		PGconn *c = ih_pool_get(g_tp, err, sizeof err);
		int ok = c != NULL && select1(c);

		if (c != NULL && i % 10 == 0)
			PQclear(PQexec(c, "BEGIN"));
		ih_pool_put(g_tp, c);
		if (!ok) {
			pthread_mutex_lock(&g_tmu);
			g_terr++;
			pthread_mutex_unlock(&g_tmu);
		}
	}
	return NULL;
}

static void test_threads(void)
{
	pthread_t t[8];
	ih_pool_stats st;

	if (ih_test_conninfo_or_skip("pool threads") == NULL)
		return;
	g_tp = ih_pool_new(g_conninfo, 3, 5, 30000);
	for (int i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	CU_ASSERT_EQUAL(g_terr, 0);
	ih_pool_get_stats(g_tp, &st);
	CU_ASSERT(st.opened <= 3);
	CU_ASSERT_EQUAL(st.open, st.idle);
	ih_pool_free(g_tp);
}

/* ---- bounded calls (core/pgexec) ------------------------------------------ */

#define TMO_MS 1000

/* The first column of the first row, as text, into out ("" on failure). */
static void str_query(PGconn *c, const char *sql, char *out, size_t len)
{
	PGresult *r = PQexec(c, sql);

	snprintf(out, len, "%s", PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
}

/* Run tests/servers.sh CMD DIR [ARG] on the suite's servers. */
static int servers(const char *cmd, const char *arg)
{
	const char *script = getenv("IH_TEST_SERVERS"), *dir = getenv("IH_TEST_SERVERS_DIR");
	char line[4096];

	if (script == NULL || dir == NULL)
		return -1;
	snprintf(line, sizeof line, "'%s' %s '%s' %s%s%s >/dev/null", script, cmd, dir, arg ? "'" : "", arg ? arg : "",
		 arg ? "'" : "");
	return system(line);
}

/*
 * Start tests/ih-silentproxy in front of the suite's PostgreSQL; its
 * conninfo into ci.  0, or -1 after printing why the test skips.
 */
static int proxy_start(const char *test, char *ci, size_t len)
{
	char bin[1024], path[1024];
	FILE *f;
	int port = 0;

	if (ih_test_conninfo_or_skip(test) == NULL)
		return -1;
	snprintf(bin, sizeof bin, "%s/tests/ih-silentproxy", IH_TOP_BUILDDIR);
	if (getenv("IH_TEST_SERVERS_DIR") == NULL || access(bin, X_OK) != 0 || servers("proxy-start", bin) != 0) {
		ih_test_skip(test, "no tests/ih-silentproxy or no servers.sh proxy-start");
		return -1;
	}
	snprintf(path, sizeof path, "%s/proxy.port", getenv("IH_TEST_SERVERS_DIR"));
	f = fopen(path, "r");
	if (f == NULL || fscanf(f, "%d", &port) != 1) {
		CU_FAIL("proxy-start wrote no port");
		if (f != NULL)
			fclose(f);
		return -1;
	}
	fclose(f);
	snprintf(ci, len, "host=127.0.0.1 port=%d user=postgres dbname=ingesthost_test", port);
	return 0;
}

/* Wait (bounded by a count) until backend `pid` is gone; 1 if it went. */
static int wait_pid_gone(PGconn *admin, int pid)
{
	char sql[128];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_stat_activity WHERE pid = %d", pid);
	for (int i = 0; i < 10000; i++) {
		if (pgt_long(admin, sql) == 0)
			return 1;
		usleep(1000);
	}
	return 0;
}

static int one_line(const char *s)
{
	return strchr(s, '\n') == NULL && strchr(s, '\r') == NULL;
}

/*
 * A connection that falls silent mid-use: the call returns the timeout
 * error instead of hanging, the pool drops the connection, the next
 * checkout works (new connections through the proxy forward), and the
 * silent connection's backend is terminated on the server.
 */
static void test_silent_connection(void)
{
	char ci[256], err[512] = "";
	ih_pool *p;
	ih_pool_stats st;
	PGconn *c, *admin;
	int pid;

	if (proxy_start("silent connection", ci, sizeof ci) != 0)
		return;
	ih_pg_set_statement_timeout_ms(TMO_MS);
	admin = ih_pg_connect(getenv("IH_TEST_CONNINFO"), 5, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(admin);
	p = ih_pool_new(ci, 2, 5, 5000);
	c = ih_pool_get(p, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(ih_pg_exec(c, "SELECT 1", -1, NULL, PGRES_TUPLES_OK, NULL, "first query", err, sizeof err), 0);
	pid = PQbackendPID(c);
	CU_ASSERT_EQUAL_FATAL(servers("proxy-silence", NULL), 0);

	CU_ASSERT_EQUAL(ih_pg_exec(c, "SELECT 1", -1, NULL, PGRES_TUPLES_OK, NULL, "the test query", err, sizeof err),
			-1);
	printf("\n  %s", err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "the test query: no answer from PostgreSQL within 1000 ms "
					   "(database.statement_timeout_ms); connection dropped"));
	CU_ASSERT(one_line(err));
	CU_ASSERT(ih_pg_conn_lost(c));
	CU_ASSERT_EQUAL(PQstatus(c), CONNECTION_BAD);
	ih_pool_put(p, c);
	ih_pool_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.dropped, 1);
	CU_ASSERT_EQUAL(st.open, 0);

	c = ih_pool_get(p, err, sizeof err); /* a new connection, which terminates the old backend */
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_NOT_EQUAL(PQbackendPID(c), pid);
	CU_ASSERT_EQUAL(ih_pg_exec(c, "SELECT 1", -1, NULL, PGRES_TUPLES_OK, NULL, "after", err, sizeof err), 0);
	CU_ASSERT(wait_pid_gone(admin, pid));
	CU_ASSERT_FALSE(ih_pg_orphans_pending());

	/* silent while idle in the pool: the health check is bounded too */
	ih_pool_put(p, c);
	pid = PQbackendPID(c);
	CU_ASSERT_EQUAL_FATAL(servers("proxy-silence", NULL), 0);
	ih_pool_set_idle_check(p, 0);
	c = ih_pool_get(p, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_NOT_EQUAL(PQbackendPID(c), pid);
	CU_ASSERT_EQUAL(ih_pg_exec(c, "SELECT 1", -1, NULL, PGRES_TUPLES_OK, NULL, "after", err, sizeof err), 0);
	CU_ASSERT(wait_pid_gone(admin, pid));
	ih_pool_put(p, c);
	ih_pool_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.dropped, 2);
	ih_pool_free(p);

	servers("proxy-stop", NULL);
	ih_pg_finish(admin);
	ih_pg_set_statement_timeout_ms(0);
}

/* A COPY whose peer stops reading: the puts are bounded as well. */
static void test_silent_copy(void)
{
	char ci[256], err[512] = "";
	static char chunk[256 * 1024];
	PGconn *c, *admin;
	int pid, rc = 0;

	if (proxy_start("silent COPY", ci, sizeof ci) != 0)
		return;
	ih_pg_set_statement_timeout_ms(TMO_MS);
	admin = ih_pg_connect(getenv("IH_TEST_CONNINFO"), 5, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(admin);
	c = ih_pg_connect(ci, 5, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	pid = PQbackendPID(c);
	CU_ASSERT_EQUAL(ih_pg_exec(c, "CREATE TEMP TABLE t_copy (x text)", -1, NULL, PGRES_COMMAND_OK, NULL, "create", err,
				   sizeof err),
			0);
	CU_ASSERT_EQUAL_FATAL(ih_pg_exec(c, "COPY t_copy FROM STDIN", -1, NULL, PGRES_COPY_IN, NULL, "copy", err,
					 sizeof err),
			      0);
	memset(chunk, 'a', sizeof chunk);
	for (size_t i = 1023; i < sizeof chunk; i += 1024)
		chunk[i] = '\n';
	CU_ASSERT_EQUAL(ih_pg_copy_put(c, chunk, sizeof chunk, "COPY rows", err, sizeof err), 0);
	CU_ASSERT_EQUAL_FATAL(servers("proxy-silence", NULL), 0);
	/* far more than the socket buffers hold: some put must wait, and give up */
	for (int i = 0; i < 512 && rc == 0; i++)
		rc = ih_pg_copy_put(c, chunk, sizeof chunk, "COPY rows", err, sizeof err);
	if (rc == 0)
		rc = ih_pg_copy_end(c, NULL, NULL, "COPY end", err, sizeof err);
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no answer from PostgreSQL within 1000 ms"));
	CU_ASSERT(one_line(err));
	CU_ASSERT(ih_pg_conn_lost(c));
	CU_ASSERT_EQUAL(ih_pg_copy_end(c, "client error", NULL, "COPY end", err, sizeof err), -1); /* at once */
	ih_pg_finish(c);                                                                          /* cannot block */
	/* the next connection to that server terminates the backend */
	c = ih_pg_connect(ci, 5, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(ih_pg_reap_orphans(c), 1);
	CU_ASSERT(wait_pid_gone(admin, pid));
	ih_pg_finish(c);
	servers("proxy-stop", NULL);
	ih_pg_finish(admin);
	ih_pg_set_statement_timeout_ms(0);
}

/*
 * A statement blocked by a lock another session holds ends within the
 * timeout with a one-line error; the pool's sessions carry the timeouts.
 */
static void test_lock_wait_bounded(void)
{
	char err[512] = "";
	ih_pool *p;
	PGconn *c, *admin;

	if (ih_test_conninfo_or_skip("lock wait bounded") == NULL)
		return;
	ih_pg_set_statement_timeout_ms(TMO_MS);
	admin = ih_pg_connect(getenv("IH_TEST_CONNINFO"), 5, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(admin);
	/* the lock holder itself must not be ended by the short timeouts */
	CU_ASSERT_EQUAL(pgt_exec(admin, "SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0; "
					"CREATE TABLE IF NOT EXISTS ih_pool_lock (x int primary key)"),
			0);
	CU_ASSERT_EQUAL(pgt_exec(admin, "BEGIN; LOCK TABLE ih_pool_lock IN ACCESS EXCLUSIVE MODE"), 0);
	p = ih_pool_new(g_conninfo, 1, 5, 5000);
	c = ih_pool_get(p, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(pgt_long(c, "SELECT setting FROM pg_settings WHERE name = 'statement_timeout'"), TMO_MS);
	CU_ASSERT_EQUAL(pgt_long(c, "SELECT setting FROM pg_settings WHERE name = 'idle_in_transaction_session_timeout'"),
			TMO_MS);
	CU_ASSERT_EQUAL(ih_pg_exec(c, "SELECT count(*) FROM ih_pool_lock", -1, NULL, PGRES_TUPLES_OK, NULL,
				   "reading a locked table", err, sizeof err),
			-1);
	printf("\n  %s", err);
	CU_ASSERT(one_line(err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "reading a locked table: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "timeout"));
	ih_pool_put(p, c);
	CU_ASSERT_EQUAL(pgt_exec(admin, "ROLLBACK"), 0);

	/* a multi-line server error (ERROR + DETAIL) arrives as one line */
	c = ih_pool_get(p, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(ih_pg_exec(c, "INSERT INTO ih_pool_lock VALUES (1), (1)", -1, NULL, PGRES_COMMAND_OK, NULL,
				   "inserting twice", err, sizeof err),
			-1);
	printf("\n  %s", err);
	CU_ASSERT(one_line(err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "duplicate key"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "; DETAIL:"));
	ih_pool_put(p, c);
	ih_pool_free(p);
	pgt_exec(admin, "DROP TABLE ih_pool_lock");
	ih_pg_finish(admin);
	ih_pg_set_statement_timeout_ms(0);
}

/* libpq's parse error quotes the conninfo: the password must not reach the message. */
static void test_conninfo_unparsable(void)
{
	char err[512] = "";
	PGconn *c = ih_pg_connect("host=127.0.0.1 password=my hidden-word pw", 2, err, sizeof err);

	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NULL(strstr(err, "hidden"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot be parsed"));
	c = ih_pg_connect("postgresql://u:secret%zz@127.0.0.1:1/db", 2, err, sizeof err);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NULL(strstr(err, "secret"));
}

static void test_oneline(void)
{
	char out[64];

	ih_pg_oneline(out, sizeof out, "w", "ERROR:  a\nDETAIL:  b\n\tc  \n");
	CU_ASSERT_STRING_EQUAL(out, "w: ERROR:  a; DETAIL:  b; c");
	ih_pg_oneline(out, sizeof out, NULL, "x\r\n");
	CU_ASSERT_STRING_EQUAL(out, "x");
	ih_pg_oneline(out, 8, "what", "a long message");
	CU_ASSERT_EQUAL(strlen(out), 7);
}

/* application_name follows the thread's log context, with no extra statement when it does not change. */
static void test_application_name(void)
{
	char err[512] = "", name[128];
	const char *base = getenv("IH_TEST_CONNINFO");
	ih_pool *p;
	PGconn *c, *c2;
	long before, after;

	if (ih_test_conninfo_or_skip("application_name") == NULL)
		return;
	p = ih_pool_new(base, 1, 5, 5000);
	ih_log_set_context("x");
	c = ih_pool_get(p, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	str_query(c, "SELECT current_setting('application_name')", name, sizeof name);
	CU_ASSERT_STRING_EQUAL(name, "ingesthost/x");
	ih_pool_put(p, c);

	ih_log_set_context("y");
	c2 = ih_pool_get(p, err, sizeof err);
	CU_ASSERT_PTR_EQUAL(c2, c); /* the same connection, renamed */
	str_query(c2, "SELECT current_setting('application_name')", name, sizeof name);
	CU_ASSERT_STRING_EQUAL(name, "ingesthost/y");
	ih_pool_put(p, c2);
	/* steady state: no statement */
	before = pgt_long(c2, "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE "
			      "'SELECT set_config(''application_name'', $1, false)'");
	for (int i = 0; i < 3; i++) {
		c2 = ih_pool_get(p, err, sizeof err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c2);
		ih_pool_put(p, c2);
	}
	after = pgt_long(c2, "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE "
			     "'SELECT set_config(''application_name'', $1, false)'");
	CU_ASSERT(before >= 0);
	CU_ASSERT_EQUAL(after, before);

	ih_log_set_context(NULL);
	c = ih_pool_get(p, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(PQparameterStatus(c, "application_name"), "ingesthost");
	ih_pool_put(p, c);
	ih_pool_free(p);

	/* a name the conninfo gives is the user's: left alone */
	p = ih_pool_new(g_conninfo, 1, 5, 5000);
	ih_log_set_context("x");
	c = ih_pool_get(p, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(PQparameterStatus(c, "application_name"), APP);
	ih_pool_put(p, c);
	ih_pool_free(p);
	ih_log_set_context(NULL);
}

/* TCP keepalives on both ends and the user timeout, from the statement timeout. */
static void test_keepalives(void)
{
	char err[512] = "";
	ih_pool *p;
	PGconn *c;
	int on = 0, idle = 0, user_tmo = 0, ki, kv, kc;
	socklen_t len;

	if (ih_test_conninfo_or_skip("keepalives") == NULL)
		return;
	ih_pg_keepalives(&ki, &kv, &kc);
	CU_ASSERT(ki + kv * kc <= (IH_PG_STATEMENT_TIMEOUT_DEFAULT + 999) / 1000);
	p = ih_pool_new(g_conninfo, 1, 5, 5000);
	c = ih_pool_get(p, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	len = sizeof on;
	CU_ASSERT_EQUAL(getsockopt(PQsocket(c), SOL_SOCKET, SO_KEEPALIVE, &on, &len), 0);
	CU_ASSERT_EQUAL(on, 1);
	len = sizeof idle;
	CU_ASSERT_EQUAL(getsockopt(PQsocket(c), IPPROTO_TCP, TCP_KEEPIDLE, &idle, &len), 0);
	CU_ASSERT_EQUAL(idle, ki);
	len = sizeof user_tmo;
	CU_ASSERT_EQUAL(getsockopt(PQsocket(c), IPPROTO_TCP, TCP_USER_TIMEOUT, &user_tmo, &len), 0);
	CU_ASSERT_EQUAL(user_tmo, IH_PG_STATEMENT_TIMEOUT_DEFAULT);
	/* the server's end of the same connection */
	CU_ASSERT_EQUAL(pgt_long(c, "SELECT setting FROM pg_settings WHERE name = 'tcp_keepalives_idle'"), ki);
	CU_ASSERT_EQUAL(pgt_long(c, "SELECT setting FROM pg_settings WHERE name = 'tcp_keepalives_interval'"), kv);
	CU_ASSERT_EQUAL(pgt_long(c, "SELECT setting FROM pg_settings WHERE name = 'tcp_keepalives_count'"), kc);
	CU_ASSERT_EQUAL(pgt_long(c, "SELECT setting FROM pg_settings WHERE name = 'statement_timeout'"),
			IH_PG_STATEMENT_TIMEOUT_DEFAULT);
	ih_pool_put(p, c);
	ih_pool_free(p);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{ "bounded by size, waits with a timeout", test_bounded },
		{ "open transaction rolled back on return", test_rollback_on_put },
		{ "survives pg_terminate_backend of all its connections", test_terminated },
		{ "survives a server restart", test_server_restart },
		{ "unreachable: cached error, one attempt per delay", test_unreachable_fast_fail },
		{ "server down then back: recovers", test_down_and_back },
		{ "eight threads on three connections", test_threads },
		{ "errors folded into one line", test_oneline },
		{ "an unparsable conninfo: no secret in the error", test_conninfo_unparsable },
		{ "a connection falling silent: bounded, dropped, backend terminated", test_silent_connection },
		{ "a COPY whose peer stops reading: bounded", test_silent_copy },
		{ "a statement blocked by a lock: bounded, one-line error", test_lock_wait_bounded },
		{ "application_name follows the log context", test_application_name },
		{ "keepalives and timeouts on both ends", test_keepalives },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "pool", init, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	/* this binary stops and restarts its servers: its own, not the suite's */
	if (ih_test_private_servers() != 0) {
		fprintf(stderr, "cannot start private servers with tests/servers.sh\n");
		return 1;
	}
	return ih_test_main(suites);
}
