// Scenario: the host, built against the scale API header given with -I (api-v1: broken, api-v2:
// fixed), calls the plugin's scale; the loader loads a 2.0 plugin for a 1.0 host, with no error.
// Usage: host PATH [SYMBOL] [now|lazy], printing "loaded PATH; SYMBOL() = scale(21, 2...)" as
// try_load does. Built against 1.0, it passes value and factor in %edi and %esi and nothing in
// %edx, where scale reads offset: %rdx still holds what next_request returned in it, factor, 2.
#include <dlfcn.h>

#include <cstdio>
#include <cstring>

#include "request.h"
#include "scale.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: host PATH [SYMBOL] [now|lazy]\n");
    return 64;
  }
  const char* symbol = argc > 2 ? argv[2] : "scale";
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
  auto* scale = reinterpret_cast<scale_function*>(address);
  const request work = next_request();
#if SCALE_API_MAJOR >= 2
  const int result = scale(work.value, work.factor, 0);
#else
  const int result = scale(work.value, work.factor);
#endif
  std::printf("loaded %s; %s() = %d\n", argv[1], symbol, result);
  dlclose(handle);
  return 0;
}
