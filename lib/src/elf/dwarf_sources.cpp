#include "elf/dwarf_sources.hpp"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
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
}  // namespace

std::vector<CompileUnit> compile_units(const std::string& path) noexcept {
  std::vector<CompileUnit> units;
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
        const char* name = dwarf_diename(&die);
        if (name == nullptr) continue;
        Dwarf_Attribute attribute;
        const char* producer = dwarf_formstring(dwarf_attr(&die, DW_AT_producer, &attribute));
        const char* directory = dwarf_formstring(dwarf_attr(&die, DW_AT_comp_dir, &attribute));
        CompileUnit unit;
        unit.source = name;
        if (!unit.source.empty() && unit.source[0] != '/' && directory != nullptr)
          unit.source = (std::filesystem::path(directory) / unit.source).lexically_normal();
        unit.producer = producer != nullptr ? producer : "";
        if (!is_runtime_or_assembly(unit.source, unit.producer)) units.push_back(std::move(unit));
      }
      dwarf_end(dwarf);
    }
    ::close(fd);
  } catch (...) {
    units.clear();
  }
  return units;
}

}  // namespace dldoctor::elf
