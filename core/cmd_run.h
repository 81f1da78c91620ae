/*
 * cmd_run -- the two modes that run cycles: --once and the daemon (the
 * scheduler: one cycle every ingest.interval, signals, SIGHUP).
 *
 * Signals: SIGTERM/SIGINT set the host's stop flag (no new cycle, running
 * plugins stop between requests, collected rows are flushed, exit 0);
 * SIGHUP re-reads the config (the old one stays when the new one is
 * invalid) and re-scans the plugin directory before the next cycle.
 */
#ifndef IH_CMD_RUN_H
#define IH_CMD_RUN_H

struct ih_cli;
struct ih_config;

/* Both take ownership of cfg and return the process exit code. */
int ih_cmd_once(const struct ih_cli *cli, struct ih_config *cfg);
int ih_cmd_daemon(const struct ih_cli *cli, struct ih_config *cfg);

#endif
