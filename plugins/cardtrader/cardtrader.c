/*
 * cardtrader -- the CardTrader plugin (API v2, bearer token).
 *
 * A run: GET /expansions once per plugin lifetime; the cards are grouped by
 * the expansion whose code is their set code; cards without a known
 * blueprint are matched against GET /blueprints/export?expansion_id=N
 * (cached per expansion for the plugin's lifetime) and the matches stored
 * with set_blueprint_id; then one GET /marketplace/products?expansion_id=N
 * per expansion touched.  Listings are folded as cardtrader_parse.h says.
 * A card whose set code is no CardTrader expansion, or that matches no
 * blueprint, is counted not_found; a matched card with no listing is marked
 * done.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardtrader_parse.h"
#include "ihp_host.h"

typedef struct ct_export {
	int32_t expansion_id;
	ct_blueprint *bp;
	size_t n;
} ct_export;

typedef struct ct_state {
	const ih_host_services *host;
	ct_expansion *exp; /* NULL until fetched */
	size_t nexp;
	ct_export *exports; /* blueprint exports fetched so far */
	size_t nexports;
} ct_state;

/* One run's view. */
typedef struct ct_run {
	ct_state *st;
	ihp_host hc;
	char *base;
	const char *headers[3];
	ihp_sink sink;
} ct_run;

static const ih_config_key ct_keys[] = {
	{ "token", IH_CFG_STRING, NULL, 1, 0, 1, 1, "CardTrader API token (Settings > API), sent as a bearer token" },
	{ NULL, IH_CFG_END, NULL, 0, 0, 0, 0, NULL },
};

static int ct_init(const ih_host_services *host, ih_ctx *ctx, void **state)
{
	return ihp_init_state(host, ctx, sizeof(ct_state), state);
}

static void ct_shutdown(void *state)
{
	ct_state *st = state;
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nexports; i++)
		free(st->exports[i].bp);
	free(st->exports);
	free(st->exp);
	free(st);
}

/* GET base+path; on IH_OK *resp holds the body (caller frees it). */
static int ct_get(ct_run *r, const char *path, const char *what, ih_http_response *resp)
{
	ih_http_request req;
	ihp_buf url = { 0 };
	int rc;

	memset(resp, 0, sizeof *resp);
	if (r->st->host->should_stop(r->hc.ctx))
		return IH_ERR_STOPPED;
	ihp_buf_add(&url, r->base);
	ihp_buf_add(&url, path);
	if (url.failed) {
		ihp_buf_free(&url);
		return IH_ERR_FATAL;
	}
	memset(&req, 0, sizeof req);
	req.method = IH_HTTP_GET;
	req.url = url.s;
	req.headers = r->headers;
	rc = r->st->host->http(r->hc.ctx, &req, resp);
	ihp_buf_free(&url);
	if (rc != IH_OK && !(rc == IH_ERR_FATAL && resp->status == 404))
		ihp_host_log_http(&r->hc, what, rc, resp);
	return rc;
}

static int load_expansions(ct_run *r)
{
	ih_http_response resp;
	int rc = ct_get(r, "/expansions", "cardtrader GET /expansions", &resp);

	if (rc == IH_OK) {
		rc = ct_parse_expansions(resp.body, resp.body_len, &r->st->exp, &r->st->nexp, &r->sink);
		if (rc == IH_ERR_FATAL)
			r->st->host->log(r->hc.ctx, IH_LOG_ERR, "%s", r->sink.err);
	} else if (rc == IH_ERR_FATAL && resp.status == 404) {
		ihp_host_log_http(&r->hc, "cardtrader GET /expansions", rc, &resp);
	}
	r->st->host->http_free(r->hc.ctx, &resp);
	return rc;
}

/* The cached export of expansion id, fetched when missing. */
static int get_export(ct_run *r, int32_t id, const ct_export **out)
{
	ct_state *st = r->st;
	ih_http_response resp;
	ct_export *grown, e = { id, NULL, 0 };
	char path[96];
	size_t i;
	int rc;

	for (i = 0; i < st->nexports; i++) {
		if (st->exports[i].expansion_id == id) {
			*out = &st->exports[i];
			return IH_OK;
		}
	}
	snprintf(path, sizeof path, "/blueprints/export?expansion_id=%ld", (long)id);
	rc = ct_get(r, path, "cardtrader GET /blueprints/export", &resp);
	if (rc == IH_ERR_FATAL && resp.status == 404) {
		st->host->log(r->hc.ctx, IH_LOG_WARNING, "cardtrader: expansion %ld has no blueprint export (404)", (long)id);
		rc = IH_OK; /* cached as empty */
	} else if (rc == IH_OK) {
		rc = ct_parse_blueprints(resp.body, resp.body_len, &e.bp, &e.n, &r->sink);
		if (rc == IH_ERR_FATAL)
			st->host->log(r->hc.ctx, IH_LOG_ERR, "%s", r->sink.err);
	}
	st->host->http_free(r->hc.ctx, &resp);
	if (rc != IH_OK)
		return rc;
	grown = realloc(st->exports, (st->nexports + 1) * sizeof *grown);
	if (grown == NULL) {
		free(e.bp);
		return IH_ERR_FATAL;
	}
	st->exports = grown;
	st->exports[st->nexports] = e;
	*out = &st->exports[st->nexports++];
	return IH_OK;
}

/* Price the cards of expansion id: idx[0..m) index cards. */
static int price_expansion(ct_run *r, int32_t id, const ih_card *cards, const size_t *idx, size_t m)
{
	const ct_export *ex = NULL;
	ih_http_response resp;
	ct_want *w = calloc(m + 1, sizeof *w);
	size_t i, nw = 0;
	char path[96];
	int32_t bp;
	int rc = IH_OK;

	if (w == NULL)
		return IH_ERR_FATAL;
	for (i = 0; i < m && rc == IH_OK; i++) {
		const ih_card *c = &cards[idx[i]];

		bp = c->cardtrader_blueprint_id;
		if (bp <= 0) {
			if (ex == NULL)
				rc = get_export(r, id, &ex);
			if (rc != IH_OK)
				break;
			bp = ct_match_blueprint(ex->bp, ex->n, c);
			if (bp > 0 && r->st->host->set_blueprint_id != NULL)
				r->st->host->set_blueprint_id(r->hc.ctx, c->card_id, bp);
		}
		if (bp <= 0) {
			r->st->host->count(r->hc.ctx, IH_COUNT_NOT_FOUND, 1);
			continue;
		}
		w[nw].blueprint_id = bp;
		w[nw++].card = c;
	}
	if (rc == IH_OK && nw > 0) {
		snprintf(path, sizeof path, "/marketplace/products?expansion_id=%ld", (long)id);
		rc = ct_get(r, path, "cardtrader GET /marketplace/products", &resp);
		if (rc == IH_OK) {
			rc = ct_parse_products(resp.body, resp.body_len, w, nw, &r->sink);
			if (rc == IH_ERR_FATAL)
				r->st->host->log(r->hc.ctx, IH_LOG_ERR, "%s", r->sink.err);
		} else if (rc == IH_ERR_FATAL && resp.status == 404) {
			ihp_host_log_http(&r->hc, "cardtrader GET /marketplace/products", rc, &resp);
		}
		r->st->host->http_free(r->hc.ctx, &resp);
		for (i = 0; i < nw && rc == IH_OK; i++)
			if (w[i].rows == 0)
				r->st->host->mark_done(r->hc.ctx, w[i].card->card_id);
	}
	free(w);
	return rc;
}

static int ct_collect(void *state, ih_ctx *ctx, const ih_card *cards, size_t n)
{
	ct_state *st = state;
	ct_run r;
	const char *token = st->host->config_string(ctx, "token");
	ihp_buf auth = { 0 };
	int32_t *eid = NULL;
	size_t *idx = NULL, i, j, m;
	int rc = IH_OK;

	memset(&r, 0, sizeof r);
	r.st = st;
	r.hc.h = st->host;
	r.hc.ctx = ctx;
	ihp_host_sink(&r.sink, &r.hc);
	if (token == NULL || *token == '\0') {
		st->host->log(ctx, IH_LOG_ERR, "cardtrader: token is not set in the config");
		return IH_ERR_AUTH;
	}
	r.base = ihp_base_url(st->host->config_string(ctx, "base_url"));
	ihp_buf_addf(&auth, "Authorization: Bearer %s", token);
	eid = calloc(n + 1, sizeof *eid);
	idx = calloc(n + 1, sizeof *idx);
	if (r.base == NULL || *r.base == '\0' || auth.failed || eid == NULL || idx == NULL) {
		st->host->log(ctx, IH_LOG_ERR, "cardtrader: base_url is not set (or out of memory)");
		rc = IH_ERR_FATAL;
		goto out;
	}
	r.headers[0] = auth.s;
	r.headers[1] = "Accept: application/json";
	if (n > 0 && st->exp == NULL)
		rc = load_expansions(&r);
	for (i = 0; i < n && rc == IH_OK; i++) {
		eid[i] = ct_find_expansion(st->exp, st->nexp, cards[i].set_code);
		if (eid[i] == 0)
			st->host->count(ctx, IH_COUNT_NOT_FOUND, 1);
	}
	/* expansions in order of first appearance; eid[] is consumed as we go */
	for (i = 0; i < n && rc == IH_OK; i++) {
		int32_t id = eid[i];

		if (id == 0)
			continue;
		for (j = i, m = 0; j < n; j++) {
			if (eid[j] == id) {
				idx[m++] = j;
				eid[j] = 0;
			}
		}
		rc = price_expansion(&r, id, cards, idx, m);
	}
out:
	if (auth.s != NULL)
		memset(auth.s, 0, auth.len);
	ihp_buf_free(&auth);
	free(r.base);
	free(eid);
	free(idx);
	return rc;
}

IH_PLUGIN_EXPORT const ih_plugin_descriptor ingesthost_plugin = {
	IH_PLUGIN_DESCRIPTOR_HEAD,
	.name = "cardtrader",
	.version = PACKAGE_VERSION,
	.marketplace = "cardtrader",
	.currency = "EUR",
	.description = "CardTrader marketplace listings folded per condition, finish and language",
	.fetch_mode = IH_FETCH_CARD_LIST,
	.init = ct_init,
	.collect = ct_collect,
	.shutdown = ct_shutdown,
	.config_keys = ct_keys,
	.default_base_url = "https://api.cardtrader.com/api/v2",
	.default_requests_per_second = 1.0,
	.default_freshness = 0,
	.max_batch = 0,
};
