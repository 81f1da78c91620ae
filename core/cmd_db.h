/*
 * cmd_db -- the one database connection of a one-shot mode (--migrate,
 * import): bounded by database.statement_timeout_ms, and when it cannot be
 * made, one message naming the (masked) conninfo and what to check.
 */
#ifndef IH_CMD_DB_H
#define IH_CMD_DB_H

#include <libpq-fe.h>

struct ih_cli;
struct ih_config;

/*
 * Connect for mode `what` (e.g. "--migrate"), or print why not to stderr
 * and return NULL (the mode exits 2).  The caller closes with
 * ih_pg_finish.  Main thread.
 */
PGconn *ih_cmd_connect(const struct ih_cli *cli, const struct ih_config *cfg);

#endif
