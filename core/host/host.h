/*
 * host -- what a running ingesthost owns: the config, the connection pool,
 * the cache, the clock and the loaded plugin instances.
 *
 * Main thread only, except ih_host.stop, which signal handlers and other
 * threads may set and every thread may read.
 */
#ifndef IH_HOST_H
#define IH_HOST_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "ingesthost/plugin.h"
#include "base/log.h"

struct ih_config;
struct ih_pool;
struct ih_cache;
struct ih_clock;
struct ih_plugin_handle;
struct ih_plugin_config;
struct ih_errors;

typedef struct ih_instance {
	struct ih_plugin_handle *handle;
	const ih_plugin_descriptor *desc;
	char name[64];
	struct ih_plugin_config *pc;
	void *state;
	int16_t marketplace_id;
	struct ih_ctx *ctx; /* for init and shutdown: log and config only */
	struct ih_run *live; /* the run in progress or left over, NULL when none */
	ih_complaint busy;   /* "still busy" warned once */
	char path[4096];     /* the .so */
	int isolated;        /* isolation = "process": init, collect and shutdown
	                        run in a worker per run (core/worker), never here */
	int crashes;         /* consecutive crashed runs */
	int quarantined;     /* set aside after plugins.crash_limit crashes */
} ih_instance;

/* The context behind a plugin's opaque ih_ctx: its instance, the host, and
 * the run in progress (NULL outside a run: init, shutdown). */
struct ih_ctx {
	struct ih_instance *inst;
	struct ih_host *host;
	struct ih_run *run;
};

typedef struct ih_host {
	struct ih_config *cfg;   /* owned */
	struct ih_pool *pool;
	struct ih_cache *cache;
	const struct ih_clock *clock;
	ih_instance **inst;
	size_t ninst;
	atomic_int stop;         /* shutdown requested: finish at a safe point */
	/* called by the main thread about every 200 ms while a cycle waits for
	 * its runs (the daemon applies a new log level there); may be NULL */
	void (*tick)(struct ih_host *h);
	int leaked;              /* resources left to runs that never returned */
} ih_host;

/*
 * Take ownership of cfg and open the pool and cache.  Checks the database is
 * reachable: returns 0, or -1 with err set (the CLI exits 2).
 */
int ih_host_start(ih_host *h, struct ih_config *cfg, const struct ih_clock *clock, char *err, size_t errlen);

/*
 * Replace the pool (pool != 0) and/or the cache client (cache != 0) with
 * new ones built from h->cfg (SIGHUP).  No run may be alive.  Returns 0, or
 * -1 with err set when the new database does not answer yet (the new pool
 * is in place and retries on its own).
 */
int ih_host_reopen(ih_host *h, int pool, int cache, char *err, size_t errlen);

#endif
