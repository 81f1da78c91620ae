/*
 * pgexec_int -- what pgexec.c shares with pgsession.c: the state libpq
 * keeps per connection for the host, and the backends left behind by calls
 * that timed out.  Internal to core/store.
 */
#ifndef IH_PGEXEC_INT_H
#define IH_PGEXEC_INT_H

#include <stddef.h>
#include <libpq-fe.h>

typedef struct conn_info {
	long long start_us; /* the backend's backend_start, as microseconds */
	int have_start;
	int broken;         /* dropped after a timeout */
} conn_info;

/* A backend whose connection stopped answering, to terminate. */
typedef struct orphan {
	int pid;
	long long start_us;
	char app[64];
	char key[256]; /* host|port|dbname */
} orphan;

#define MAX_ORPHANS 32

/* c's state, attached on first use (NULL with err when that fails). */
conn_info *ih_pg_info_attach(PGconn *c, char *err, size_t errlen);
/* "host|port|dbname" of c's server. */
void ih_pg_server_key(PGconn *c, char *out, size_t len);
/* Take out the orphans of server `key` (at most MAX_ORPHANS); returns how many. */
int ih_pg_orphans_take(const char *key, orphan *out);
/* Give back orphans not terminated yet. */
void ih_pg_orphans_put_back(const orphan *v, int n);

#endif
