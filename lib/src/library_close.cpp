// Library::close: dlclose, then whether the object left the process. glibc's _dl_close_worker
// unmaps an object when no handle and no other loaded object uses it, unless it is marked
// nodelete (DF_1_NODELETE, RTLD_NODELETE, or an STB_GNU_UNIQUE definition bound: do_lookup_unique
// sets l_nodelete_pending) or thread_local destructors of it are pending (l_tls_dtor_count). The
// link map's counters are glibc's private fields, so what is said here is read from the object's
// dynamic section in memory and from the files of the loaded objects.
#include <dlfcn.h>
#include <elf.h>
#include <link.h>

#include <string>
#include <vector>

#include "checks/finding_helpers.hpp"
#include "checks/symbol_rules.hpp"
#include "dldoctor/library.hpp"

namespace dldoctor {
namespace {

struct Loaded {
  std::string name;
  ElfW(Addr) base = 0;
};

std::vector<Loaded> loaded_objects() {
  std::vector<Loaded> objects;
  ::dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        auto* list = static_cast<std::vector<Loaded>*>(data);
        list->push_back({info->dlpi_name != nullptr ? info->dlpi_name : "", info->dlpi_addr});
        return 0;
      },
      &objects);
  return objects;
}

bool nodelete_in_memory(const link_map* map) {
  for (const ElfW(Dyn)* entry = map->l_ld; entry != nullptr && entry->d_tag != DT_NULL; ++entry)
    if (entry->d_tag == DT_FLAGS_1) return (entry->d_un.d_val & DF_1_NODELETE) != 0;
  return false;
}

}  // namespace

Report Library::close() noexcept {
  Report report;
  if (handle_ == nullptr) return report;
  link_map* map = nullptr;
  std::string name;
  ElfW(Addr) base = 0;
  bool nodelete = false;
  try {
    if (::dlinfo(handle_, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr) {
      name = map->l_name != nullptr ? map->l_name : "";
      base = map->l_addr;
      nodelete = nodelete_in_memory(map);
    }
  } catch (...) {
  }
  release_typed_lookups();
  ::dlclose(handle_);
  handle_ = nullptr;
  try {
    report.path = name;
    // Whether an object of that name is still at that base: no copy of the list on this path,
    // the one every successful reload takes.
    struct Search {
      const std::string* name;
      ElfW(Addr) base;
      bool found = false;
    } search{&name, base};
    ::dl_iterate_phdr(
        [](dl_phdr_info* info, std::size_t, void* data) {
          auto* search = static_cast<Search*>(data);
          search->found = info->dlpi_addr == search->base && info->dlpi_name != nullptr &&
                          *search->name == info->dlpi_name;
          return search->found ? 1 : 0;
        },
        &search);
    if (!search.found || name.empty()) return report;
    std::vector<Loaded> objects = loaded_objects();
    std::vector<std::string> why;
    std::string fix;
    if (nodelete) {
      why.push_back("its dynamic section has DF_1_NODELETE (linked -z nodelete)");
      fix = "link it without -z nodelete";
    }
    elf::ReadOutcome outcome = elf::read_image(name);
    if (const auto* image = std::get_if<elf::Image>(&outcome)) {
      std::vector<std::string> unique;
      bool thread_local_destructors = false;
      for (const elf::Symbol& symbol : image->dynamic_symbols) {
        if (symbol.defined() && symbol.binding == STB_GNU_UNIQUE)
          unique.push_back(demangle(symbol.name));
        thread_local_destructors |=
            !symbol.defined() &&
            (symbol.name == "__cxa_thread_atexit" || symbol.name == "__cxa_thread_atexit_impl");
      }
      if (!unique.empty()) {
        why.push_back("it defines STB_GNU_UNIQUE symbols (" + joined(unique, 4) +
                      "), which make glibc keep it");
        if (fix.empty()) fix = "build it with -fno-gnu-unique";
      }
      if (thread_local_destructors) {
        why.push_back(
            "it registers thread_local destructors (__cxa_thread_atexit): while a thread that "
            "used one lives, glibc keeps it");
        if (fix.empty()) fix = "end the threads that used its thread_local objects first";
      }
      // An object still loaded that needs it by its SONAME or its file name.
      const std::string soname = image->dynamic.soname.value_or(base_of(name));
      for (const Loaded& object : objects) {
        if (object.name.empty() || object.name == name) continue;
        elf::ReadOutcome other = elf::read_image(object.name, elf::ReadParts::LoaderView);
        const auto* other_image = std::get_if<elf::Image>(&other);
        if (other_image == nullptr) continue;
        for (const std::string& needed : other_image->dynamic.needed)
          if (needed == soname || needed == base_of(name))
            why.push_back(object.name + " needs it (DT_NEEDED " + needed + ")");
      }
    }
    if (why.empty()) {
      why.push_back(
          "another handle holds it: a dlopen of it elsewhere in this process that is not closed "
          "yet (glibc unloads an object when its last handle is closed)");
      fix = "close every handle of it (or load each new build under a path of its own)";
    }
    Finding finding =
        make_finding(finding_code("reload.still-mapped"),
                     base_of(name) + " is still mapped after dlclose: " + why.front());
    finding.evidence.push_back(name + " is still in the loaded objects (dl_iterate_phdr), at " +
                               elf::hex(base));
    for (const std::string& line : why) finding.evidence.push_back(line);
    finding.fix.summary = fix + "; a new build is then loaded beside it, under a path of its own";
    finding.stops_load = false;
    report.findings.push_back(std::move(finding));
  } catch (...) {
  }
  return report;
}

}  // namespace dldoctor
