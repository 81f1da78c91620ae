/* A plugin with its own config keys (one secret, one required), for the
 * config tests. */
#include "fixture.h"
static const ih_config_key keys[] = {
	{ "token", IH_CFG_STRING, NULL, 1, 0, 1, 1, "API token" },
	{ "page_size", IH_CFG_INT, "100", 1, 1000, 0, 0, "rows per page" },
	{ NULL, IH_CFG_END, NULL, 0, 0, 0, 0, NULL },
};
const ih_plugin_descriptor ingesthost_plugin = { IH_PLUGIN_DESCRIPTOR_HEAD,
	"own-keys", "1.0.0", "own-keys", "EUR", "test fixture", IH_FETCH_CARD_LIST, NULL, fixture_collect, NULL,
	keys, "https://example.invalid/api", 2.0, 86400, 50 };
