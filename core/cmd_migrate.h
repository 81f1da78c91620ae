/*
 * cmd_migrate -- `ingesthost --migrate`.
 */
#ifndef IH_CMD_MIGRATE_H
#define IH_CMD_MIGRATE_H

struct ih_cli;
struct ih_config;

/*
 * Create or upgrade the schema, then make sure a marketplaces row exists
 * for every plugin the scan of plugins.dir reports ok.  Prints what it did.
 * Returns an exit code: 0 done (or nothing to do), 2 the database is
 * unreachable, 1 a migration failed or the database is newer than this
 * binary.  Main thread.
 */
int ih_cmd_migrate(const struct ih_cli *cli, struct ih_config *cfg);

#endif
