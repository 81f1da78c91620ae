#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <libpq-events.h>

#include "base/log.h"
#include "store/pgexec.h"
#include "store/pgexec_int.h"

/* A wait longer than this logs one line. */
#define WARN_AFTER_MS 5000

static int g_timeout_ms = IH_PG_STATEMENT_TIMEOUT_DEFAULT;

void ih_pg_set_statement_timeout_ms(int ms)
{
	__atomic_store_n(&g_timeout_ms, ms > 0 ? ms : IH_PG_STATEMENT_TIMEOUT_DEFAULT, __ATOMIC_RELAXED);
}

int ih_pg_statement_timeout_ms(void)
{
	return __atomic_load_n(&g_timeout_ms, __ATOMIC_RELAXED);
}

void ih_pg_keepalives(int *idle_s, int *interval_s, int *count)
{
	/* idle + count * interval ~ the statement timeout, at least 2 s */
	int total = (ih_pg_statement_timeout_ms() + 999) / 1000;

	if (total < 2)
		total = 2;
	*count = 3;
	*idle_s = total / 2;
	*interval_s = (total - *idle_s) / *count;
	if (*interval_s < 1)
		*interval_s = 1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ih_pg_oneline(char *dst, size_t len, const char *what, const char *msg)
{
	size_t n = 0;

	if (dst == NULL || len == 0)
		return;
	if (msg == NULL || *msg == '\0')
		msg = "unknown error";
	if (what != NULL && *what != '\0') {
		int k = snprintf(dst, len, "%s: ", what);

		n = k < 0 ? 0 : (size_t)k >= len ? len - 1 : (size_t)k;
	}
	for (const char *p = msg; *p != '\0' && n + 1 < len; p++) {
		if (*p == '\n' || *p == '\r') {
			while (p[1] == '\n' || p[1] == '\r' || p[1] == ' ' || p[1] == '\t')
				p++;
			if (p[1] == '\0')
				break;
			if (n + 3 >= len)
				break;
			dst[n++] = ';';
			dst[n++] = ' ';
		} else {
			dst[n++] = *p == '\t' ? ' ' : *p;
		}
	}
	while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\t'))
		n--;
	dst[n] = '\0';
}

/* ---- per-connection state, attached through libpq's event API ------------ */

static int conn_event(PGEventId id, void *info, void *pass)
{
	(void)pass;
	if (id == PGEVT_CONNDESTROY) {
		PGEventConnDestroy *e = info;

		free(PQinstanceData(e->conn, conn_event));
	}
	return 1;
}

static conn_info *info_of(const PGconn *c)
{
	return c != NULL ? PQinstanceData(c, conn_event) : NULL;
}

conn_info *ih_pg_info_attach(PGconn *c, char *err, size_t errlen)
{
	conn_info *ci = info_of(c);

	if (ci != NULL)
		return ci;
	ci = calloc(1, sizeof *ci);
	if (ci == NULL) {
		ih_pg_oneline(err, errlen, "setting up the session", "out of memory");
		return NULL;
	}
	if (!PQregisterEventProc(c, conn_event, "ingesthost", NULL)) {
		free(ci);
		ih_pg_oneline(err, errlen, "setting up the session", "cannot register the libpq event procedure");
		return NULL;
	}
	if (!PQsetInstanceData(c, conn_event, ci)) {
		free(ci);
		ih_pg_oneline(err, errlen, "setting up the session", "cannot attach the connection state");
		return NULL;
	}
	return ci;
}

int ih_pg_conn_lost(PGconn *c)
{
	const conn_info *ci = info_of(c);

	return c == NULL || PQstatus(c) != CONNECTION_OK || PQsocket(c) < 0 || (ci != NULL && ci->broken);
}

/* ---- backends left behind -------------------------------------------------- */

static pthread_mutex_t g_omu = PTHREAD_MUTEX_INITIALIZER;
static orphan g_orphans[MAX_ORPHANS];
static int g_norphans;

void ih_pg_server_key(PGconn *c, char *out, size_t len)
{
	const char *h = PQhost(c), *p = PQport(c), *d = PQdb(c);

	snprintf(out, len, "%s|%s|%s", h ? h : "", p ? p : "", d ? d : "");
}

static void orphan_add(PGconn *c)
{
	const conn_info *ci = info_of(c);
	const char *app = PQparameterStatus(c, "application_name");
	orphan o;

	if (ci == NULL || !ci->have_start || PQbackendPID(c) <= 0)
		return; /* no guard to terminate it safely: the server's own timeouts end it */
	memset(&o, 0, sizeof o);
	o.pid = PQbackendPID(c);
	o.start_us = ci->start_us;
	snprintf(o.app, sizeof o.app, "%s", app != NULL ? app : "");
	ih_pg_server_key(c, o.key, sizeof o.key);
	pthread_mutex_lock(&g_omu);
	if (g_norphans == MAX_ORPHANS) { /* forget the oldest */
		memmove(&g_orphans[0], &g_orphans[1], (MAX_ORPHANS - 1) * sizeof g_orphans[0]);
		g_norphans--;
	}
	g_orphans[g_norphans++] = o;
	pthread_mutex_unlock(&g_omu);
}

int ih_pg_orphans_take(const char *key, orphan *out)
{
	int n = 0, j = 0;

	pthread_mutex_lock(&g_omu);
	for (int i = 0; i < g_norphans; i++) {
		if (strcmp(g_orphans[i].key, key) == 0)
			out[n++] = g_orphans[i];
		else
			g_orphans[j++] = g_orphans[i];
	}
	g_norphans = j;
	pthread_mutex_unlock(&g_omu);
	return n;
}

void ih_pg_orphans_put_back(const orphan *v, int n)
{
	pthread_mutex_lock(&g_omu);
	for (int i = 0; i < n && g_norphans < MAX_ORPHANS; i++)
		g_orphans[g_norphans++] = v[i];
	pthread_mutex_unlock(&g_omu);
}

int ih_pg_orphans_pending(void)
{
	int n;

	pthread_mutex_lock(&g_omu);
	n = g_norphans;
	pthread_mutex_unlock(&g_omu);
	return n > 0;
}

/* ---- waiting --------------------------------------------------------------- */

enum { W_OK = 0, W_TIMEOUT = 1, W_FAIL = 2 };

typedef struct call {
	PGconn *c;
	const char *what;
	long long start, deadline;
	int warned;
	int was_nb;
} call;

/* Wait until the socket is ready for `events`, or the deadline. */
static int wait_sock(call *k, short events)
{
	int fd = PQsocket(k->c);

	if (fd < 0)
		return W_FAIL;
	for (;;) {
		long long now = now_ms(), until = k->deadline;
		struct pollfd pfd;
		int n;

		if (!k->warned && k->start + WARN_AFTER_MS < k->deadline) {
			if (now >= k->start + WARN_AFTER_MS) {
				ih_warn("still waiting for PostgreSQL after %d s (%s)", WARN_AFTER_MS / 1000, k->what);
				k->warned = 1;
			} else {
				until = k->start + WARN_AFTER_MS;
			}
		}
		if (now >= k->deadline)
			return W_TIMEOUT;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)(until - now));
		if (n < 0 && errno != EINTR)
			return W_FAIL;
		if (n > 0)
			return W_OK; /* readable, writable, or an error libpq will report */
	}
}

/* Send what libpq holds, reading meanwhile so the server never blocks on us. */
static int flush_out(call *k)
{
	for (;;) {
		int r = PQflush(k->c), w;

		if (r == 0)
			return W_OK;
		if (r < 0)
			return W_FAIL;
		w = wait_sock(k, POLLIN | POLLOUT);
		if (w != W_OK)
			return w;
		if (!PQconsumeInput(k->c))
			return W_FAIL;
	}
}

/*
 * Every result of the command in flight; *last gets the last one (the first
 * error wins over later results, as PQexec does), a COPY state ends it.
 */
static int collect(call *k, PGresult **last)
{
	*last = NULL;
	for (;;) {
		PGresult *r;
		ExecStatusType st;

		while (PQisBusy(k->c)) {
			int w = wait_sock(k, POLLIN);

			if (w != W_OK)
				return w;
			if (!PQconsumeInput(k->c))
				return W_FAIL;
		}
		r = PQgetResult(k->c);
		if (r == NULL)
			return W_OK;
		st = PQresultStatus(r);
		if (*last != NULL && PQresultStatus(*last) == PGRES_FATAL_ERROR && st != PGRES_FATAL_ERROR &&
		    st != PGRES_COPY_IN && st != PGRES_COPY_OUT && st != PGRES_COPY_BOTH) {
			PQclear(r);
			continue;
		}
		PQclear(*last);
		*last = r;
		if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH)
			return W_OK; /* PQgetResult would answer the same again */
		if (PQstatus(k->c) == CONNECTION_BAD)
			return W_OK; /* the error result is the last one */
	}
}

static int begin(call *k, PGconn *c, const char *what, char *err, size_t errlen)
{
	const conn_info *ci = info_of(c);

	memset(k, 0, sizeof *k);
	k->c = c;
	k->what = what != NULL ? what : "database call";
	k->start = now_ms();
	k->deadline = k->start + ih_pg_statement_timeout_ms();
	if (c == NULL) {
		ih_pg_oneline(err, errlen, k->what, "no connection to PostgreSQL");
		return -1;
	}
	if (ci != NULL && ci->broken) {
		ih_pg_oneline(err, errlen, k->what, "the connection was dropped after a timeout");
		return -1;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		ih_pg_oneline(err, errlen, k->what, *PQerrorMessage(c) ? PQerrorMessage(c) : "connection lost");
		return -1;
	}
	k->was_nb = PQisnonblocking(c);
	if (!k->was_nb && PQsetnonblocking(c, 1) != 0) {
		ih_pg_oneline(err, errlen, k->what, PQerrorMessage(c));
		return -1;
	}
	return 0;
}

/* Back to the blocking mode the caller had (other code may use libpq directly). */
static void end(call *k)
{
	if (!k->was_nb && PQstatus(k->c) == CONNECTION_OK && PQsocket(k->c) >= 0)
		(void)PQsetnonblocking(k->c, 0);
}

/*
 * No answer in time: remember the backend for termination, shut the socket
 * down (nothing can block on it any more) and let libpq see the EOF, so the
 * connection reads CONNECTION_BAD and PQfinish has nothing to send.
 */
static int timed_out(call *k, char *err, size_t errlen)
{
	conn_info *ci = info_of(k->c);
	int fd = PQsocket(k->c);
	char msg[160];

	orphan_add(k->c);
	if (ci != NULL)
		ci->broken = 1;
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	(void)PQconsumeInput(k->c);
	snprintf(msg, sizeof msg,
		 "no answer from PostgreSQL within %d ms (database.statement_timeout_ms); connection dropped",
		 (int)(k->deadline - k->start));
	ih_pg_oneline(err, errlen, k->what, msg);
	return -1;
}

static int failed(call *k, const PGresult *r, char *err, size_t errlen)
{
	const char *m = r != NULL ? PQresultErrorMessage(r) : NULL;

	if (m == NULL || *m == '\0')
		m = PQerrorMessage(k->c);
	if (m == NULL || *m == '\0')
		m = "connection lost";
	ih_pg_oneline(err, errlen, k->what, m);
	end(k);
	return -1;
}

/* Unless w already failed: send what is queued, then read every result. */
static int flush_collect(call *k, int w, PGresult **last)
{
	if (w == W_OK)
		w = flush_out(k);
	if (w == W_OK)
		w = collect(k, last);
	return w;
}

static int status_ok(ExecStatusType st, int want)
{
	if (want < 0)
		return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
	return (int)st == want;
}

int ih_pg_exec(PGconn *c, const char *sql, int nparams, const char *const *params, int want, PGresult **res,
	       const char *what, char *err, size_t errlen)
{
	PGresult *r = NULL;
	call k;
	int sent, w;

	if (res != NULL)
		*res = NULL;
	if (begin(&k, c, what, err, errlen) != 0)
		return -1;
	if (nparams < 0)
		sent = PQsendQuery(c, sql);
	else
		sent = PQsendQueryParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
	if (!sent)
		return failed(&k, NULL, err, errlen);
	w = flush_collect(&k, W_OK, &r);
	if (w == W_TIMEOUT) {
		PQclear(r);
		return timed_out(&k, err, errlen);
	}
	if (w == W_FAIL || r == NULL || !status_ok(PQresultStatus(r), want)) {
		int rc = failed(&k, w == W_FAIL ? NULL : r, err, errlen);

		PQclear(r);
		return rc;
	}
	end(&k);
	if (res != NULL)
		*res = r;
	else
		PQclear(r);
	return 0;
}

/*
 * Hand COPY data (buf, len) or, with end set, the COPY's end (abort_msg) to
 * libpq in non-blocking mode: it answers 1 taken, 0 not now, -1 failed.
 * While it says "not now", wait for the socket within the call's deadline.
 * Returns W_OK, W_TIMEOUT or W_FAIL (W_FAIL with *refused set when libpq
 * itself refused, for the caller's message).
 */
static int put_copy(call *k, const void *buf, size_t len, int end_copy, const char *abort_msg, int *refused)
{
	*refused = 0;
	for (;;) {
		int r = end_copy ? PQputCopyEnd(k->c, abort_msg) : PQputCopyData(k->c, buf, (int)len);
		int w;

		if (r == 1)
			return W_OK;
		if (r < 0) {
			*refused = 1;
			return W_FAIL;
		}
		w = wait_sock(k, POLLIN | POLLOUT);
		if (w == W_OK && !PQconsumeInput(k->c))
			w = W_FAIL;
		if (w != W_OK)
			return w;
	}
}

int ih_pg_copy_put(PGconn *c, const void *buf, size_t len, const char *what, char *err, size_t errlen)
{
	call k;
	int w, refused;

	if (begin(&k, c, what, err, errlen) != 0)
		return -1;
	w = put_copy(&k, buf, len, 0, NULL, &refused);
	if (refused)
		return failed(&k, NULL, err, errlen);
	/* libpq would buffer without end: keep at most one call's data */
	if (w == W_OK)
		w = flush_out(&k);
	if (w == W_TIMEOUT)
		return timed_out(&k, err, errlen);
	if (w == W_FAIL)
		return failed(&k, NULL, err, errlen);
	end(&k);
	return 0;
}

int ih_pg_copy_end(PGconn *c, const char *abort_msg, char *sqlstate, const char *what, char *err, size_t errlen)
{
	PGresult *r = NULL;
	call k;
	int w, ok, refused;

	if (sqlstate != NULL)
		*sqlstate = '\0';
	if (begin(&k, c, what, err, errlen) != 0)
		return -1;
	w = put_copy(&k, NULL, 0, 1, abort_msg, &refused);
	if (refused)
		return failed(&k, NULL, err, errlen);
	w = flush_collect(&k, w, &r);
	if (w == W_TIMEOUT) {
		PQclear(r);
		return timed_out(&k, err, errlen);
	}
	if (w == W_FAIL || r == NULL) {
		int rc = failed(&k, NULL, err, errlen);

		PQclear(r);
		return rc;
	}
	if (abort_msg != NULL)
		ok = PQresultStatus(r) != PGRES_COPY_IN && PQstatus(c) == CONNECTION_OK;
	else
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok) {
		const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		int rc;

		if (sqlstate != NULL && st != NULL)
			snprintf(sqlstate, 6, "%.5s", st);
		rc = failed(&k, r, err, errlen);
		PQclear(r);
		return rc;
	}
	PQclear(r);
	end(&k);
	return 0;
}

void ih_pg_rollback(PGconn *c)
{
	PGTransactionStatusType t = c != NULL && !ih_pg_conn_lost(c) ? PQtransactionStatus(c) : PQTRANS_UNKNOWN;

	if (t == PQTRANS_INTRANS || t == PQTRANS_INERROR)
		(void)ih_pg_exec(c, "ROLLBACK", -1, NULL, PGRES_COMMAND_OK, NULL, "rolling back", NULL, 0);
}

void ih_pg_finish(PGconn *c)
{
	if (c == NULL)
		return;
	/* PQfinish sends a Terminate message: never wait for a peer to take it */
	if (PQstatus(c) == CONNECTION_OK && PQsocket(c) >= 0 && !PQisnonblocking(c))
		(void)PQsetnonblocking(c, 1);
	PQfinish(c);
}
