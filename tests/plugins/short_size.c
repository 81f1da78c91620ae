/* Declares a struct smaller than ABI 1.0's descriptor: invalid. */
#include "fixture.h"
const ih_plugin_descriptor ingesthost_plugin = { IH_PLUGIN_MAGIC, IH_ABI_MAJOR, IH_ABI_MINOR, 16,
	FIXTURE_BODY("short-size") };
