// Scenario: the host, built against the geo API header given with -I (api-v1: broken, api-v2:
// fixed), looks geo::area up by its mangled name; the loader loads it; dlsym of 1.0's name fails.
// Usage: host PATH [SYMBOL] [now|lazy] (SYMBOL: the header's GEO_AREA_SYMBOL), printing
// "loaded PATH; SYMBOL() = area(6, 7)" as try_load does.
#include <dlfcn.h>

#include <cstdio>
#include <cstring>

#include "geo.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: host PATH [SYMBOL] [now|lazy]\n");
    return 64;
  }
  const char* symbol = argc > 2 ? argv[2] : GEO_AREA_SYMBOL;
  const int mode = argc > 3 && std::strcmp(argv[3], "lazy") == 0 ? RTLD_LAZY : RTLD_NOW;
  void* handle = dlopen(argv[1], mode | RTLD_LOCAL);
  if (handle == nullptr) {
    std::printf("dlopen failed: %s\n", dlerror());
    return 1;
  }
  dlerror();
  void* address = dlsym(handle, symbol);
  if (const char* error = dlerror(); error != nullptr) {
    std::printf("dlsym failed: %s\n", error);
    return 2;
  }
  auto* area = reinterpret_cast<geo_area_function*>(address);
  std::printf("loaded %s; %s() = %ld\n", argv[1], symbol, area(6, 7));
  dlclose(handle);
  return 0;
}
