#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "migrate.h"

/* pg_advisory_lock key: "ihmigrat" */
#define MIGRATE_LOCK "7526676063433875828"

static void pg_err(char *err, size_t errlen, const char *what, PGconn *c, const PGresult *r)
{
	const char *m = r != NULL ? PQresultErrorMessage(r) : NULL;
	size_t len;

	if (m == NULL || *m == '\0')
		m = PQerrorMessage(c);
	snprintf(err, errlen, "%s: %s", what, m);
	len = strlen(err);
	while (len > 0 && (err[len - 1] == '\n' || err[len - 1] == ' '))
		err[--len] = '\0';
}

/* Run a command that returns no rows.  Returns 0 or -1 with err. */
static int exec_cmd(PGconn *c, const char *sql, const char *what, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		pg_err(err, errlen, what, c, r);
	PQclear(r);
	return ok ? 0 : -1;
}

int ih_migrate_latest(void)
{
	return ih_nmigrations > 0 ? ih_migrations[ih_nmigrations - 1].version : 0;
}

int ih_migrate_current(PGconn *c, int *version, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, "SELECT to_regclass('ih_schema_version') IS NOT NULL");
	int exists;

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		pg_err(err, errlen, "reading the schema version", c, r);
		PQclear(r);
		return -1;
	}
	exists = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	*version = 0;
	if (!exists)
		return 0;
	r = PQexec(c, "SELECT coalesce(max(version), 0) FROM ih_schema_version");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		pg_err(err, errlen, "reading the schema version", c, r);
		PQclear(r);
		return -1;
	}
	*version = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

/* One step in its own transaction, recorded with it. */
static int apply_step(PGconn *c, const ih_migration *m, char *err, size_t errlen)
{
	char what[160], ver[16];
	const char *params[2] = { ver, m->name };
	PGresult *r;

	snprintf(what, sizeof what, "migration %s", m->name);
	if (exec_cmd(c, "BEGIN", what, err, errlen) != 0)
		return -1;
	if (exec_cmd(c, m->sql, what, err, errlen) != 0)
		goto fail;
	snprintf(ver, sizeof ver, "%d", m->version);
	r = PQexecParams(c, "INSERT INTO ih_schema_version (version, name) VALUES ($1, $2)", 2, NULL, params, NULL,
			 NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		pg_err(err, errlen, what, c, r);
		PQclear(r);
		goto fail;
	}
	PQclear(r);
	if (exec_cmd(c, "COMMIT", what, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	PQclear(PQexec(c, "ROLLBACK"));
	return -1;
}

int ih_migrate(PGconn *c, const ih_migration *m, size_t n, int *applied, int *version, char *err, size_t errlen)
{
	int cur = 0, rc = 0, latest = n > 0 ? m[n - 1].version : 0;

	*applied = 0;
	*version = 0;
	if (PQtransactionStatus(c) != PQTRANS_IDLE) {
		snprintf(err, errlen, "migrate: the connection is inside a transaction");
		return -1;
	}
	if (exec_cmd(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")", "taking the migration lock", err, errlen) != 0)
		return -1;
	if (exec_cmd(c,
		     "SET client_min_messages = warning;"
		     "CREATE TABLE IF NOT EXISTS ih_schema_version ("
		     " version int PRIMARY KEY, name text NOT NULL,"
		     " applied_at timestamptz NOT NULL DEFAULT now());"
		     "RESET client_min_messages",
		     "creating ih_schema_version", err, errlen) != 0 ||
	    ih_migrate_current(c, &cur, err, errlen) != 0) {
		rc = -1;
		goto out;
	}
	if (cur > latest) {
		snprintf(err, errlen,
			 "the database schema is at version %d, newer than this ingesthost knows (%d): "
			 "run the ingesthost release that migrated it, or a newer one",
			 cur, latest);
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (m[i].version <= cur)
			continue;
		ih_info("applying migration %s", m[i].name);
		if (apply_step(c, &m[i], err, errlen) != 0) {
			rc = -1;
			goto out;
		}
		cur = m[i].version;
		(*applied)++;
	}
out:
	*version = cur;
	PQclear(PQexec(c, "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")"));
	return rc;
}
