#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "store/bulk.h"
#include "cli.h"
#include "cmd_db.h"
#include "cmd_migrate.h"
#include "base/conf.h"
#include "base/log.h"
#include "store/migrate.h"
#include "loader/plugin_loader.h"
#include "store/pgexec.h"
#include "store/pool.h"

/* A row per plugin the scan reports ok; failures are warnings. */
static void ensure_marketplaces(PGconn *c, ih_config *cfg)
{
	ih_plugin_list list;
	char err[512];

	if (ih_plugins_scan(cfg->plugins.dir, cfg, &list, err, sizeof err) != 0) {
		fprintf(stderr, "ingesthost: warning: plugins.dir: %s: no marketplaces registered\n", err);
		return;
	}
	for (size_t i = 0; i < list.n; i++) {
		const ih_plugin_info *in = &list.v[i];
		int16_t id;

		if (in->state != IH_PS_OK || in->marketplace == NULL)
			continue;
		if (ih_bulk_ensure_marketplace(c, in->marketplace, in->name, in->currency, &id, err, sizeof err) != 0)
			fprintf(stderr, "ingesthost: warning: %s\n", err);
		else
			printf("marketplace %-12s id %d (plugin %s)\n", in->marketplace, (int)id, in->name);
	}
	ih_plugin_list_free(&list);
}

int ih_cmd_migrate(const struct ih_cli *cli, struct ih_config *cfg)
{
	char err[1024];
	int applied = 0, version = 0;
	PGconn *c;

	c = ih_cmd_connect(cli, cfg);
	if (c == NULL)
		return IH_EXIT_INFRA;
	if (ih_migrate(c, ih_migrations, ih_nmigrations, &applied, &version, err, sizeof err) != 0) {
		int lost = ih_pg_conn_lost(c);

		fprintf(stderr, "ingesthost: --migrate: %s\n", err);
		ih_pg_finish(c);
		return lost ? IH_EXIT_INFRA : IH_EXIT_USAGE;
	}
	if (applied == 0)
		printf("schema is up to date at version %d: nothing to do\n", version);
	else
		printf("applied %d migration%s: schema now at version %d\n", applied, applied == 1 ? "" : "s",
		       version);
	ensure_marketplaces(c, cfg);
	ih_pg_finish(c);
	return IH_EXIT_OK;
}
