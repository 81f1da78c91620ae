/*
 * migrate -- creating and upgrading the schema (CONTRACT section 4).
 *
 * The migrations are sql/NNN_name.sql, embedded into the binary at build
 * time (scripts/embed-sql.sh writes core/sql_embedded.c), so an installed
 * ingesthost needs no sql directory.  Each one runs in its own transaction
 * and is recorded in the table ih_schema_version; a session advisory lock
 * keeps two migrating processes from interleaving.
 */
#ifndef IH_MIGRATE_H
#define IH_MIGRATE_H

#include <stddef.h>
#include <libpq-fe.h>

typedef struct ih_migration {
	int version;      /* NNN of the file name */
	const char *name; /* "NNN_name" */
	const char *sql;  /* the file's text */
} ih_migration;

/* The migrations built into this binary, in version order. */
extern const ih_migration ih_migrations[];
extern const size_t ih_nmigrations;

/* Highest version built into this binary. */
int ih_migrate_latest(void);

/*
 * Bring the database on `c` to the newest of the n migrations `m` (pass
 * ih_migrations, ih_nmigrations).  `c` must not be inside a transaction.
 * On return *applied is the number of steps run (0: already up to date) and
 * *version the schema version now in the database.
 * Returns 0, or -1 with err filled: a step failed (that step is rolled back,
 * earlier steps stay), or the database is newer than the binary (nothing is
 * touched then).  Any thread, on a connection it owns.
 */
int ih_migrate(PGconn *c, const ih_migration *m, size_t n, int *applied, int *version, char *err, size_t errlen);

/*
 * The schema version recorded in the database: 0 when none (never migrated).
 * Returns 0, or -1 with err filled.
 */
int ih_migrate_current(PGconn *c, int *version, char *err, size_t errlen);

#endif
