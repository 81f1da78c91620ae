/*
 * pgexec -- every libpq call of the host, bounded in time.
 *
 * A statement is sent with libpq's asynchronous API, flushed in
 * non-blocking mode, and its results are awaited with poll() on the
 * connection's socket until a deadline: the process-wide
 * database.statement_timeout_ms (CONTRACT section 6), which is also the
 * sessions' statement_timeout and idle_in_transaction_session_timeout.  A
 * wait past 5 s logs one line, so a blocked lock shows in the log.
 *
 * On timeout the connection is made unusable at once (its socket is shut
 * down: PQstatus turns CONNECTION_BAD, PQfinish cannot block, the pool
 * drops it on return), the backend is remembered, and the next connection
 * to the same server that the pool hands out terminates it
 * (pg_terminate_backend, guarded by pid, application_name and
 * backend_start so an unrelated backend that reuses the pid is never
 * touched).  PQcancel is not used: it connects and waits without a bound.
 *
 * Error texts are one line, "what: message" (libpq's multi-line messages
 * folded, "\n" -> "; ").  Functions return 0 or -1.  A connection is used
 * by one thread at a time; the module's state is thread-safe.
 */
#ifndef IH_PGEXEC_H
#define IH_PGEXEC_H

#include <stddef.h>
#include <libpq-fe.h>

#define IH_PG_STATEMENT_TIMEOUT_DEFAULT 30000

/* `want` of ih_pg_exec: any success (COMMAND_OK, TUPLES_OK, EMPTY_QUERY). */
#define IH_PG_ANY_OK (-1)

/*
 * The bound on every database call, in ms (database.statement_timeout_ms);
 * <= 0 restores the default, 30000.  Connections opened afterwards also get
 * it as their server-side timeouts and TCP keepalive/user timeout.  Call it
 * once at start-up, before connections are opened (any thread).
 */
void ih_pg_set_statement_timeout_ms(int ms);
int ih_pg_statement_timeout_ms(void);

/*
 * TCP keepalive settings derived from the statement timeout, so that a dead
 * peer is found within about that time: idle seconds, probe interval
 * seconds, probe count.  Used for both ends of every connection.
 */
void ih_pg_keepalives(int *idle_s, int *interval_s, int *count);

/*
 * Run `sql` and wait, within the statement timeout, for all its results.
 * nparams < 0: the simple query protocol (PQsendQuery: several statements
 * allowed, no parameters); else PQsendQueryParams with text parameters
 * (NULL = SQL NULL).  Succeeds when the last result has status `want`
 * (IH_PG_ANY_OK: any success; PGRES_COPY_IN starts a COPY, see below).
 * res (may be NULL) receives that result, which the caller PQclear()s.
 * On failure *res is NULL and err (may be NULL) holds "what: reason" in one
 * line.  The connection stays in the caller's hands either way; after a
 * timeout it is unusable (ih_pg_conn_lost).  Thread: the connection's.
 */
int ih_pg_exec(PGconn *c, const char *sql, int nparams, const char *const *params, int want, PGresult **res,
	       const char *what, char *err, size_t errlen);

/*
 * During a COPY FROM STDIN started with ih_pg_exec(..., PGRES_COPY_IN, ...):
 * send len bytes (borrowed), waiting for the socket to take them no longer
 * than the statement timeout.  0, or -1 with err.
 */
int ih_pg_copy_put(PGconn *c, const void *buf, size_t len, const char *what, char *err, size_t errlen);

/*
 * End the COPY: abort_msg NULL finishes it, else aborts it with that
 * message.  Then read its result within the statement timeout.  Returns 0
 * when the COPY ended as asked (written, or aborted); -1 with err (may be
 * NULL) when the server refused the rows -- then sqlstate (may be NULL, 6
 * bytes) receives its SQLSTATE, e.g. "23505" -- or the connection failed.
 */
int ih_pg_copy_end(PGconn *c, const char *abort_msg, char *sqlstate, const char *what, char *err, size_t errlen);

/*
 * After PQconnectdb: attach the module's per-connection state, and in one
 * statement set the session's statement_timeout,
 * idle_in_transaction_session_timeout, TCP keepalives and application_name
 * (see ih_pg_set_application_name), and learn the backend's start time
 * (the guard of a later pg_terminate_backend).  0, or -1 with err.
 * Thread: the connection's.
 */
int ih_pg_conn_setup(PGconn *c, char *err, size_t errlen);

/*
 * The application_name for the calling thread: "ingesthost", or
 * "ingesthost/<context>" when the thread has a log context (the plugin it
 * runs, ih_log_set_context).  Written into out (at most 63 bytes).
 */
void ih_pg_app_name(char *out, size_t len);

/*
 * Give a connection the calling thread's application name, with one
 * statement only when it differs from the current one (libpq tracks the
 * current value, so the steady state costs nothing).  A name the user set
 * in the conninfo (not "ingesthost..."), is left alone.  0, or -1 with err.
 */
int ih_pg_set_application_name(PGconn *c, char *err, size_t errlen);

/*
 * If c is inside a transaction (open or failed), roll it back, bounded like
 * any call; errors are ignored (a broken connection is closed by its owner).
 * Thread: the connection's.
 */
void ih_pg_rollback(PGconn *c);

/* 1 when c is NULL, broken, or was dropped after a timeout: close it. */
int ih_pg_conn_lost(PGconn *c);

/*
 * 1 when backends left behind by timed-out connections wait to be
 * terminated (cheap; any thread).
 */
int ih_pg_orphans_pending(void);

/*
 * Terminate, through the healthy connection c, the backends left behind
 * by timed-out connections to the same server (host, port, database).
 * Returns how many were terminated, or -1 when c failed (its err logged).
 * Thread: the connection's.
 */
int ih_pg_reap_orphans(PGconn *c);

/*
 * PQfinish without blocking: a connection with unsent output (a peer that
 * stopped reading) is closed without waiting to say goodbye.  NULL ignored.
 */
void ih_pg_finish(PGconn *c);

/*
 * "what: msg" into dst as one line: newlines (and the indentation after
 * them) become "; ", trailing whitespace is trimmed.  what may be NULL.
 */
void ih_pg_oneline(char *dst, size_t len, const char *what, const char *msg);

#endif
