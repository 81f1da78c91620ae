/*
 * pgtest -- a private database per test binary on the suite's PostgreSQL,
 * dropped and re-created (and migrated) at the start, so a binary can reset
 * its schema without disturbing the others running in parallel.
 */
#ifndef IH_PGTEST_H
#define IH_PGTEST_H

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "store/migrate.h"
#include "store/pool.h"

/* Run SQL that returns nothing or rows; 0 when it worked. */
static inline int pgt_exec(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "pgtest: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	return ok ? 0 : -1;
}

/* The first column of the first row as a long, or -1. */
static inline long pgt_long(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	long v = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		v = atol(PQgetvalue(r, 0, 0));
	else if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fprintf(stderr, "pgtest: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	return v;
}

/*
 * Drop and create database `name` on the cluster of `base` (a conninfo),
 * with pg_stat_statements, and write the conninfo for it into out.
 * migrate: also bring it to the newest schema.  Returns 0 or -1.
 */
static inline int pgt_fresh_db(const char *base, const char *name, int migrate, char *out, size_t outlen)
{
	char err[512], sql[256];
	PGconn *c = ih_pg_connect(base, 10, err, sizeof err);
	int rc = 0;

	if (c == NULL) {
		fprintf(stderr, "pgtest: %s\n", err);
		return -1;
	}
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	rc |= pgt_exec(c, sql);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	rc |= pgt_exec(c, sql);
	PQfinish(c);
	if (rc != 0)
		return -1;
	snprintf(out, outlen, "%s dbname=%s", base, name);
	c = ih_pg_connect(out, 10, err, sizeof err);
	if (c == NULL) {
		fprintf(stderr, "pgtest: %s\n", err);
		return -1;
	}
	rc |= pgt_exec(c, "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
	if (rc == 0 && migrate) {
		int applied, version;

		if (ih_migrate(c, ih_migrations, ih_nmigrations, &applied, &version, err, sizeof err) != 0) {
			fprintf(stderr, "pgtest: migrate: %s\n", err);
			rc = -1;
		}
	}
	PQfinish(c);
	return rc;
}

#endif
