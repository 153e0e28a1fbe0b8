// The facts of this machine's loader that the search depends on: its system directories, the
// hwcaps subdirectories it tries inside every directory, and the values of $LIB and $PLATFORM.
#pragma once

#include <string>
#include <vector>

namespace dldoctor::search {

// "glibc-hwcaps/x86-64-v4/", ..., then the legacy ones ("tls/x86_64/x86_64/", ...), then "" (the
// directory itself): the capstr list of glibc's _dl_important_hwcaps, in priority order.
const std::vector<std::string>& hwcap_subdirectory_list();

// Only the glibc-hwcaps names ("x86-64-v4", ...), best first: ld.so.cache entries name these.
const std::vector<std::string>& glibc_hwcaps_names();

// "/lib/x86_64-linux-gnu/", "/usr/lib/x86_64-linux-gnu/", "/lib/", "/usr/lib/" (with the slash).
const std::vector<std::string>& system_directory_list();

std::string dst_lib();       // $LIB: "lib/x86_64-linux-gnu" on Debian's x86-64
std::string dst_platform();  // $PLATFORM: AT_PLATFORM, "x86_64"

// The loader's own path (PT_INTERP of programs) and the SONAME it answers to.
std::string interpreter_path();

}  // namespace dldoctor::search
