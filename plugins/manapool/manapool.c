/*
 * manapool -- the Mana Pool plugin: a bulk plugin that downloads the whole
 * in-stock singles export (GET /prices/singles) once a run and hands every
 * row to the host, which resolves the Scryfall ids.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ihp_host.h"
#include "manapool_parse.h"

typedef struct mp_state {
	const ih_host_services *host;
} mp_state;

static const ih_config_key mp_keys[] = {
	{ NULL, IH_CFG_END, NULL, 0, 0, 0, 0, NULL },
};

static int mp_init(const ih_host_services *host, ih_ctx *ctx, void **state)
{
	return ihp_init_state(host, ctx, sizeof(mp_state), state);
}

static void mp_shutdown(void *state)
{
	free(state);
}

static int mp_collect(void *state, ih_ctx *ctx, const ih_card *cards, size_t n)
{
	static const char *const headers[] = { "Accept: application/json", NULL };
	mp_state *st = state;
	ihp_host hc = { st->host, ctx };
	ih_http_request req;
	ih_http_response resp;
	ihp_sink sink;
	mp_stats stats;
	ihp_buf url = { 0 };
	char *base;
	int rc;

	(void)cards;
	(void)n;
	base = ihp_base_url(st->host->config_string(ctx, "base_url"));
	if (base == NULL || *base == '\0') {
		free(base);
		st->host->log(ctx, IH_LOG_ERR, "manapool: base_url is not set");
		return IH_ERR_FATAL;
	}
	ihp_buf_add(&url, base);
	ihp_buf_add(&url, "/prices/singles");
	free(base);
	if (url.failed) {
		ihp_buf_free(&url);
		return IH_ERR_FATAL;
	}
	if (st->host->should_stop(ctx)) {
		ihp_buf_free(&url);
		return IH_ERR_STOPPED;
	}
	memset(&req, 0, sizeof req);
	memset(&resp, 0, sizeof resp);
	req.method = IH_HTTP_GET;
	req.url = url.s;
	req.headers = headers;
	rc = st->host->http(ctx, &req, &resp);
	ihp_buf_free(&url);
	if (rc != IH_OK) {
		ihp_host_log_http(&hc, "manapool GET /prices/singles", rc, &resp);
		st->host->http_free(ctx, &resp);
		return rc;
	}
	ihp_host_sink(&sink, &hc);
	rc = mp_parse_singles(resp.body, resp.body_len, &sink, &stats);
	st->host->http_free(ctx, &resp);
	if (rc == IH_ERR_FATAL)
		st->host->log(ctx, IH_LOG_ERR, "%s", sink.err);
	else
		st->host->log(ctx, IH_LOG_INFO, "manapool: %zu export rows, %zu snapshots", stats.rows,
		              stats.snapshots);
	return rc;
}

IH_PLUGIN_EXPORT const ih_plugin_descriptor ingesthost_plugin = {
	IH_PLUGIN_DESCRIPTOR_HEAD,
	.name = "manapool",
	.version = PACKAGE_VERSION,
	.marketplace = "manapool",
	.currency = "USD",
	.description = "Mana Pool in-stock singles export (NM and LP+ per finish, USD)",
	.fetch_mode = IH_FETCH_BULK,
	.init = mp_init,
	.collect = mp_collect,
	.shutdown = mp_shutdown,
	.config_keys = mp_keys,
	.default_base_url = "https://manapool.com/api/v1",
	.default_requests_per_second = 1.0,
	.default_freshness = 0, /* the host's ingest.freshness */
	.max_batch = 0,
};
