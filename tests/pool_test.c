/*
 * pool_test -- the libpq pool against the suite's PostgreSQL: bounds,
 * rollback on return, connections terminated by the server, a full server
 * restart, an unreachable server (fast failure, recovery), many threads.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pgtest.h"
#include "pool.h"
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
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "pool", init, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return ih_test_main(suites);
}
