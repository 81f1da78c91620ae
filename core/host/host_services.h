/*
 * host_services -- the table of services handed to plugins (ABI 1.1), and
 * the per-run context behind the opaque ih_ctx.
 */
#ifndef IH_HOST_SERVICES_H
#define IH_HOST_SERVICES_H

#include <stddef.h>
#include "ingesthost/plugin.h"

struct ih_instance;
struct ih_host;
struct ih_run;

struct ih_ctx {
	struct ih_instance *inst;
	struct ih_host *host;
	struct ih_run *run; /* NULL outside a run (init, shutdown) */
};

/* The table; its size and version are those of this host. */
const ih_host_services *ih_host_services_table(void);

#endif
