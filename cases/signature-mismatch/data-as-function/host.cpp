// Scenario: the host looks answer up and calls it as int answer() (-DHOST_FIXED: reads it as the
// int it is). The loader loads and finds it; the call jumps into .data, and the kernel kills it.
// Usage: host PATH [SYMBOL] [now|lazy], printing "loaded PATH; SYMBOL() = VALUE" as try_load does.
// answer lives in the plugin's read-write segment, mapped without execute permission (rw-p), so
// the first instruction fetched there faults: SIGSEGV, before the host prints anything.
#include <dlfcn.h>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: host PATH [SYMBOL] [now|lazy]\n");
    return 64;
  }
  const char* symbol = argc > 2 ? argv[2] : "answer";
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
#ifdef HOST_FIXED
  const int value = *static_cast<const int*>(address);
#else
  const int value = reinterpret_cast<int (*)()>(address)();  // the mistake: answer is an int
#endif
  std::printf("loaded %s; %s() = %d\n", argv[1], symbol, value);
  dlclose(handle);
  return 0;
}
