// Scenario: a host of the greeter API 2.0 loads a plugin and asks it to fill a greeting; dlopen
// and dlsym succeed for a plugin of either version, and one built for 1.0 leaves answer unset.
// Usage: host PATH [SYMBOL] [now|lazy], printing "loaded PATH; SYMBOL() = ANSWER" as try_load does.
#include <dlfcn.h>

#include <cstdio>
#include <cstring>

#include "greeter.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: host PATH [SYMBOL] [now|lazy]\n");
    return 64;
  }
  const char* symbol = argc > 2 ? argv[2] : "greeter_fill";
  const int mode = argc > 3 && std::strcmp(argv[3], "lazy") == 0 ? RTLD_LAZY : RTLD_NOW;
  void* handle = dlopen(argv[1], mode | RTLD_LOCAL);
  if (handle == nullptr) {
    std::printf("dlopen failed: %s\n", dlerror());
    return 1;
  }
  auto* fill = reinterpret_cast<void (*)(greeting*)>(dlsym(handle, symbol));
  if (fill == nullptr) {
    std::printf("dlsym failed: %s\n", dlerror());
    return 2;
  }
  greeting hello{-1, 0, -1};  // answer stays -1 unless the plugin writes it where 2.0 has it
  fill(&hello);
  std::printf("loaded %s; %s() = %d\n", argv[1], symbol, hello.answer);
  dlclose(handle);
  return 0;
}
