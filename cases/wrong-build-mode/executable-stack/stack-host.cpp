// Scenario: a host that prints its main thread's stack permissions (the [stack] line of
// /proc/self/maps) before and after dlopen of the plugin it is given: a plugin that asks for an
// executable stack turns rw-p into rwxp for the whole process (glibc 2.36).
// Usage: stack-host PATH
#include <dlfcn.h>

#include <cstdio>
#include <fstream>
#include <string>

static std::string stack_permissions() {
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);)
    if (line.ends_with("[stack]")) return line.substr(line.find(' ') + 1, 4);
  return "?";
}

int main(int argc, char** argv) {
  if (argc != 2) return 64;
  std::printf("before dlopen: %s\n", stack_permissions().c_str());
  void* handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    std::printf("dlopen failed: %s\n", dlerror());
    return 1;
  }
  std::printf("after dlopen: %s\n", stack_permissions().c_str());
  return 0;
}
