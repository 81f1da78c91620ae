#include "config.h"

#include <math.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/clock.h"
#include "base/conf.h"
#include "host/dispatch.h"
#include "host/host.h"
#include "host/instances.h"
#include "host/summary.h"
#include "net/http.h"
#include "base/log.h"
#include "cmd_run.h"

static ih_host *signal_host;
/* written by the signal handlers, read by the main thread: sig_atomic_t,
 * and a lock-free C11 atomic for what the clock's sleep watches */
static volatile sig_atomic_t reload_requested;
static atomic_int wake; /* any signal: cut the wait between cycles short */

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

/* Rows a cycle could not store. */
static long unwritten(const ih_cycle *c)
{
	long n = 0;

	for (size_t i = 0; i < c->n; i++)
		n += c->runs[i].unwritten;
	return n;
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
	if (h.stop && rc != IH_EXIT_INFRA && !unwritten(&cyc))
		rc = IH_EXIT_OK;
	ih_cycle_free(&cyc);
	ih_dispatch_drain(&h);
	signal_host = NULL;
	ih_host_stop(&h);
	return rc;
}

/* ---- SIGHUP ------------------------------------------------------------ */

static const ih_cli *daemon_cli;
static ih_config *pending; /* parsed at the first tick after a SIGHUP */
static int reload_deferred; /* a run did not return: try again after the next cycle */

static int str_differs(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") != 0;
}

static int database_changed(const ih_config *a, const ih_config *b)
{
	return str_differs(a->database.conninfo, b->database.conninfo) ||
	       a->database.pool_size != b->database.pool_size ||
	       a->database.connect_timeout != b->database.connect_timeout ||
	       a->database.checkout_timeout_ms != b->database.checkout_timeout_ms ||
	       a->database.statement_timeout_ms != b->database.statement_timeout_ms;
}

static int redis_changed(const ih_config *a, const ih_config *b)
{
	return a->redis.present != b->redis.present || str_differs(a->redis.host, b->redis.host) ||
	       a->redis.port != b->redis.port || a->redis.db != b->redis.db ||
	       str_differs(a->redis.password, b->redis.password) || a->redis.timeout_ms != b->redis.timeout_ms ||
	       a->cache.ttl != b->cache.ttl;
}

/* Parse the file once per SIGHUP; NULL (logged) when it is invalid. */
static ih_config *parse_new(const ih_cli *cli)
{
	ih_config *cfg = NULL;
	ih_errors errs = { 0 };

	reload_requested = 0;
	if (ih_config_load(cli->config_path, &cfg, &errs) != 0) {
		ih_err("SIGHUP: %s is invalid, keeping the running config:", cli->config_path);
		for (size_t i = 0; i < errs.n; i++)
			ih_err("  %s", errs.msg[i]);
		ih_errors_clear(&errs);
		return NULL;
	}
	return cfg;
}

/* The log level takes effect at once, even in the middle of a cycle. */
static void apply_level(const ih_cli *cli, const ih_config *old, const ih_config *cfg)
{
	int level = ih_log_level_by_name(cfg->log.level);

	if (!str_differs(old->log.level, cfg->log.level) || level < 0 || level == ih_log_get_level())
		return;
	if (cli->verbose || cli->quiet) {
		ih_notice("SIGHUP: log.level %s is not applied: -%c on the command line wins", cfg->log.level,
			  cli->verbose ? 'v' : 'q');
		return;
	}
	ih_log_set_level(level);
	ih_log(IH_LOG_NOTICE, "SIGHUP: log.level is now %s", cfg->log.level);
}

/* Main thread, every tick of a cycle: parse a new config and apply its log level. */
static void daemon_tick(ih_host *h)
{
	if (!reload_requested || daemon_cli == NULL)
		return;
	ih_config_free(pending);
	pending = parse_new(daemon_cli);
	if (pending != NULL)
		apply_level(daemon_cli, h->cfg, pending);
}

/*
 * SIGHUP between cycles: a new config and a new plugin scan.  A changed
 * database group gets a new pool, a changed redis or cache group a new
 * cache client, the log level applies at once, the ingest group from the
 * next cycle; what cannot change live is named.  Live runs are waited for
 * first; while one has not returned, the plugins, pool and cache it uses
 * stay and the reload is tried again after the next cycle.
 */
static void reload(ih_host *h, const ih_cli *cli)
{
	ih_config *cfg, *old = h->cfg;
	ih_errors errs = { 0 };
	int new_pool, new_cache;

	if (reload_requested || pending == NULL) {
		ih_config_free(pending);
		pending = parse_new(cli);
	}
	cfg = pending;
	if (cfg == NULL) {
		reload_deferred = 0;
		return;
	}
	apply_level(cli, old, cfg);
	if (ih_dispatch_drain(h) > 0) {
		if (!reload_deferred)
			ih_warn("SIGHUP: a run has not returned (see above): plugins, database and redis keep their "
				"running settings until it does; the reload is tried again after each cycle");
		reload_deferred = 1;
		return;
	}
	pending = NULL;
	reload_deferred = 0;
	if (old->log.syslog != cfg->log.syslog)
		ih_warn("SIGHUP: log.syslog cannot change while running: restart ingesthost to apply it");
	new_pool = database_changed(old, cfg);
	new_cache = redis_changed(old, cfg);
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
	if (new_pool || new_cache) {
		char err[512] = "";

		if (ih_host_reopen(h, new_pool, new_cache, err, sizeof err) != 0)
			ih_warn("SIGHUP: the new database settings do not connect yet (%s); the pool retries on "
				"its own", err);
	}
	ih_config_free(old);
	ih_notice("SIGHUP: reloaded %s, %zu plugins%s%s", cli->config_path, h->ninst,
		  new_pool ? ", a new database pool" : "", new_cache ? ", a new cache client" : "");
}

int ih_cmd_daemon(const ih_cli *cli, ih_config *cfg)
{
	ih_host h;
	double next;
	long lost = 0;
	size_t left;
	int rc;

	if (!cli->foreground || cfg->log.syslog)
		ih_log_open_syslog("ingesthost");
	rc = open_host(&h, cli, cfg);
	if (rc != 0)
		return rc;
	daemon_cli = cli;
	h.tick = daemon_tick;
	install_signals(&h, 1);
	ih_notice("scheduler started: a cycle every %lld s, %zu plugins", h.cfg->ingest.interval, h.ninst);
	next = h.clock->now(h.clock->ud);
	for (;;) {
		double now;
		ih_cycle cyc;

		/* cleared before the checks: a signal from here on cuts the sleep short */
		wake = 0;
		if (h.stop)
			break;
		if (reload_requested || pending != NULL) {
			reload(&h, cli);
			if (!reload_deferred)
				continue;
		}
		now = h.clock->now(h.clock->ud);
		if (now < next) {
			h.clock->sleep(h.clock->ud, next - now, &wake);
			continue;
		}
		rc = ih_dispatch_cycle(&h, &cyc);
		if (rc == IH_EXIT_INFRA)
			ih_err("cycle skipped, database unreachable: %s", cyc.infra_error);
		else
			ih_cycle_log(&cyc);
		lost += unwritten(&cyc);
		ih_cycle_free(&cyc);
#if defined(__GLIBC__)
		/* rows held through an outage are freed by the runs' threads, whose
		 * malloc arenas would keep that high-water mark for months: give
		 * the free pages back between cycles */
		malloc_trim(0);
#endif
		if (reload_deferred)
			reload(&h, cli);
		next += (double)h.cfg->ingest.interval;
		now = h.clock->now(h.clock->ud);
		if (next <= now) {
			double missed = floor((now - next) / (double)h.cfg->ingest.interval) + 1;

			ih_warn("%.0f cycle(s) skipped: the last cycle ran past the next one's start (interval %lld s)",
				missed, h.cfg->ingest.interval);
			next += missed * (double)h.cfg->ingest.interval;
		}
	}
	left = ih_dispatch_drain(&h);
	if (left == 0 && lost == 0)
		ih_notice("stopping: every collected snapshot is written");
	else
		ih_warn("stopping: %ld collected rows could not be stored since the start (their cards are fetched "
			"again); %zu run(s) did not return", lost, left);
	signal_host = NULL;
	h.tick = NULL;
	daemon_cli = NULL;
	ih_config_free(pending);
	pending = NULL;
	ih_host_stop(&h);
	return IH_EXIT_OK;
}
