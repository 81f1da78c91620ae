/*
 * instances -- loading and unloading a host's plugin instances, and
 * stopping the host.  Main thread.
 */
#ifndef IH_INSTANCES_H
#define IH_INSTANCES_H

#include <stddef.h>
#include "host/host.h"

struct ih_errors;

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
