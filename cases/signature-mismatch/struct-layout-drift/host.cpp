// Scenario: a host of the job API 2.0 fills a struct config and passes it to the plugin's
// plugin_run; the loader loads a plugin of 1.0 as well, and it reads timeout_ms for answer.
// Usage: host PATH [SYMBOL] [now|lazy], printing "loaded PATH; SYMBOL() = plugin_run(&settings)"
// as try_load does.
#include <dlfcn.h>

#include <cstdio>
#include <cstring>

#include "config.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: host PATH [SYMBOL] [now|lazy]\n");
    return 64;
  }
  const char* symbol = argc > 2 ? argv[2] : "plugin_run";
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
  auto* run = reinterpret_cast<decltype(&plugin_run)>(address);
  const config settings{.threads = 4, .timeout_ms = 30, .answer = 42};
  std::printf("loaded %s; %s() = %d\n", argv[1], symbol, run(&settings));
  dlclose(handle);
  return 0;
}
