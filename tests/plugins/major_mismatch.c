/* Built for ABI major 2: abi-mismatch. */
#include "fixture.h"
const ih_plugin_descriptor ingesthost_plugin = { IH_PLUGIN_MAGIC, IH_ABI_MAJOR + 1, 0,
	sizeof(ih_plugin_descriptor), FIXTURE_BODY("major-mismatch") };
