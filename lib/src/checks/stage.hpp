// The diagnosis pipeline's shared state and the stage signature. A stage models one step of the
// loader and knows one family; it appends findings and says whether the loader would go on.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "checks/export_index.hpp"
#include "dldoctor/diagnose.hpp"
#include "dldoctor/elf.hpp"
#include "dldoctor/report.hpp"
#include "dldoctor/search.hpp"
#include "file_probe.hpp"
#include "user.hpp"

namespace dldoctor {
namespace elf {
class SymbolIndex;
}

// An object of the load scope, read once (symbols, versions) for the stages that need it.
struct ScopeObject {
  ScopeObject(std::string object_path, std::shared_ptr<const ScopeImage> read, bool host_side,
              std::vector<std::string> answers_to, int first_node)
      : path(std::move(object_path)),
        shared_image(std::move(read)),
        image(shared_image->image),
        from_host(host_side),
        names(std::move(answers_to)),
        node(first_node) {}
  std::string path;
  // Read once per file and shared (scope_image: the diagnoses of a scan share libc's), constant.
  std::shared_ptr<const ScopeImage> shared_image;
  const elf::Image& image;
  const ImageExports& exports() const { return shared_image->exports(); }
  bool from_host = false;  // in the host's global scope (loaded before the plugin)
  // What it answers to, as _dl_name_match_p compares: the names it was asked for (DT_NEEDED
  // entries, the dlopen path), its DT_SONAME, the path it was opened by.
  std::vector<std::string> names;
  int node = -1;  // its first node in the tree
};

// Every definition the scope's objects export, by name, in scope order: what a symbol lookup
// (_dl_lookup_symbol_x over the scope) walks. Each object's table is made once per file read
// (ScopeImage), so that an undefined symbol costs a hash lookup per object rather than a pass
// over every .dynsym, and a diagnosis builds no table of its own.
struct ExportedDefinition {
  const ScopeObject* object;
  const elf::Symbol* symbol;
};
class ExportIndex {
 public:
  // Each object's table, made now (a lookup then asks no once_flag).
  explicit ExportIndex(const std::vector<ScopeObject>& scope) : scope_(scope) {
    tables_.reserve(scope.size());
    for (const ScopeObject& object : scope) tables_.push_back(&object.exports());
  }

  // Every definition of name in scope order, each object's versions of it in .dynsym order,
  // until visit returns false (the loader stops at the first definition it accepts).
  template <class Visit>
  void for_each(std::string_view name, Visit&& visit) const {
    const std::uint64_t name_hash = ImageExports::hash(name);
    for (std::size_t i = 0; i < scope_.size(); ++i) {
      const ImageExports& exports = *tables_[i];
      for (std::uint32_t entry = exports.first(name, name_hash); entry != ImageExports::kNone;
           entry = exports.next(entry))
        if (!visit(ExportedDefinition{&scope_[i], &exports.symbol(entry)})) return;
    }
  }
  // The first definition in scope order: the one an unversioned reference binds to.
  std::optional<ExportedDefinition> first(std::string_view name) const {
    std::optional<ExportedDefinition> found;
    for_each(name, [&](const ExportedDefinition& definition) {
      found = definition;
      return false;
    });
    return found;
  }
  bool contains(std::string_view name) const { return first(name).has_value(); }
  const std::vector<ScopeObject>& scope() const noexcept { return scope_; }

 private:
  const std::vector<ScopeObject>& scope_;
  std::vector<const ImageExports*> tables_;
};

struct Context {
  explicit Context(const LoadRequest& load_request) : request(load_request) {}

  const LoadRequest& request;
  std::string file;                 // what the loader opens: the path, or where the search found it
  FileProbe probe;                  // filled by the path stage
  std::optional<elf::Image> image;  // filled by the identity stage when the file is ELF
  // The identity stage read image without its .symtab (a Go plugin for a Go host, which the Go
  // plugin stage reads in place); that stage reads it whole before any later stage runs.
  bool symbol_table_deferred = false;
  std::optional<search::Tree> tree;  // filled by the dependency stage: the modelled process
  std::optional<UserIdentity> user;  // filled by the permission stage: who loads the plugin
  std::optional<std::vector<ScopeObject>> scope;  // read on first need: load_scope
  std::optional<ExportIndex> exports;             // made on first need: export_index
  std::optional<bool> go_plugin_host;             // read on first need: is_go_plugin_host
  // The host's .dynsym in place, as is_go_plugin_host read it (the Go plugin stage reads it too).
  std::shared_ptr<const elf::SymbolIndex> host_symbols;
  std::vector<Finding> findings;
};

enum class StageVerdict { Continue, Stop };

// The stages, in the order the loader runs the steps they model (diagnose.cpp runs them).
StageVerdict check_path(Context& context);          // checks/bad_path.cpp
StageVerdict check_permissions(Context& context);   // checks/missing_permission.cpp
StageVerdict check_identity(Context& context);      // checks/wrong_build_mode.cpp
StageVerdict check_reload(Context& context);        // checks/reload.cpp
StageVerdict check_go_plugin(Context& context);     // checks/go_plugin.cpp
StageVerdict check_plugin_api(Context& context);    // checks/plugin_api.cpp
StageVerdict check_dependencies(Context& context);  // checks/bad_path.cpp
StageVerdict check_versions(Context& context);      // checks/version_conflict.cpp
StageVerdict check_go_open(Context& context);       // checks/go_open.cpp
StageVerdict check_symbols(Context& context);       // checks/unexported_symbol.cpp
StageVerdict check_signatures(Context& context);    // checks/signature_mismatch.cpp
// Part of the symbol stage: plugin.Lookup(name) on a Go plugin (checks/go_plugin.cpp). nullopt:
// not a Go plugin, or not a name Lookup takes (the C rules apply); otherwise the finding, or none
// when Lookup finds <pluginpath>.name.
std::optional<std::optional<Finding>> go_lookup(const std::string& path, const elf::Image& image,
                                                const std::string& name);
// The Go form of --signature ('Hello=func(string) string', '*int' for a variable) on a Go plugin:
// the symbol's type from its DWARF against what the host's type assertion names (reflect's
// spelling). nullopt when the file is no Go plugin; else the findings (none when they agree).
std::optional<std::vector<Finding>> go_signature(const std::string& path, const elf::Image& image,
                                                 const std::string& name,
                                                 const std::string& asked_type);
// A Go plugin (go.link.pkghashbytes.* in .dynsym) checked with a Go host (--host): the plugin's
// runtime names are meant to bind to the host's (checks/go_plugin.cpp).
bool go_plugin_of_go_host(const Context& context);
// A Go program that opens Go plugins: go.link.pkghashbytes.* in its .dynsym, which the linker
// exports when the program imports the plugin package (checks/go_plugin.cpp). Its plugin.Open
// resolves the name with realpath and dlopens the result: no library path is searched.
bool is_go_plugin_host(const std::string& host_path);
// The same of the request's host (false without one), read once per diagnosis.
bool is_go_plugin_host(Context& context);
// Part of the symbol stage: names of the plugin's tree that the host's scope defines first.
void check_interposition(Context& context);  // checks/interposition.cpp

// The modelled process's tree: the dependency stage's, or resolved now for a stage that runs
// without it (a test that calls one stage).
const search::Tree& tree_of(Context& context);
// Every object the loaded tree holds, in the loader's breadth-first order (l_searchlist), the
// host's first, each once; read on first need and kept (checks/load_scope.cpp).
const std::vector<ScopeObject>& load_scope(Context& context);
// An object of a load scope, read whole (elf::read_image): the same file (path, device, inode,
// size and modification time) is read once while a ScopedImageCache lives (a scan), and shared.
// nullptr when it cannot be read.
std::shared_ptr<const ScopeImage> scope_image(const std::string& path);
// While one lives, scope_image keeps what it read (the most recently used files, a bounded
// number), for every thread: a scan's thousands of diagnoses share the libraries they all need.
class ScopedImageCache {
 public:
  ScopedImageCache();
  ~ScopedImageCache();
  ScopedImageCache(const ScopedImageCache&) = delete;
  ScopedImageCache& operator=(const ScopedImageCache&) = delete;
};

// The scope's exported definitions (symbol_rules.hpp's exportable), by name.
const ExportIndex& export_index(Context& context);

// The running process's answer (LoadRequest::this_process): the object whose definition of
// name (in version, when not empty) a reference from an object it loads now would bind to,
// asked of its loader (dlsym or dlvsym over RTLD_DEFAULT, dladdr1 for the object). nullopt: no
// object of its global scope defines it. checks/process_scope.cpp.
struct ProcessDefinition {
  std::string path;  // "" when the loader names no object (an absolute symbol)
  bool is_program = false;
};
std::optional<ProcessDefinition> defined_in_process(const std::string& name,
                                                    const std::string& version) noexcept;

// Library::lookup<T>'s check, for a function already found in the loaded file at path: what the
// file says symbol is, against type_text (the demangled spelling of T, "double (double, double)").
// A Report with the signature-mismatch finding when they differ in a way that breaks the call;
// nullopt when they agree, when nothing in the file says, or when it cannot be read.
std::optional<Report> check_loaded_signature(const std::string& path, const std::string& symbol,
                                             const std::string& type_text) noexcept;

// Shared by stages that print commands: a path quoted for a POSIX shell when it needs to be.
std::string shell_quote(const std::string& word);

}  // namespace dldoctor
