// Stage 5, symbol versions (version-conflict family). Two loader steps are modelled:
// - glibc _dl_check_map_versions (elf/dl-version.c), right after the dependencies are mapped:
//   every version an object needs (.gnu.version_r) of a loaded object must be one that object
//   defines (.gnu.version_d), or dlopen fails with "PROVIDER: version `V' not found (required by
//   NEEDER)". A provider with no version definitions at all is not checked (match_symbol returns
//   at once; only ld.so --list and ldd print "no version information available"), nor is a weak
//   need.
// - check_match (elf/dl-lookup.c), when a symbol bound to such a version is relocated: a
//   provider that has no .gnu.version at all (l_versyms is NULL) and is the file the version
//   was needed of trips `assert (version->filename == NULL || ! _dl_name_match_p (...))`, and
//   ld.so ends the whole process with exit status 127.
// Versions are compared by name; glibc compares the ELF hash too, which only a hand-edited file
// makes differ.
#include <elf.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include "checks/finding_helpers.hpp"
#include "checks/stage.hpp"
#include "checks/symbol_rules.hpp"
#include "dldoctor/search.hpp"

namespace dldoctor {
namespace {

// The object a version need names: the loaded object that answers to vn_file (find_needed:
// the whole namespace first, then the needer's own search list; both are the scope here).
const ScopeObject* provider_of(const std::vector<ScopeObject>& scope, const std::string& file) {
  for (const ScopeObject& object : scope)
    if (std::find(object.names.begin(), object.names.end(), file) != object.names.end())
      return &object;
  return nullptr;
}

// "found by RUNPATH of ./p.so", "found in ld.so.cache": how the search model reached it.
std::string how_found(const search::Tree& tree, const ScopeObject& object) {
  if (object.node < 0) return "";
  const search::Node& node = tree.nodes[static_cast<std::size_t>(object.node)];
  std::string text = "found by the rule " + std::string(search::to_string(node.rule));
  if (!node.rule_owner.empty()) text += " of " + node.rule_owner;
  return text;
}

// A version series' members newest first: DEP_2.0 before DEP_1.0, GLIBC_2.34 before GLIBC_2.2.5
// (numbers compared as numbers, then the rest as text).
bool newer_first(const std::string& a, const std::string& b) {
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) &&
        std::isdigit(static_cast<unsigned char>(b[j]))) {
      std::size_t end_a = i;
      std::size_t end_b = j;
      while (end_a < a.size() && std::isdigit(static_cast<unsigned char>(a[end_a]))) ++end_a;
      while (end_b < b.size() && std::isdigit(static_cast<unsigned char>(b[end_b]))) ++end_b;
      const std::string_view x = std::string_view(a).substr(i, end_a - i);
      const std::string_view y = std::string_view(b).substr(j, end_b - j);
      if (x.size() != y.size()) return x.size() > y.size();
      if (x != y) return x > y;
      i = end_a;
      j = end_b;
      continue;
    }
    if (a[i] != b[j]) return a[i] > b[j];
    ++i;
    ++j;
  }
  return a.size() > b.size();
}

// The undefined symbols of `needer` bound to the version: the code that makes the need.
std::vector<std::string> symbols_bound_to(const elf::Image& needer, const std::string& version) {
  std::vector<std::string> names;
  for (const elf::Symbol& symbol : needer.dynamic_symbols)
    if (!symbol.defined() && symbol.version == version) names.push_back(symbol.name);
  return names;
}

// For people: a C++ name with its demangled form ("_ZNKSt6thread20hardware_concurrencyEv
// (std::thread::hardware_concurrency())").
std::vector<std::string> readable(const std::vector<std::string>& names) {
  std::vector<std::string> shown;
  for (const std::string& name : names) {
    const std::string plain = demangle(name);
    shown.push_back(plain == name ? name : name + " (" + plain + ")");
  }
  return shown;
}

// The versions a provider defines, newest first; those of the needed one's series (the same
// prefix before the first digit: GLIBCXX_ for GLIBCXX_3.4.30) lead.
std::vector<std::string> offered(const elf::Image& provider, const std::string& needed) {
  std::vector<std::string> versions = provider.version_definitions;
  const std::string series = needed.substr(0, needed.find_first_of("0123456789"));
  std::stable_sort(versions.begin(), versions.end(),
                   [&](const std::string& a, const std::string& b) {
                     const bool a_series = !series.empty() && a.rfind(series, 0) == 0;
                     const bool b_series = !series.empty() && b.rfind(series, 0) == 0;
                     if (a_series != b_series) return a_series;
                     return newer_first(a, b);
                   });
  return versions;
}

// The release that introduced a toolchain version node, from glibc's and libstdc++'s published
// ABI history (libstdc++ manual, "ABI Policy and Guidelines", abi.versioning.history): GLIBC_2.N
// is glibc 2.N; GLIBCXX_3.4.N and CXXABI_1.3.N name the GCC release whose libstdc++ first
// defined them. "" for a node that is not one of these (or older than the table).
std::string release_of(const std::string& version) {
  if (version.rfind("GLIBC_", 0) == 0 && version.size() > 6 &&
      std::isdigit(static_cast<unsigned char>(version[6])))
    return "glibc " + version.substr(6);
  static const std::map<std::string, std::string> kLibstdcxx{
      {"GLIBCXX_3.4.18", "GCC 4.8.0"},  {"GLIBCXX_3.4.19", "GCC 4.8.3"},
      {"GLIBCXX_3.4.20", "GCC 4.9.0"},  {"GLIBCXX_3.4.21", "GCC 5.1.0"},
      {"GLIBCXX_3.4.22", "GCC 6.1.0"},  {"GLIBCXX_3.4.23", "GCC 7.1.0"},
      {"GLIBCXX_3.4.24", "GCC 7.2.0"},  {"GLIBCXX_3.4.25", "GCC 8.1.0"},
      {"GLIBCXX_3.4.26", "GCC 9.1.0"},  {"GLIBCXX_3.4.27", "GCC 9.2.0"},
      {"GLIBCXX_3.4.28", "GCC 9.3.0"},  {"GLIBCXX_3.4.29", "GCC 11.1.0"},
      {"GLIBCXX_3.4.30", "GCC 12.1.0"}, {"GLIBCXX_3.4.31", "GCC 13.1.0"},
      {"GLIBCXX_3.4.32", "GCC 13.2.0"}, {"GLIBCXX_3.4.33", "GCC 14.1.0"},
      {"CXXABI_1.3.7", "GCC 4.8.0"},    {"CXXABI_1.3.8", "GCC 4.9.0"},
      {"CXXABI_1.3.9", "GCC 5.1.0"},    {"CXXABI_1.3.10", "GCC 6.1.0"},
      {"CXXABI_1.3.11", "GCC 7.1.0"},   {"CXXABI_1.3.12", "GCC 9.1.0"},
      {"CXXABI_1.3.13", "GCC 11.1.0"},  {"CXXABI_1.3.14", "GCC 13.1.0"},
      {"CXXABI_1.3.15", "GCC 14.1.0"},
  };
  const auto known = kLibstdcxx.find(version);
  return known == kLibstdcxx.end() ? "" : "libstdc++ of " + known->second;
}

bool is_toolchain_version(const std::string& version) {
  return version.rfind("GLIBC_", 0) == 0 || version.rfind("GLIBCXX_", 0) == 0 ||
         version.rfind("CXXABI_", 0) == 0 || version.rfind("GCC_", 0) == 0;
}

// "GLIBCXX_3.4.31 (libstdc++ of GCC 13.1.0)".
std::string with_release(const std::string& version) {
  const std::string release = release_of(version);
  return release.empty() ? version : version + " (" + release + ")";
}

// Other copies of the library on this machine, for a version the one found lacks: the
// directories the user named (--search), each installed GCC's own directory
// (/usr/lib/gcc/TRIPLET/VERSION, where a newer libstdc++ lives beside its compiler) and
// /usr/local. Under the name the need gives (libstdc++.so.6) or its development name
// (libstdc++.so), each file once, the provider found excepted.
std::vector<std::string> other_copies(const std::string& file, const std::string& found,
                                      const std::vector<std::string>& named) {
  std::vector<std::string> directories = named;
  for (const char* root : {"/usr/lib/gcc", "/usr/lib64/gcc"}) {
    std::error_code error;
    for (const auto& triplet : std::filesystem::directory_iterator(root, error))
      for (const auto& release : std::filesystem::directory_iterator(triplet.path(), error))
        directories.push_back(release.path().string());
  }
  for (const char* local : {"/usr/local/lib", "/usr/local/lib64"}) directories.push_back(local);
  std::vector<std::string> copies;
  std::set<std::string> seen;
  std::error_code error;
  seen.insert(std::filesystem::weakly_canonical(found, error).string());
  const std::string development = library_stem(file);
  for (const std::string& directory : directories)
    for (const std::string& name : {file, development}) {
      const std::string candidate = directory + "/" + name;
      if (!std::filesystem::is_regular_file(candidate, error)) continue;
      const std::string real = std::filesystem::weakly_canonical(candidate, error).string();
      if (!real.empty() && seen.insert(real).second) copies.push_back(candidate);
    }
  return copies;
}

Finding node_not_found(const search::Tree& tree, const ScopeObject& needer,
                       const std::string& needer_shown, const elf::VersionNeed& need,
                       const elf::NeededVersion& version, const ScopeObject& provider,
                       const std::vector<std::string>& search_directories) {
  Finding finding = make_finding(finding_code("version.node-not-found"),
                                 needer_shown + " needs version " + version.name + " of " +
                                     need.file + ", and " + provider.path + " does not define it");
  finding.evidence.push_back("the loader: " + provider.path + ": version `" + version.name +
                             "' not found (required by " + needer_shown + ")");
  finding.evidence.push_back(needer_shown + ", .gnu.version_r: needs " + version.name + " of " +
                             need.file);
  const std::string found = how_found(tree, provider);
  finding.evidence.push_back(
      need.file + " is " + provider.path +
      (provider.from_host
           ? ", loaded by the host at its own start-up" +
                 (found.empty() ? "" : " (" + found + ")") +
                 ": the loader reuses it, and searches no RUNPATH of the plugin's for it"
           : (found.empty() ? "" : ", " + found)));
  const std::vector<std::string> versions = offered(provider.image, version.name);
  finding.evidence.push_back(
      versions.empty() ? provider.path + ", .gnu.version_d: defines no version but its own name"
                       : provider.path + ", .gnu.version_d: defines " + joined(versions));
  const std::vector<std::string> bound = symbols_bound_to(needer.image, version.name);
  if (!bound.empty())
    finding.evidence.push_back("symbols of " + base_of(needer.path) + " bound to " + version.name +
                               ": " + joined(readable(bound)));
  if (is_toolchain_version(version.name)) {
    const std::string release = release_of(version.name);
    const std::string newest = versions.empty() ? "" : versions.front();
    if (!release.empty())
      finding.evidence.push_back(
          version.name + " is " + release + ": " + base_of(needer.path) +
          " was built with it or later" +
          (newest.empty() ? ""
                          : "; the newest " + need.file + " here has is " + with_release(newest)));
  }
  for (const std::string& copy : other_copies(need.file, provider.path, search_directories)) {
    elf::ReadOutcome outcome = elf::read_image(copy);
    const auto* image = std::get_if<elf::Image>(&outcome);
    if (image == nullptr) continue;
    const bool defines =
        std::find(image->version_definitions.begin(), image->version_definitions.end(),
                  version.name) != image->version_definitions.end();
    if (!defines) {
      finding.evidence.push_back(copy + " does not define " + version.name + " either");
      continue;
    }
    finding.evidence.push_back("on this machine, " + copy + " defines " + version.name);
    // Before the host starts, so that its own load of the library is this copy.
    finding.fix.commands.push_back("export LD_LIBRARY_PATH=" + shell_quote(parent_of(copy)) +
                                   "${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}");
  }
  if (version.name.rfind("GLIBC_", 0) == 0) {
    finding.fix.summary = "build " + base_of(needer.path) +
                          " on (or for: a container or sysroot of) the oldest system it must "
                          "run on: glibc cannot be shipped beside a plugin";
  } else if (is_toolchain_version(version.name)) {
    finding.fix.summary =
        "build " + base_of(needer.path) +
        " on (or for) the oldest system it must run on; or link the C++ runtime into it "
        "(-static-libstdc++ -static-libgcc); or have the host load a newer " +
        need.file +
        " first (LD_LIBRARY_PATH, or the host's RUNPATH: a C++ host has loaded its own before "
        "any plugin, so a RUNPATH of the plugin's is not enough)";
  } else {
    finding.fix.summary = "give " + base_of(needer.path) + " the " + need.file +
                          " it was linked against (one that defines " + version.name +
                          "), or rebuild " + base_of(needer.path) + " against the " + need.file +
                          " it will meet";
  }
  finding.fix.commands.push_back("readelf -V --wide " + shell_quote(provider.path));
  return finding;
}

// With RTLD_LAZY a function is bound at its first call, not in dlopen (a PLT entry): what dies
// then is the host, later. Data and RTLD_NOW are bound in dlopen.
bool bound_at_first_call(const Context& context, const elf::Image& needer,
                         const std::vector<std::string>& names) {
  if (context.request.mode != Mode::Lazy) return false;
  for (const std::string& name : names)
    if (std::find(needer.lazily_bound.begin(), needer.lazily_bound.end(), name) ==
        needer.lazily_bound.end())
      return false;
  return true;
}

Finding unversioned_provider(const Context& context, const ScopeObject& needer,
                             const std::string& needer_shown, const elf::VersionNeed& need,
                             const elf::NeededVersion& version, const ScopeObject& provider,
                             const std::vector<std::string>& bound) {
  const bool lazy = bound_at_first_call(context, needer.image, bound);
  Finding finding = make_finding(
      finding_code("version.unversioned-provider"),
      needer_shown + " needs version " + version.name + " of " + need.file + ", and " +
          provider.path +
          " has no symbol versions at all: ld.so stops the whole process with an assertion "
          "when it binds " +
          bound.front() +
          (lazy ? " (with RTLD_LAZY: at its first call, after dlopen succeeded)" : " (in dlopen)"));
  finding.stops_load = !lazy;
  finding.evidence.push_back(
      "the loader: Inconsistency detected by ld.so: dl-lookup.c: 107: check_match: Assertion "
      "`version->filename == NULL || ! _dl_name_match_p (version->filename, map)' failed! "
      "(exit status 127)");
  finding.evidence.push_back(needer_shown + ", .gnu.version_r: needs " + version.name + " of " +
                             need.file);
  finding.evidence.push_back(provider.path +
                             ": no .gnu.version and no .gnu.version_d (built without a version "
                             "script, and it needs no versioned symbol itself)");
  finding.evidence.push_back("symbols of " + base_of(needer.path) + " bound to " + version.name +
                             " and defined by " + base_of(provider.path) + ": " + joined(bound));
  finding.fix.summary = "build " + base_of(provider.path) +
                        " with the version script that defines " + version.name +
                        " (-Wl,--version-script), or relink " + base_of(needer.path) +
                        " against this unversioned " + need.file;
  finding.fix.commands.push_back("readelf -V --wide " + shell_quote(provider.path));
  return finding;
}

Finding no_version_information(const std::string& needer_shown, const elf::VersionNeed& need,
                               const std::vector<std::string>& needed,
                               const ScopeObject& provider) {
  Finding finding = make_finding(finding_code("version.no-version-information"),
                                 provider.path + " defines no symbol versions, while " +
                                     needer_shown + " needs " + joined(needed) + " of it (" +
                                     need.file + "): the loader does not check them, and loads it");
  finding.evidence.push_back("ld.so --list and ldd print: " + provider.path +
                             ": no version information available (required by " + needer_shown +
                             ")");
  finding.evidence.push_back(needer_shown + ", .gnu.version_r: needs " + joined(needed) + " of " +
                             need.file);
  finding.evidence.push_back(provider.path +
                             ": no .gnu.version_d (built without a version script)");
  finding.fix.summary = "build " + base_of(provider.path) +
                        " with its version script, as the one " + base_of(needer_shown) +
                        " was linked against was: an unversioned copy is not the library it "
                        "expects";
  finding.fix.commands.push_back("readelf -V --wide " + shell_quote(provider.path));
  return finding;
}

// check_match (elf/dl-lookup.c) for a reference bound to `version`: a definition of the name is
// taken when it carries that version, or when its object defines no versions at all (no
// .gnu.version: accepted outright; .gnu.version but no .gnu.version_d: its symbols have no
// version to disagree with), and is passed over otherwise, so the lookup goes on.
bool accepts(const elf::Image& image, const elf::Symbol& symbol, const std::string& version) {
  if (!image.has_version_symbols) return true;
  if (symbol.version == version) return true;
  return !image.has_version_definitions && !symbol.version_hidden;
}

// "dep_fn@@DEP_1.0, dep_fn@DEP_0.9": how the provider defines the name instead.
std::string definitions_of(const elf::Image& image, const std::string& name) {
  std::vector<std::string> found;
  for (const elf::Symbol& symbol : image.dynamic_symbols)
    if (symbol.defined() && symbol.name == name)
      found.push_back(name + (symbol.version.empty()
                                  ? " (no version)"
                                  : (symbol.version_hidden ? "@" : "@@") + symbol.version));
  return joined(found);
}

Finding symbol_not_in_version(const Context& context, const ScopeObject& needer,
                              const std::string& needer_shown, const elf::Symbol& symbol,
                              const ScopeObject& provider) {
  const bool lazy = context.request.mode == Mode::Lazy && symbol.type != STT_OBJECT &&
                    std::find(needer.image.lazily_bound.begin(), needer.image.lazily_bound.end(),
                              symbol.name) != needer.image.lazily_bound.end();
  Finding finding = make_finding(
      finding_code("version.symbol-not-in-version"),
      needer_shown + " needs " + symbol.name + " of version " + symbol.version + ", and " +
          provider.path + " defines " + symbol.name + " only in another version" +
          (lazy ? ": with RTLD_LAZY it loads, and the first call kills the host" : ""));
  finding.stops_load = !lazy;
  finding.evidence.push_back(
      lazy ? "the loader, at the first call: " + needer_shown +
                 ": symbol lookup error: " + needer_shown + ": undefined symbol: " + symbol.name +
                 ", version " + symbol.version + " (exit status 127)"
           : "the loader: " + needer_shown + ": undefined symbol: " + symbol.name + ", version " +
                 symbol.version);
  finding.evidence.push_back(needer_shown + ", .dynsym: " + symbol.name + "@" + symbol.version +
                             " (undefined)");
  finding.evidence.push_back(provider.path +
                             ", .dynsym: " + definitions_of(provider.image, symbol.name));
  finding.fix.summary = "give " + base_of(needer.path) + " the " + base_of(provider.path) +
                        " it was linked against, where " + symbol.name + " is in " +
                        symbol.version + ", or rebuild " + base_of(needer.path) +
                        " against this one";
  finding.fix.commands.push_back("objdump -T " + shell_quote(provider.path) + " | grep -w " +
                                 shell_quote(symbol.name));
  return finding;
}

// What the plugin needs of the toolchain's libraries, as auditwheel reports a wheel's policy:
// the newest GLIBC_, GLIBCXX_ and CXXABI_ node it needs. Added to each
// toolchain node-not-found finding: one missing node is rarely the only one.
void add_minimum_toolchain(std::vector<Finding>& findings,
                           const std::vector<std::size_t>& toolchain_findings,
                           const std::vector<ScopeObject>& scope, int plugin) {
  if (toolchain_findings.empty()) return;
  std::map<std::string, std::string> newest;  // series ("GLIBCXX_") -> its newest needed node
  // The plugin's own needs: the system's libraries come with what they need.
  for (const ScopeObject& object : scope) {
    if (object.node != plugin) continue;
    for (const elf::VersionNeed& need : object.image.version_needs)
      for (const elf::NeededVersion& version : need.versions) {
        const std::size_t underscore = version.name.find('_');
        // Numbered nodes only: GLIBC_PRIVATE is ld.so's and libc's own, no release.
        if (!is_toolchain_version(version.name) || version.name.rfind("GCC_", 0) == 0 ||
            underscore + 1 >= version.name.size() ||
            !std::isdigit(static_cast<unsigned char>(version.name[underscore + 1])))
          continue;
        std::string& known = newest[version.name.substr(0, underscore + 1)];
        if (known.empty() || newer_first(version.name, known)) known = version.name;
      }
  }
  std::vector<std::string> needs;
  for (const auto& [series, version] : newest) needs.push_back(with_release(version));
  if (needs.empty()) return;
  for (const std::size_t at : toolchain_findings)
    findings[at].evidence.push_back(
        "the plugin needs at least (the newest node of each series it needs): " + joined(needs) +
        ": the oldest system it can run on has these");
}

}  // namespace

StageVerdict check_versions(Context& context) {
  if (!context.image) return StageVerdict::Continue;
  const search::Tree& tree = tree_of(context);
  if (tree.error) return StageVerdict::Continue;  // the dependency stage has said why
  const std::vector<ScopeObject>& scope = load_scope(context);
  bool refused = false;
  std::vector<std::size_t> toolchain_findings;  // node-not-found findings of GLIBC_, GLIBCXX_...
  std::vector<Finding> fatal_bindings;
  for (const ScopeObject& needer : scope) {
    if (needer.from_host) continue;  // checked when the host started
    // glibc names the needer by l_name: the plugin as the host passed it, a library by the path
    // the search built.
    const std::string needer_shown =
        needer.node == tree.plugin ? context.request.path : needer.path;
    for (const elf::VersionNeed& need : needer.image.version_needs) {
      const ScopeObject* provider = provider_of(scope, need.file);
      if (provider == nullptr) continue;  // find_needed: "should never happen"
      if (!provider->image.has_version_definitions) {
        std::vector<std::string> needed;
        for (const elf::NeededVersion& version : need.versions) {
          const std::vector<std::string> bound = symbols_bound_to(needer.image, version.name);
          std::vector<std::string> defined_there;
          for (const std::string& name : bound)
            for (const elf::Symbol& symbol : provider->image.dynamic_symbols)
              if (symbol.defined() && symbol.name == name) {
                defined_there.push_back(name);
                break;
              }
          if (!provider->image.has_version_symbols && !defined_there.empty())
            fatal_bindings.push_back(unversioned_provider(context, needer, needer_shown, need,
                                                          version, *provider, defined_there));
          needed.push_back(version.name);
        }
        if (provider->image.has_version_symbols && !needed.empty())
          context.findings.push_back(no_version_information(needer_shown, need, needed, *provider));
        continue;
      }
      for (const elf::NeededVersion& version : need.versions) {
        const std::vector<std::string>& defined = provider->image.version_definitions;
        if (version.weak ||
            std::find(defined.begin(), defined.end(), version.name) != defined.end())
          continue;
        if (is_toolchain_version(version.name))
          toolchain_findings.push_back(context.findings.size());
        context.findings.push_back(node_not_found(tree, needer, needer_shown, need, version,
                                                  *provider, context.request.search_directories));
        refused = true;
      }
    }
  }
  // _dl_check_map_versions refuses the load before any relocation: the assertion cannot come.
  if (refused) {
    add_minimum_toolchain(context.findings, toolchain_findings, scope, tree.plugin);
    return StageVerdict::Stop;
  }
  // Relocation: each versioned reference needs a definition check_match accepts. A name that no
  // object defines at all is the symbol stage's ("undefined symbol").
  bool unbound = false;
  std::set<std::string> reported;
  const ExportIndex& exports = export_index(context);
  for (const ScopeObject& needer : scope) {
    if (needer.from_host) continue;
    const std::string needer_shown =
        needer.node == tree.plugin ? context.request.path : needer.path;
    for (const elf::Symbol& symbol : needer.image.dynamic_symbols) {
      if (symbol.defined() || symbol.version.empty() || symbol.binding != STB_GLOBAL) continue;
      const ScopeObject* by_name = nullptr;
      bool bound = false;
      exports.for_each(symbol.name, [&](const ExportedDefinition& definition) {
        if (by_name == nullptr) by_name = definition.object;
        bound = accepts(definition.object->image, *definition.symbol, symbol.version);
        return !bound;
      });
      if (by_name == nullptr) continue;  // defined nowhere: the symbol stage's
      if (bound || by_name == nullptr || !reported.insert(symbol.name).second) continue;
      Finding finding = symbol_not_in_version(context, needer, needer_shown, symbol, *by_name);
      unbound = unbound || finding.stops_load;
      context.findings.push_back(std::move(finding));
    }
  }
  if (unbound) return StageVerdict::Stop;
  if (!fatal_bindings.empty()) {
    const bool stops_load = fatal_bindings.front().stops_load;
    context.findings.push_back(std::move(fatal_bindings.front()));
    if (stops_load) return StageVerdict::Stop;
  }
  return StageVerdict::Continue;
}

}  // namespace dldoctor
