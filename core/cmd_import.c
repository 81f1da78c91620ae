#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/bulk.h"
#include "cli.h"
#include "cmd_db.h"
#include "cmd_import.h"
#include "base/conf.h"
#include "net/http.h"
#include "import/import_download.h"
#include "import/import_scryfall.h"
#include "store/pgexec.h"
#include "store/pool.h"

#define SCRYFALL_API "https://api.scryfall.com"

/* plugins.scryfall.base_url, else Scryfall's API. */
static const char *scryfall_base(const ih_config *cfg)
{
	const ih_plugin_section *sec = ih_config_section(cfg, "scryfall");

	for (size_t i = 0; sec != NULL && i < sec->n; i++)
		if (strcmp(sec->vals[i].key, "base_url") == 0 && sec->vals[i].s != NULL && *sec->vals[i].s)
			return sec->vals[i].s;
	return SCRYFALL_API;
}

/* 1 when the schema is there; 0 with err when it is not or the query failed. */
static int schema_ready(PGconn *c, char *err, size_t errlen)
{
	PGresult *r;
	int ok;

	if (ih_pg_exec(c,
		       "SELECT to_regclass('cards') IS NOT NULL AND to_regclass('price_snapshots') IS NOT NULL "
		       "AND to_regclass('marketplaces') IS NOT NULL",
		       -1, NULL, PGRES_TUPLES_OK, &r, "checking the schema", err, errlen) != 0)
		return 0;
	ok = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (!ok)
		snprintf(err, errlen, "the schema is missing: run `ingesthost --migrate` first");
	return ok;
}

int ih_cmd_import(const struct ih_cli *cli, struct ih_config *cfg)
{
	ih_import_opts o = { 0 };
	ih_import_stats st;
	char err[1024], url[2048], updated[64];
	int16_t mkt = 0;
	PGconn *c;
	int rc;

	if (cli->import_source == NULL || strcmp(cli->import_source, "scryfall") != 0) {
		fprintf(stderr, "ingesthost: import: unknown source '%s' (only 'scryfall')\n",
			cli->import_source ? cli->import_source : "");
		return IH_EXIT_USAGE;
	}
	if (!cli->import_download && cli->import_file == NULL) {
		fprintf(stderr, "ingesthost: import scryfall: give FILE, '-' for stdin, or --download\n");
		return IH_EXIT_USAGE;
	}
	c = ih_cmd_connect(cli, cfg);
	if (c == NULL)
		return IH_EXIT_INFRA;
	if (!schema_ready(c, err, sizeof err)) {
		rc = ih_pg_conn_lost(c) ? IH_EXIT_INFRA : IH_EXIT_USAGE;
		fprintf(stderr, "ingesthost: import scryfall: %s\n", err);
		ih_pg_finish(c);
		return rc;
	}
	if (ih_bulk_ensure_marketplace(c, "scryfall", "scryfall", "USD", &mkt, err, sizeof err) != 0) {
		rc = ih_pg_conn_lost(c) ? IH_EXIT_INFRA : IH_EXIT_PLUGIN;
		fprintf(stderr, "ingesthost: import scryfall: %s\n", err);
		ih_pg_finish(c);
		return rc;
	}
	o.progress = isatty(STDERR_FILENO);
	o.max_decompressed_bytes = cfg->import.max_decompressed_bytes;
	if (cli->import_download) {
		if (ih_http_global_init() != 0) {
			fprintf(stderr, "ingesthost: import scryfall: cannot initialise libcurl\n");
			ih_pg_finish(c);
			return IH_EXIT_PLUGIN;
		}
		if (ih_import_find_default_cards(scryfall_base(cfg), NULL, url, sizeof url, updated, sizeof updated,
						 &o.size_hint, err, sizeof err) != 0) {
			fprintf(stderr, "ingesthost: import scryfall --download: %s\n", err);
			ih_pg_finish(c);
			return IH_EXIT_PLUGIN;
		}
		o.url = url;
		/* the prices are as of the file's generation: a rerun of the same
		 * file upserts the same snapshots instead of adding a new set */
		o.time_iso = *updated ? updated : NULL;
		fprintf(stderr, "import scryfall: streaming %s (updated %s)\n", url, *updated ? updated : "?");
	} else {
		o.path = cli->import_file;
	}
	rc = ih_import_scryfall(c, mkt, &o, &st, err, sizeof err);
	ih_import_print_summary(stderr, &st, rc, err);
	if (rc == IH_IMPORT_ERR_OPEN)
		rc = IH_EXIT_USAGE;
	else if (rc == IH_IMPORT_ERR_DB && ih_pg_conn_lost(c))
		rc = IH_EXIT_INFRA;
	else if (rc != 0)
		rc = IH_EXIT_PLUGIN;
	ih_pg_finish(c);
	return rc;
}
