// Reading Go binaries: what a Go executable or plugin records of how it was built, read from the
// file (never run). Three sources, each optional:
// - the build info (.go.buildinfo, magic "\xff Go buildinf:"): the Go version, the main module,
//   each dependency module with its version, sum and replace target, and the build settings
//   (-buildmode, -compiler, CGO_ENABLED, -trimpath, -race, -tags, GOAMD64...). Go 1.18 and later
//   write it inline (varint lengths); Go 1.19's linker writes none into a -buildmode=plugin file;
// - the package hashes: a go.link.pkghashbytes.<import path> data object per package (.dynsym or
//   .symtab), whose bytes are the hash plugin.Open compares between host and plugin
//   (runtime/plugin.go: "plugin was built with a different version of package X"), and a
//   plugin's own path, go.link.thispluginpath (.symtab), which prefixes its exported names;
// - the DWARF compile units (one per package): the compiler (DW_AT_producer "Go cmd/compile
//   go1.19.8; -shared -dynlink regabi") and the directories of each package's sources, which the
//   function table (pclntab.hpp) gives too, more cheaply.
// Every length and offset is checked against the bytes read: a hostile file gives less, never a
// crash.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dldoctor/elf.hpp"

namespace dldoctor::elf {
class SymbolIndex;
}

namespace dldoctor::go {

struct Module {
  std::string path;     // "example.com/shared"
  std::string version;  // "v1.0.0", "(devel)"
  std::string sum;      // "h1:..." or ""
  bool replaced = false;
  std::string replace_path;  // "../shared1" or "example.com/fork"
  std::string replace_version;
  std::string replace_sum;
};

struct BuildSetting {
  std::string key;  // "-trimpath", "CGO_ENABLED", "GOAMD64", "-tags"
  std::string value;
};

struct BuildInfo {
  std::string go_version;  // "go1.19.8"
  std::string path;        // the main package's import path ("path" line)
  std::optional<Module> main;
  std::vector<Module> dependencies;
  std::vector<BuildSetting> settings;
  std::uint64_t offset = 0;  // of the magic in the file, for evidence

  // The module whose path is the longest prefix of package's import path (main or dependency).
  const Module* module_of(std::string_view package) const noexcept;
  std::optional<std::string> setting(std::string_view key) const;
};

// The blob of a .go.buildinfo section (or the 16-byte aligned bytes where its magic lies), as
// debug/buildinfo reads it. A message saying what is wrong when it cannot be read.
std::variant<BuildInfo, std::string> parse_build_info(std::span<const unsigned char> bytes);
// The modinfo text ("path\t...\nmod\t...\ndep\t...\n=>\t...\nbuild\tK=V\n"), framed or not by
// the 16-byte sentinels cmd/go puts around it.
void parse_module_info(std::string_view text, BuildInfo& info);

struct PackageHash {
  std::string package;  // "example.com/shared", "runtime"
  std::string hex;      // the hash bytes, in hex ("" when they could not be read)
};

struct Binary {
  bool is_go = false;  // build info, package hashes or a Go compile unit
  std::optional<BuildInfo> build_info;
  std::string build_info_error;             // why a .go.buildinfo there could not be read
  std::vector<PackageHash> package_hashes;  // sorted by package
  std::optional<std::string> plugin_path;   // go.link.thispluginpath
  // A plugin's packages in the order plugin.Open compares their hashes (its moduledata's
  // pkghashes, read from the dynamic relocations against go.link.pkghash.*); empty when unknown.
  std::vector<std::string> check_order;
  // runtime.pclntab and runtime.epclntab (.symtab): where the function table lies, when known.
  std::optional<std::uint64_t> function_table_start;
  std::optional<std::uint64_t> function_table_end;
  // From DWARF (DW_AT_producer of the Go units): "go1.19.8" and the flags after ';'.
  std::string compiler_version;
  std::string compiler_flags;       // "-shared -dynlink regabi"
  bool has_dwarf = false;           // a .debug_info (or .zdebug_info) section
  bool sources_from_table = false;  // the directories are the function table's, not the DWARF's
  // Directories of each package's source files (where its functions are declared).
  std::map<std::string, std::set<std::string>> source_directories;

  // A file plugin.Open can open: a Go plugin has its plugin path or package hashes and no
  // PT_INTERP; what tells it apart from a host (which has hashes too when it can load plugins).
  bool is_plugin() const noexcept { return plugin_path.has_value(); }
  const PackageHash* hash_of(std::string_view package) const noexcept;
  // The version the build info says, else the compiler's; "" when neither is known.
  std::string go_version() const;
};

// What to read of the packages' sources: nothing, or the directories of the packages named (all
// of them when packages is nullopt) and, with compiler, the compiler (DW_AT_producer). The
// directories come from the function table (.gopclntab, or runtime.pclntab..runtime.epclntab in
// .symtab: Go 1.18 and later), else from the DWARF; the compiler only from the DWARF, the costly
// part (libdw inflates every compressed debug section of the file before reading any).
struct DwarfParts {
  bool read = true;
  std::optional<std::set<std::string>> packages;
  bool compiler = true;
};

// Reads what the file at path records (image: its read_image(ReadParts::Everything)). Never
// throws; what cannot be read is left empty.
Binary read_binary(const std::string& path, const elf::Image& image,
                   const DwarfParts& dwarf = {}) noexcept;
// The same from a symbol index (elf/symbol_index.hpp), whose symbols are read in place: what a
// host's thousands of .dynsym entries cost to look at without building an elf::Symbol of each.
Binary read_binary(const std::string& path, const elf::SymbolIndex& index,
                   const DwarfParts& dwarf = {}) noexcept;
// The same from an elf::Image of the file without its .symtab (ReadParts::DynamicSymbols) and
// an index of its .symtab alone (IndexedTables::StaticOnly): the .dynsym of the one, the .symtab
// of the other.
Binary read_binary(const std::string& path, const elf::Image& dynamic,
                   const elf::SymbolIndex& symtab, const DwarfParts& dwarf = {}) noexcept;
// Whether the file's .dynsym has a go.link.pkghashbytes.* (a Go plugin, or a host that opens
// them).
bool has_package_hashes(const elf::SymbolIndex& index) noexcept;
// Adds the sources (the directories, the compiler) to what read_binary(path, image,
// DwarfParts{false}) read, as read_binary(path, image, dwarf) would have read them.
void read_sources(const std::string& path, const elf::Image& image, Binary& binary,
                  const DwarfParts& dwarf) noexcept;

// The Go type of a plugin's package-level function or variable (qualified:
// "example.com/plug.Hello") as its DWARF gives it, spelled as reflect spells it in the process that
// loaded the plugin: what plugin.Lookup returns (a func value, or a pointer to the variable) and
// what a type assertion on it compares. nullopt when the file has no DWARF entry of that name.
struct SymbolType {
  bool function = false;
  std::string type;  // "func(string, int) int", "*int"
};
std::optional<SymbolType> symbol_type(const std::string& path, std::string_view qualified,
                                      std::string_view plugin_path) noexcept;

// "example.com/shared.Hello" -> "example.com/shared"; "" when name is no Go package symbol.
std::string package_of_symbol(std::string_view name);
// Whether the import path is the standard library's (its first element has no dot).
bool is_standard_package(std::string_view package) noexcept;
// The version in a module cache or -trimpath directory ("…/example.com/shared@v1.1.0/sub"):
// "v1.1.0", or "".
std::string version_in_directory(std::string_view directory);

}  // namespace dldoctor::go
