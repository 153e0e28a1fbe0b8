// A Go host's plugin.Open of a file that is no Go plugin (wrong-build-mode).
// plugin.Open (Go 1.19 src/plugin/plugin_dlopen.go) dlopens the file with RTLD_NOW|RTLD_GLOBAL and
// then asks the runtime for the module data the new object brought (runtime/plugin.go,
// plugin_lastmoduleinit). Only the linker's -buildmode=plugin writes that data, with the plugin's
// path (go.link.thispluginpath) and its package hashes (go.link.pkghashbytes.* in .dynsym). A C
// library, or a Go library built with -buildmode=c-shared (a C library with a Go runtime of its
// own), loads, and the runtime then throws: "fatal error: runtime: no plugin module data", which
// kills the host (exit status 2) before plugin.Open returns. The stage runs after the ones that
// model dlopen itself: a file dlopen refuses fails with dlopen's message first.
#include <algorithm>

#include "checks/finding_helpers.hpp"
#include "checks/stage.hpp"
#include "go/go_binary.hpp"

namespace dldoctor {
namespace {

bool has_go_symbol(const std::vector<elf::Symbol>& symbols) {
  return std::any_of(symbols.begin(), symbols.end(), [](const elf::Symbol& symbol) {
    return symbol.name.starts_with("go.link.") || symbol.name.starts_with("runtime.");
  });
}

// The entry of the Go runtime of a -buildmode=c-shared (or c-archive) library: _rt0_amd64_lib,
// _rt0_arm64_linux_lib...; "" when the file has no such symbol (or no .symtab).
std::string library_runtime_entry(const elf::Image& image) {
  if (!image.symbol_table) return "";
  for (const elf::Symbol& symbol : *image.symbol_table)
    if (symbol.name.starts_with("_rt0_") && symbol.name.ends_with("_lib")) return symbol.name;
  return "";
}

}  // namespace

StageVerdict check_go_open(Context& context) {
  if (!context.request.host || !context.image) return StageVerdict::Continue;
  const elf::Image& image = *context.image;
  for (const elf::Symbol& symbol : image.dynamic_symbols)
    if (symbol.name.starts_with("go.link.pkghashbytes.")) return StageVerdict::Continue;
  if (!is_go_plugin_host(context)) return StageVerdict::Continue;
  const std::string& host_path = *context.request.host;
  const go::Binary binary = go::read_binary(context.file, image);
  if (binary.is_plugin()) return StageVerdict::Continue;

  const std::string file = base_of(context.file);
  const std::string host_name = base_of(host_path);
  const bool go = binary.is_go || has_go_symbol(image.dynamic_symbols) ||
                  (image.symbol_table && has_go_symbol(*image.symbol_table));
  const std::string entry = library_runtime_entry(image);
  const std::string what = !go              ? "a C or C++ library"
                           : !entry.empty() ? "a Go library built with -buildmode=c-shared"
                                            : "a Go file not built with -buildmode=plugin";
  Finding finding =
      make_finding(finding_code("go.not-plugin"),
                   file + " is not a Go plugin but " + what + ": plugin.Open in " + host_name +
                       " loads it, then the Go runtime dies: fatal error: runtime: "
                       "no plugin module data");
  if (!go) {
    finding.evidence.push_back(file +
                               " has no Go build info (.go.buildinfo), no go.link.* symbol and no "
                               "runtime.* symbol: no Go at all");
  } else {
    std::string described = file + " is Go";
    if (binary.build_info) {
      described += ": Go build info (.go.buildinfo) of " + binary.build_info->go_version;
      if (!binary.build_info->path.empty()) described += ", path " + binary.build_info->path;
    }
    if (!entry.empty())
      described += ", with a Go runtime of its own (" + entry +
                   ", the entry of a -buildmode=c-shared library)";
    finding.evidence.push_back(described);
    finding.evidence.push_back(file +
                               " has no go.link.thispluginpath and no go.link.pkghashbytes.* in "
                               "its .dynsym: the linker writes them only with -buildmode=plugin");
  }
  finding.evidence.push_back(host_name +
                             " is a Go host that opens plugins (go.link.pkghashbytes.* in its "
                             ".dynsym)");
  finding.evidence.push_back(
      "plugin.Open dlopens " + file +
      ", which loads; then the runtime's plugin_lastmoduleinit looks for the module data a Go "
      "plugin carries, finds none, and throws 'fatal error: runtime: no plugin module data': the "
      "host exits with status 2 before plugin.Open returns");
  finding.evidence.push_back(
      "this takes --host to open it with plugin.Open, as a Go host that "
      "imports plugin does; C's dlopen through cgo would load it as any "
      "shared library");
  if (go) {
    finding.fix.summary =
        "build it with go build -buildmode=plugin, in its main package's directory "
        "(-buildmode=c-shared makes a library for C hosts, with a Go runtime of its own)";
    finding.fix.commands.push_back("go build -buildmode=plugin -o " + shell_quote(context.file) +
                                   " .");
  } else {
    // No command: there is no Go package to build, only a library to rewrite or call otherwise.
    finding.fix.summary =
        "write the plugin in Go (package main, exported functions) and build it with go build "
        "-buildmode=plugin; or call the C library from the host through cgo (dlopen and dlsym in "
        "C), not plugin.Open";
  }
  context.findings.push_back(std::move(finding));
  return StageVerdict::Stop;
}

}  // namespace dldoctor
