/* A constructor that crashes while loading: must not take the listing down. */
#include <signal.h>
#include "fixture.h"
__attribute__((constructor)) static void crash(void)
{
	raise(SIGSEGV);
}
const ih_plugin_descriptor ingesthost_plugin = { IH_PLUGIN_DESCRIPTOR_HEAD, FIXTURE_BODY("ctor-segv") };
