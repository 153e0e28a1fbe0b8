// The geo plugin API, 1.0: area takes two ints. A host built against it looks up the mangled
// name of geo::area(int, int); a plugin of 2.0 exports only the long and double overloads.
#pragma once

namespace geo {
long area(int width, int height);
}

// What the host gives dlsym and what it casts the address to: the Itanium mangling of the
// declaration above (nm -D shows it), and its type.
#define GEO_AREA_SYMBOL "_ZN3geo4areaEii"
using geo_area_function = long(int, int);
