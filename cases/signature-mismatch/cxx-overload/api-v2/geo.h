// The geo plugin API, 2.0: area takes two longs, and has a double overload. geo::area(int, int)
// of 1.0 is gone: its mangled name, _ZN3geo4areaEii, is no longer exported.
#pragma once

namespace geo {
long area(long width, long height);
double area(double width, double height);
}  // namespace geo

// What the host gives dlsym and what it casts the address to: the Itanium mangling of
// geo::area(long, long) (nm -D shows it), and its type.
#define GEO_AREA_SYMBOL "_ZN3geo4areaEll"
using geo_area_function = long(long, long);
