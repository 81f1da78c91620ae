#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "store/pgexec.h"
#include "store/pool.h"

typedef struct idle_conn {
	PGconn *c;
	long long since_ms; /* monotonic time it was returned */
} idle_conn;

struct ih_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* a connection came free, or an attempt ended */
	char *conninfo;
	int size, connect_timeout_s, checkout_timeout_ms;
	int retry_min_ms, retry_max_ms, idle_check_ms;
	idle_conn *idle; /* a stack: the most recently used on top */
	int nidle;
	int open;       /* idle + checked out + the attempt in flight */
	int connecting; /* 1 while an attempt is in flight */
	int down;       /* the last attempt failed */
	int retry_ms;   /* current delay */
	long long next_attempt_ms;
	char last_err[512];
	ih_pool_stats st;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void copy_err(char *dst, size_t len, const char *src)
{
	size_t n;

	if (dst == NULL || len == 0)
		return;
	snprintf(dst, len, "%s", src);
	n = strlen(dst);
	while (n > 0 && (dst[n - 1] == '\n' || dst[n - 1] == ' '))
		dst[--n] = '\0';
}

PGconn *ih_pg_connect(const char *conninfo, int connect_timeout_s, char *err, size_t errlen)
{
	char tmo[16], idle[16], intv[16], cnt[16], user_tmo[16];
	/* listed first, so the conninfo (expanded from dbname) overrides them */
	const char *keys[] = { "connect_timeout", "fallback_application_name", "keepalives", "keepalives_idle",
			       "keepalives_interval", "keepalives_count", "tcp_user_timeout", "dbname", NULL };
	const char *vals[] = { tmo, "ingesthost", "1", idle, intv, cnt, user_tmo, conninfo, NULL };
	char msg[512];
	int ki, kv, kc;
	PGconn *c;

	/* libpq's parse errors quote the conninfo, password included: say it
	 * without the text (a plain database name has no '=' and is not parsed) */
	if (conninfo != NULL && (strchr(conninfo, '=') != NULL || strncmp(conninfo, "postgres", 8) == 0)) {
		char *perr = NULL;
		PQconninfoOption *o = PQconninfoParse(conninfo, &perr);

		PQfreemem(perr);
		if (o == NULL) {
			copy_err(err, errlen,
				 "database.conninfo cannot be parsed (its text is not shown: it may hold a password); "
				 "check its key=value pairs, quoting or URI");
			return NULL;
		}
		PQconninfoFree(o);
	}
	snprintf(tmo, sizeof tmo, "%d", connect_timeout_s > 0 ? connect_timeout_s : 5);
	/* a peer that fell silent is found within about the statement timeout */
	ih_pg_keepalives(&ki, &kv, &kc);
	snprintf(idle, sizeof idle, "%d", ki);
	snprintf(intv, sizeof intv, "%d", kv);
	snprintf(cnt, sizeof cnt, "%d", kc);
	snprintf(user_tmo, sizeof user_tmo, "%d", ih_pg_statement_timeout_ms());
	c = PQconnectdbParams(keys, vals, 1);
	if (c == NULL) {
		copy_err(err, errlen, "out of memory");
		return NULL;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		ih_pg_oneline(msg, sizeof msg, NULL, PQerrorMessage(c));
		copy_err(err, errlen, msg);
		PQfinish(c);
		return NULL;
	}
	if (ih_pg_conn_setup(c, msg, sizeof msg) != 0) {
		copy_err(err, errlen, msg);
		ih_pg_finish(c);
		return NULL;
	}
	return c;
}

ih_pool *ih_pool_new(const char *conninfo, int size, int connect_timeout_s, int checkout_timeout_ms)
{
	ih_pool *p = calloc(1, sizeof *p);

	if (p == NULL)
		return NULL;
	p->size = size > 0 ? size : 1;
	p->conninfo = strdup(conninfo != NULL ? conninfo : "");
	p->idle = calloc((size_t)p->size, sizeof *p->idle);
	if (p->conninfo == NULL || p->idle == NULL) {
		free(p->conninfo);
		free(p->idle);
		free(p);
		return NULL;
	}
	p->connect_timeout_s = connect_timeout_s;
	p->checkout_timeout_ms = checkout_timeout_ms > 0 ? checkout_timeout_ms : 30000;
	p->retry_min_ms = 500;
	p->retry_max_ms = 15000;
	p->idle_check_ms = 30000;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	return p;
}

void ih_pool_set_retry(ih_pool *p, int min_ms, int max_ms)
{
	pthread_mutex_lock(&p->mu);
	p->retry_min_ms = min_ms < 0 ? 0 : min_ms;
	p->retry_max_ms = max_ms < p->retry_min_ms ? p->retry_min_ms : max_ms;
	pthread_mutex_unlock(&p->mu);
}

void ih_pool_set_idle_check(ih_pool *p, int idle_ms)
{
	pthread_mutex_lock(&p->mu);
	p->idle_check_ms = idle_ms;
	pthread_mutex_unlock(&p->mu);
}

void ih_pool_retry_now(ih_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->next_attempt_ms = 0;
	p->retry_ms = 0;
	pthread_mutex_unlock(&p->mu);
}

int ih_pool_reachable(ih_pool *p)
{
	int r;

	pthread_mutex_lock(&p->mu);
	r = !p->down;
	pthread_mutex_unlock(&p->mu);
	return r;
}

void ih_pool_get_stats(ih_pool *p, ih_pool_stats *s)
{
	pthread_mutex_lock(&p->mu);
	*s = p->st;
	s->open = p->open;
	s->idle = p->nidle;
	pthread_mutex_unlock(&p->mu);
}

/*
 * Is an idle connection still usable?  Idle, it must have nothing to read:
 * a terminated backend sends a FATAL message and closes, a stopped server
 * closes.  After a long idle time also ask the server.
 */
static int conn_usable(PGconn *c, long long idle_ms, int check_after_ms)
{
	struct pollfd pfd;

	if (ih_pg_conn_lost(c) || PQtransactionStatus(c) != PQTRANS_IDLE)
		return 0;
	pfd.fd = PQsocket(c);
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (pfd.fd < 0)
		return 0;
	while (poll(&pfd, 1, 0) < 0)
		if (errno != EINTR)
			return 0;
	if (pfd.revents != 0)
		return 0;
	if (idle_ms < check_after_ms)
		return 1;
	return ih_pg_exec(c, "SELECT 1", -1, NULL, PGRES_TUPLES_OK, NULL, "checking an idle connection", NULL, 0) == 0;
}

/*
 * Before a connection is handed out: the calling thread's application_name
 * (a statement only when it changes), and the backends of connections that
 * timed out terminated.  0, or -1 with err when c is unusable.
 */
static int prepare(PGconn *c, char *err, size_t errlen)
{
	if (ih_pg_set_application_name(c, err, errlen) != 0)
		return -1;
	if (ih_pg_orphans_pending())
		(void)ih_pg_reap_orphans(c);
	if (ih_pg_conn_lost(c)) {
		copy_err(err, errlen, "the new database connection failed at once");
		return -1;
	}
	return 0;
}

/* Close a connection that was counted open.  Lock not held. */
static void drop(ih_pool *p, PGconn *c)
{
	ih_pg_finish(c);
	pthread_mutex_lock(&p->mu);
	p->open--;
	p->st.dropped++;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Called with the lock held; releases and retakes it. */
static PGconn *connect_one(ih_pool *p, char *err, size_t errlen)
{
	char msg[512];
	PGconn *c;

	p->connecting = 1;
	p->open++;
	p->st.attempts++;
	pthread_mutex_unlock(&p->mu);
	c = ih_pg_connect(p->conninfo, p->connect_timeout_s, msg, sizeof msg);
	pthread_mutex_lock(&p->mu);
	p->connecting = 0;
	if (c != NULL) {
		if (p->down)
			ih_notice("PostgreSQL is reachable again");
		p->down = 0;
		p->retry_ms = 0;
		p->st.opened++;
	} else {
		p->open--;
		if (!p->down)
			ih_warn("cannot connect to PostgreSQL: %s", msg);
		p->down = 1;
		p->retry_ms = p->retry_ms == 0 ? p->retry_min_ms : p->retry_ms * 2;
		if (p->retry_ms > p->retry_max_ms)
			p->retry_ms = p->retry_max_ms;
		p->next_attempt_ms = now_ms() + p->retry_ms;
		copy_err(p->last_err, sizeof p->last_err, msg);
		copy_err(err, errlen, msg);
	}
	pthread_cond_broadcast(&p->cv);
	return c;
}

static void cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, long long deadline_ms)
{
	/* the condition variable uses CLOCK_REALTIME: convert the remaining time */
	long long left = deadline_ms - now_ms();
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(left / 1000);
	ts.tv_nsec += (long)(left % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(cv, mu, &ts);
}

PGconn *ih_pool_get(ih_pool *p, char *err, size_t errlen)
{
	long long deadline;
	PGconn *c = NULL;

	pthread_mutex_lock(&p->mu);
	deadline = now_ms() + p->checkout_timeout_ms;
	for (;;) {
		if (p->nidle > 0) {
			idle_conn ic = p->idle[--p->nidle];
			int check_after = p->idle_check_ms;

			pthread_mutex_unlock(&p->mu);
			if (conn_usable(ic.c, now_ms() - ic.since_ms, check_after) && prepare(ic.c, NULL, 0) == 0)
				return ic.c;
			drop(p, ic.c);
			pthread_mutex_lock(&p->mu);
			continue;
		}
		if (p->down && (p->connecting || now_ms() < p->next_attempt_ms)) {
			/* pgbouncer's fast fail: do not queue behind a dead server */
			p->st.fastfail++;
			copy_err(err, errlen, p->last_err);
			break;
		}
		if (p->open < p->size && !p->connecting) {
			c = connect_one(p, err, errlen);
			break;
		}
		if (now_ms() >= deadline) {
			snprintf(err, errlen,
				 "no database connection came free within %d ms (database.pool_size = %d, all in use)",
				 p->checkout_timeout_ms, p->size);
			break;
		}
		cond_wait_until(&p->cv, &p->mu, deadline);
	}
	pthread_mutex_unlock(&p->mu);
	if (c != NULL && prepare(c, err, errlen) != 0) {
		drop(p, c);
		c = NULL;
	}
	return c;
}

void ih_pool_put(ih_pool *p, PGconn *c)
{
	int keep;

	if (c == NULL)
		return;
	switch (PQtransactionStatus(c)) {
	case PQTRANS_IDLE:
		keep = 1;
		break;
	case PQTRANS_INTRANS:
	case PQTRANS_INERROR:
		keep = ih_pg_exec(c, "ROLLBACK", -1, NULL, PGRES_COMMAND_OK, NULL, "rolling back on return", NULL, 0) == 0;
		break;
	default: /* a query or COPY in progress, or the connection is gone */
		keep = 0;
		break;
	}
	if (ih_pg_conn_lost(c))
		keep = 0;
	if (!keep)
		ih_pg_finish(c);
	pthread_mutex_lock(&p->mu);
	if (keep && p->nidle < p->size) {
		p->idle[p->nidle].c = c;
		p->idle[p->nidle].since_ms = now_ms();
		p->nidle++;
	} else {
		if (keep)
			ih_pg_finish(c); /* not one of ours: cannot happen with correct callers */
		p->open--;
		p->st.dropped++;
	}
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void ih_pool_free(ih_pool *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < p->nidle; i++)
		ih_pg_finish(p->idle[i].c);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->idle);
	free(p->conninfo);
	free(p);
}
