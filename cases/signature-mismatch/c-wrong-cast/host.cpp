// Scenario: the host looks add up and calls it as double add(double, double) (-DHOST_FIXED: as
// the int add(int, int) it is). The loader loads and finds it; add(2, 40) returns 2.
// Usage: host PATH [SYMBOL] [now|lazy], printing "loaded PATH; SYMBOL() = add(2, 40)" as try_load
// does. The broken host passes 2.0 and 40.0 in %xmm0 and %xmm1 and reads the result from %xmm0;
// add reads %edi and %esi, which this call did not set, and writes %eax, which the host ignores:
// the host reads back its own first argument, 2.
#include <dlfcn.h>

#include <cstdio>
#include <cstring>

#ifdef HOST_FIXED
using add_function = int(int, int);
#else
using add_function = double(double, double);  // the mistake: add is int(int, int)
#endif

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: host PATH [SYMBOL] [now|lazy]\n");
    return 64;
  }
  const char* symbol = argc > 2 ? argv[2] : "add";
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
  auto* add = reinterpret_cast<add_function*>(address);
  const double sum = add(2, 40);
  std::printf("loaded %s; %s() = %g\n", argv[1], symbol, sum);
  dlclose(handle);
  return 0;
}
