#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/conf.h"
#include "cli.h"
#include "cmd_db.h"
#include "store/pgexec.h"
#include "store/pool.h"

PGconn *ih_cmd_connect(const ih_cli *cli, const ih_config *cfg)
{
	char err[1024], *masked;
	PGconn *c;

	ih_pg_set_statement_timeout_ms((int)cfg->database.statement_timeout_ms);
	c = ih_pg_connect(cfg->database.conninfo, (int)cfg->database.connect_timeout, err, sizeof err);
	if (c != NULL)
		return c;
	masked = ih_mask_conninfo(cfg->database.conninfo);
	fprintf(stderr,
		"ingesthost: cannot connect to PostgreSQL with \"%s\": %s\n"
		"  check that the server is running and reachable, and database.conninfo in %s "
		"(host, port, dbname, user, password)\n",
		masked != NULL ? masked : "", err, cli->config_path);
	free(masked);
	return NULL;
}
