// Scenario: a plugin of the scale API 2.0 exports int scale(int, int, int), described by
// DLDOCTOR_SIGNATURE; the loader loads it for a host of 1.0 as well, with no error.
#include <dldoctor/plugin.h>

#include "scale.h"

extern "C" __attribute__((visibility("default"))) int scale(int value, int factor, int offset) {
  return value * factor + offset;
}
DLDOCTOR_SIGNATURE(int, scale, int, int, int);
