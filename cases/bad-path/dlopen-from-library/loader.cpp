// The host's plugin loader, a library of its own (as a framework's is): the dlopen is this
// library's, so the loader searches with this library's RPATH chain and RUNPATH, not with the
// program's RUNPATH. Prints as try_load does.
#include <dlfcn.h>

#include <cstdio>
#include <cstring>

extern "C" int load_plugin(const char* path, const char* symbol, const char* mode) {
  const bool lazy = std::strcmp(mode, "lazy") == 0;
  void* handle = dlopen(path, (lazy ? RTLD_LAZY : RTLD_NOW) | RTLD_LOCAL);
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
  auto* function = reinterpret_cast<int (*)()>(address);
  std::printf("loaded %s; %s() = %d\n", path, symbol, function());
  dlclose(handle);
  return 0;
}
