// Symbol interposition and two copies of one library (version-conflict family), part of the
// symbol stage: glibc binds every reference to the first definition in the lookup scope
// (_dl_lookup_symbol_x walks the global scope, the host and what it loaded first), so
// - a function or object the plugin defines, exports and uses itself through its PLT or GOT is
//   the host's when the host (linked -rdynamic) or a library the host loaded defines it too: the
//   plugin's own calls run the other definition, silently (no -Bsymbolic, no protected
//   visibility);
// - a library the plugin needs in one version (libfoo.so.2) while the host has loaded another
//   (libfoo.so.1) is in the process twice, and the names both define bind to the host's copy.
// Only with --host: without a host, nothing precedes the plugin in its scope but libc and ld.so.
#include <algorithm>
#include <map>

#include "checks/finding_helpers.hpp"
#include "checks/stage.hpp"
#include "checks/symbol_rules.hpp"

namespace dldoctor {
namespace {

// The names `object` exports that an object of the host's scope exported first, with that one.
std::map<const ScopeObject*, std::vector<std::string>> preempted(const ScopeObject& object,
                                                                 const ExportIndex& exports) {
  std::map<const ScopeObject*, std::vector<std::string>> by_owner;
  for (const elf::Symbol& symbol : object.image.dynamic_symbols) {
    if (!exportable(symbol.binding, symbol.type, symbol.visibility, symbol.defined()) ||
        (symbol.type != STT_FUNC && symbol.type != STT_OBJECT) || symbol.name.empty())
      continue;
    const auto definitions = exports.find(symbol.name);
    if (definitions == exports.end()) continue;
    const ScopeObject* first = definitions->second.front().object;
    if (first == &object || !first->from_host) continue;
    by_owner[first].push_back(symbol.name);
  }
  return by_owner;
}

}  // namespace

void check_interposition(Context& context) {
  if (!context.request.host) return;
  const std::vector<ScopeObject>& scope = load_scope(context);
  const ExportIndex& exports = export_index(context);
  const search::Tree& tree = tree_of(context);
  for (const ScopeObject& object : scope) {
    if (object.from_host) continue;
    const bool is_plugin = object.node == tree.plugin;
    const std::string file = base_of(object.path);
    const std::optional<std::string>& soname = object.image.dynamic.soname;
    for (auto& [owner, names] : preempted(object, exports)) {
      const std::string owner_file = base_of(owner->path);
      const bool same_library = soname && owner->image.dynamic.soname &&
                                library_stem(*soname) == library_stem(*owner->image.dynamic.soname);
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
            file + " (" + *soname + ") and " + owner_file + " (" + *owner->image.dynamic.soname +
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
                     ? "lookups from outside (dlsym, other objects) bind to " + owner_file +
                           "'s; " + file + " does not call them through its PLT"
                     : "every reference binds to " + owner_file + "'s, " + file +
                           "'s own calls included"));
      }
      finding.evidence.push_back(owner->path + " exports " + joined(names, 12) +
                                 " (loaded before " + file + ": the first definition wins)");
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
      finding.fix.commands.push_back("nm -D --defined-only " + shell_quote(owner->path) +
                                     " | grep -wF " + shell_quote(names.front()));
      context.findings.push_back(std::move(finding));
    }
  }
}

}  // namespace dldoctor
