#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "store/migrate.h"
#include "store/pgexec.h"

/* pg_advisory_lock key: "ihmigrat" */
#define MIGRATE_LOCK "7526676063433875828"

/* Run SQL whose rows, if any, are not needed.  Returns 0 or -1 with err. */
static int exec_cmd(PGconn *c, const char *sql, const char *what, char *err, size_t errlen)
{
	return ih_pg_exec(c, sql, -1, NULL, IH_PG_ANY_OK, NULL, what, err, errlen);
}

/* The one value of a one-row query, or NULL with err; the caller frees. */
static char *query_value(PGconn *c, const char *sql, const char *what, char *err, size_t errlen)
{
	PGresult *r;
	char *v = NULL;

	if (ih_pg_exec(c, sql, -1, NULL, PGRES_TUPLES_OK, &r, what, err, errlen) != 0)
		return NULL;
	if (PQntuples(r) == 1 && PQnfields(r) == 1)
		v = strdup(PQgetvalue(r, 0, 0));
	if (v == NULL)
		snprintf(err, errlen, "%s: no value", what);
	PQclear(r);
	return v;
}

int ih_migrate_latest(void)
{
	return ih_nmigrations > 0 ? ih_migrations[ih_nmigrations - 1].version : 0;
}

int ih_migrate_current(PGconn *c, int *version, char *err, size_t errlen)
{
	char *v = query_value(c, "SELECT to_regclass('ih_schema_version') IS NOT NULL", "reading the schema version",
			      err, errlen);
	int exists;

	if (v == NULL)
		return -1;
	exists = v[0] == 't';
	free(v);
	*version = 0;
	if (!exists)
		return 0;
	v = query_value(c, "SELECT coalesce(max(version), 0) FROM ih_schema_version", "reading the schema version", err,
			errlen);
	if (v == NULL)
		return -1;
	*version = atoi(v);
	free(v);
	return 0;
}

/* One step in its own transaction, recorded with it. */
static int apply_step(PGconn *c, const ih_migration *m, char *err, size_t errlen)
{
	char what[160], ver[16];
	const char *params[2] = { ver, m->name };

	snprintf(what, sizeof what, "migration %s", m->name);
	if (exec_cmd(c, "BEGIN", what, err, errlen) != 0)
		return -1;
	if (exec_cmd(c, m->sql, what, err, errlen) != 0)
		goto fail;
	snprintf(ver, sizeof ver, "%d", m->version);
	if (ih_pg_exec(c, "INSERT INTO ih_schema_version (version, name) VALUES ($1, $2)", 2, params, PGRES_COMMAND_OK,
		       NULL, what, err, errlen) != 0)
		goto fail;
	if (exec_cmd(c, "COMMIT", what, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	ih_pg_rollback(c);
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
	(void)ih_pg_exec(c, "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")", -1, NULL, PGRES_TUPLES_OK, NULL,
			 "releasing the migration lock", NULL, 0);
	return rc;
}
