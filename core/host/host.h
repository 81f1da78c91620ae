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
} ih_instance;

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

/*
 * Scan plugins.dir, load every plugin listed ok (and, when nonly > 0, named
 * in only[]), bind its config section, make sure its marketplace row exists
 * and call its init.  Problems with one plugin are logged and skip it;
 * config errors are collected in errs and fail the call (returns -1).
 * Returns -2 when the database is unreachable.
 */
int ih_host_load_plugins(ih_host *h, const char *const *only, size_t nonly, struct ih_errors *errs);
/*
 * shutdown() every instance and dlclose it -- except an instance whose run
 * is still alive (ih_instance.live): its library may still be executing,
 * so it is left loaded and logged, and h->leaked is set.  Drain the runs
 * first (ih_dispatch_drain).
 */
void ih_host_unload_plugins(ih_host *h);
/* Unload plugins, close cache and pool, free the config (the pool, cache
 * and config stay when a run that never returned may still use them). */
void ih_host_stop(ih_host *h);

#endif
