// A small bounds-checked DWARF reader (versions 2 to 5) for the one question the symbol rules
// ask of the debug information: how was the code at this address compiled? It reads
// .debug_aranges to find the compile unit that covers the address, and that unit's top DIE for
// DW_AT_name, DW_AT_comp_dir and DW_AT_producer, with pread and only those bytes. libdw answers the
// same question by loading every debug section (and resolving the file's directory through
// /proc/self/fd) first, which costs more than the rest of the diagnosis.
//
// It answers or declines: a file it cannot read exactly as libdw would (compressed sections,
// strings in a supplementary file, an unknown form, anything malformed) gets nullopt, and the
// caller asks libdw instead (dwarf_sources.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dldoctor::elf {

// A section's bytes in the file, checked to lie inside it by the reader that found it.
struct SectionRange {
  bool present = false;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

// The DWARF sections found by name in the section header table, the first of each name, as
// libdw's dwarf_begin_elf picks them (SHT_NOBITS and SHF_GROUP sections left out).
struct DebugSections {
  SectionRange info;         // .debug_info
  SectionRange abbrev;       // .debug_abbrev
  SectionRange str;          // .debug_str
  SectionRange line_str;     // .debug_line_str
  SectionRange str_offsets;  // .debug_str_offsets
  SectionRange aranges;      // .debug_aranges
  // Something only libdw reads: a compressed (SHF_COMPRESSED, .zdebug_*) or split (.dwo) DWARF
  // section.
  bool needs_libdw = false;
};

// Where the bytes come from: the whole file when it is already in memory (image), otherwise the
// open descriptor, with pread.
struct FileBytes {
  int fd = -1;
  const char* image = nullptr;
  std::uint64_t image_size = 0;
};

// A compile unit's top DIE: what dwarf_diename and dwarf_formstring would give.
struct UnitDie {
  std::optional<std::string> name;      // DW_AT_name
  std::optional<std::string> comp_dir;  // DW_AT_comp_dir
  std::optional<std::string> producer;  // DW_AT_producer
};

// The top DIEs of the units that tell how the code at address was built: the unit whose
// .debug_aranges range covers it (each of them, in the table's order, when several claim it, as
// for an inline function the link kept one copy of), or, when no range does (no .debug_aranges,
// as clang leaves it, or code without debug information), every unit of .debug_info in order, as
// dwarf_nextcu walks them. Empty when there is no .debug_info. nullopt when this reader declines
// (see above).
std::optional<std::vector<UnitDie>> units_for_address(const FileBytes& file,
                                                      const DebugSections& sections,
                                                      bool big_endian,
                                                      std::uint64_t address) noexcept;

}  // namespace dldoctor::elf
