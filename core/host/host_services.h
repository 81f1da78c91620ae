/*
 * host_services -- the table of services handed to plugins.  The context
 * behind the opaque ih_ctx (struct ih_ctx) is in host/host.h.
 */
#ifndef IH_HOST_SERVICES_H
#define IH_HOST_SERVICES_H

#include "ingesthost/plugin.h"

/* The table; its size and version are those of this host. */
const ih_host_services *ih_host_services_table(void);

#endif
