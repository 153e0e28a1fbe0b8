// Go plugins (Go's plugin package): the runtime's own checks, made from the files.
// - plugin.Open (runtime/plugin.go, plugin_lastmoduleinit): after dlopen, every package the
//   plugin was linked with is compared with the host's by its hash: the plugin's linktime hash
//   (its go.link.pkghashbytes.<package>) against the one its go.link.pkghash.<package> binds to,
//   the host's when the host has the package. A difference fails the open with "plugin was built
//   with a different version of package X" (version-conflict). Here: name each differing package,
//   the user's before the standard library's, and why, from the build info and the DWARF units:
//   a Go toolchain difference (go.toolchain), other build settings (go.build-flags), or another
//   copy of the package's module (go.package-version).
// - plugin.Lookup(NAME) finds <pluginpath>.NAME, which only an exported (upper-case) function or
//   variable of the plugin's main package is (the symbol stage asks go_lookup).
#include <elf.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "checks/finding_helpers.hpp"
#include "checks/stage.hpp"
#include "checks/symbol_rules.hpp"
#include "elf/symbol_index.hpp"
#include "go/go_binary.hpp"
#include "go/go_type.hpp"

namespace dldoctor {
namespace {

bool has_package_hashes(const elf::Image& image) {
  for (const elf::Symbol& symbol : image.dynamic_symbols)
    if (symbol.name.starts_with("go.link.pkghashbytes.")) return true;
  return false;
}

// The sources of a package, as the file's function table (or DWARF) gives them: "in /src/shared1",
// or what is known.
std::string sources_of(const go::Binary& binary, const std::string& package) {
  const auto found = binary.source_directories.find(package);
  if (found == binary.source_directories.end())
    return binary.sources_from_table ? "its function table has no function of " + package
           : binary.has_dwarf        ? "its DWARF has no function of " + package
                                     : "it has no DWARF to say where " + package + " came from";
  std::vector<std::string> directories(found->second.begin(), found->second.end());
  return package + "'s sources are in " + joined(directories, 4);
}

std::string module_line(const go::Module& module) {
  std::string text = module.path + " " + module.version;
  if (module.replaced)
    text += " => " + module.replace_path +
            (module.replace_version.empty() ? "" : " " + module.replace_version);
  return text;
}

bool setting_true(const go::Binary& binary, std::string_view key) {
  return binary.build_info && binary.build_info->setting(key).value_or("") == "true";
}

// The build info records -trimpath=true when it was given and nothing otherwise (cmd/go, Go 1.18
// and later); without build info (a plugin), -trimpath is seen in the DWARF units of the user's
// packages (a program's own is "main"), which then name no absolute directory.
std::optional<bool> trimmed(const go::Binary& binary) {
  if (binary.build_info) return setting_true(binary, "-trimpath");
  for (const auto& [package, directories] : binary.source_directories) {
    if ((package != "main" && go::is_standard_package(package)) || directories.empty()) continue;
    return directories.begin()->front() != '/';
  }
  return std::nullopt;
}

bool raced(const go::Binary& binary) {
  return setting_true(binary, "-race") || binary.hash_of("runtime/race") != nullptr;
}

// The user's packages first (the plugin's own first of all), then the standard library's.
void order_nearest_first(std::vector<std::string>& packages, const go::Binary& plugin) {
  const std::string own = plugin.plugin_path.value_or("");
  std::stable_sort(
      packages.begin(), packages.end(), [&](const std::string& a, const std::string& b) {
        auto rank = [&](const std::string& p) {
          return p == own ? 0 : !go::is_standard_package(p) ? 1 : p.starts_with("runtime") ? 3 : 2;
        };
        return rank(a) < rank(b);
      });
}

std::string hash_evidence(const std::string& package, const go::Binary& host,
                          const go::Binary& plugin, const std::string& host_name,
                          const std::string& file) {
  return "go.link.pkghashbytes." + package + ": " + host.hash_of(package)->hex + " in " +
         host_name + ", " + plugin.hash_of(package)->hex + " in " + file;
}

std::string plugin_side_note(const go::Binary& plugin) {
  return std::string(
             "Go 1.19 writes no build info into a -buildmode=plugin file: the plugin's "
             "side is read from its ") +
         (plugin.sources_from_table ? "function table (pclntab)" : "DWARF");
}

// Whether a Go program links the plugin package (plugin.Open, or the package's init task when
// Open is inlined into the caller, as the no-cgo stub is).
bool links_plugin_package(const elf::Image& image) {
  if (!image.symbol_table) return false;
  for (const elf::Symbol& symbol : *image.symbol_table)
    if (symbol.name == "plugin.Open" || symbol.name == "plugin..inittask") return true;
  return false;
}

// A Go host that links the plugin package but cannot open plugins: built without cgo, its
// plugin package is plugin_stubs.go (Go 1.19 src/plugin: "//go:build !linux && ... || !cgo"),
// whose Open returns "plugin: not implemented" without looking at the file; such a host is also
// linked statically, without the package hashes a plugin-capable host exports.
StageVerdict check_host_without_plugins(Context& context, const elf::Image& host_image) {
  const std::string& host_path = *context.request.host;
  if (!links_plugin_package(host_image)) return StageVerdict::Continue;
  const go::Binary host =
      go::read_binary(host_path, host_image, go::DwarfParts{false, std::nullopt});
  if (!host.is_go) return StageVerdict::Continue;
  const std::string host_name = base_of(host_path);
  const std::optional<std::string> cgo =
      host.build_info ? host.build_info->setting("CGO_ENABLED") : std::nullopt;
  Finding finding = make_finding(
      finding_code("go.host-without-cgo"),
      host_name + " was built without cgo" +
          (cgo ? std::string(" (CGO_ENABLED=") + *cgo + ")" : std::string()) +
          ": its plugin.Open is the stub that always fails, whatever the file: plugin: not "
          "implemented");
  if (host.build_info)
    finding.evidence.push_back(host_name + " build info: CGO_ENABLED=" + cgo.value_or("(not set)"));
  finding.evidence.push_back(
      host_name + (host_image.has_interpreter() ? " has" : " has no") +
      " PT_INTERP and exports no go.link.pkghashbytes.*: it is not linked to load plugins");
  finding.evidence.push_back(
      "without cgo the plugin package is plugin_stubs.go, whose Open returns \"plugin: not "
      "implemented\"");
  finding.fix.summary =
      "build the host with cgo (CGO_ENABLED=1 and a C compiler), as Go's "
      "plugin package needs";
  finding.fix.commands.push_back("CGO_ENABLED=1 go build");
  finding.fix.commands.push_back("go version -m " + shell_quote(host_path));
  context.findings.push_back(std::move(finding));
  return StageVerdict::Stop;
}

}  // namespace

namespace {
StageVerdict check_go_plugin_hashes(Context& context);
}  // namespace

StageVerdict check_go_plugin(Context& context) {
  const StageVerdict verdict = check_go_plugin_hashes(context);
  // The identity stage left the .symtab to this stage: the stages after it read the file whole.
  if (verdict == StageVerdict::Continue && context.symbol_table_deferred) {
    context.symbol_table_deferred = false;
    elf::ReadOutcome whole = elf::read_image(context.file);
    if (auto* image = std::get_if<elf::Image>(&whole)) context.image = std::move(*image);
  }
  return verdict;
}

namespace {
StageVerdict check_go_plugin_hashes(Context& context) {
  if (!context.request.host || !context.image || !has_package_hashes(*context.image))
    return StageVerdict::Continue;
  const std::string& host_path = *context.request.host;
  // The host's .dynsym in place (the hashes are in it, the function table in .gopclntab):
  // thousands of symbols, of which a few are read, and not its .symtab; a host without hashes is
  // read whole, for the symbols it links.
  std::optional<elf::SymbolIndexOutcome> host_outcome;
  const elf::SymbolIndex* host_index = context.host_symbols.get();
  if (host_index == nullptr) {
    host_outcome.emplace(elf::read_symbol_index(host_path, 0, elf::IndexedTables::DynamicOnly));
    host_index = std::get_if<elf::SymbolIndex>(&*host_outcome);
  }
  if (host_index == nullptr) return StageVerdict::Continue;
  if (!go::has_package_hashes(*host_index)) {
    elf::ReadOutcome whole = elf::read_image(host_path);
    const auto* image = std::get_if<elf::Image>(&whole);
    if (image == nullptr) return StageVerdict::Continue;
    return check_host_without_plugins(context, *image);
  }
  const elf::Image* host_image = &host_index->image();
  // The hashes first, without DWARF: a plugin that matches its host costs no more than that.
  const go::DwarfParts no_dwarf{false, std::nullopt};
  // The plugin's .symtab (its path, the function table's bounds) in place when the identity
  // stage left it out.
  std::optional<elf::SymbolIndexOutcome> plugin_index;
  if (context.symbol_table_deferred)
    plugin_index.emplace(elf::read_symbol_index(context.file, 0, elf::IndexedTables::StaticOnly));
  const auto* plugin_symbols =
      plugin_index ? std::get_if<elf::SymbolIndex>(&*plugin_index) : nullptr;
  if (context.symbol_table_deferred && plugin_symbols == nullptr) return StageVerdict::Continue;
  go::Binary plugin_hashes =
      plugin_symbols != nullptr
          ? go::read_binary(context.file, *context.image, *plugin_symbols, no_dwarf)
          : go::read_binary(context.file, *context.image, no_dwarf);
  if (!plugin_hashes.is_plugin()) return StageVerdict::Continue;
  go::Binary host_hashes = go::read_binary(host_path, *host_index, no_dwarf);
  std::vector<std::string> differing;
  for (const go::PackageHash& hash : plugin_hashes.package_hashes) {
    const go::PackageHash* theirs = host_hashes.hash_of(hash.package);
    if (theirs != nullptr && !theirs->hex.empty() && !hash.hex.empty() && theirs->hex != hash.hex)
      differing.push_back(hash.package);
  }
  if (differing.empty()) return StageVerdict::Continue;
  // Then the DWARF of the packages the finding names: the user's that differ, the programs' own
  // (whose directories say whether -trimpath was given) and, for the evidence, the first few.
  std::set<std::string> packages{"main", plugin_hashes.plugin_path.value_or("")};
  for (const std::string& package : differing)
    if (!go::is_standard_package(package) || packages.size() < 8) packages.insert(package);
  // The plugin's compiler (the DWARF's producer, the costly part) only when it can differ from
  // the host's: the same toolchain gives the runtime package the same hash. The host's only
  // without build info, which names its Go.
  const go::PackageHash* plugin_runtime = plugin_hashes.hash_of("runtime");
  const go::PackageHash* host_runtime = host_hashes.hash_of("runtime");
  const bool same_runtime = plugin_runtime != nullptr && host_runtime != nullptr &&
                            !plugin_runtime->hex.empty() &&
                            plugin_runtime->hex == host_runtime->hex;
  go::Binary plugin = std::move(plugin_hashes);
  go::read_sources(context.file, *context.image, plugin,
                   go::DwarfParts{true, packages, !same_runtime});
  go::Binary host = std::move(host_hashes);
  go::read_sources(host_path, *host_image, host, go::DwarfParts{true, packages, !host.build_info});
  order_nearest_first(differing, plugin);

  const std::string file = base_of(context.file);
  const std::string host_name = base_of(host_path);
  // The package the runtime's message names: the first differing one in the plugin's own order
  // of comparison, which is not the nearest one this finding leads with.
  std::string first_compared;
  for (const std::string& package : plugin.check_order)
    if (std::find(differing.begin(), differing.end(), package) != differing.end()) {
      first_compared = package;
      break;
    }
  const std::string open_message =
      first_compared.empty()
          ? "plugin.Open fails at the first of them it compares: plugin was built with a "
            "different version of package <that package>"
          : "plugin.Open fails: plugin was built with a different version of package " +
                first_compared;
  const std::string order_evidence =
      first_compared.empty()
          ? ""
          : "plugin.Open compares the packages in " + file + "'s order (its moduledata's " +
                "pkghashes) and stops at " + first_compared + ", the first that differs of " +
                std::to_string(differing.size());
  std::vector<std::string> user;
  for (const std::string& package : differing)
    if (!go::is_standard_package(package)) user.push_back(package);

  const std::string host_version = host.go_version();
  const std::string plugin_version = plugin.go_version();
  const std::optional<bool> host_trimmed = trimmed(host);
  const std::optional<bool> plugin_trimmed = trimmed(plugin);
  const bool trim_differs = host_trimmed && plugin_trimmed && *host_trimmed != *plugin_trimmed;
  const bool race_differs = raced(host) != raced(plugin);

  auto add_common = [&](Finding& finding) {
    if (!order_evidence.empty()) finding.evidence.push_back(order_evidence);
    for (std::size_t i = 0; i < differing.size() && i < 6; ++i)
      finding.evidence.push_back(hash_evidence(differing[i], host, plugin, host_name, file));
    if (differing.size() > 6)
      finding.evidence.push_back("and " + std::to_string(differing.size() - 6) +
                                 " more packages whose hashes differ");
  };

  if (!host_version.empty() && !plugin_version.empty() && host_version != plugin_version) {
    Finding finding =
        make_finding(finding_code("go.toolchain"),
                     file + " was built with " + plugin_version + " and " + host_name + " with " +
                         host_version + ": every package differs; " + open_message);
    finding.evidence.push_back(host_name + ": " + host_version +
                               (host.build_info ? " (build info)" : " (DWARF producer)"));
    finding.evidence.push_back(file + ": " + plugin_version + " (DWARF producer)");
    add_common(finding);
    finding.fix.summary = "build the plugin and the host with the same Go toolchain (" +
                          host_version + ", the host's), and the same flags";
    finding.fix.commands.push_back("go version -m " + shell_quote(host_path));
    context.findings.push_back(std::move(finding));
    return StageVerdict::Stop;
  }
  if (trim_differs || race_differs) {
    std::vector<std::string> settings;
    if (trim_differs)
      settings.push_back(std::string("-trimpath (") + (*host_trimmed ? "host" : "plugin") +
                         " only)");
    if (race_differs)
      settings.push_back(std::string("-race (") + (raced(host) ? "host" : "plugin") + " only)");
    Finding finding = make_finding(
        finding_code("go.build-flags"),
        file + " and " + host_name + " were built with other build settings: " + joined(settings) +
            "; " + open_message);
    if (trim_differs) {
      finding.evidence.push_back(host_name + (*host_trimmed ? " was" : " was not") +
                                 " built with -trimpath, " + file +
                                 (*plugin_trimmed ? " was" : " was not"));
      finding.evidence.push_back(host_name + ": " + sources_of(host, "main"));
      finding.evidence.push_back(file + ": " + sources_of(plugin, plugin.plugin_path.value_or("")));
    }
    if (race_differs)
      finding.evidence.push_back(std::string(raced(host) ? host_name : file) +
                                 " has the race detector (runtime/race), the other has not");
    add_common(finding);
    finding.fix.summary =
        "build both with the same flags: " + joined(settings) + " on both sides or on neither";
    finding.fix.commands.push_back("go version -m " + shell_quote(host_path));
    context.findings.push_back(std::move(finding));
    return StageVerdict::Stop;
  }
  // Another copy of a module: each user package whose sources or module version differ.
  bool found = false;
  for (const std::string& package : user) {
    const go::Module* module = host.build_info ? host.build_info->module_of(package) : nullptr;
    const auto host_dirs = host.source_directories.find(package);
    const auto plugin_dirs = plugin.source_directories.find(package);
    const bool both_known = host_dirs != host.source_directories.end() &&
                            plugin_dirs != plugin.source_directories.end();
    if (both_known && host_dirs->second == plugin_dirs->second) continue;  // a dependent of one
    if (!both_known && found) continue;
    found = true;
    const std::string module_path = module != nullptr ? module->path : package;
    std::string host_side = module != nullptr ? module_line(*module) : "another copy";
    std::string plugin_side = "another copy";
    std::string plugin_dir;
    std::string plugin_version;
    if (plugin_dirs != plugin.source_directories.end()) {
      plugin_dir = *plugin_dirs->second.begin();
      plugin_version = go::version_in_directory(plugin_dir);
      plugin_side =
          plugin_version.empty() ? "the copy in " + plugin_dir : module_path + " " + plugin_version;
    }
    // A replace on one side only: the host builds a local copy (replace => a directory) and the
    // plugin the module itself, vendored (vendor/<module>) or from the module cache at the same
    // version (<module>@<version>); or the other way round.
    const bool plugin_vendored = plugin_dir.find("/vendor/" + module_path) != std::string::npos ||
                                 plugin_dir.starts_with("vendor/" + module_path);
    const bool plugin_module_itself =
        plugin_vendored || (module != nullptr && plugin_version == module->version);
    // cmd/go: a replacement that is a file path starts with ./, ../ or / (its version "(devel)").
    const bool host_local_copy =
        module != nullptr && module->replaced &&
        (module->replace_path.starts_with("./") || module->replace_path.starts_with("../") ||
         module->replace_path.starts_with('/'));
    const bool host_module_itself = module != nullptr && !module->replaced;
    if (!plugin_dir.empty() &&
        ((host_local_copy && plugin_module_itself) ||
         (host_module_itself && !plugin_module_itself && plugin_version.empty()))) {
      Finding finding = make_finding(
          finding_code("go.replaced-module"),
          host_local_copy
              ? host_name + " replaces " + module_path + " " + module->version + " with " +
                    module->replace_path + ", a local copy; " + file + " was built with " +
                    module_path + " itself (" + (plugin_vendored ? "vendored" : plugin_version) +
                    "): the same version, another copy; " + open_message
              : file + " was built with a local copy of " + module_path + " (" + plugin_dir +
                    "), " + host_name + " with " + module_path + " " + module->version +
                    " itself; " + open_message);
      finding.evidence.push_back(host_name + " build info: " + module_line(*module) +
                                 (module->sum.empty() ? "" : " " + module->sum));
      finding.evidence.push_back(host_name + ": " + sources_of(host, package));
      finding.evidence.push_back(file + ": " + sources_of(plugin, package) +
                                 (plugin_vendored ? " (its module's vendor directory)" : ""));
      finding.evidence.push_back(hash_evidence(package, host, plugin, host_name, file));
      if (!order_evidence.empty() && first_compared != package)
        finding.evidence.push_back(order_evidence);
      finding.evidence.push_back(
          "a package's hash covers the directory it was compiled from: two copies of one "
          "version differ even when their files are the same");
      finding.evidence.push_back(plugin_side_note(plugin));
      if (host_local_copy) {
        // The host's replace target as a directory the plugin's module can name: absolute, from
        // the host's DWARF, unless the host was built with -trimpath.
        const bool absolute = host_dirs != host.source_directories.end() &&
                              host_dirs->second.begin()->starts_with('/');
        const std::string target = absolute ? *host_dirs->second.begin() : module->replace_path;
        finding.fix.summary =
            "build the plugin with the host's copy: in the plugin's module, replace " +
            module_path + " with " + target +
            (absolute ? "" : " (relative to the host's module directory)") +
            " and rebuild with -buildmode=plugin" +
            (plugin_vendored ? " -mod=mod: go mod vendor would copy it into vendor/, another "
                               "directory again, and so another hash"
                             : "");
        finding.fix.commands.push_back("go mod edit -replace=" +
                                       shell_quote(module_path + "=" + target));
        finding.fix.commands.push_back(plugin_vendored ? "go build -buildmode=plugin -mod=mod"
                                                       : "go build -buildmode=plugin");
      } else {
        finding.fix.summary =
            "build the plugin with the module itself, as the host: drop the "
            "plugin's replace of " +
            module_path + " and rebuild";
        finding.fix.commands.push_back("go mod edit -dropreplace=" + shell_quote(module_path));
        finding.fix.commands.push_back("go build -buildmode=plugin");
      }
      context.findings.push_back(std::move(finding));
      continue;
    }
    Finding finding = make_finding(finding_code("go.package-version"),
                                   file + " was built with another version of " + module_path +
                                       " than " + host_name + " (" + host_side + " in the host, " +
                                       plugin_side + " in the plugin); " + open_message);
    if (module != nullptr && host.build_info)
      finding.evidence.push_back(host_name + " build info: " + module_line(*module) +
                                 (module->sum.empty() ? "" : " " + module->sum));
    finding.evidence.push_back(host_name + ": " + sources_of(host, package));
    finding.evidence.push_back(file + ": " + sources_of(plugin, package));
    finding.evidence.push_back(hash_evidence(package, host, plugin, host_name, file));
    if (!order_evidence.empty() && first_compared != package)
      finding.evidence.push_back(order_evidence);
    finding.evidence.push_back(plugin_side_note(plugin));
    std::string target;
    if (module != nullptr && module->replaced) {
      target = host_dirs != host.source_directories.end() ? *host_dirs->second.begin()
                                                          : module->replace_path;
      finding.fix.summary = "build the plugin with the host's copy of " + module_path +
                            ": in the plugin's module, replace it with " + target +
                            " (the host's replace target), and rebuild with -buildmode=plugin";
      finding.fix.commands.push_back("go mod edit -replace=" +
                                     shell_quote(module_path + "=" + target));
    } else if (module != nullptr) {
      finding.fix.summary = "build the plugin with the host's version of " + module_path + " (" +
                            module->version + "): in the plugin's module, go get it, and rebuild";
      finding.fix.commands.push_back("go get " + shell_quote(module_path + "@" + module->version));
    } else {
      finding.fix.summary =
          "build the plugin with the same copy of " + module_path + " as the host";
    }
    finding.fix.commands.push_back("go build -buildmode=plugin");
    context.findings.push_back(std::move(finding));
  }
  if (!found) {
    Finding finding = make_finding(
        finding_code("go.build-flags"),
        file + " and " + host_name + " were built with the same Go (" + host_version +
            ") and the same copies of their modules as far as the files say, and other build "
            "settings the plugin does not record (-tags, -gcflags, GOAMD64...); " +
            open_message);
    if (host.build_info) {
      std::vector<std::string> settings;
      for (const go::BuildSetting& setting : host.build_info->settings)
        settings.push_back(setting.key + "=" + setting.value);
      finding.evidence.push_back(host_name + " build settings: " + joined(settings, 20));
    }
    finding.evidence.push_back(plugin_side_note(plugin));
    add_common(finding);
    finding.fix.summary = "build the plugin with the host's build settings (go version -m " +
                          host_name + " lists them)";
    finding.fix.commands.push_back("go version -m " + shell_quote(host_path));
    context.findings.push_back(std::move(finding));
  }
  return StageVerdict::Stop;
}
}  // namespace

bool go_plugin_of_go_host(const Context& context) {
  if (!context.request.host || !context.image || !has_package_hashes(*context.image)) return false;
  elf::ReadOutcome host = elf::read_image(*context.request.host, elf::ReadParts::DynamicSymbols);
  const auto* image = std::get_if<elf::Image>(&host);
  return image != nullptr && has_package_hashes(*image);
}

bool is_go_plugin_host(const std::string& host_path) {
  elf::SymbolIndexOutcome host =
      elf::read_symbol_index(host_path, 0, elf::IndexedTables::DynamicOnly);
  const auto* index = std::get_if<elf::SymbolIndex>(&host);
  return index != nullptr && go::has_package_hashes(*index);
}

bool is_go_plugin_host(Context& context) {
  if (!context.go_plugin_host) {
    context.go_plugin_host = false;
    if (context.request.host) {
      elf::SymbolIndexOutcome host =
          elf::read_symbol_index(*context.request.host, 0, elf::IndexedTables::DynamicOnly);
      if (auto* index = std::get_if<elf::SymbolIndex>(&host)) {
        context.go_plugin_host = go::has_package_hashes(*index);
        context.host_symbols = std::make_shared<const elf::SymbolIndex>(std::move(*index));
      }
    }
  }
  return *context.go_plugin_host;
}

std::optional<std::optional<Finding>> go_lookup(const std::string& path, const elf::Image& image,
                                                const std::string& name) {
  if (name.empty() || name.find_first_of("./()*") != std::string::npos ||
      !has_package_hashes(image))
    return std::nullopt;
  const go::Binary plugin = go::read_binary(path, image, go::DwarfParts{false, std::nullopt});
  if (!plugin.is_plugin()) return std::nullopt;
  const std::string& plugin_path = *plugin.plugin_path;
  const std::string prefix = plugin_path + ".";
  const std::string file = base_of(path);
  const std::string message = "plugin: symbol " + name + " not found in plugin " + plugin_path;
  // What plugin.Lookup can find: the exported names of the main package, in .dynsym.
  std::vector<std::string> exported;
  for (const elf::Symbol& symbol : image.dynamic_symbols) {
    if (!symbol.name.starts_with(prefix) || !symbol.defined()) continue;
    const std::string rest = symbol.name.substr(prefix.size());
    if (rest.empty() || !std::isupper(static_cast<unsigned char>(rest[0])) ||
        rest.find_first_of(".()*") != std::string::npos)
      continue;
    if (symbol.type != STT_FUNC && symbol.type != STT_OBJECT) continue;
    exported.push_back(rest);
  }
  std::sort(exported.begin(), exported.end());
  const bool lower = !std::isupper(static_cast<unsigned char>(name[0])) &&
                     static_cast<unsigned char>(name[0]) < 0x80;
  if (!lower && std::binary_search(exported.begin(), exported.end(), name))
    return std::optional<Finding>();

  std::vector<std::string> near;
  for (const std::string& candidate : exported)
    if (edit_distance(candidate, name, 3) <= 3 || (candidate.size() == name.size() && [&] {
          for (std::size_t i = 0; i < name.size(); ++i)
            if (std::tolower(static_cast<unsigned char>(candidate[i])) !=
                std::tolower(static_cast<unsigned char>(name[i])))
              return false;
          return true;
        }()))
      near.push_back(candidate);
  Finding finding;
  if (lower) {
    finding = make_finding(finding_code("go.unexported-name"),
                           name + " begins with a lower-case letter, so Go does not export it: " +
                               "plugin.Lookup(\"" + name + "\") on " + file + " fails");
    // //export NAME with import "C": cgo exports a C function NAME (.dynsym), which dlsym finds
    // and plugin.Lookup does not look at; its _cgoexp_<hash>_NAME wrapper holds the Go body.
    const elf::Symbol* c_symbol = nullptr;
    for (const elf::Symbol& symbol : image.dynamic_symbols)
      if (symbol.name == name && symbol.defined()) c_symbol = &symbol;
    auto wraps_it = [&](const elf::Symbol& symbol) {
      return symbol.name.starts_with("_cgoexp_") && symbol.name.ends_with("_" + name);
    };
    const bool cgo =
        c_symbol != nullptr &&
        (std::any_of(image.dynamic_symbols.begin(), image.dynamic_symbols.end(), wraps_it) ||
         (image.symbol_table &&
          std::any_of(image.symbol_table->begin(), image.symbol_table->end(), wraps_it)));
    std::string in_symtab;
    if (image.symbol_table)
      for (const elf::Symbol& symbol : *image.symbol_table)
        if (symbol.name == prefix + name) in_symtab = describe_symbol(symbol);
    finding.evidence.push_back(
        !in_symtab.empty() ? file + " .symtab: " + in_symtab +
                                 ": a package-private name, not in the plugin's symbol map"
        : cgo ? prefix + name + " is not in " + file +
                    " at all: the compiler inlined it into its cgo wrapper"
              : prefix + name + " is not in " + file +
                    " at all: the linker drops an unexported function nothing calls");
    if (c_symbol != nullptr)
      finding.evidence.push_back(
          name + " is in " + file + "'s .dynsym (" + describe_symbol(*c_symbol) + "): " +
          (cgo ? "cgo's C export of " + name + " (//export " + name +
                     " with import \"C\", and its _cgoexp_ wrapper), which C's dlsym(handle, \"" +
                     name + "\") finds"
               : "a C symbol, which C's dlsym(handle, \"" + name + "\") finds") +
          "; plugin.Lookup(\"" + name + "\") looks for " + prefix + name +
          " instead, a Go export, which only an upper-case name makes");
    finding.evidence.push_back(
        "only exported identifiers (an upper-case first letter) of the plugin's main package can "
        "be looked up; //export is cgo's C export and does not make a plugin symbol");
    std::string exported_name = name;
    exported_name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
    finding.fix.summary = "rename it " + exported_name + " in the plugin (func " + exported_name +
                          "...) and look up \"" + exported_name + "\" in the host";
  } else {
    finding =
        make_finding(finding_code("symbol.not-found"),
                     file + " exports no " + name + ": plugin.Lookup(\"" + name + "\") fails");
    finding.evidence.push_back(prefix + name + " is not in " + file + "'s .dynsym");
    finding.fix.summary =
        near.empty() ? "define an exported func or var " + name + " in the plugin's main package"
                     : "look up the name the plugin exports: " + near.front();
  }
  finding.stops_load = false;  // plugin.Open succeeds; Lookup fails
  finding.evidence.push_back("plugin.Lookup looks up " + prefix + name + " (the plugin's path, " +
                             plugin_path + ", is its go.link.thispluginpath): '" + message + "'");
  if (!near.empty())
    finding.evidence.push_back("did you mean: " + joined(near));
  else if (!exported.empty())
    finding.evidence.push_back("it exports: " + joined(exported));
  finding.fix.commands.push_back("go tool nm " + shell_quote(path) + " | grep -F " +
                                 shell_quote(" T " + prefix));
  return std::optional<Finding>(std::move(finding));
}

std::optional<std::vector<Finding>> go_signature(const std::string& path, const elf::Image& image,
                                                 const std::string& name,
                                                 const std::string& asked_type) {
  if (!has_package_hashes(image)) return std::nullopt;
  // Only whether the symbol's DWARF entry exists, below: the compiler's unit says there is any.
  const go::Binary plugin =
      go::read_binary(path, image, go::DwarfParts{true, std::set<std::string>{}});
  if (!plugin.is_plugin()) return std::nullopt;
  std::vector<Finding> findings;
  const std::string requested = "--signature '" + name + "=" + asked_type + "'";
  auto asked = go::canonical_type(asked_type);
  if (const auto* error = std::get_if<go::TypeParseError>(&asked)) {
    Finding finding = make_finding(finding_code("signature.unverifiable"),
                                   requested + " does not parse as a Go type: " + error->message);
    finding.stops_load = false;
    findings.push_back(std::move(finding));
    return findings;
  }
  const std::string& wanted = std::get<std::string>(asked);
  const std::string file = base_of(path);
  const std::string qualified = *plugin.plugin_path + "." + name;
  const std::optional<go::SymbolType> actual =
      go::symbol_type(path, qualified, *plugin.plugin_path);
  if (!actual) {
    // Not exported (the symbol stage says why when --symbol asks), or no DWARF to read it from.
    if (auto lookup = go_lookup(path, image, name); lookup && *lookup) {
      findings.push_back(std::move(**lookup));
      return findings;
    }
    Finding finding = make_finding(
        finding_code("signature.unverifiable"),
        requested + " cannot be checked: " + file + " has no DWARF entry for " + qualified +
            (plugin.has_dwarf ? "" : " (it was built with -ldflags=-w, or stripped)"));
    finding.stops_load = false;
    finding.evidence.push_back(
        "a Go plugin's exported names carry no type in .dynsym: the type is in its DWARF");
    finding.fix.summary = "build the plugin without -ldflags=-w (Go keeps DWARF by default)";
    findings.push_back(std::move(finding));
    return findings;
  }
  if (actual->type == wanted) return findings;
  Finding finding = make_finding(finding_code("go.type-mismatch"),
                                 "plugin.Lookup(\"" + name + "\") on " + file + " gives a " +
                                     actual->type + ", and the host asserts " + wanted + ": sym.(" +
                                     wanted + ") panics (the comma-ok form gives ok == false)");
  finding.stops_load = false;  // plugin.Open and Lookup succeed; the assertion fails
  finding.evidence.push_back(file + " DWARF: " + qualified + " is " +
                             (actual->function ? "func " + name + actual->type.substr(4)
                                               : "var " + name + " " + actual->type.substr(1)));
  if (!actual->function)
    finding.evidence.push_back("plugin.Lookup returns a pointer to a variable: a " + actual->type +
                               ", not the " + actual->type.substr(1) + " it holds");
  finding.evidence.push_back("the runtime's words: panic: interface conversion: plugin.Symbol is " +
                             actual->type + ", not " + wanted);
  finding.fix.summary = "assert the type the plugin defines, sym.(" + actual->type +
                        "), or change the plugin's " + name + " to " + wanted +
                        " (the host and the plugin share the declaration best through a "
                        "package both import)";
  findings.push_back(std::move(finding));
  return findings;
}

}  // namespace dldoctor
