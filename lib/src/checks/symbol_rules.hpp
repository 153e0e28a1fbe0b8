// The rules of symbol lookup that both the symbol stage and Library's lookup diagnosis apply:
// what dlsym can find in one object (_dl_lookup_symbol_x's check_match), and, when it cannot, why.
#pragma once

#include <string>
#include <vector>

#include "dldoctor/elf.hpp"
#include "dldoctor/report.hpp"

namespace dldoctor {

// The .dynsym entry dlsym would return for name: defined, global, weak or unique binding,
// default or protected visibility. nullptr when there is none.
const elf::Symbol* find_exported(const elf::Image& image, const std::string& name);

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
  const elf::Symbol* symbol = nullptr;  // the entry that explains it, when there is one
  std::string demangled;                // for Mangled: "hello(char const*)"
  std::string version_nodes;            // for VersionScriptLocal: "PLUGIN_1.0"
  std::vector<std::string> producers;   // compile units built with -fvisibility=hidden
  std::vector<std::string> near;        // for Absent: exported names close to the one asked
};

// Why name is or is not exported by this one file. image must be read with ReadParts::Everything.
// hidden_by_default: the file was compiled with -fvisibility=hidden (DW_AT_producer says so). GNU
// ld resets the visibility of what it makes local, so this, and the version nodes a version
// script leaves, are what tell hidden visibility from a version script's local: apart.
SymbolVerdict classify_symbol(const elf::Image& image, const std::string& name,
                              bool hidden_by_default = false);

// "FUNC GLOBAL DEFAULT hello (section .text, 11 bytes)", as readelf -s spells the fields.
std::string describe_symbol(const elf::Symbol& symbol);

// The finding for a name that dlsym cannot find in this file (the file alone: its dependencies
// are the caller's to search first). image must be read with ReadParts::Everything.
Finding lookup_failure(const std::string& path, const elf::Image& image, const std::string& name);

// abi::__cxa_demangle; the name itself when it is not a mangled C++ name.
std::string demangle(const std::string& name);

}  // namespace dldoctor
