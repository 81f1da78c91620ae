#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_import.h"
#include "cmd_migrate.h"
#include "base/conf.h"
#include "base/log.h"
#include "loader/plugin_loader.h"
#include "cmd_run.h"
#include "store/pgexec.h"
#include "store/pool.h"
#include "store/runlog.h"
#include "worker/worker.h"

/*
 * Load the config for a mode.  Without -c/$INGESTHOST_CONFIG a missing
 * default file means built-in defaults, so --list-plugins works on a fresh
 * install; a file the operator named must exist.
 */
static int load_config(const ih_cli *cli, ih_config **cfg)
{
	ih_errors errs = { 0 };

	if (!cli->config_explicit && access(cli->config_path, F_OK) != 0) {
		*cfg = ih_config_defaults();
		ih_debug("no config at %s: using built-in defaults", cli->config_path);
		return *cfg != NULL ? 0 : IH_EXIT_USAGE;
	}
	if (ih_config_load(cli->config_path, cfg, &errs) != 0) {
		ih_errors_print(&errs, stderr);
		fprintf(stderr, "ingesthost: %zu error%s in %s\n", errs.n, errs.n == 1 ? "" : "s", cli->config_path);
		ih_errors_clear(&errs);
		return IH_EXIT_USAGE;
	}
	return 0;
}

static void apply_log_level(const ih_cli *cli, const ih_config *cfg)
{
	int level = cfg != NULL ? ih_log_level_by_name(cfg->log.level) : -1;

	if (level >= 0)
		ih_log_set_level(level);
	if (cli->verbose)
		ih_log_set_level(IH_LOG_DEBUG);
	if (cli->quiet)
		ih_log_set_level(IH_LOG_WARNING);
}

/*
 * A plugin a running host quarantined (its latest run in ingest_runs says
 * so) is listed as such.  Best effort: without the database (a fresh
 * install) the list is the files' alone.
 */
static void mark_quarantined(const ih_config *cfg, ih_plugin_list *list)
{
	char err[512], **names, **times;
	size_t n;
	PGconn *c = ih_pg_connect(cfg->database.conninfo, 2, err, sizeof err);

	if (c == NULL) {
		ih_debug("quarantined plugins not shown: %s", err);
		return;
	}
	if (ih_runlog_latest_with(c, "quarantined", &names, &times, &n, err, sizeof err) != 0) {
		ih_debug("quarantined plugins not shown: %s", err);
		ih_pg_finish(c);
		return;
	}
	ih_pg_finish(c);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < list->n; j++) {
			ih_plugin_info *p = &list->v[j];
			char why[256];

			if (p->name == NULL || p->state != IH_PS_OK || strcmp(p->name, names[i]) != 0)
				continue;
			snprintf(why, sizeof why,
				 "set aside by a running host after repeated crashes (cycle %s): fix the plugin, then "
				 "SIGHUP the host",
				 times[i]);
			free(p->reason);
			p->reason = strdup(why);
			p->state = IH_PS_QUARANTINED;
		}
	ih_runlog_names_free(names, times, n);
}

static int cmd_list_plugins(const ih_cli *cli, ih_config *cfg)
{
	ih_plugin_list list;
	char err[512];

	if (ih_plugins_scan(cfg->plugins.dir, cfg, &list, err, sizeof err) != 0) {
		fprintf(stderr, "ingesthost: %s\n", err);
		return IH_EXIT_USAGE;
	}
	mark_quarantined(cfg, &list);
	if (cli->json)
		ih_plugin_list_print_json(&list, stdout);
	else
		ih_plugin_list_print(&list, stdout);
	ih_plugin_list_free(&list);
	return IH_EXIT_OK;
}

/*
 * Validate the whole file: host keys (done by loading), then every plugin
 * section against its plugin's own key table.
 */
static int cmd_check_config(const ih_cli *cli, ih_config *cfg)
{
	ih_plugin_list list;
	ih_errors errs = { 0 };
	char err[512];
	int rc = IH_EXIT_OK;

	if (ih_plugins_scan(cfg->plugins.dir, cfg, &list, err, sizeof err) != 0) {
		fprintf(stderr, "%s: plugins.dir: %s\n", cli->config_path, err);
		return IH_EXIT_USAGE;
	}
	ih_config_print(cfg, stdout);
	for (size_t i = 0; i < cfg->nsections; i++) {
		const ih_plugin_section *sec = &cfg->sections[i];
		const ih_plugin_info *found = NULL;
		char names[512] = "";
		size_t used = 0;

		for (size_t j = 0; j < list.n; j++) {
			if (list.v[j].name == NULL)
				continue;
			if (strcmp(list.v[j].name, sec->name) == 0 &&
			    (list.v[j].state == IH_PS_OK || list.v[j].state == IH_PS_DISABLED))
				found = &list.v[j];
			used += (size_t)snprintf(names + used, used < sizeof names ? sizeof names - used : 0, "%s%s",
						 used ? ", " : "", list.v[j].name);
		}
		if (found == NULL && !ih_config_plugin_enabled(cfg, sec->name)) {
			fprintf(stderr, "warning: %s:%d: plugins.%s is disabled and no such plugin is installed\n",
				cli->config_path, sec->line, sec->name);
			continue;
		}
		if (found == NULL) {
			ih_errors_add(&errs, "%s:%d: plugins.%s: no usable plugin named '%s' in %s (found: %s)",
				      cli->config_path, sec->line, sec->name, sec->name, cfg->plugins.dir,
				      used ? names : "none");
			continue;
		}
		{
			ih_plugin_handle *h;
			ih_plugin_config *pc;

			if (ih_plugin_open(found->path, &h, err, sizeof err) != 0) {
				ih_errors_add(&errs, "%s", err);
				continue;
			}
			pc = ih_config_bind(cfg, sec->name, h->desc, &errs);
			if (pc != NULL)
				ih_plugin_config_print(pc, sec->name, stdout);
			ih_plugin_config_free(pc);
			ih_plugin_close(h);
		}
	}
	for (size_t j = 0; j < list.n; j++)
		if (list.v[j].state == IH_PS_ABI_MISMATCH || list.v[j].state == IH_PS_INVALID)
			fprintf(stderr, "warning: %s: %s: %s\n", list.v[j].path, ih_plugin_state_name(list.v[j].state),
				list.v[j].reason ? list.v[j].reason : "");
	if (errs.n > 0) {
		ih_errors_print(&errs, stderr);
		fprintf(stderr, "ingesthost: %zu error%s in %s\n", errs.n, errs.n == 1 ? "" : "s", cli->config_path);
		rc = IH_EXIT_USAGE;
	} else {
		fprintf(stderr, "%s: config OK\n", cli->config_path);
	}
	ih_errors_clear(&errs);
	ih_plugin_list_free(&list);
	return rc;
}

int main(int argc, char **argv)
{
	ih_cli cli;
	ih_config *cfg = NULL;
	int rc;

	/* a plugin's worker process (core/worker): not an operator's mode */
	if (argc == 3 && strcmp(argv[1], "--plugin-worker") == 0)
		return ih_worker_main(strtol(argv[2], NULL, 10));
	ih_worker_set_exe("/proc/self/exe");
	rc = ih_cli_parse(argc, argv, &cli);
	if (rc != 0)
		return rc;
	switch (cli.mode) {
	case IH_MODE_HELP:
		ih_cli_usage(stdout);
		return IH_EXIT_OK;
	case IH_MODE_VERSION:
		printf("ingesthost %s (plugin ABI %d.%d)\n", PACKAGE_VERSION, IH_ABI_MAJOR, IH_ABI_MINOR);
		return IH_EXIT_OK;
	default:
		break;
	}
	if (cli.verbose)
		ih_log_set_level(IH_LOG_DEBUG);
	rc = load_config(&cli, &cfg);
	if (rc != 0)
		return rc;
	apply_log_level(&cli, cfg);
	switch (cli.mode) {
	case IH_MODE_LIST_PLUGINS: rc = cmd_list_plugins(&cli, cfg); break;
	case IH_MODE_CHECK_CONFIG: rc = cmd_check_config(&cli, cfg); break;
	case IH_MODE_MIGRATE: rc = ih_cmd_migrate(&cli, cfg); break;
	case IH_MODE_ONCE: rc = ih_cmd_once(&cli, cfg); cfg = NULL; break;
	case IH_MODE_IMPORT: rc = ih_cmd_import(&cli, cfg); break;
	default: rc = ih_cmd_daemon(&cli, cfg); cfg = NULL; break;
	}
	ih_config_free(cfg);
	return rc;
}
