/* A constructor that calls exit(): must not end the listing. */
#include <stdlib.h>
#include "fixture.h"
__attribute__((constructor)) static void leave(void)
{
	exit(0);
}
const ih_plugin_descriptor ingesthost_plugin = { IH_PLUGIN_DESCRIPTOR_HEAD, FIXTURE_BODY("ctor-exit") };
