#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/conf.h"
#include "host/emit.h"
#include "host/host_services.h"
#include "net/http.h"
#include "base/log.h"
#include "host/run.h"

static void svc_log(ih_ctx *ctx, int level, const char *fmt, ...)
{
	va_list ap;

	/* the thread's log context already names the plugin */
	if (level < IH_LOG_ERR)
		level = IH_LOG_ERR;
	if (level > IH_LOG_DEBUG)
		level = IH_LOG_DEBUG;
	va_start(ap, fmt);
	if (level == IH_LOG_ERR && ctx != NULL && ctx->run != NULL) {
		/* a plugin's error line becomes its run's error text */
		va_list copy;

		va_copy(copy, ap);
		vsnprintf(ctx->run->last_error, sizeof ctx->run->last_error, fmt, copy);
		va_end(copy);
	}
	ih_vlog(level, fmt, ap);
	va_end(ap);
}

static const char *svc_config_string(ih_ctx *ctx, const char *key)
{
	return ctx != NULL && key != NULL ? ih_pc_string(ctx->inst->pc, key) : NULL;
}

static int svc_config_int(ih_ctx *ctx, const char *key, long long *out)
{
	return ctx != NULL && key != NULL && out != NULL ? ih_pc_int(ctx->inst->pc, key, out) : -1;
}

static int svc_config_bool(ih_ctx *ctx, const char *key, int *out)
{
	return ctx != NULL && key != NULL && out != NULL ? ih_pc_bool(ctx->inst->pc, key, out) : -1;
}

static int svc_config_double(ih_ctx *ctx, const char *key, double *out)
{
	return ctx != NULL && key != NULL && out != NULL ? ih_pc_double(ctx->inst->pc, key, out) : -1;
}

static int svc_should_stop(ih_ctx *ctx)
{
	return ctx == NULL || ctx->host->stop || (ctx->run != NULL && ctx->run->stop);
}

static int svc_http(ih_ctx *ctx, const ih_http_request *req, ih_http_response *resp)
{
	int rc;

	if (resp == NULL)
		return IH_ERR_FATAL;
	memset(resp, 0, sizeof *resp);
	if (ctx == NULL || ctx->run == NULL || req == NULL || req->url == NULL) {
		snprintf(resp->error, sizeof resp->error, "http is only available during a run, with a URL");
		return IH_ERR_FATAL;
	}
	if (svc_should_stop(ctx)) {
		snprintf(resp->error, sizeof resp->error, "stopping");
		return IH_ERR_STOPPED;
	}
	rc = ih_http_do(ctx->run->http, req, resp);
	if (rc != IH_OK && rc != IH_ERR_STOPPED)
		snprintf(ctx->run->last_error, sizeof ctx->run->last_error, "%s", resp->error);
	return rc;
}

static void svc_http_free(ih_ctx *ctx, ih_http_response *resp)
{
	(void)ctx;
	if (resp != NULL)
		ih_http_response_free(resp);
}

static int svc_emit(ih_ctx *ctx, const ih_snapshot *snap)
{
	int rc;

	if (ctx == NULL || ctx->run == NULL || snap == NULL)
		return IH_ERR_FATAL;
	rc = ih_emitter_add(ctx->run->em, snap);
	if (rc == IH_ERR_TRANSIENT) {
		char err[400];

		ih_emitter_error(ctx->run->em, err, sizeof err);
		snprintf(ctx->run->last_error, sizeof ctx->run->last_error, "database write failed: %s", err);
	}
	return rc;
}

static void svc_mark_done(ih_ctx *ctx, int32_t card_id)
{
	if (ctx != NULL && ctx->run != NULL && card_id > 0)
		ih_emitter_mark_done(ctx->run->em, card_id);
}

static void svc_count(ih_ctx *ctx, ih_counter which, long n)
{
	if (ctx == NULL || ctx->run == NULL || n < 0)
		return;
	/* read by the main thread while the run is alive (ih_run_snapshot) */
	pthread_mutex_lock(&ctx->run->mu);
	switch (which) {
	case IH_COUNT_NOT_FOUND: ctx->run->not_found += n; break;
	case IH_COUNT_REJECTED: ctx->run->plugin_rejected += n; break;
	case IH_COUNT_UNMATCHED: ctx->run->plugin_unmatched += n; break;
	default: break;
	}
	pthread_mutex_unlock(&ctx->run->mu);
}

/* Remembered and written in one statement at the end of the run. */
static int svc_set_blueprint_id(ih_ctx *ctx, int32_t card_id, int32_t blueprint_id)
{
	ih_run *r;

	if (ctx == NULL || ctx->run == NULL || card_id <= 0 || blueprint_id <= 0)
		return IH_ERR_FATAL;
	r = ctx->run;
	{
		size_t cap_card = r->capbp, cap_id = r->capbp;

		if (ih_array_room(&r->bp_card, &cap_card, r->nbp + 1, sizeof *r->bp_card) != 0 ||
		    ih_array_room(&r->bp_id, &cap_id, r->nbp + 1, sizeof *r->bp_id) != 0)
			return IH_ERR_FATAL;
		r->capbp = cap_id; /* both grew alike */
	}
	r->bp_card[r->nbp] = card_id;
	r->bp_id[r->nbp++] = blueprint_id;
	return IH_OK;
}

static const ih_host_services table = {
	.abi_major = IH_ABI_MAJOR,
	.abi_minor = IH_ABI_MINOR,
	.size = sizeof(ih_host_services),
	.log = svc_log,
	.config_string = svc_config_string,
	.config_int = svc_config_int,
	.config_bool = svc_config_bool,
	.config_double = svc_config_double,
	.http = svc_http,
	.http_free = svc_http_free,
	.emit = svc_emit,
	.mark_done = svc_mark_done,
	.count = svc_count,
	.should_stop = svc_should_stop,
	.set_blueprint_id = svc_set_blueprint_id,
};

const ih_host_services *ih_host_services_table(void)
{
	return &table;
}
