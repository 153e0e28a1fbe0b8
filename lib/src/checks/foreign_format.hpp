// What a file that is not ELF is, when it is a plugin of another platform: a Windows DLL, a
// macOS dylib or bundle, a WebAssembly module, a Java class, a zip (a JAR, a Python wheel). The
// loader only says "invalid ELF header"; the user needs to hear "this is the Windows build".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dldoctor {

struct ForeignFormat {
  std::string format;    // "a Windows PE/COFF DLL"
  std::string machine;   // "x86-64", "" when the format has none
  std::string platform;  // "Windows", "macOS", "a WebAssembly runtime", "the JVM", ""
  std::string evidence;  // the bytes that say so: "MZ at 0, PE\0\0 at 0x80, Machine 0x8664"
};

// From the file's first bytes (FileProbe::head). nullopt: none of the formats above.
std::optional<ForeignFormat> foreign_format(std::string_view head) noexcept;

}  // namespace dldoctor
