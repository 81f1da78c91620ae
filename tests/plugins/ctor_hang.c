/* A constructor that never returns: the probe must kill it and list the file
 * invalid within its bound, without holding up the rest of the listing. */
#include <unistd.h>
#include "fixture.h"
__attribute__((constructor)) static void hang(void)
{
	for (;;)
		pause();
}
const ih_plugin_descriptor ingesthost_plugin = { IH_PLUGIN_DESCRIPTOR_HEAD, FIXTURE_BODY("ctor-hang") };
