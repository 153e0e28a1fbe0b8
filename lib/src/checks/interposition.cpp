// Symbol interposition and two copies of one library (version-conflict family), part of the
// symbol stage: glibc binds every reference to the first definition in the lookup scope
// (_dl_lookup_symbol_x walks the global scope, the host and what it loaded first), so
// - a function or object the plugin defines, exports and uses itself through its PLT or GOT is
//   the host's when the host (linked -rdynamic) or a library the host loaded defines it too: the
//   plugin's own calls run the other definition, silently (no -Bsymbolic, no protected
//   visibility);
// - a library the plugin needs in one version (libfoo.so.2) while the host has loaded another
//   (libfoo.so.1) is in the process twice, and the names both define bind to the host's copy.
// With --host, the host's scope is modelled from its files; for this process's own next dlopen
// (LoadRequest::this_process, Library::open_checked), its loader is asked (defined_in_process),
// which sees what the process has loaded RTLD_GLOBAL too. Without a host, nothing precedes the
// plugin in its scope but libc and ld.so.
#include <link.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>

#include "checks/finding_helpers.hpp"
#include "checks/stage.hpp"
#include "checks/symbol_rules.hpp"

namespace dldoctor {
namespace {

// An object that defines, first in the lookup scope, names that `object` exports too.
struct Preemptor {
  std::string path;
  std::optional<std::string> soname;  // its DT_SONAME, when known
  std::vector<std::string> names;
};

// Keyed by the preemptor's path, in a stable order.
using Preempted = std::map<std::string, Preemptor>;

bool interposable(const elf::Symbol& symbol) {
  return exportable(symbol.binding, symbol.type, symbol.visibility, symbol.defined()) &&
         (symbol.type == STT_FUNC || symbol.type == STT_OBJECT) && !symbol.name.empty();
}

// The modelled host's scope (--host): the first definition in the export index.
Preempted preempted_in_model(const ScopeObject& object, const ExportIndex& exports) {
  Preempted by_owner;
  for (const elf::Symbol& symbol : object.image.dynamic_symbols) {
    if (!interposable(symbol)) continue;
    const std::optional<ExportedDefinition> definition = exports.first(symbol.name);
    if (!definition) continue;
    const ScopeObject* first = definition->object;
    if (first == &object || !first->from_host) continue;
    Preemptor& owner = by_owner[first->path];
    owner.path = first->path;
    owner.soname = first->image.dynamic.soname;
    owner.names.push_back(symbol.name);
  }
  return by_owner;
}

// The base names (without major version) of the objects this process has loaded.
std::set<std::string> loaded_stems() {
  std::set<std::string> stems;
  ::dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        if (info->dlpi_name != nullptr && info->dlpi_name[0] != '\0')
          static_cast<std::set<std::string>*>(data)->insert(library_stem(base_of(info->dlpi_name)));
        return 0;
      },
      &stems);
  return stems;
}

// This process (this_process): where its loader binds each name, asked of it.
Preempted preempted_in_process(const ScopeObject& object) {
  Preempted by_owner;
  struct stat own {};
  const bool have_own = ::stat(object.path.c_str(), &own) == 0;
  std::map<std::string, bool> is_other;  // by defining path: not this object's file
  for (const elf::Symbol& symbol : object.image.dynamic_symbols) {
    if (!interposable(symbol)) continue;
    const std::optional<ProcessDefinition> first = defined_in_process(symbol.name, "");
    if (!first || first->path.empty()) continue;
    auto known = is_other.find(first->path);
    if (known == is_other.end()) {
      struct stat status {};
      const bool same = have_own && ::stat(first->path.c_str(), &status) == 0 &&
                        status.st_dev == own.st_dev && status.st_ino == own.st_ino;
      known = is_other.emplace(first->path, !same).first;
    }
    if (!known->second) continue;
    Preemptor& owner = by_owner[first->path];
    if (owner.path.empty()) {
      owner.path = first->path;
      elf::ReadOutcome read = elf::read_image(first->path, elf::ReadParts::LoaderView);
      if (const auto* image = std::get_if<elf::Image>(&read)) owner.soname = image->dynamic.soname;
    }
    owner.names.push_back(symbol.name);
  }
  return by_owner;
}

void report(Context& context, const ScopeObject& object, bool is_plugin, Preempted preempted) {
  const std::string file = base_of(object.path);
  const std::optional<std::string>& soname = object.image.dynamic.soname;
  for (auto& [path, owner] : preempted) {
    const std::vector<std::string>& names = owner.names;
    const std::string owner_file = base_of(owner.path);
    const bool same_library = soname && owner.soname && *owner.soname != *soname &&
                              library_stem(*soname) == library_stem(*owner.soname);
    if (!is_plugin && !same_library) continue;  // the system's libraries overlap by design
    std::vector<std::string> called_by_itself;
    for (const std::string& name : names)
      if (std::find(object.image.lazily_bound.begin(), object.image.lazily_bound.end(), name) !=
          object.image.lazily_bound.end())
        called_by_itself.push_back(name);
    Finding finding;
    if (same_library) {
      finding = make_finding(
          finding_code("version.two-copies"),
          file + " (" + *soname + ") and " + owner_file + " (" + *owner.soname +
              ", loaded by the host) are two versions of one library in one process: " +
              std::to_string(names.size()) + (names.size() == 1 ? " name" : " names") +
              " both define bind to the host's copy");
    } else {
      finding = make_finding(
          finding_code("version.interposed-symbol"),
          file + " defines " + joined(names, 6) + ", and " + owner_file +
              " (in the host's scope, searched first) defines " +
              (names.size() == 1 ? "it" : "them") + " too: " +
              (called_by_itself.empty()
                   ? "lookups from outside (dlsym, other objects) bind to " + owner_file + "'s; " +
                         file + " does not call them through its PLT"
                   : "every reference binds to " + owner_file + "'s, " + file +
                         "'s own calls included"));
    }
    finding.evidence.push_back(
        owner.path + " exports " + joined(names, 12) + " (loaded before " + file +
        (context.request.this_process ? ": this process's loader binds the name there, "
                                        "dlsym(RTLD_DEFAULT) says"
                                      : ": the first definition wins") +
        ")");
    if (!called_by_itself.empty())
      finding.evidence.push_back(file + " calls " + joined(called_by_itself, 12) +
                                 " through its PLT (.rela.plt JUMP_SLOT), so its own calls go "
                                 "to " +
                                 owner_file);
    finding.fix.summary =
        same_library
            ? "use one version of the library in the process (build the plugin against the "
              "host's), or give them versioned symbols (a version script), or load the plugin "
              "with RTLD_DEEPBIND or into its own namespace (dlmopen), each with its costs"
            : "keep the plugin's own names to itself: -fvisibility=hidden with explicit exports, "
              "or protected visibility, or link it -Bsymbolic (its calls then bind inside it); "
              "or rename them, or load it RTLD_DEEPBIND";
    finding.fix.commands.push_back("nm -D --defined-only " + shell_quote(owner.path) +
                                   " | grep -wF " + shell_quote(names.front()));
    context.findings.push_back(std::move(finding));
  }
}

}  // namespace

void check_interposition(Context& context) {
  if (!context.request.host && !context.request.this_process) return;
  const std::vector<ScopeObject>& scope = load_scope(context);
  const search::Tree& tree = tree_of(context);
  if (context.request.this_process) {
    // Each name of the plugin is asked of the loader; a library the plugin brings only when the
    // process has loaded one of the same name in another version (its names overlap by design
    // with the system's otherwise, and asking for each would cost a lookup per export).
    std::set<std::string> stems;
    bool stems_read = false;
    for (const ScopeObject& object : scope) {
      if (object.from_host) continue;
      const bool is_plugin = object.node == tree.plugin;
      if (!is_plugin) {
        if (!object.image.dynamic.soname) continue;
        if (!stems_read) {
          stems = loaded_stems();
          stems_read = true;
        }
        if (stems.count(library_stem(*object.image.dynamic.soname)) == 0) continue;
      }
      report(context, object, is_plugin, preempted_in_process(object));
    }
    return;
  }
  const ExportIndex& exports = export_index(context);
  for (const ScopeObject& object : scope) {
    if (object.from_host) continue;
    report(context, object, object.node == tree.plugin, preempted_in_model(object, exports));
  }
}

}  // namespace dldoctor
