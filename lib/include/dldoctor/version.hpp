// version: which libdldoctor a program runs with. The SONAME (libdldoctor.so.0) says which
// builds it may run with; this says which one it got (README.md, "Versions").
#pragma once

#include <string_view>

namespace dldoctor {

// The version of the libdldoctor.so this process has loaded, "MAJOR.MINOR.PATCH" (e.g. "0.1.0"),
// which can be newer than the headers the program was compiled with.
std::string_view version() noexcept;

}  // namespace dldoctor
