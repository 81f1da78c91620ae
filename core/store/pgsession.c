/*
 * pgsession -- what a connection of the host is told when it opens (the
 * sessions' timeouts, keepalives, application_name) and the termination of
 * backends left behind by calls that timed out (core/store/pgexec.c
 * records them).  Above pgexec.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "store/pgexec.h"
#include "store/pgexec_int.h"

/* ---- session set-up -------------------------------------------------------- */

static int app_is_ours(const char *s)
{
	return s != NULL && (strcmp(s, "ingesthost") == 0 || strncmp(s, "ingesthost/", 11) == 0);
}

void ih_pg_app_name(char *out, size_t len)
{
	const char *ctx = ih_log_get_context();
	char name[64];

	/* as the server stores it: 63 bytes, printable ASCII, so that the
	 * reported value compares equal and costs no further round trip */
	snprintf(name, sizeof name, ctx != NULL && *ctx ? "ingesthost/%s" : "ingesthost", ctx);
	for (char *p = name; *p; p++)
		if (*p < 32 || *p > 126)
			*p = '?';
	snprintf(out, len, "%s", name);
}

int ih_pg_set_application_name(PGconn *c, char *err, size_t errlen)
{
	const char *cur = c != NULL ? PQparameterStatus(c, "application_name") : NULL;
	char name[64];
	const char *params[1] = { name };

	if (!app_is_ours(cur))
		return 0; /* the user's own name, or no connection */
	ih_pg_app_name(name, sizeof name);
	if (strcmp(cur, name) == 0)
		return 0;
	return ih_pg_exec(c, "SELECT set_config('application_name', $1, false)", 1, params, PGRES_TUPLES_OK, NULL,
			  "setting application_name", err, errlen);
}

int ih_pg_conn_setup(PGconn *c, char *err, size_t errlen)
{
	conn_info *ci = ih_pg_info_attach(c, err, errlen);
	char tmo[16], idle[16], intv[16], cnt[16], app[64];
	const char *params[5] = { tmo, idle, intv, cnt, NULL };
	int ki, kv, kc;
	PGresult *r;

	if (ci == NULL)
		return -1;
	ih_pg_keepalives(&ki, &kv, &kc);
	snprintf(tmo, sizeof tmo, "%d", ih_pg_statement_timeout_ms());
	snprintf(idle, sizeof idle, "%d", ki);
	snprintf(intv, sizeof intv, "%d", kv);
	snprintf(cnt, sizeof cnt, "%d", kc);
	if (app_is_ours(PQparameterStatus(c, "application_name"))) {
		ih_pg_app_name(app, sizeof app);
		params[4] = app;
	}
	if (ih_pg_exec(c,
		       "SELECT set_config('statement_timeout', $1, false), "
		       "set_config('idle_in_transaction_session_timeout', $1, false), "
		       "set_config('tcp_keepalives_idle', $2, false), set_config('tcp_keepalives_interval', $3, false), "
		       "set_config('tcp_keepalives_count', $4, false), "
		       "set_config('application_name', coalesce($5, current_setting('application_name')), false), "
		       "(SELECT (extract(epoch FROM backend_start) * 1000000)::bigint FROM pg_stat_activity "
		       "WHERE pid = pg_backend_pid())",
		       5, params, PGRES_TUPLES_OK, &r, "setting up the session", err, errlen) != 0)
		return -1;
	if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 6)) {
		ci->start_us = strtoll(PQgetvalue(r, 0, 6), NULL, 10);
		ci->have_start = 1;
	}
	PQclear(r);
	return 0;
}

/* ---- terminating what timed out ------------------------------------------- */

int ih_pg_reap_orphans(PGconn *c)
{
	orphan mine[MAX_ORPHANS];
	char key[256], err[512];
	int n, done = 0, i;

	ih_pg_server_key(c, key, sizeof key);
	n = ih_pg_orphans_take(key, mine);
	for (i = 0; i < n; i++) {
		char pid[16], start[24];
		const char *params[3] = { pid, mine[i].app, start };
		PGresult *r;

		snprintf(pid, sizeof pid, "%d", mine[i].pid);
		snprintf(start, sizeof start, "%lld", mine[i].start_us);
		/* pid, name and start time: a reused pid is never someone else's */
		if (ih_pg_exec(c,
			       "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1::int "
			       "AND application_name = $2 "
			       "AND (extract(epoch FROM backend_start) * 1000000)::bigint = $3::bigint",
			       3, params, PGRES_TUPLES_OK, &r, "terminating a backend that did not answer", err,
			       sizeof err) != 0) {
			ih_warn("%s", err);
			if (ih_pg_conn_lost(c)) { /* the next connection tries again */
				ih_pg_orphans_put_back(mine + i, n - i);
				return -1;
			}
			continue;
		}
		if (PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0) {
			ih_notice("terminated PostgreSQL backend %d, whose connection had stopped answering",
				  mine[i].pid);
			done++;
		}
		PQclear(r);
	}
	return done;
}

