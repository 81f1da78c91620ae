/*
 * A fixture that needs no marketplace: for each of the first `crash_after`
 * cards it emits one NM nonfoil USD price (card id / 100, e.g. 12.34 for
 * card 1234) and marks the card done, then dereferences NULL.  No request
 * is made, so nothing is flushed at a request boundary: every row reaches
 * the host through the worker's last gasp (the SIGSEGV handler).  Beside the
 * four real plugins against the simulator it shows a crash costs only the
 * crashing plugin's run (market_test).
 */
#include <stdio.h>
#include "ingesthost/plugin.h"

static const ih_host_services *host;
/* NULL through volatile: a real store that faults (SIGSEGV), not a trap */
static int *volatile nowhere;

/* not under UBSan: it would report the NULL store and exit 1 instead */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((no_sanitize("undefined")))
#endif
static void fault(void)
{
	*nowhere = 1;
}

static int ss_init(const ih_host_services *h, ih_ctx *ctx, void **state)
{
	(void)ctx;
	host = h;
	*state = NULL;
	return IH_OK;
}

static int ss_collect(void *state, ih_ctx *ctx, const ih_card *cards, size_t n)
{
	long long after = 300;

	(void)state;
	host->config_int(ctx, "crash_after", &after);
	for (size_t i = 0; i < n && (long long)i < after; i++) {
		char price[32];
		ih_snapshot s = { 0 };

		snprintf(price, sizeof price, "%d.%02d", (int)(cards[i].card_id / 100), (int)(cards[i].card_id % 100));
		s.card_id = cards[i].card_id;
		s.condition = "NM";
		s.finish = "nonfoil";
		s.language = "en";
		s.currency = "USD";
		s.price = price;
		s.num_listings = 1;
		if (host->emit(ctx, &s) != IH_OK)
			return IH_ERR_TRANSIENT;
		host->mark_done(ctx, cards[i].card_id);
	}
	fault();
	return IH_OK;
}

static const ih_config_key ss_keys[] = {
	{ "crash_after", IH_CFG_INT, "300", 0, 1000000, 0, 0, "cards priced before the fault" },
	{ NULL, IH_CFG_END, NULL, 0, 0, 0, 0, NULL },
};

IH_PLUGIN_EXPORT const ih_plugin_descriptor ingesthost_plugin = {
	IH_PLUGIN_DESCRIPTOR_HEAD,
	.name = "segv_sim",
	.version = "1.0.0",
	.marketplace = "segv_sim",
	.currency = "USD",
	.description = "crash test fixture: prices some cards, then segfaults",
	.fetch_mode = IH_FETCH_CARD_LIST,
	.init = ss_init,
	.collect = ss_collect,
	.config_keys = ss_keys,
};
