// The magic numbers and headers of the formats, as their owners publish them: Microsoft's PE
// format (the MS-DOS stub's e_lfanew at 0x3c, "PE\0\0", the COFF Machine and Characteristics),
// Apple's mach-o/loader.h and mach-o/fat.h (MH_MAGIC_64, cputype, filetype; FAT_MAGIC, which
// Java class files share: a class has its version where a universal binary has its count), the
// WebAssembly binary format ("\0asm") and the zip local file header ("PK\3\4").
#include "checks/foreign_format.hpp"

#include <cstdint>
#include <cstdio>

namespace dldoctor {
namespace {

std::uint32_t little32(std::string_view bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
  return value;
}
std::uint32_t big32(std::string_view bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
  return value;
}
std::uint16_t little16(std::string_view bytes, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(bytes[at]) |
                                    (static_cast<unsigned char>(bytes[at + 1]) << 8));
}

std::string hex(std::uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

std::string pe_machine(std::uint16_t machine) {
  switch (machine) {
    case 0x8664: return "x86-64";
    case 0x014c: return "i386";
    case 0xaa64: return "ARM64";
    case 0x01c4: return "ARMv7 (Thumb-2)";
    default: return "machine " + hex(machine);
  }
}

std::string macho_cpu(std::uint32_t cputype) {
  switch (cputype) {
    case 0x01000007: return "x86-64";
    case 0x0100000c: return "ARM64";
    case 0x00000007: return "i386";
    case 0x0000000c: return "ARM";
    default: return "cputype " + hex(cputype);
  }
}

std::optional<ForeignFormat> portable_executable(std::string_view head) {
  if (head.size() < 0x40 || head.substr(0, 2) != "MZ") return std::nullopt;
  const std::uint32_t pe = little32(head, 0x3c);
  if (pe > head.size() || head.size() - pe < 24 ||
      head.substr(pe, 4) != std::string_view("PE\0\0", 4))
    return ForeignFormat{"an MS-DOS or Windows executable (MZ)", "", "Windows",
                         "\"MZ\" at 0 (no PE header where e_lfanew points)"};
  const std::uint16_t machine = little16(head, pe + 4);
  const std::uint16_t characteristics = little16(head, pe + 22);
  const bool dll = (characteristics & 0x2000) != 0;  // IMAGE_FILE_DLL
  return ForeignFormat{dll ? "a Windows PE/COFF DLL" : "a Windows PE/COFF executable",
                       pe_machine(machine), "Windows",
                       "\"MZ\" at 0, \"PE\\0\\0\" at " + hex(pe) + ", Machine " + hex(machine) +
                           ", Characteristics " + hex(characteristics) +
                           (dll ? " (IMAGE_FILE_DLL)" : "")};
}

std::optional<ForeignFormat> mach_o(std::string_view head) {
  if (head.size() < 16) return std::nullopt;
  const std::uint32_t magic = little32(head, 0);
  if (magic == 0xfeedfacf || magic == 0xfeedface) {  // MH_MAGIC_64, MH_MAGIC (little-endian)
    const std::uint32_t filetype = little32(head, 12);
    const std::string kind = filetype == 6   ? "a macOS Mach-O dynamic library (dylib)"
                             : filetype == 8 ? "a macOS Mach-O bundle (a plugin)"
                             : filetype == 2 ? "a macOS Mach-O executable"
                                             : "a Mach-O file";
    return ForeignFormat{kind, macho_cpu(little32(head, 4)), "macOS",
                         "magic " + hex(magic) + ", filetype " + std::to_string(filetype)};
  }
  if (big32(head, 0) == 0xcafebabe) {
    const std::uint32_t count = big32(head, 4);
    if (count > 0 && count < 30) {  // FAT_MAGIC with nfat_arch: a universal binary
      std::string machines;
      for (std::uint32_t i = 0; i < count && 8 + 20 * (i + 1) <= head.size(); ++i)
        machines += (machines.empty() ? "" : ", ") + macho_cpu(big32(head, 8 + 20 * i));
      return ForeignFormat{"a macOS universal (fat) Mach-O binary", machines, "macOS",
                           "magic 0xcafebabe, " + std::to_string(count) + " architectures"};
    }
    const unsigned major =
        (static_cast<unsigned char>(head[6]) << 8) | static_cast<unsigned char>(head[7]);
    return ForeignFormat{"a Java class file", "", "the JVM",
                         "magic 0xcafebabe, class file version " + std::to_string(major)};
  }
  return std::nullopt;
}

}  // namespace

std::optional<ForeignFormat> foreign_format(std::string_view head) noexcept {
  try {
    if (auto pe = portable_executable(head)) return pe;
    if (auto macho = mach_o(head)) return macho;
    if (head.size() >= 8 && head.substr(0, 4) == std::string_view("\0asm", 4))
      return ForeignFormat{"a WebAssembly module", "", "a WebAssembly runtime",
                           "\"\\0asm\" at 0, version " + std::to_string(little32(head, 4))};
    if (head.size() >= 4 && head.substr(0, 4) == std::string_view("PK\3\4", 4))
      return ForeignFormat{"a zip archive (a JAR, a Python wheel, an APK...)", "", "",
                           "\"PK\\3\\4\" at 0: a zip local file header"};
  } catch (...) {
  }
  return std::nullopt;
}

}  // namespace dldoctor
