// The generic host every case uses: load a path the way a plugin host does, look a symbol up,
// call it, and print the loader's message exactly as dlerror() gives it.
// Usage: try_load [--relative-to-exe] [--preload LIB]... PATH [SYMBOL] [now|lazy]
// Exit 0 loaded and called, 1 dlopen failed, 2 dlsym failed, 3 a --preload failed.
// (The C++ twin of Go's plugin.Open / Lookup example.)
//   --relative-to-exe  the fix for relative plugin paths: PATH is taken from the directory of the
//                      program itself (/proc/self/exe), whatever the current directory is;
//   --preload LIB      dlopen LIB first, RTLD_NOW | RTLD_LOCAL, as a host that loads several
//                      plugins does: LIB's symbols then serve no other plugin.
#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {
std::string beside_program(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char exe[PATH_MAX];
  const ssize_t length = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (length <= 0) return path;
  const std::string program(exe, static_cast<std::size_t>(length));
  return program.substr(0, program.rfind('/') + 1) + path;
}
}  // namespace

int main(int argc, char** argv) {
  bool relative_to_exe = false;
  std::vector<std::string> preloads;
  int at = 1;
  for (; at < argc; ++at) {
    if (std::strcmp(argv[at], "--relative-to-exe") == 0) {
      relative_to_exe = true;
    } else if (std::strcmp(argv[at], "--preload") == 0 && at + 1 < argc) {
      preloads.push_back(argv[++at]);
    } else {
      break;
    }
  }
  const int rest = argc - at;
  if (rest < 1 || rest > 3) {
    std::fprintf(stderr,
                 "usage: try_load [--relative-to-exe] [--preload LIB]... PATH [SYMBOL] "
                 "[now|lazy]\n");
    return 64;
  }
  const std::string path = relative_to_exe ? beside_program(argv[at]) : argv[at];
  const char* symbol = rest > 1 ? argv[at + 1] : "dldoctor_case_answer";
  const bool lazy = rest > 2 && std::strcmp(argv[at + 2], "lazy") == 0;

  for (const std::string& preload : preloads) {
    if (dlopen(preload.c_str(), RTLD_NOW | RTLD_LOCAL) == nullptr) {
      std::printf("preload failed: %s\n", dlerror());
      return 3;
    }
  }
  void* handle = dlopen(path.c_str(), (lazy ? RTLD_LAZY : RTLD_NOW) | RTLD_LOCAL);
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
  std::fflush(stdout);  // a lazy-binding failure in the call ends the process with _exit
  std::printf("loaded %s; %s() = %d\n", path.c_str(), symbol, function());
  std::fflush(stdout);
  dlclose(handle);
  return 0;
}
