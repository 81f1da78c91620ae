/* References a function no library provides: RTLD_NOW refuses it. */
#include "fixture.h"
extern int ingesthost_no_such_function(void);
static int call_missing(void *state, ih_ctx *ctx, const ih_card *cards, size_t n)
{
	(void)state; (void)ctx; (void)cards; (void)n;
	return ingesthost_no_such_function();
}
const ih_plugin_descriptor ingesthost_plugin = { IH_PLUGIN_DESCRIPTOR_HEAD,
	"unresolved", "1.0.0", "unresolved", "USD", "test fixture", IH_FETCH_CARD_LIST, NULL, call_missing, NULL,
	NULL, NULL, 0, 0, 0 };
