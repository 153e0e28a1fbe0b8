// Stage 6, symbols (unexported-symbol family). Two loader steps are modelled:
// - dlsym(handle, NAME) (_dl_lookup_symbol_x over the handle's dependency scope): only symbols of
//   .dynsym that are defined, global or weak, and of default or protected visibility can be
//   found; for each name asked for (--symbol), say why it is not one of them;
// - relocation (_dl_relocate_object): every undefined, non-weak symbol of the plugin and of its
//   dependencies must be defined by an object in the lookup scope, the host's global scope first
//   (the program, its libraries, RTLD_GLOBAL objects) then the plugin's own; with RTLD_NOW a miss
//   fails the dlopen ("undefined symbol"), with RTLD_LAZY a function is bound at its first call,
//   and a miss then kills the process ("symbol lookup error", exit status 127).
#include <cxxabi.h>
#include <dirent.h>
#include <elf.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "checks/finding_helpers.hpp"
#include "checks/stage.hpp"
#include "checks/symbol_rules.hpp"
#include "dldoctor/search.hpp"

namespace dldoctor {
namespace {

// ---- --symbol NAME: why dlsym cannot find it ----

// The plugin's own file is read again, in place (explain_unexported): the why needs its .symtab
// and DWARF, which the scope's images do not keep in a form to search by name.
std::optional<Finding> explain_missing_symbol(const std::string& path, const std::string& name,
                                              const std::vector<ScopeObject>& scope) {
  for (const ScopeObject& object : scope)
    if (!object.from_host && find_exported(object.image, name) != nullptr) return std::nullopt;
  return explain_unexported(path, name);
}

// ---- Undefined symbols of the plugin's tree ----

// Where a symbol nobody in scope exports is defined after all: the host, unexported (-rdynamic
// is missing), or a library beside the plugin that is not in its scope (RTLD_LOCAL).
struct Elsewhere {
  enum class Where { Nowhere, HostUnexported, Sibling } where = Where::Nowhere;
  std::string path;
};

// What find_elsewhere reads, read once per diagnosis: a plugin with hundreds of undefined names
// (LLVMPolly.so has 580, its directory 31 libraries) asks each of them of the same host and the
// same libraries beside it. Each file is read when a name first needs it, through scope_image
// (a scan shares the reads, and each read's table of exports, ScopeImage::exports).
class ElsewhereSearch {
 public:
  explicit ElsewhereSearch(const Context& context) : context_(context) {}

  Elsewhere find(const std::string& requester, const std::string& name) {
    if (host_defines(name)) return {Elsewhere::Where::HostUnexported, *context_.request.host};
    for (Candidate& candidate : candidates_in(parent_of(requester))) {
      if (base_of(candidate.path) == base_of(requester)) continue;
      if (!candidate.read) read_candidate(candidate);
      if (candidate.image != nullptr &&
          candidate.image->exports().first(name, ImageExports::hash(name)) != ImageExports::kNone)
        return {Elsewhere::Where::Sibling, candidate.path};
    }
    return {};
  }

 private:
  struct Candidate {
    std::string path;
    bool read = false;
    std::shared_ptr<const ScopeImage> image;
  };

  // The host's own definitions, exported or not: .symtab keeps what -rdynamic would export.
  bool host_defines(const std::string& name) {
    if (!context_.request.host) return false;
    if (!host_read_) {
      host_read_ = true;
      host_ = scope_image(*context_.request.host);
      if (host_ != nullptr && host_->image.symbol_table)
        for (const elf::Symbol& symbol : *host_->image.symbol_table)
          if (symbol.defined()) host_defined_.insert(symbol.name);
    }
    return host_defined_.count(name) != 0;
  }

  // The shared objects of a directory, by name, at most 200 of them, as the loader would never
  // look there: only to say which one defines a name.
  std::vector<Candidate>& candidates_in(const std::string& directory) {
    auto [it, inserted] = by_directory_.try_emplace(directory);
    if (!inserted) return it->second;
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(directory.c_str()), ::closedir);
    if (!dir) return it->second;
    std::vector<std::string> paths;
    while (const dirent* entry = ::readdir(dir.get())) {
      const std::string file = entry->d_name;
      if (file.find(".so") != std::string::npos && paths.size() < 200)
        paths.push_back(directory + "/" + file);
    }
    std::sort(paths.begin(), paths.end());
    for (std::string& path : paths) {
      Candidate candidate;
      candidate.path = std::move(path);
      it->second.push_back(std::move(candidate));
    }
    return it->second;
  }

  static void read_candidate(Candidate& candidate) {
    candidate.read = true;
    candidate.image = scope_image(candidate.path);
  }

  const Context& context_;
  bool host_read_ = false;
  std::shared_ptr<const ScopeImage> host_;
  std::unordered_set<std::string_view> host_defined_;
  std::map<std::string, std::vector<Candidate>> by_directory_;
};

// libstdc++'s dual ABI (GCC 5 and later): std::string, std::list and the functions that take or
// return them are mangled differently for _GLIBCXX_USE_CXX11_ABI=1 (std::__cxx11::, the
// [abi:cxx11] tag) and =0. The same declaration, with the two ABIs: the same name once the marks
// of the new ABI are taken out.
std::string without_abi_marks(std::string name) {
  auto replace_all = [&](std::string_view from, std::string_view to) {
    for (std::size_t at = 0; (at = name.find(from, at)) != std::string::npos; at += to.size())
      name.replace(at, from.size(), to);
  };
  replace_all("[abi:cxx11]", "");
  replace_all("std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >",
              "std::string");
  replace_all("std::basic_string<char, std::char_traits<char>, std::allocator<char> >",
              "std::string");
  replace_all("std::__cxx11::", "std::");
  return name;
}

bool has_abi_marks(const std::string& demangled) {
  return demangled.find("[abi:cxx11]") != std::string::npos ||
         demangled.find("std::__cxx11::") != std::string::npos;
}

// An exported name that is the needed one with the other ABI: (object, symbol, demangled).
struct AbiTwin {
  const ScopeObject* object = nullptr;
  const elf::Symbol* symbol = nullptr;
  std::string demangled;         // the export's
  std::string needed_demangled;  // the needed name's
};
// The scope's C++ exports by their demangled name with the new ABI's marks taken out, made when
// the first name with std::string or std::list in it misses: demangling every export once, not
// once per missing name.
class AbiTwins {
 public:
  explicit AbiTwins(const ExportIndex& exports) : exports_(exports) {}

  std::optional<AbiTwin> find(const std::string& needed_demangled) {
    if (!indexed_) index();
    const auto range = by_plain_name_.equal_range(without_abi_marks(needed_demangled));
    for (auto it = range.first; it != range.second; ++it) {
      const Entry& entry = it->second;
      if (entry.demangled == needed_demangled ||
          has_abi_marks(entry.demangled) == has_abi_marks(needed_demangled))
        continue;
      return AbiTwin{entry.definition.object, entry.definition.symbol, entry.demangled,
                     needed_demangled};
    }
    return std::nullopt;
  }

 private:
  struct Entry {
    ExportedDefinition definition;
    std::string demangled;
  };
  void index() {
    indexed_ = true;
    // Each name once, at its first definition in scope order (the one a reference binds to).
    std::unordered_set<std::string_view> seen;
    for (const ScopeObject& object : exports_.scope())
      for (const elf::Symbol& symbol : object.image.dynamic_symbols) {
        const std::string& name = symbol.name;
        if (name.size() < 3 || name.compare(0, 2, "_Z") != 0 ||
            !exportable(symbol.binding, symbol.type, symbol.visibility, symbol.defined()) ||
            !seen.insert(name).second)
          continue;
        std::string demangled = demangle(name);
        std::string plain = without_abi_marks(demangled);
        by_plain_name_.emplace(std::move(plain),
                               Entry{ExportedDefinition{&object, &symbol}, std::move(demangled)});
      }
  }

  const ExportIndex& exports_;
  bool indexed_ = false;
  std::unordered_multimap<std::string, Entry> by_plain_name_;
};

Finding undefined_symbol(const Context& context, const ScopeObject& requester,
                         const elf::Symbol& symbol, ElsewhereSearch& elsewhere_search,
                         AbiTwins& abi_twins) {
  const std::string& name = symbol.name;
  const std::string file = base_of(requester.path);
  // Functions called through the PLT are bound at their first call under RTLD_LAZY; data, and
  // everything under RTLD_NOW, is bound by dlopen itself.
  const bool lazy =
      context.request.mode == Mode::Lazy &&
      std::find(requester.image.lazily_bound.begin(), requester.image.lazily_bound.end(), name) !=
          requester.image.lazily_bound.end();
  const Elsewhere elsewhere = elsewhere_search.find(requester.path, name);
  // A C++ name with std::string or std::list in it may be the other ABI's twin of an export.
  std::optional<AbiTwin> twin;
  if (elsewhere.where == Elsewhere::Where::Nowhere) {
    const std::string demangled = demangle(name);
    if (demangled != name &&
        (has_abi_marks(demangled) || demangled.find("std::string") != std::string::npos ||
         demangled.find("std::list") != std::string::npos))
      twin = abi_twins.find(demangled);
  }
  Finding finding;
  if (elsewhere.where == Elsewhere::Where::HostUnexported) {
    finding = make_finding(
        finding_code("symbol.host-not-exported"),
        file + " calls " + name + " of the host, which defines it but does not export it");
    finding.evidence.push_back(file + " .dynsym: " + describe_symbol(symbol));
    finding.evidence.push_back(base_of(elsewhere.path) + " .symtab: defines " + name +
                               "; .dynsym: no " + name + " (linked without -rdynamic)");
    finding.fix.summary =
        "link the host with -rdynamic (or -Wl,--dynamic-list naming the "
        "functions plugins may call), so that its symbols are exported";
  } else if (elsewhere.where == Elsewhere::Where::Sibling) {
    const std::string provider = base_of(elsewhere.path);
    finding = make_finding(finding_code("symbol.rtld-local-scope"),
                           file + " needs " + name + ", defined by " + provider +
                               ", which is not in its scope: " + file + " has no DT_NEEDED on " +
                               provider +
                               ", and a library the host opened RTLD_LOCAL (the "
                               "default) serves no other object");
    finding.evidence.push_back(file + " .dynsym: " + describe_symbol(symbol));
    finding.evidence.push_back(provider + " exports " + name);
    finding.fix.summary = "make " + file + " need " + provider +
                          " (link it with -l, or add DT_NEEDED), or have the host open " +
                          provider + " with RTLD_GLOBAL first";
    finding.fix.commands.push_back("patchelf --add-needed " + shell_quote(provider) + " " +
                                   shell_quote(requester.path));
    if (parent_of(elsewhere.path) == parent_of(requester.path))
      finding.fix.commands.push_back("patchelf --add-rpath '$ORIGIN' " +
                                     shell_quote(requester.path));
  } else if (twin) {
    const std::string& demangled = twin->needed_demangled;
    const bool needs_new = has_abi_marks(demangled);
    const std::string provider = base_of(twin->object->path);
    finding = make_finding(finding_code("version.cxx11-abi"),
                           file + " needs " + demangled + ", which " + provider + " has only as " +
                               twin->demangled +
                               ": they were compiled with different _GLIBCXX_USE_CXX11_ABI");
    finding.evidence.push_back(file + " .dynsym: " + describe_symbol(symbol) + " (" + demangled +
                               ")");
    finding.evidence.push_back(provider + " .dynsym: " + twin->symbol->name + " (" +
                               twin->demangled + ")");
    finding.evidence.push_back(
        std::string("libstdc++ has two ABIs for std::string and std::list: ") + file +
        " was compiled with _GLIBCXX_USE_CXX11_ABI=" + (needs_new ? "1" : "0") + ", " + provider +
        " with _GLIBCXX_USE_CXX11_ABI=" + (needs_new ? "0" : "1") +
        " (std::__cxx11 and the [abi:cxx11] tag mark the new one, the default since GCC 5)");
    finding.fix.summary =
        "compile both with the same _GLIBCXX_USE_CXX11_ABI (the default, 1, "
        "unless they must match a library built with the old ABI)";
    finding.fix.commands.push_back(
        "nm -DC " + shell_quote(twin->object->path) + " | grep -F " +
        shell_quote(twin->demangled.substr(0, twin->demangled.find('('))));
  } else {
    finding = make_finding(finding_code("symbol.undefined"),
                           file + " needs " + name + ", which no object in its scope defines");
    finding.evidence.push_back(file + " .dynsym: " + describe_symbol(symbol));
    if (!context.request.host)
      finding.evidence.push_back("if the host program defines " + name +
                                 ", check again with --host HOST: a host's functions serve "
                                 "plugins only when it exports them (-rdynamic)");
    finding.fix.summary =
        "link the library that defines " + name + " into " + file + " (-l...), or define it";
    finding.fix.commands.push_back("nm -D --undefined-only " + shell_quote(requester.path));
  }
  if (lazy) {
    // Whatever the reason, under RTLD_LAZY the failure moves from dlopen to the first call.
    finding.code = finding_code("symbol.lazy-binding-exit").code;
    finding.summary = "with RTLD_LAZY " + file + " loads, and its first call of " + name +
                      " kills the host: no object in its scope defines " + name;
    finding.stops_load = false;  // dlopen succeeds; the process dies later
    finding.evidence.push_back(name +
                               " is called through the PLT (.rela.plt JUMP_SLOT): bound "
                               "at its first call, when the loader prints 'symbol lookup error: "
                               "... undefined symbol: " +
                               name + "' and exits with status 127");
  } else {
    finding.evidence.push_back("dlopen fails: '" + requester.path + ": undefined symbol: " + name +
                               "'");
  }
  return finding;
}

}  // namespace

StageVerdict check_symbols(Context& context) {
  if (!context.image) return StageVerdict::Continue;
  const search::Tree& tree = tree_of(context);
  if (tree.error) return StageVerdict::Continue;  // the dependency stage has said why
  const std::vector<ScopeObject>& scope = load_scope(context);
  const ExportIndex& exports = export_index(context);

  // Relocation: undefined symbols of everything the plugin brings in.
  std::set<std::string> reported;
  ElsewhereSearch elsewhere_search(context);
  AbiTwins abi_twins(exports);
  for (const ScopeObject& object : scope) {
    if (object.from_host) continue;
    for (const elf::Symbol& symbol : object.image.dynamic_symbols) {
      if (symbol.defined() || symbol.binding != STB_GLOBAL || symbol.name.empty() ||
          symbol.type == STT_TLS)
        continue;
      if (exports.contains(symbol.name) || !reported.insert(symbol.name).second) continue;
      // This process's global scope (the program's libraries, RTLD_GLOBAL plugins, a -rdynamic
      // program) serves a new object's references first: asked of its loader.
      if (context.request.this_process && defined_in_process(symbol.name, symbol.version)) continue;
      context.findings.push_back(
          undefined_symbol(context, object, symbol, elsewhere_search, abi_twins));
    }
  }
  // dlsym: the names the host will look up. dlsym(handle) searches the plugin and its
  // dependencies, not the host.
  // A Go plugin is looked up by plugin.Lookup: <pluginpath>.NAME, exported names only.
  for (const std::string& name : context.request.symbols) {
    if (auto go = go_lookup(context.file, *context.image, name)) {
      if (*go) context.findings.push_back(std::move(**go));
      continue;
    }
    if (auto finding = explain_missing_symbol(context.file, name, scope))
      context.findings.push_back(std::move(*finding));
  }
  // A Go plugin shares the Go host's runtime by design: every runtime name binds to the host's.
  if (!go_plugin_of_go_host(context)) check_interposition(context);
  return StageVerdict::Continue;
}

}  // namespace dldoctor
