/*
 * pool -- a thread-safe pool of libpq connections.
 *
 * At most `size` connections exist at once; a caller waits up to
 * checkout_timeout_ms for one.  Connections are opened on demand, one
 * attempt at a time (pgbouncer's launch_new_connection): while the server
 * is unreachable every caller fails at once with the cached libpq error and
 * a new attempt is made only after a spaced, growing delay (check_fast_fail),
 * so the pool recovers on its own when the server is back.  A connection
 * taken from the pool is checked cheaply every time (the socket must have
 * nothing to read: a terminated backend or a restarted server leaves EOF or
 * a FATAL message there) and with a "SELECT 1" after it sat idle a while;
 * a broken one is closed and replaced.  Returning a connection rolls back
 * any open transaction.
 *
 * Every connection (ih_pg_connect) has TCP keepalives and a TCP user
 * timeout, and its session the statement_timeout and
 * idle_in_transaction_session_timeout of database.statement_timeout_ms
 * (ih_pg_set_statement_timeout_ms in core/pgexec.h, process-wide: set it
 * before the first connection).  Its application_name is "ingesthost", or
 * "ingesthost/<plugin>" when checked out by a thread whose log context is
 * that plugin, unless the conninfo names its own.  Every statement the pool
 * runs (health check, rollback) is bounded by the statement timeout.
 */
#ifndef IH_POOL_H
#define IH_POOL_H

#include <stddef.h>
#include <libpq-fe.h>

typedef struct ih_pool ih_pool;

/*
 * A pool for `conninfo` (copied).  No connection is opened yet.
 * connect_timeout_s bounds each connection attempt.  Returns NULL only when
 * out of memory.  Any thread; free with ih_pool_free.
 */
ih_pool *ih_pool_new(const char *conninfo, int size, int connect_timeout_s, int checkout_timeout_ms);

/*
 * Check a connection out.  The caller owns it until ih_pool_put, and uses it
 * from one thread at a time.  Its application_name follows the calling
 * thread's log context (one statement only when it changes), and backends
 * of connections that timed out earlier are terminated through it first
 * (core/pgexec.h).  Returns NULL with a message in err when the server is
 * unreachable (the cached libpq error, at once) or no connection came free
 * within the checkout timeout.  Thread-safe.
 */
PGconn *ih_pool_get(ih_pool *p, char *err, size_t errlen);

/*
 * Give a connection back.  An open or failed transaction is rolled back
 * (bounded by the statement timeout); a broken connection, one dropped after
 * a timeout, or one still busy with a query or COPY, is closed without
 * blocking (and replaced on demand).  NULL is ignored.  Thread-safe.
 */
void ih_pool_put(ih_pool *p, PGconn *c);

/* Close every idle connection and free the pool.  All connections must have
 * been returned. */
void ih_pool_free(ih_pool *p);

/* 1 if the last connection attempt succeeded (or none was made yet). */
int ih_pool_reachable(ih_pool *p);

/* Counters, for tests and the log. */
typedef struct ih_pool_stats {
	long attempts;  /* connection attempts made */
	long opened;    /* connections opened */
	long dropped;   /* connections found broken and closed */
	long fastfail;  /* checkouts refused with the cached error */
	int open;       /* connections open now (idle + checked out) */
	int idle;
} ih_pool_stats;
void ih_pool_get_stats(ih_pool *p, ih_pool_stats *s);

/*
 * Tuning, mainly for tests: the first retry delay after a failed connection
 * attempt (doubling up to max_ms), and how long a connection may sit idle
 * before it gets a "SELECT 1" on checkout.  Defaults 500 ms, 15 s, 30 s.
 */
void ih_pool_set_retry(ih_pool *p, int min_ms, int max_ms);
void ih_pool_set_idle_check(ih_pool *p, int idle_ms);
/* Forget the retry delay: the next checkout tries to connect. */
void ih_pool_retry_now(ih_pool *p);

/*
 * Open one connection outside any pool (the CLI, tests, the benchmark), and
 * the pool's too: keepalives, TCP user timeout and the session's timeouts as
 * described above (ih_pg_conn_setup).  connect_timeout_s bounds the attempt.
 * Returns it, or NULL with the error in err (one line).  The caller closes it
 * with ih_pg_finish (PQfinish works too, but may wait on a silent peer).
 * Any thread.
 */
PGconn *ih_pg_connect(const char *conninfo, int connect_timeout_s, char *err, size_t errlen);

#endif
