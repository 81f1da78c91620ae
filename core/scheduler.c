#include "config.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "conf.h"
#include "dispatch.h"
#include "host.h"
#include "http.h"
#include "log.h"
#include "scheduler.h"

static ih_host *signal_host;
static volatile int reload_requested;
static volatile int wake; /* any signal: cut the wait between cycles short */

static void on_stop(int sig)
{
	(void)sig;
	if (signal_host != NULL)
		signal_host->stop = 1;
	wake = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	reload_requested = 1;
	wake = 1;
}

static void install_signals(ih_host *h, int with_hup)
{
	struct sigaction sa;

	signal_host = h;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (with_hup) {
		sa.sa_handler = on_hup;
		sigaction(SIGHUP, &sa, NULL);
	}
	signal(SIGPIPE, SIG_IGN);
}

/* Start the host and load plugins; returns 0 or an exit code. */
static int open_host(ih_host *h, const ih_cli *cli, ih_config *cfg)
{
	char err[1024];
	ih_errors errs = { 0 };
	int rc;

	if (ih_http_global_init() != 0) {
		ih_err("cannot initialise libcurl");
		ih_config_free(cfg);
		return IH_EXIT_INFRA;
	}
	if (ih_host_start(h, cfg, NULL, err, sizeof err) != 0) {
		char *masked = ih_mask_conninfo(cfg->database.conninfo);

		ih_err("database unreachable (%s): %s -- check database.conninfo and that the server is up",
		       masked != NULL ? masked : "?", err);
		free(masked);
		ih_host_stop(h);
		return IH_EXIT_INFRA;
	}
	rc = ih_host_load_plugins(h, cli->plugins, cli->nplugins, &errs);
	if (rc != 0) {
		ih_errors_print(&errs, stderr);
		ih_errors_clear(&errs);
		ih_host_stop(h);
		return rc == -2 ? IH_EXIT_INFRA : IH_EXIT_USAGE;
	}
	if (h->ninst == 0)
		ih_warn("no plugin to run: see ingesthost --list-plugins");
	return 0;
}

int ih_cmd_once(const ih_cli *cli, ih_config *cfg)
{
	ih_host h;
	ih_cycle cyc;
	int rc;

	rc = open_host(&h, cli, cfg);
	if (rc != 0)
		return rc;
	install_signals(&h, 0);
	rc = ih_dispatch_cycle(&h, &cyc);
	if (rc == IH_EXIT_INFRA) {
		ih_err("cycle could not start: %s", cyc.infra_error);
	} else {
		if (cli->json)
			ih_cycle_print_json(&cyc, stdout);
		else
			ih_cycle_print_table(&cyc, stdout);
		fflush(stdout);
	}
	/* a stop requested by a signal is a clean exit once everything is written */
	if (h.stop && rc != IH_EXIT_INFRA)
		rc = IH_EXIT_OK;
	ih_cycle_free(&cyc);
	signal_host = NULL;
	ih_host_stop(&h);
	return rc;
}

/* SIGHUP: a new config and a new plugin scan; keep the old on any error. */
static void reload(ih_host *h, const ih_cli *cli)
{
	ih_config *cfg = NULL;
	ih_errors errs = { 0 };
	ih_config *old = h->cfg;

	reload_requested = 0;
	if (ih_config_load(cli->config_path, &cfg, &errs) != 0) {
		ih_err("SIGHUP: %s is invalid, keeping the running config:", cli->config_path);
		for (size_t i = 0; i < errs.n; i++)
			ih_err("  %s", errs.msg[i]);
		ih_errors_clear(&errs);
		return;
	}
	ih_host_unload_plugins(h);
	h->cfg = cfg;
	if (ih_host_load_plugins(h, NULL, 0, &errs) != 0) {
		for (size_t i = 0; i < errs.n; i++)
			ih_err("SIGHUP: %s", errs.msg[i]);
		ih_errors_clear(&errs);
		ih_err("SIGHUP: the new config does not load, going back to the running one");
		ih_host_unload_plugins(h);
		h->cfg = old;
		ih_host_load_plugins(h, NULL, 0, &errs);
		ih_errors_clear(&errs);
		ih_config_free(cfg);
		return;
	}
	ih_config_free(old);
	ih_notice("SIGHUP: reloaded %s, %zu plugins", cli->config_path, h->ninst);
}

int ih_cmd_daemon(const ih_cli *cli, ih_config *cfg)
{
	ih_host h;
	double next;
	int rc;

	if (!cli->foreground || cfg->log.syslog)
		ih_log_open_syslog("ingesthost");
	rc = open_host(&h, cli, cfg);
	if (rc != 0)
		return rc;
	install_signals(&h, 1);
	ih_notice("scheduler started: a cycle every %lld s, %zu plugins", h.cfg->ingest.interval, h.ninst);
	next = h.clock->now(h.clock->ud);
	while (!h.stop) {
		double now = h.clock->now(h.clock->ud);
		ih_cycle cyc;

		if (reload_requested) {
			reload(&h, cli);
			continue;
		}
		if (now < next) {
			wake = 0;
			h.clock->sleep(h.clock->ud, next - now, &wake);
			continue;
		}
		rc = ih_dispatch_cycle(&h, &cyc);
		if (rc == IH_EXIT_INFRA)
			ih_err("cycle skipped, database unreachable: %s", cyc.infra_error);
		else
			ih_cycle_log(&cyc);
		ih_cycle_free(&cyc);
		next += (double)h.cfg->ingest.interval;
		now = h.clock->now(h.clock->ud);
		if (next <= now) {
			double missed = floor((now - next) / (double)h.cfg->ingest.interval) + 1;

			ih_warn("%.0f cycle(s) skipped: the last cycle ran past the next one's start (interval %lld s)",
				missed, h.cfg->ingest.interval);
			next += missed * (double)h.cfg->ingest.interval;
		}
	}
	ih_notice("stopping: every collected snapshot is written");
	signal_host = NULL;
	ih_host_stop(&h);
	return IH_EXIT_OK;
}
