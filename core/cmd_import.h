/*
 * cmd_import -- `ingesthost import scryfall FILE|-|--download`.
 */
#ifndef IH_CMD_IMPORT_H
#define IH_CMD_IMPORT_H

struct ih_cli;
struct ih_config;

/*
 * Import Scryfall bulk data (see import_scryfall.h) into the configured
 * database and print one summary line on stderr (a progress line too when
 * stderr is a terminal).  Returns an exit code: 0 the input was read to
 * its end (rejected records are counted in the summary, not an error);
 * 1 usage, the file cannot be opened, or the schema is missing; 2 the
 * database is unreachable or the connection was lost; 3 the import ran
 * but stopped early: truncated or corrupt input, a failed download, or a
 * refused statement (committed chunks are kept).  Main thread.
 */
int ih_cmd_import(const struct ih_cli *cli, struct ih_config *cfg);

#endif
