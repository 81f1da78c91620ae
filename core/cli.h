/*
 * cli -- the command line: options, modes and exit codes (CONTRACT §2).
 */
#ifndef IH_CLI_H
#define IH_CLI_H

#include <stddef.h>
#include <stdio.h>

enum ih_exit {
	IH_EXIT_OK = 0,      /* all plugins ok */
	IH_EXIT_USAGE = 1,   /* usage or config error */
	IH_EXIT_INFRA = 2,   /* infrastructure unreachable (database) */
	IH_EXIT_PLUGIN = 3   /* the cycle ran but a plugin ended in error */
};

typedef enum ih_mode {
	IH_MODE_DAEMON = 0,
	IH_MODE_HELP,
	IH_MODE_VERSION,
	IH_MODE_CHECK_CONFIG,
	IH_MODE_LIST_PLUGINS,
	IH_MODE_MIGRATE,
	IH_MODE_ONCE,
	IH_MODE_IMPORT
} ih_mode;

#define IH_MAX_PLUGIN_ARGS 64

typedef struct ih_cli {
	ih_mode mode;
	const char *config_path;  /* resolved: -c, $INGESTHOST_CONFIG, or the default */
	int config_explicit;      /* given with -c or the environment */
	int json;
	int foreground;
	int verbose;              /* -v: debug logging */
	int quiet;                /* -q: warnings and errors only */
	const char *plugins[IH_MAX_PLUGIN_ARGS]; /* --plugin NAME, repeatable */
	size_t nplugins;
	const char *import_source;  /* "scryfall" */
	const char *import_file;    /* path or "-" */
	int import_download;
} ih_cli;

/* Parse argv.  Returns 0, or IH_EXIT_USAGE after printing why to stderr. */
int ih_cli_parse(int argc, char **argv, ih_cli *cli);
void ih_cli_usage(FILE *f);

#endif
