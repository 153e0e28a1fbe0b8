// The running process's own scope, for a diagnosis of this process's next dlopen
// (LoadRequest::this_process, Library::open_checked): which object a reference from a newly
// loaded object binds to is asked of the process's loader itself. A plugin dlopened RTLD_LOCAL
// binds its references through the global scope first (the program, what it needs, what was
// dlopened RTLD_GLOBAL: _dl_lookup_symbol_x over the new object's l_scope, whose first entry is
// the main map's searchlist), and dlsym(RTLD_DEFAULT) walks the same global scope. Nothing is
// loaded: the lookup runs over objects already mapped, and no inspected code runs.
#include <dlfcn.h>
#include <link.h>
#include <unistd.h>

#include <climits>

#include "checks/stage.hpp"

namespace dldoctor {
namespace {

std::string program_path() {
  char path[PATH_MAX];
  const ssize_t length = ::readlink("/proc/self/exe", path, sizeof path - 1);
  return length > 0 ? std::string(path, static_cast<std::size_t>(length)) : "";
}

}  // namespace

std::optional<ProcessDefinition> defined_in_process(const std::string& name,
                                                    const std::string& version) noexcept {
  try {
    ::dlerror();
    void* address = version.empty() ? ::dlsym(RTLD_DEFAULT, name.c_str())
                                    : ::dlvsym(RTLD_DEFAULT, name.c_str(), version.c_str());
    // NULL with no error is a definition whose value is 0 (an absolute symbol): found, and no
    // object to name by its address.
    if (address == nullptr) {
      if (::dlerror() != nullptr) return std::nullopt;
      return ProcessDefinition{};
    }
    Dl_info info{};
    link_map* map = nullptr;
    if (::dladdr1(address, &info, reinterpret_cast<void**>(&map), RTLD_DL_LINKMAP) == 0 ||
        map == nullptr)
      return ProcessDefinition{};
    // The program's l_name is "" (rtld names it by its argv[0] nowhere else).
    if (map->l_name == nullptr || map->l_name[0] == '\0')
      return ProcessDefinition{program_path(), true};
    return ProcessDefinition{map->l_name, false};
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace dldoctor
