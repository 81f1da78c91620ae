/* Wrong magic number: invalid. */
#include "fixture.h"
const ih_plugin_descriptor ingesthost_plugin = { 0xdeadbeefu, IH_ABI_MAJOR, IH_ABI_MINOR,
	sizeof(ih_plugin_descriptor), FIXTURE_BODY("bad-magic") };
