/* Shared by the fixture plugins: a collect() that does nothing. */
#ifndef IH_FIXTURE_H
#define IH_FIXTURE_H
#include "ingesthost/plugin.h"

__attribute__((unused)) static int fixture_collect(void *state, ih_ctx *ctx, const ih_card *cards, size_t n)
{
	(void)state; (void)ctx; (void)cards; (void)n;
	return IH_OK;
}

#define FIXTURE_BODY(name_) \
	name_, "1.0.0", name_, "USD", "test fixture", IH_FETCH_CARD_LIST, NULL, fixture_collect, NULL, \
	NULL, NULL, 0, 0, 0
#endif
