#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ihp_host.h"

int ihp_host_check(const ih_host_services *h, ih_ctx *ctx)
{
	if (h == NULL)
		return IH_ERR_FATAL;
	if (!IH_HAS_SERVICE(h, 1) || h->http == NULL || h->emit == NULL) {
		if (h->log != NULL)
			h->log(ctx, IH_LOG_ERR, "host ABI %u.%u lacks the 1.1 services (http, emit) this plugin needs",
			       (unsigned)h->abi_major, (unsigned)h->abi_minor);
		return IH_ERR_FATAL;
	}
	return IH_OK;
}

static int sink_emit(void *c, const ih_snapshot *snap)
{
	ihp_host *hc = c;

	return hc->h->emit(hc->ctx, snap);
}

static void sink_mark_done(void *c, int32_t card_id)
{
	ihp_host *hc = c;

	if (hc->h->mark_done != NULL)
		hc->h->mark_done(hc->ctx, card_id);
}

static void sink_count(void *c, ih_counter which, long n)
{
	ihp_host *hc = c;

	if (hc->h->count != NULL)
		hc->h->count(hc->ctx, which, n);
}

static void sink_log(void *c, int level, const char *msg)
{
	ihp_host *hc = c;

	hc->h->log(hc->ctx, level, "%s", msg);
}

void ihp_host_sink(ihp_sink *sink, ihp_host *hc)
{
	memset(sink, 0, sizeof *sink);
	sink->ctx = hc;
	sink->emit = sink_emit;
	sink->mark_done = sink_mark_done;
	sink->count = sink_count;
	sink->log = sink_log;
}

void ihp_host_log_http(ihp_host *hc, const char *what, int rc, const ih_http_response *resp)
{
	const char *err = resp->error[0] != '\0' ? resp->error : "no details";

	if (rc == IH_ERR_STOPPED)
		return;
	if (rc == IH_ERR_AUTH)
		hc->h->log(hc->ctx, IH_LOG_ERR, "%s: credentials rejected (HTTP %ld): check this plugin's keys in the config (%s)",
		           what, resp->status, err);
	else
		hc->h->log(hc->ctx, IH_LOG_ERR, "%s failed (HTTP %ld): %s", what, resp->status, err);
}

int ihp_init_state(const ih_host_services *h, ih_ctx *ctx, size_t size, void **state)
{
	const ih_host_services **st;

	if (ihp_host_check(h, ctx) != IH_OK || size < sizeof *st)
		return IH_ERR_FATAL;
	st = calloc(1, size);
	if (st == NULL)
		return IH_ERR_FATAL;
	*st = h;
	*state = st;
	return IH_OK;
}
