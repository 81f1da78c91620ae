/*
 * price -- a complete small ingesthost plugin, built out of tree against the
 * installed header only (see Makefile and README):
 *
 *   cc -shared -fPIC -fvisibility=hidden $(pkg-config --cflags ingesthost-plugin) -o price.so price.c
 *
 * The marketplace it talks to is a made-up one, "Example Mart", with the
 * simplest API that still shows every part of a real adapter:
 *
 *   GET {base_url}/v1/prices?ids=<scryfall id>,<scryfall id>,...
 *   Authorization: Bearer <api_key>
 *
 * answers 200 with one text line per price:
 *
 *   <scryfall id> <condition> <finish> <price> <listings>
 *
 * and 401/403 for a bad key, 429 when called too often, 5xx when it is down.
 *
 * What it shows: the capability check (IH_HAS_SERVICE), config keys with a
 * secret, the host's HTTP service (rate limit, retries and classification
 * are the host's), emitting snapshots a card at a time, marking cards the
 * marketplace does not price, and what to do with each error class.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ingesthost/plugin.h>

#define PRICE_BATCH 50 /* cards per request */

/* The plugin's own state, made by init and freed by shutdown.  The host
 * never touches it; collect is never called twice at the same time for one
 * instance, so it needs no lock. */
typedef struct price_state {
	const ih_host_services *host; /* the host's table: valid until shutdown */
	char auth[300];               /* "Authorization: Bearer ..." */
	char base_url[256];
} price_state;

static int price_init(const ih_host_services *host, ih_ctx *ctx, void **state)
{
	price_state *st;
	const char *key, *base;

	/* http, emit, mark_done, count and should_stop arrived in ABI 1.1: a
	 * host older than that cannot run this plugin (the loader refuses a
	 * plugin newer than the host, but say it plainly anyway). */
	if (!IH_HAS_SERVICE(host, 1)) {
		host->log(ctx, IH_LOG_ERR, "needs host services 1.1 (http, emit), host has %u.%u", host->abi_major,
			  host->abi_minor);
		return IH_ERR_FATAL;
	}
	key = host->config_string(ctx, "api_key");
	if (key == NULL || *key == '\0') {
		/* logged at ERR: this line is what the operator sees as the error */
		host->log(ctx, IH_LOG_ERR, "no api_key: set plugins.price.api_key");
		return IH_ERR_FATAL;
	}
	base = host->config_string(ctx, "base_url");
	st = calloc(1, sizeof *st);
	if (st == NULL)
		return IH_ERR_FATAL;
	st->host = host;
	snprintf(st->auth, sizeof st->auth, "Authorization: Bearer %s", key);
	snprintf(st->base_url, sizeof st->base_url, "%s", base != NULL ? base : "https://prices.example.com");
	*state = st;
	return IH_OK;
}

static void price_shutdown(void *state)
{
	free(state);
}

/* One answer line; 0 when it has the five fields. */
typedef struct price_line {
	char sid[40], cond[8], finish[12], price[24];
	int listings;
} price_line;

static int parse_line(const char *line, price_line *out)
{
	return sscanf(line, "%39s %7s %11s %23s %d", out->sid, out->cond, out->finish, out->price, &out->listings) ==
			       5 ?
		       0 :
		       -1;
}

/*
 * Emit every row of one card, one after another: the host closes its write
 * batches on card boundaries, so a card's rows must not be interleaved with
 * another card's.  Returns IH_OK, or the status that must end the run.
 */
static int emit_card(price_state *st, ih_ctx *ctx, const ih_card *card, const char *body, long *rows)
{
	const char *p = body;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		char line[256];
		price_line pl;
		ih_snapshot snap;
		int rc;

		snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
		p += len + (nl != NULL);
		if (parse_line(line, &pl) != 0 || strcmp(pl.sid, card->scryfall_id) != 0)
			continue;
		memset(&snap, 0, sizeof snap); /* frozen struct: zero it, then set what you know */
		snap.card_id = card->card_id;
		snap.scryfall_id = card->scryfall_id;
		snap.condition = pl.cond;
		snap.finish = pl.finish;
		snap.currency = "USD";
		snap.price = pl.price; /* decimal text, never a double */
		snap.num_listings = pl.listings;
		rc = st->host->emit(ctx, &snap); /* the host copies the row */
		if (rc == IH_ERR_FATAL)
			continue; /* this row was rejected (the host counted and logged it) */
		if (rc != IH_OK)
			return rc; /* the host cannot store rows any more: end the run */
		(*rows)++;
	}
	return IH_OK;
}

/* One request for cards[0..n).  Returns IH_OK or the class that ends the run. */
static int fetch_batch(price_state *st, ih_ctx *ctx, const ih_card *cards, size_t n)
{
	const char *headers[] = { st->auth, NULL };
	char url[4096];
	size_t used;
	ih_http_request req;
	ih_http_response resp;
	int rc;

	used = (size_t)snprintf(url, sizeof url, "%s/v1/prices?ids=", st->base_url);
	for (size_t i = 0; i < n && used < sizeof url; i++)
		used += (size_t)snprintf(url + used, sizeof url - used, "%s%s", i ? "," : "", cards[i].scryfall_id);
	memset(&req, 0, sizeof req);
	req.method = IH_HTTP_GET;
	req.url = url;
	req.headers = headers;

	rc = st->host->http(ctx, &req, &resp); /* resp is always filled */
	switch (rc) {
	case IH_OK:
		for (size_t i = 0; i < n && rc == IH_OK; i++) {
			long rows = 0;

			rc = emit_card(st, ctx, &cards[i], resp.body, &rows);
			if (rc == IH_OK && rows == 0) {
				/* the marketplace does not price this card: mark it fresh
				 * so it is not asked for again before its time */
				st->host->mark_done(ctx, cards[i].card_id);
				st->host->count(ctx, IH_COUNT_NOT_FOUND, 1);
			}
		}
		break;
	case IH_ERR_AUTH:
		/* never retried by the host: the operator must fix the key */
		st->host->log(ctx, IH_LOG_ERR, "credentials rejected (HTTP %ld): check plugins.price.api_key",
			      resp.status);
		break;
	case IH_ERR_RATE_LIMITED:
		/* the host already waited and retried: give up this run, keep what
		 * was emitted; the next cycle carries on */
		st->host->log(ctx, IH_LOG_ERR, "rate limited after the host's retries: %s", resp.error);
		break;
	case IH_ERR_TRANSIENT:
		st->host->log(ctx, IH_LOG_ERR, "marketplace unavailable: %s", resp.error);
		break;
	case IH_ERR_STOPPED:
		/* shutting down: return at once, no error line */
		break;
	default:
		/* IH_ERR_FATAL: other 4xx, a refused URL, an unusable body */
		st->host->log(ctx, IH_LOG_ERR, "request failed: %s", resp.error);
		rc = IH_ERR_FATAL;
		break;
	}
	st->host->http_free(ctx, &resp);
	return rc;
}

static int price_collect(void *state, ih_ctx *ctx, const ih_card *cards, size_t n)
{
	price_state *st = state;

	for (size_t i = 0; i < n; i += PRICE_BATCH) {
		int rc;

		/* a safe point: stop between requests when the host asks */
		if (st->host->should_stop(ctx))
			return IH_ERR_STOPPED;
		rc = fetch_batch(st, ctx, cards + i, n - i < PRICE_BATCH ? n - i : PRICE_BATCH);
		if (rc != IH_OK)
			return rc;
	}
	return IH_OK;
}

static const ih_config_key price_keys[] = {
	/* name, type, default, min, max, secret, required, help */
	{ "api_key", IH_CFG_STRING, NULL, 1, 0, 1, 1, "Example Mart API key (masked when config is printed)" },
	{ NULL, IH_CFG_END, NULL, 0, 0, 0, 0, NULL },
};

IH_PLUGIN_EXPORT const ih_plugin_descriptor ingesthost_plugin = {
	IH_PLUGIN_DESCRIPTOR_HEAD,
	.name = "price",
	.version = "1.0.0",
	.marketplace = "examplemart",
	.currency = "USD",
	.description = "example plugin: Example Mart prices over HTTP",
	.fetch_mode = IH_FETCH_CARD_LIST,
	.init = price_init,
	.collect = price_collect,
	.shutdown = price_shutdown,
	.config_keys = price_keys,
	.default_base_url = "https://prices.example.com",
	.default_requests_per_second = 2,
	.max_batch = PRICE_BATCH,
};
