/* Built for a minor newer than the host's: refused (abi-mismatch). */
#include "fixture.h"
const ih_plugin_descriptor ingesthost_plugin = { IH_PLUGIN_MAGIC, IH_ABI_MAJOR, IH_ABI_MINOR + 1,
	sizeof(ih_plugin_descriptor), FIXTURE_BODY("newer-minor") };
