/*
 * A fixture marketplace plugin for the pipeline tests, built once per name
 * (FIXTURE_NAME).  It asks {base_url}/prices?ids=1,2,... for `chunk` cards at
 * a time; the test's responder answers "id price" lines, and each becomes an
 * NM nonfoil USD snapshot.  fail_after = N ends the run with a fatal error
 * after N snapshots.  Any HTTP failure ends the run with its class.
 * rows_per_card = K emits K rows per card (conditions NM, LP, MP, ...).
 * block_fifo = PATH: after the first request's rows, open PATH and read one
 * byte, ignoring should_stop (a plugin that does not return in time).  Two
 * collects of one instance at once fail the run ("two collects in flight").
 */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ingesthost/plugin.h"

#ifndef FIXTURE_NAME
#error FIXTURE_NAME must be defined
#endif

static const ih_host_services *host;
static atomic_int in_flight;

static void block_on(const char *path)
{
	char b;
	int fd = open(path, O_RDONLY);

	if (fd >= 0) {
		while (read(fd, &b, 1) < 0)
			;
		close(fd);
	}
}

static int collect(void *state, ih_ctx *ctx, const ih_card *cards, size_t n);

static int px_collect(void *state, ih_ctx *ctx, const ih_card *cards, size_t n)
{
	int rc;

	if (atomic_fetch_add(&in_flight, 1) > 0) {
		host->log(ctx, IH_LOG_ERR, "two collects in flight");
		atomic_fetch_sub(&in_flight, 1);
		return IH_ERR_FATAL;
	}
	rc = collect(state, ctx, cards, n);
	atomic_fetch_sub(&in_flight, 1);
	return rc;
}

static int px_init(const ih_host_services *h, ih_ctx *ctx, void **state)
{
	(void)ctx;
	host = h;
	*state = NULL;
	return IH_OK;
}

static int collect(void *state, ih_ctx *ctx, const ih_card *cards, size_t n)
{
	static const char *const conds[] = { "NM", "LP", "MP", "HP", "DMG" };
	const char *base = host->config_string(ctx, "base_url");
	const char *fifo = host->config_string(ctx, "block_fifo");
	long long chunk = 100, fail_after = 0, per_card = 1;
	long emitted = 0;

	(void)state;
	host->config_int(ctx, "chunk", &chunk);
	host->config_int(ctx, "fail_after", &fail_after);
	host->config_int(ctx, "rows_per_card", &per_card);
	for (size_t i = 0; i < n; i += (size_t)chunk) {
		size_t end = i + (size_t)chunk < n ? i + (size_t)chunk : n, used;
		char *url = malloc(strlen(base) + 32 + 12 * (end - i));
		ih_http_request req = { IH_HTTP_GET, url, NULL, NULL, NULL, 0 };
		ih_http_response resp;
		int rc;

		if (host->should_stop(ctx)) {
			free(url);
			return IH_ERR_STOPPED;
		}
		used = (size_t)sprintf(url, "%s/prices?ids=", base);
		for (size_t j = i; j < end; j++)
			used += (size_t)sprintf(url + used, "%s%d", j > i ? "," : "", (int)cards[j].card_id);
		rc = host->http(ctx, &req, &resp);
		free(url);
		if (rc != IH_OK) {
			host->http_free(ctx, &resp);
			return rc;
		}
		for (char *line = resp.body, *next; line != NULL && *line; line = next) {
			char price[32];
			int id;
			ih_snapshot s;

			next = strchr(line, '\n');
			if (next != NULL)
				*next++ = '\0';
			if (sscanf(line, "%d %31s", &id, price) != 2)
				continue;
			for (long long k = 0; k < per_card; k++) {
				memset(&s, 0, sizeof s);
				s.card_id = id;
				s.condition = conds[k % 5];
				s.finish = "nonfoil";
				s.currency = "USD";
				s.price = price;
				s.num_listings = -1;
				rc = host->emit(ctx, &s);
				if (rc != IH_OK && rc != IH_ERR_FATAL) {
					host->http_free(ctx, &resp);
					return rc;
				}
			}
			if (fail_after > 0 && ++emitted == fail_after) {
				host->log(ctx, IH_LOG_ERR, "failing on purpose after %ld snapshots", emitted);
				host->http_free(ctx, &resp);
				return IH_ERR_FATAL;
			}
		}
		host->http_free(ctx, &resp);
		if (fifo != NULL && *fifo != '\0' && i == 0)
			block_on(fifo);
	}
	return IH_OK;
}

static const ih_config_key px_keys[] = {
	{ "chunk", IH_CFG_INT, "100", 1, 10000, 0, 0, "cards per request" },
	{ "fail_after", IH_CFG_INT, "0", 0, 100000000, 0, 0, "fail after this many snapshots" },
	{ "rows_per_card", IH_CFG_INT, "1", 1, 5, 0, 0, "rows emitted per card" },
	{ "block_fifo", IH_CFG_STRING, "", 1, 0, 0, 0, "block on this FIFO after the first request" },
	{ NULL, IH_CFG_END, NULL, 0, 0, 0, 0, NULL },
};

const ih_plugin_descriptor ingesthost_plugin = {
	IH_PLUGIN_DESCRIPTOR_HEAD,
	.name = FIXTURE_NAME,
	.version = "1.0.0",
	.marketplace = FIXTURE_NAME,
	.currency = "USD",
	.description = "pipeline test fixture",
	.fetch_mode = IH_FETCH_CARD_LIST,
	.init = px_init,
	.collect = px_collect,
	.config_keys = px_keys,
	.default_requests_per_second = 1000,
};
