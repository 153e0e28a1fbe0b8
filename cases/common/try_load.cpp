// The generic host every case uses: load a path the way a plugin host does, look a symbol up,
// call it, and print the loader's message exactly as dlerror() gives it.
// Usage: try_load [--relative-to-exe] PATH [SYMBOL] [now|lazy]. Exit 0 loaded and called, 1
// dlopen failed, 2 dlsym failed. (The C++ twin of Go's plugin.Open / Lookup example.)
// --relative-to-exe is the fix for relative plugin paths: PATH is taken from the directory of
// the program itself (/proc/self/exe), whatever the current directory is.
#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  const bool relative_to_exe = argc > 1 && std::strcmp(argv[1], "--relative-to-exe") == 0;
  if (relative_to_exe) {
    --argc;
    ++argv;
  }
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: try_load [--relative-to-exe] PATH [SYMBOL] [now|lazy]\n");
    return 64;
  }
  std::string resolved = argv[1];
  if (relative_to_exe && resolved[0] != '/') {
    char exe[PATH_MAX];
    const ssize_t length = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (length > 0) {
      std::string directory(exe, static_cast<std::size_t>(length));
      resolved = directory.substr(0, directory.rfind('/') + 1) + resolved;
    }
  }
  const char* path = resolved.c_str();
  const char* symbol = argc > 2 ? argv[2] : "dldoctor_case_answer";
  const bool lazy = argc > 3 && std::strcmp(argv[3], "lazy") == 0;

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
  // Every case's plugin exports `extern "C" int NAME()`; the signature family checks this cast.
  auto* function = reinterpret_cast<int (*)()>(address);
  std::printf("loaded %s; %s() = %d\n", path, symbol, function());
  std::fflush(stdout);
  dlclose(handle);
  return 0;
}
