/*
 * ihp_host -- glue between a plugin's collect() and the host services.
 * Compiled into each plugin.
 */
#ifndef IHP_HOST_H
#define IHP_HOST_H

#include "ihp.h"

typedef struct ihp_host {
	const ih_host_services *h;
	ih_ctx *ctx;
} ihp_host;

/* 0 when the host offers the 1.1 services this plugin needs, else logs and
 * returns IH_ERR_FATAL. */
int ihp_host_check(const ih_host_services *h, ih_ctx *ctx);
/*
 * A plugin's init: check the host, allocate a zeroed state of `size` bytes
 * whose first member is `const ih_host_services *host`, and store it in
 * *state.  IH_OK or IH_ERR_FATAL.
 */
int ihp_init_state(const ih_host_services *h, ih_ctx *ctx, size_t size, void **state);
/* Point sink at the host's emit/mark_done/count/log; hc must outlive sink. */
void ihp_host_sink(ihp_sink *sink, ihp_host *hc);
/* Log a failed exchange once, at ERR: what, status, host's error text, and
 * for 401/403 that the credentials must be checked. */
void ihp_host_log_http(ihp_host *hc, const char *what, int rc, const ih_http_response *resp);

#endif
