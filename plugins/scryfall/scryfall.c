/*
 * scryfall -- the Scryfall plugin: prices of a card list through
 * POST /cards/collection, 75 identifiers a request.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ihp_host.h"
#include "scryfall_parse.h"

typedef struct scry_state {
	const ih_host_services *host;
} scry_state;

static const ih_config_key scry_keys[] = {
	{ NULL, IH_CFG_END, NULL, 0, 0, 0, 0, NULL },
};

static int scry_init(const ih_host_services *host, ih_ctx *ctx, void **state)
{
	return ihp_init_state(host, ctx, sizeof(scry_state), state);
}

static void scry_shutdown(void *state)
{
	free(state);
}

/* One request for chunk[0..n) and its rows. */
static int scry_chunk(ihp_host *hc, const char *url, const ih_card *const *chunk, size_t n)
{
	static const char *const headers[] = { "Accept: application/json", NULL };
	ih_http_request req;
	ih_http_response resp;
	ihp_sink sink;
	char *body;
	int rc;

	body = scry_collection_body(chunk, n);
	if (body == NULL) {
		hc->h->log(hc->ctx, IH_LOG_ERR, "scryfall: out of memory building a request");
		return IH_ERR_FATAL;
	}
	memset(&req, 0, sizeof req);
	memset(&resp, 0, sizeof resp);
	req.method = IH_HTTP_POST;
	req.url = url;
	req.content_type = "application/json";
	req.body = body;
	req.headers = headers;
	rc = hc->h->http(hc->ctx, &req, &resp);
	free(body);
	if (rc != IH_OK) {
		ihp_host_log_http(hc, "scryfall POST /cards/collection", rc, &resp);
		hc->h->http_free(hc->ctx, &resp);
		return rc;
	}
	ihp_host_sink(&sink, hc);
	rc = scry_parse_collection(resp.body, resp.body_len, chunk, n, &sink);
	if (rc == IH_ERR_FATAL)
		hc->h->log(hc->ctx, IH_LOG_ERR, "%s", sink.err);
	hc->h->http_free(hc->ctx, &resp);
	return rc;
}

static int scry_collect(void *state, ih_ctx *ctx, const ih_card *cards, size_t n)
{
	scry_state *st = state;
	ihp_host hc = { st->host, ctx };
	const ih_card *chunk[SCRY_CHUNK];
	char *base, *url;
	size_t i = 0, k;
	int rc = IH_OK;

	base = ihp_base_url(st->host->config_string(ctx, "base_url"));
	if (base == NULL || *base == '\0') {
		free(base);
		st->host->log(ctx, IH_LOG_ERR, "scryfall: base_url is not set");
		return IH_ERR_FATAL;
	}
	url = malloc(strlen(base) + sizeof "/cards/collection");
	if (url == NULL) {
		free(base);
		return IH_ERR_FATAL;
	}
	strcpy(url, base);
	strcat(url, "/cards/collection");
	while (i < n && rc == IH_OK) {
		for (k = 0; i < n && k < SCRY_CHUNK; i++) {
			if (!ihp_is_uuid(cards[i].scryfall_id)) {
				st->host->log(ctx, IH_LOG_WARNING, "scryfall: card %ld has no valid scryfall id: skipped",
				              (long)cards[i].card_id);
				st->host->count(ctx, IH_COUNT_NOT_FOUND, 1);
				continue;
			}
			chunk[k++] = &cards[i];
		}
		if (k == 0)
			break;
		if (st->host->should_stop(ctx)) {
			rc = IH_ERR_STOPPED;
			break;
		}
		rc = scry_chunk(&hc, url, chunk, k);
	}
	free(url);
	free(base);
	return rc;
}

IH_PLUGIN_EXPORT const ih_plugin_descriptor ingesthost_plugin = {
	IH_PLUGIN_DESCRIPTOR_HEAD,
	.name = "scryfall",
	.version = PACKAGE_VERSION,
	.marketplace = "scryfall",
	.currency = "USD",
	.description = "Scryfall card prices (USD, EUR, MTGO tix) via /cards/collection",
	.fetch_mode = IH_FETCH_CARD_LIST,
	.init = scry_init,
	.collect = scry_collect,
	.shutdown = scry_shutdown,
	.config_keys = scry_keys,
	.default_base_url = "https://api.scryfall.com",
	.default_requests_per_second = 2.0,
	.default_freshness = 86400,
	.max_batch = SCRY_CHUNK,
};
