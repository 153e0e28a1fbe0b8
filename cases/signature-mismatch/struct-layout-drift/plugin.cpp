// Scenario: the plugin is built against the job API header given with -I (api-v1: broken, api-v2:
// fixed) and reads the host's struct config; the loader loads either, with no error.
#include "config.h"

extern "C" __attribute__((visibility("default"))) int plugin_run(const config* settings) {
  return settings->answer;
}
