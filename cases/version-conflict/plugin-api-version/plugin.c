/* Scenario: the plugin is built against the greeter API headers given with -I (api-v1: broken,
 * api-v2: fixed); the host is built for 2.0. The loader loads either: the broken one fills a 1.0
 * greeting, and the 2.0 host reads a wrong answer. Its note says which API it was built for. */
#include <dldoctor/plugin.h>

#include "greeter.h"

DLDOCTOR_PLUGIN_API(GREETER_API_NAME, GREETER_API_MAJOR, GREETER_API_MINOR);

__attribute__((visibility("default"))) void greeter_fill(struct greeting* out) {
  out->api_major = GREETER_API_MAJOR;
  out->answer = 42;
}
