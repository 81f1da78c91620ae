/* A well-formed plugin: listed ok. */
#include "fixture.h"
const ih_plugin_descriptor ingesthost_plugin = { IH_PLUGIN_DESCRIPTOR_HEAD, FIXTURE_BODY("good") };
