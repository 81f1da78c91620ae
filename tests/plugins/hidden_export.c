/* Built with -fvisibility=hidden: IH_PLUGIN_EXPORT keeps the descriptor
 * visible, so it is listed ok. */
#include "fixture.h"
IH_PLUGIN_EXPORT const ih_plugin_descriptor ingesthost_plugin = { IH_PLUGIN_DESCRIPTOR_HEAD,
	FIXTURE_BODY("hidden-export") };
