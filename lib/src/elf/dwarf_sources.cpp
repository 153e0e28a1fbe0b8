#include "elf/dwarf_sources.hpp"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string_view>

namespace dldoctor::elf {
namespace {
bool is_runtime_or_assembly(std::string_view source, std::string_view producer) {
  if (producer.find("GNU AS") == 0 || producer.find("as ") == 0) return true;
  const auto dot = source.rfind('.');
  const std::string_view extension = dot == std::string_view::npos ? "" : source.substr(dot);
  if (extension == ".S" || extension == ".s" || extension == ".asm") return true;
  // glibc's crt files carry DWARF on some distributions: sysdeps/... and csu/...
  return source.find("sysdeps/") != std::string_view::npos ||
         source.find("/csu/") != std::string_view::npos;
}

// A unit from its top DIE's strings; nullopt for a unit without a name (dwarf_diename fails) and
// for the units nobody rebuilds.
std::optional<CompileUnit> make_unit(const char* name, const char* directory,
                                     const char* producer) {
  if (name == nullptr) return std::nullopt;
  CompileUnit unit;
  unit.source = name;
  if (!unit.source.empty() && unit.source[0] != '/' && directory != nullptr)
    unit.source = (std::filesystem::path(directory) / unit.source).lexically_normal();
  unit.producer = producer != nullptr ? producer : "";
  if (is_runtime_or_assembly(unit.source, unit.producer)) return std::nullopt;
  return unit;
}
}  // namespace

namespace {
// Every unit (address: nullopt), or the units whose ranges cover address (DW_AT_low_pc/high_pc
// or DW_AT_ranges, DWARF 5 rnglists included: dwarf_haspc), falling back to every unit when none
// does.
std::vector<CompileUnit> read_units(const std::string& path,
                                    std::optional<std::uint64_t> address) noexcept {
  std::vector<CompileUnit> units;
  std::vector<CompileUnit> covering;
  try {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return units;
    Dwarf* dwarf = dwarf_begin(fd, DWARF_C_READ);
    if (dwarf != nullptr) {
      Dwarf_Off offset = 0;
      Dwarf_Off next = 0;
      size_t header_size = 0;
      // A hostile file cannot make this loop forever: dwarf_nextcu only moves forward.
      for (int guard = 0; guard < 100000 && dwarf_nextcu(dwarf, offset, &next, &header_size,
                                                         nullptr, nullptr, nullptr) == 0;
           ++guard, offset = next) {
        Dwarf_Die die;
        if (dwarf_offdie(dwarf, offset + header_size, &die) == nullptr) continue;
        Dwarf_Attribute attribute;
        const char* producer = dwarf_formstring(dwarf_attr(&die, DW_AT_producer, &attribute));
        const char* directory = dwarf_formstring(dwarf_attr(&die, DW_AT_comp_dir, &attribute));
        std::optional<CompileUnit> unit = make_unit(dwarf_diename(&die), directory, producer);
        if (!unit) continue;
        if (address && dwarf_haspc(&die, *address) == 1) covering.push_back(*unit);
        units.push_back(std::move(*unit));
      }
      dwarf_end(dwarf);
    }
    ::close(fd);
  } catch (...) {
    units.clear();
    covering.clear();
  }
  return covering.empty() ? units : covering;
}
}  // namespace

std::vector<CompileUnit> compile_units(const std::string& path) noexcept {
  return read_units(path, std::nullopt);
}

std::vector<CompileUnit> compile_units_at(const std::string& path, const FileBytes& file,
                                          const DebugSections& sections, bool big_endian,
                                          std::uint64_t address) noexcept {
  std::optional<std::vector<UnitDie>> dies = units_for_address(file, sections, big_endian, address);
  // The small reader declined (no .debug_aranges, as clang writes none by default, or a table
  // it cannot read): libdw reads the units' own ranges.
  if (!dies) return read_units(path, address);
  std::vector<CompileUnit> units;
  try {
    const auto c_str = [](const std::optional<std::string>& text) {
      return text ? text->c_str() : nullptr;
    };
    for (const UnitDie& die : *dies)
      if (std::optional<CompileUnit> unit =
              make_unit(c_str(die.name), c_str(die.comp_dir), c_str(die.producer)))
        units.push_back(std::move(*unit));
  } catch (...) {
    units.clear();
  }
  return units;
}

}  // namespace dldoctor::elf
