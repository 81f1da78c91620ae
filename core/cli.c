#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void ih_cli_usage(FILE *f)
{
	fprintf(f,
		"Usage: ingesthost [OPTIONS] [MODE]\n"
		"Collect Magic: The Gathering card prices from marketplaces into PostgreSQL.\n"
		"\n"
		"Modes:\n"
		"  --list-plugins [--json]    list every .so in the plugin dir and its state\n"
		"  --check-config             validate the config, print it (secrets masked), exit\n"
		"  --migrate                  create or upgrade the database schema\n"
		"  --once [--plugin NAME]...  run one dispatch cycle, print a summary, exit\n"
		"  (no mode)                  run the scheduler until SIGTERM/SIGINT\n"
		"  import scryfall FILE|-|--download\n"
		"                             bulk-import Scryfall bulk data (cards and prices)\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE          config file (default: $INGESTHOST_CONFIG, else\n"
		"                             %s/ingesthost.conf)\n"
		"      --json                 machine-readable output (--list-plugins, --once)\n"
		"      --plugin NAME          with --once: run only this plugin (repeatable)\n"
		"      --foreground           daemon: log to stderr only, do not use syslog\n"
		"  -v, --verbose              debug logging\n"
		"  -q, --quiet                log warnings and errors only\n"
		"  -h, --help                 this help\n"
		"  -V, --version              print the version and the plugin ABI version\n"
		"\n"
		"Exit status: 0 ok; 1 usage or config error; 2 database unreachable;\n"
		"3 the cycle ran but at least one plugin ended in error.\n"
		"See ingesthost(1).\n",
		IH_SYSCONFDIR);
}

enum { OPT_JSON = 256, OPT_CHECK, OPT_LIST, OPT_MIGRATE, OPT_ONCE, OPT_PLUGIN, OPT_FG, OPT_DOWNLOAD };

static int set_mode(ih_cli *cli, ih_mode m, const char *name)
{
	if (cli->mode != IH_MODE_DAEMON && cli->mode != m) {
		fprintf(stderr, "ingesthost: %s cannot be combined with another mode (see --help)\n", name);
		return -1;
	}
	cli->mode = m;
	return 0;
}

int ih_cli_parse(int argc, char **argv, ih_cli *cli)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "list-plugins", no_argument, NULL, OPT_LIST },
		{ "migrate", no_argument, NULL, OPT_MIGRATE },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "plugin", required_argument, NULL, OPT_PLUGIN },
		{ "foreground", no_argument, NULL, OPT_FG },
		{ "download", no_argument, NULL, OPT_DOWNLOAD },
		{ NULL, 0, NULL, 0 },
	};
	const char *env;
	int c, rest;

	memset(cli, 0, sizeof *cli);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:hVvq", opts, NULL)) != -1) {
		int rc = 0;

		switch (c) {
		case 'c': cli->config_path = optarg; cli->config_explicit = 1; break;
		case 'h': rc = set_mode(cli, IH_MODE_HELP, "--help"); break;
		case 'V': rc = set_mode(cli, IH_MODE_VERSION, "--version"); break;
		case 'v': cli->verbose = 1; break;
		case 'q': cli->quiet = 1; break;
		case OPT_JSON: cli->json = 1; break;
		case OPT_CHECK: rc = set_mode(cli, IH_MODE_CHECK_CONFIG, "--check-config"); break;
		case OPT_LIST: rc = set_mode(cli, IH_MODE_LIST_PLUGINS, "--list-plugins"); break;
		case OPT_MIGRATE: rc = set_mode(cli, IH_MODE_MIGRATE, "--migrate"); break;
		case OPT_ONCE: rc = set_mode(cli, IH_MODE_ONCE, "--once"); break;
		case OPT_FG: cli->foreground = 1; break;
		case OPT_DOWNLOAD: cli->import_download = 1; break;
		case OPT_PLUGIN:
			if (cli->nplugins == IH_MAX_PLUGIN_ARGS) {
				fprintf(stderr, "ingesthost: too many --plugin options (at most %d)\n",
					IH_MAX_PLUGIN_ARGS);
				return IH_EXIT_USAGE;
			}
			cli->plugins[cli->nplugins++] = optarg;
			break;
		case ':':
			fprintf(stderr, "ingesthost: option %s needs a value (see --help)\n", argv[optind - 1]);
			return IH_EXIT_USAGE;
		default:
			fprintf(stderr, "ingesthost: unknown option '%s' (see --help)\n", argv[optind - 1]);
			return IH_EXIT_USAGE;
		}
		if (rc != 0)
			return IH_EXIT_USAGE;
	}
	rest = argc - optind;
	if (rest > 0) {
		if (strcmp(argv[optind], "import") != 0) {
			fprintf(stderr, "ingesthost: unexpected argument '%s' (see --help)\n", argv[optind]);
			return IH_EXIT_USAGE;
		}
		if (set_mode(cli, IH_MODE_IMPORT, "import") != 0)
			return IH_EXIT_USAGE;
		if (rest < 2 || strcmp(argv[optind + 1], "scryfall") != 0) {
			fprintf(stderr, "ingesthost: import needs a source: import scryfall FILE|-|--download\n");
			return IH_EXIT_USAGE;
		}
		cli->import_source = argv[optind + 1];
		if (rest > 3) {
			fprintf(stderr, "ingesthost: import scryfall takes one FILE, '-' or --download\n");
			return IH_EXIT_USAGE;
		}
		cli->import_file = rest == 3 ? argv[optind + 2] : NULL;
		if ((cli->import_file == NULL) == (cli->import_download == 0)) {
			fprintf(stderr, "ingesthost: import scryfall needs exactly one of FILE, '-' or --download\n");
			return IH_EXIT_USAGE;
		}
	} else if (cli->import_download) {
		fprintf(stderr, "ingesthost: --download goes with: import scryfall --download\n");
		return IH_EXIT_USAGE;
	}
	if (cli->nplugins > 0 && cli->mode != IH_MODE_ONCE) {
		fprintf(stderr, "ingesthost: --plugin goes with --once\n");
		return IH_EXIT_USAGE;
	}
	if (cli->json && cli->mode != IH_MODE_LIST_PLUGINS && cli->mode != IH_MODE_ONCE) {
		fprintf(stderr, "ingesthost: --json goes with --list-plugins or --once\n");
		return IH_EXIT_USAGE;
	}
	if (cli->config_path == NULL) {
		env = getenv("INGESTHOST_CONFIG");
		if (env != NULL && *env != '\0') {
			cli->config_path = env;
			cli->config_explicit = 1;
		} else {
			cli->config_path = IH_SYSCONFDIR "/ingesthost.conf";
		}
	}
	return 0;
}
