/* Built with -fvisibility=hidden and no IH_PLUGIN_EXPORT: the descriptor is
 * not exported, so it is invalid: missing descriptor symbol. */
#include "fixture.h"
const ih_plugin_descriptor ingesthost_plugin = { IH_PLUGIN_DESCRIPTOR_HEAD, FIXTURE_BODY("hidden-noexport") };
