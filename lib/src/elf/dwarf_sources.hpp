// What the debug information says about how a file was built: its compile units' source files
// and the compiler command-line switches GCC records in DW_AT_producer. Fixes use them to print
// a rebuild command with the user's real sources instead of a placeholder.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "elf/dwarf_unit.hpp"

namespace dldoctor::elf {

struct CompileUnit {
  std::string source;    // DW_AT_name, made absolute against comp_dir when it is relative
  std::string producer;  // DW_AT_producer, e.g. "GNU C++20 12.2.0 -mtune=generic -fPIC -g"
};

// Empty when the file has no DWARF (stripped or built without -g) or libdw cannot read it.
// Assembly units and the C runtime's start files are left out: nobody rebuilds those.
std::vector<CompileUnit> compile_units(const std::string& path) noexcept;

// The units that tell how the code at address (a symbol's value) was built, left out as above:
// the unit .debug_aranges assigns the address to (each, when several claim it), or every unit
// when no range covers it.
// Read with the small reader of dwarf_unit.hpp from file (whose DWARF sections are those given);
// when it declines, libdw reads path (compile_units).
std::vector<CompileUnit> compile_units_at(const std::string& path, const FileBytes& file,
                                          const DebugSections& sections, bool big_endian,
                                          std::uint64_t address) noexcept;

}  // namespace dldoctor::elf
