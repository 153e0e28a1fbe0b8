// The rules of symbol lookup that both the symbol stage and Library's lookup diagnosis apply:
// what dlsym can find in one object (_dl_lookup_symbol_x's check_match), and, when it cannot, why.
#pragma once

#include <elf.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dldoctor/elf.hpp"
#include "dldoctor/report.hpp"
#include "elf/symbol_index.hpp"

namespace dldoctor {

// An entry dlsym can return: defined, global, weak or unique binding, default or protected
// visibility, and not a FILE or SECTION entry (do_lookup_x and check_match skip the rest).
// Inline: it runs once per entry of every table searched.
inline bool exportable(unsigned char binding, unsigned char type, unsigned char visibility,
                       bool defined) noexcept {
  return defined && (binding == STB_GLOBAL || binding == STB_WEAK || binding == STB_GNU_UNIQUE) &&
         (visibility == STV_DEFAULT || visibility == STV_PROTECTED) && type != STT_FILE &&
         type != STT_SECTION;
}

// The .dynsym entry dlsym would return for name. nullptr / nullopt when there is none.
const elf::Symbol* find_exported(const elf::Image& image, const std::string& name);
std::optional<elf::SymbolRef> find_exported(const elf::SymbolIndex& index,
                                            const std::string& name) noexcept;

struct SymbolVerdict {
  enum class Kind {
    Exported,
    Static,
    Hidden,
    VersionScriptLocal,
    Mangled,
    StrippedUnknown,
    Absent
  };
  Kind kind = Kind::Absent;
  std::string code;  // symbol.static, symbol.hidden, symbol.version-script-local, ...
  std::optional<elf::Symbol> symbol;   // the entry that explains it, when there is one
  std::string demangled;               // for Mangled: "hello(char const*)"
  std::string version_nodes;           // for VersionScriptLocal: "PLUGIN_1.0"
  std::vector<std::string> producers;  // compile units built with -fvisibility=hidden
  std::vector<std::string> near;       // for Absent: exported names close to the one asked
};

// Why name is or is not exported by this one file.
// hidden_by_default: the file was compiled with -fvisibility=hidden (DW_AT_producer says so). GNU
// ld resets the visibility of what it makes local, so this, and the version nodes a version
// script leaves, are what tell hidden visibility from a version script's local: apart.
SymbolVerdict classify_symbol(const elf::SymbolIndex& index, const std::string& name,
                              bool hidden_by_default = false);

// "FUNC GLOBAL DEFAULT hello (section .text, 11 bytes)", as readelf -s spells the fields.
std::string describe_symbol(const elf::Symbol& symbol);

// The finding for a name that dlsym cannot find in this file (the file alone: its dependencies
// are the caller's to search first).
Finding lookup_failure(const std::string& path, const elf::SymbolIndex& index,
                       const std::string& name);

// Reads the file at path in place and says why dlsym cannot find name in it; nullopt when the file
// exports name. A file that cannot be read gives symbol.not-found with the reason as evidence.
std::optional<Finding> explain_unexported(const std::string& path, const std::string& name);

// The Levenshtein distance of a and b when it is at most limit, otherwise limit + 1.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit);

// abi::__cxa_demangle; the name itself when it is not a mangled C++ name.
std::string demangle(const std::string& name);

}  // namespace dldoctor
