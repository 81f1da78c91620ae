/* Built for ABI 1.0, older than the host's minor: accepted (ok). */
#include "fixture.h"
const ih_plugin_descriptor ingesthost_plugin = { IH_PLUGIN_MAGIC, IH_ABI_MAJOR, 0,
	IH_PLUGIN_DESCRIPTOR_SIZE_1_0, FIXTURE_BODY("older-minor") };
