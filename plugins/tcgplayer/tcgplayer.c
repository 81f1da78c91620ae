/*
 * tcgplayer -- the TCGplayer plugin: client-credentials token, then
 * GET /{api_version}/pricing/product/{ids} in chunks of 250 product ids
 * taken from the cards' tcgplayer_id and tcgplayer_etched_id.
 *
 * Choices (see also tcgplayer_parse.h):
 *  - the token is cached in the plugin's state across runs until 10% of
 *    its lifetime (at most 5 minutes) before expires_in runs out;
 *  - a 400/401/403 from the token endpoint is final: IH_ERR_AUTH;
 *  - a 401 on a pricing call fetches a new token once and repeats that call
 *    once; a second 401 ends the run with IH_ERR_AUTH.  The host refusing
 *    the Authorization header (IH_ERR_AUTH before anything was sent, status
 *    0) is the same: the token is unusable, so it is replaced once too;
 *  - a token answer is only kept when the token is sane and its lifetime
 *    at most a day beyond TCGplayer's documented 14 days (tcg_parse_token);
 *  - a card without tcgplayer_id and tcgplayer_etched_id is not requested:
 *    it is counted not_found and marked done (TCGplayer cannot price it, so
 *    asking again within the cache TTL is pointless);
 *  - a card whose products came back without any price (or a 404 with an
 *    envelope) is marked done; a card missing from a 200 answer is counted
 *    not_found.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ihp_host.h"
#include "tcgplayer_parse.h"

typedef struct tcg_state {
	const ih_host_services *host;
	char *token;       /* never logged */
	double token_until; /* monotonic seconds */
} tcg_state;

static const ih_config_key tcg_keys[] = {
	{ "public_key", IH_CFG_STRING, NULL, 1, 0, 0, 1, "TCGplayer API public key (client_id)" },
	{ "private_key", IH_CFG_STRING, NULL, 1, 0, 1, 1, "TCGplayer API private key (client_secret)" },
	{ "api_version", IH_CFG_STRING, "v1.39.0", 1, 0, 0, 0, "API version path segment" },
	{ NULL, IH_CFG_END, NULL, 0, 0, 0, 0, NULL },
};

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int tcg_init(const ih_host_services *host, ih_ctx *ctx, void **state)
{
	return ihp_init_state(host, ctx, sizeof(tcg_state), state);
}

static void drop_token(tcg_state *st)
{
	if (st->token != NULL) {
		memset(st->token, 0, strlen(st->token));
		free(st->token);
	}
	st->token = NULL;
}

static void tcg_shutdown(void *state)
{
	tcg_state *st = state;

	if (st == NULL)
		return;
	drop_token(st);
	free(st);
}

/* POST {base}/token; on success st->token is fresh. */
static int fetch_token(tcg_state *st, ihp_host *hc, const char *base)
{
	static const char *const headers[] = { "Accept: application/json", NULL };
	const char *pub = st->host->config_string(hc->ctx, "public_key");
	const char *priv = st->host->config_string(hc->ctx, "private_key");
	ihp_buf url = { 0 }, form = { 0 };
	ih_http_request req;
	ih_http_response resp;
	ihp_sink sink;
	char *token = NULL;
	long exp = 0, margin;
	int rc;

	if (pub == NULL || *pub == '\0' || priv == NULL || *priv == '\0') {
		st->host->log(hc->ctx, IH_LOG_ERR, "tcgplayer: public_key and private_key must be set in the config");
		return IH_ERR_AUTH;
	}
	ihp_buf_addf(&url, "%s/token", base);
	ihp_buf_add(&form, "grant_type=client_credentials&client_id=");
	ihp_buf_add_urlenc(&form, pub);
	ihp_buf_add(&form, "&client_secret=");
	ihp_buf_add_urlenc(&form, priv);
	if (url.failed || form.failed) {
		rc = IH_ERR_FATAL;
		goto out;
	}
	memset(&req, 0, sizeof req);
	memset(&resp, 0, sizeof resp);
	req.method = IH_HTTP_POST;
	req.url = url.s;
	req.content_type = "application/x-www-form-urlencoded";
	req.body = form.s;
	req.headers = headers;
	req.no_retry = 1;
	rc = st->host->http(hc->ctx, &req, &resp);
	if (rc != IH_OK) {
		if (resp.status == 400 || resp.status == 401 || resp.status == 403)
			rc = IH_ERR_AUTH;
		ihp_host_log_http(hc, "tcgplayer token request", rc, &resp);
		st->host->http_free(hc->ctx, &resp);
		goto out;
	}
	ihp_host_sink(&sink, hc);
	rc = tcg_parse_token(resp.body, resp.body_len, &token, &exp, &sink);
	st->host->http_free(hc->ctx, &resp);
	if (rc != IH_OK) {
		st->host->log(hc->ctx, IH_LOG_ERR, "%s", sink.err);
		goto out;
	}
	drop_token(st);
	st->token = token;
	margin = exp / 10 < 300 ? exp / 10 : 300;
	st->token_until = now_mono() + (double)(exp - margin);
	st->host->log(hc->ctx, IH_LOG_INFO, "tcgplayer: new access token, valid %ld s", exp);
out:
	if (form.s != NULL)
		memset(form.s, 0, form.len);
	ihp_buf_free(&form);
	ihp_buf_free(&url);
	return rc;
}

/* One pricing request for e[0..n), refreshing the token once on a 401. */
static int price_chunk(tcg_state *st, ihp_host *hc, const char *base, const char *ver, tcg_entry *e,
                       size_t n)
{
	ihp_buf url = { 0 }, auth = { 0 };
	const char *headers[3];
	ih_http_request req;
	ih_http_response resp;
	ihp_sink sink;
	size_t i, j;
	int rc, refreshed = 0;

	ihp_buf_addf(&url, "%s/%s/pricing/product/", base, ver);
	for (i = 0; i < n; i++) {
		for (j = 0; j < i && e[j].product_id != e[i].product_id; j++)
			;
		if (j == i)
			ihp_buf_addf(&url, "%s%ld", i == 0 ? "" : ",", (long)e[i].product_id);
	}
	for (;;) {
		if (st->token == NULL || now_mono() >= st->token_until) {
			if (st->host->should_stop(hc->ctx)) {
				rc = IH_ERR_STOPPED;
				break;
			}
			rc = fetch_token(st, hc, base);
			if (rc != IH_OK)
				break;
		}
		ihp_buf_free(&auth);
		ihp_buf_addf(&auth, "Authorization: bearer %s", st->token);
		if (url.failed || auth.failed) {
			rc = IH_ERR_FATAL;
			break;
		}
		headers[0] = auth.s;
		headers[1] = "Accept: application/json";
		headers[2] = NULL;
		memset(&req, 0, sizeof req);
		memset(&resp, 0, sizeof resp);
		req.method = IH_HTTP_GET;
		req.url = url.s;
		req.headers = headers;
		if (st->host->should_stop(hc->ctx)) {
			rc = IH_ERR_STOPPED;
			break;
		}
		rc = st->host->http(hc->ctx, &req, &resp);
		if (rc == IH_ERR_AUTH && (resp.status == 401 || resp.status == 0) && !refreshed) {
			st->host->log(hc->ctx, IH_LOG_NOTICE, "tcgplayer: token refused (%s): fetching a new one",
			              resp.status == 401 ? "HTTP 401" : "the host refused the Authorization header");
			st->host->http_free(hc->ctx, &resp);
			drop_token(st);
			refreshed = 1;
			continue;
		}
		if (rc == IH_OK || (rc == IH_ERR_FATAL && resp.status == 404)) {
			ihp_host_sink(&sink, hc);
			rc = tcg_parse_pricing(resp.body, resp.body_len, resp.status, e, n, &sink);
			if (rc == IH_ERR_FATAL)
				st->host->log(hc->ctx, IH_LOG_ERR, "%s", sink.err);
		} else {
			ihp_host_log_http(hc, "tcgplayer pricing request", rc, &resp);
		}
		st->host->http_free(hc->ctx, &resp);
		break;
	}
	if (auth.s != NULL)
		memset(auth.s, 0, auth.len);
	ihp_buf_free(&auth);
	ihp_buf_free(&url);
	return rc;
}

/* Entries for every id of every card; cards without one are settled here. */
static tcg_entry *make_entries(ihp_host *hc, const ih_card *cards, size_t n, int *pending, size_t *ne)
{
	tcg_entry *e = calloc(2 * n + 1, sizeof *e);
	size_t i, k = 0;

	if (e == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (cards[i].tcgplayer_id > 0) {
			e[k].product_id = cards[i].tcgplayer_id;
			e[k++].card = &cards[i];
			pending[i]++;
		}
		if (cards[i].tcgplayer_etched_id > 0 && cards[i].tcgplayer_etched_id != cards[i].tcgplayer_id) {
			e[k].product_id = cards[i].tcgplayer_etched_id;
			e[k].etched = 1;
			e[k++].card = &cards[i];
			pending[i]++;
		}
		if (pending[i] == 0) {
			hc->h->count(hc->ctx, IH_COUNT_NOT_FOUND, 1);
			hc->h->mark_done(hc->ctx, cards[i].card_id);
		}
	}
	*ne = k;
	return e;
}

static int tcg_collect(void *state, ih_ctx *ctx, const ih_card *cards, size_t n)
{
	tcg_state *st = state;
	ihp_host hc = { st->host, ctx };
	const char *ver = st->host->config_string(ctx, "api_version");
	int *pending = NULL, *best = NULL, rc = IH_OK;
	tcg_entry *e = NULL;
	size_t ne = 0, i, k, c;
	char *base;

	base = ihp_base_url(st->host->config_string(ctx, "base_url"));
	if (base == NULL || *base == '\0' || ver == NULL || *ver == '\0') {
		st->host->log(ctx, IH_LOG_ERR, "tcgplayer: base_url and api_version must be set");
		free(base);
		return IH_ERR_FATAL;
	}
	pending = calloc(n + 1, sizeof *pending);
	best = calloc(n + 1, sizeof *best);
	if (pending != NULL && best != NULL)
		e = make_entries(&hc, cards, n, pending, &ne);
	if (e == NULL) {
		rc = IH_ERR_FATAL;
		goto out;
	}
	for (i = 0; i < ne && rc == IH_OK; i += k) {
		k = ne - i < TCG_CHUNK ? ne - i : TCG_CHUNK;
		if (st->host->should_stop(ctx)) {
			rc = IH_ERR_STOPPED;
			break;
		}
		rc = price_chunk(st, &hc, base, ver, e + i, k);
		if (rc != IH_OK)
			break;
		for (c = i; c < i + k; c++) {
			size_t ci = (size_t)(e[c].card - cards);

			if (e[c].state > best[ci])
				best[ci] = e[c].state;
			if (--pending[ci] > 0)
				continue;
			if (best[ci] == TCG_NOPRICE)
				st->host->mark_done(ctx, e[c].card->card_id);
			else if (best[ci] == TCG_UNSEEN)
				st->host->count(ctx, IH_COUNT_NOT_FOUND, 1);
		}
	}
out:
	free(e);
	free(best);
	free(pending);
	free(base);
	return rc;
}

IH_PLUGIN_EXPORT const ih_plugin_descriptor ingesthost_plugin = {
	IH_PLUGIN_DESCRIPTOR_HEAD,
	.name = "tcgplayer",
	.version = PACKAGE_VERSION,
	.marketplace = "tcgplayer",
	.currency = "USD",
	.description = "TCGplayer product prices (market/mid/low, USD) via /pricing/product",
	.fetch_mode = IH_FETCH_CARD_LIST,
	.init = tcg_init,
	.collect = tcg_collect,
	.shutdown = tcg_shutdown,
	.config_keys = tcg_keys,
	.default_base_url = "https://api.tcgplayer.com",
	.default_requests_per_second = 10.0,
	.default_freshness = 0,
	.max_batch = TCG_CHUNK,
};
