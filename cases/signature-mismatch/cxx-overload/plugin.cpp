// Scenario: a C++ plugin built against the geo API 2.0 exports geo::area(long, long) and
// geo::area(double, double); the loader loads it, and dlsym of 1.0's _ZN3geo4areaEii fails.
#include "geo.h"

namespace geo {
__attribute__((visibility("default"))) long area(long width, long height) { return width * height; }
__attribute__((visibility("default"))) double area(double width, double height) {
  return width * height;
}
}  // namespace geo
