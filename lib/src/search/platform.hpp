// The facts of this machine's loader that the search depends on: its system directories, the
// hwcaps subdirectories it tries inside every directory, and the values of $LIB and $PLATFORM.
#pragma once

#include <cstdint>
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

namespace dldoctor::search {

// The loader of one kind of object (ELF class and machine) on this system, as far as a search
// depends on it: where it looks (its system directories, the subdirectories it tries inside each
// directory), which ld.so.cache entries it takes (their flags, _dl_cache_check_flags), what $LIB
// and $PLATFORM expand to, and its own path. An object of another kind than dldoctor's own (an
// i386 program beside x86-64 ones, an aarch64 image) is resolved as its own loader would.
struct LoaderAbi {
  unsigned elf_class = 0;
  std::uint16_t machine = 0;
  bool native = false;                          // this process's own loader (the lists above)
  std::string name;                             // "x86-64", "i386": for people
  std::string interpreter;                      // its PT_INTERP: "/lib/ld-linux.so.2"
  std::vector<int> cache_flags;                 // the ld.so.cache entry flags it accepts
  std::vector<std::string> system_directories;  // with the slash, in search order
  std::vector<std::string> subdirectories;      // tried inside each directory, "" (itself) last
  std::vector<std::string> glibc_hwcaps;        // the glibc-hwcaps names it selects in the cache
  std::string lib;                              // $LIB
  std::string platform;                         // $PLATFORM
  // Where the directories come from: "its own `ld.so --help`" when that loader is installed
  // here and runs, else "Debian's multiarch defaults" (nothing else is run).
  std::string source;
};

// This process's loader.
const LoaderAbi& native_loader();
// The loader of objects of this class and machine: the native one for dldoctor's own kind,
// nullptr for a kind dldoctor knows no loader for. Asked once per kind and kept. ask_installed
// false: another kind's directories are Debian's defaults, nothing is run (the files of a root
// directory are not this machine's: its loader is not the one installed here).
const LoaderAbi* loader_for(unsigned elf_class, std::uint16_t machine, bool ask_installed = true);
// Parses `ld.so --help`'s "Shared library search path" and subdirectory lists into abi.
void parse_loader_help(const std::string& help, LoaderAbi& abi);

}  // namespace dldoctor::search
