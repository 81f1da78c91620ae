/* Built for ABI 1.1, before 1.2 made fetch_mode an int32_t: what such a
 * plugin's descriptor holds, written out.  Accepted (ok) by a 1.2 host. */
#include "fixture.h"
const ih_plugin_descriptor ingesthost_plugin = { IH_PLUGIN_MAGIC, 1, 1, IH_PLUGIN_DESCRIPTOR_SIZE_1_0,
	FIXTURE_BODY("abi-1-1") };
