// Debian 12's glibc 2.36 on x86-64, as `ld.so --help` reports it ("Shared library search path",
// "Subdirectories of glibc-hwcaps directories", "Legacy HWCAP subdirectories"); a unit test
// compares these lists with that output on the machine that runs it.
#include "search/platform.hpp"

#include <elf.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <mutex>
#include <tuple>
#if defined(__x86_64__)
#include <cpuid.h>
#include <sys/platform/x86.h>
#endif

#include "dldoctor/elf.hpp"

namespace dldoctor::search {
namespace {

#if defined(__x86_64__)
// glibc's x86-64 ISA levels (sysdeps/x86/get-isa-level.h), best first, as far as this CPU and
// kernel support them. The features are read from glibc's own cpu_features through
// <sys/platform/x86.h>: the very data the loader chose its glibc-hwcaps subdirectories from
// (tunables included), and no CPUID instruction, which traps to the hypervisor in a virtual
// machine (libgcc's __builtin_cpu_init cost some 80 us of every `dldoctor` run there).
bool isa_level_2() {
  return CPU_FEATURE_ACTIVE(CMPXCHG16B) && CPU_FEATURE_ACTIVE(LAHF64_SAHF64) &&
         CPU_FEATURE_ACTIVE(POPCNT) && CPU_FEATURE_ACTIVE(SSE3) && CPU_FEATURE_ACTIVE(SSE4_1) &&
         CPU_FEATURE_ACTIVE(SSE4_2) && CPU_FEATURE_ACTIVE(SSSE3);
}
bool isa_level_3() {
  return isa_level_2() && CPU_FEATURE_ACTIVE(AVX) && CPU_FEATURE_ACTIVE(AVX2) &&
         CPU_FEATURE_ACTIVE(BMI1) && CPU_FEATURE_ACTIVE(BMI2) && CPU_FEATURE_ACTIVE(F16C) &&
         CPU_FEATURE_ACTIVE(FMA) && CPU_FEATURE_ACTIVE(LZCNT) && CPU_FEATURE_ACTIVE(MOVBE) &&
         CPU_FEATURE_ACTIVE(OSXSAVE);
}
bool avx512_core() {
  return CPU_FEATURE_ACTIVE(AVX512F) && CPU_FEATURE_ACTIVE(AVX512BW) &&
         CPU_FEATURE_ACTIVE(AVX512CD) && CPU_FEATURE_ACTIVE(AVX512DQ) &&
         CPU_FEATURE_ACTIVE(AVX512VL);
}

std::vector<std::string> supported_isa_levels() {
  std::vector<std::string> levels;
  if (isa_level_3() && avx512_core()) levels.emplace_back("x86-64-v4");
  if (isa_level_3()) levels.emplace_back("x86-64-v3");
  if (isa_level_2()) levels.emplace_back("x86-64-v2");
  return levels;
}

// glibc's cpu_features kind is not published; the vendor string of CPUID leaf 0 is what
// init_cpu_features reads to set it. Asked only when the AVX512 test below needs it.
bool intel_cpu() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(0, &eax, &ebx, &ecx, &edx) == 0) return false;
  return ebx == 0x756e6547 && edx == 0x49656e69 && ecx == 0x6c65746e;  // "GenuineIntel"
}

// Legacy hwcap names (sysdeps/x86/dl-hwcap.h): "x86_64" always, "avx512_1" on Intel CPUs with
// AVX512F, CD, BW, DQ and VL but without AVX512ER (cpu_features.c).
std::vector<std::string> legacy_hwcap_names() {
  std::vector<std::string> names{"x86_64"};
  if (avx512_core() && !CPU_FEATURE_ACTIVE(AVX512ER) && intel_cpu()) names.emplace_back("avx512_1");
  return names;
}
#else
std::vector<std::string> supported_isa_levels() { return {}; }
std::vector<std::string> legacy_hwcap_names() { return {}; }
#endif

// _dl_important_hwcaps' legacy part: every subset of {tls, hwcap names..., platform}, largest
// first, each joined in that order ("tls/x86_64/x86_64/", "tls/x86_64/", ..., ""). Duplicates are
// kept: glibc keeps them too (LD_DEBUG shows tls/x86_64 tried twice when hwcap and platform are
// both x86_64), and each has its own existence status.
std::vector<std::string> legacy_subdirectories() {
  std::vector<std::string> elements{"tls"};
  for (const std::string& name : legacy_hwcap_names()) elements.push_back(name);
  const std::string platform = dst_platform();
  if (!platform.empty()) elements.push_back(platform);
  std::vector<std::string> subdirectories;
  const unsigned count = static_cast<unsigned>(elements.size());
  for (unsigned mask = (1u << count); mask-- > 0;) {
    std::string joined;
    for (unsigned i = 0; i < count; ++i)
      if ((mask & (1u << (count - 1 - i))) != 0) joined += elements[i] + "/";
    subdirectories.push_back(joined);
  }
  return subdirectories;
}

}  // namespace

const std::vector<std::string>& glibc_hwcaps_names() {
  static const std::vector<std::string> names = supported_isa_levels();
  return names;
}

const std::vector<std::string>& hwcap_subdirectory_list() {
  static const std::vector<std::string> list = [] {
    std::vector<std::string> subdirectories;
    for (const std::string& level : glibc_hwcaps_names())
      subdirectories.push_back("glibc-hwcaps/" + level + "/");
    for (std::string& legacy : legacy_subdirectories()) subdirectories.push_back(legacy);
    return subdirectories;
  }();
  return list;
}

const std::vector<std::string>& system_directory_list() {
#if defined(__x86_64__)
  // Debian's multiarch SYSTEM_DIRS for x86_64-linux-gnu.
  static const std::vector<std::string> list{"/lib/x86_64-linux-gnu/", "/usr/lib/x86_64-linux-gnu/",
                                             "/lib/", "/usr/lib/"};
#else
  static const std::vector<std::string> list{"/lib/", "/usr/lib/"};
#endif
  return list;
}

std::string dst_lib() {
#if defined(__x86_64__)
  return "lib/x86_64-linux-gnu";
#else
  return "lib";
#endif
}

std::string dst_platform() {
  const auto* platform = reinterpret_cast<const char*>(::getauxval(AT_PLATFORM));
  return platform != nullptr ? platform : "";
}

std::string interpreter_path() {
#if defined(__x86_64__)
  return "/lib64/ld-linux-x86-64.so.2";
#else
  return "";
#endif
}

}  // namespace dldoctor::search

namespace dldoctor::search {
namespace {

// The output of program --help, run without a shell, its environment emptied, standard input
// /dev/null; "" when it cannot be run or fails. Only ever an installed loader (loader_for).
std::string help_output(const std::string& program) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return "";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::string path = program;
  std::string flag = "--help";
  char* argv[] = {path.data(), flag.data(), nullptr};
  char* envp[] = {nullptr};
  pid_t child = -1;
  const int spawned = ::posix_spawn(&child, path.c_str(), &actions, nullptr, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  std::string output;
  if (spawned == 0) {
    char buffer[4096];
    ssize_t got = 0;
    while ((got = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0 || (got < 0 && errno == EINTR))
      if (got > 0 && output.size() < (1u << 20))
        output.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  if (spawned == 0)
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
  return spawned == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? output : "";
}

// A loader that may be asked: a regular file owned by root that no one else may write to, the
// system's own (it is named by the table below, never by an inspected file).
bool trustworthy(const std::string& path) {
  struct stat status {};
  return ::stat(path.c_str(), &status) == 0 && S_ISREG(status.st_mode) && status.st_uid == 0 &&
         (status.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

struct KnownLoader {
  unsigned elf_class;
  std::uint16_t machine;
  const char* name;
  const char* interpreter;
  std::vector<int> cache_flags;  // glibc's _dl_cache_check_flags for that port
  const char* triplet;           // Debian's multiarch directory
  const char* platform;          // AT_PLATFORM of that port
};

const std::vector<KnownLoader>& known_loaders() {
  static const std::vector<KnownLoader> known{
      {ELFCLASS64,
       EM_X86_64,
       "x86-64",
       "/lib64/ld-linux-x86-64.so.2",
       {0x0303},
       "x86_64-linux-gnu",
       "x86_64"},
      // sysdeps/unix/sysv/linux/i386: flags FLAG_ELF (1) or FLAG_ELF_LIBC6 (3).
      {ELFCLASS32,
       EM_386,
       "i386",
       "/lib/ld-linux.so.2",
       {0x0001, 0x0003},
       "i386-linux-gnu",
       "i686"},
      {ELFCLASS32,
       EM_X86_64,
       "x32",
       "/libx32/ld-linux-x32.so.2",
       {0x0803},
       "x86_64-linux-gnux32",
       "x86_64"},
      {ELFCLASS64,
       EM_AARCH64,
       "AArch64",
       "/lib/ld-linux-aarch64.so.1",
       {0x0a03},
       "aarch64-linux-gnu",
       "aarch64"},
      {ELFCLASS32,
       EM_ARM,
       "ARM (hard float)",
       "/lib/ld-linux-armhf.so.3",
       {0x0903},
       "arm-linux-gnueabihf",
       "v7l"},
  };
  return known;
}

LoaderAbi foreign(const KnownLoader& known, bool ask_installed) {
  LoaderAbi abi;
  abi.elf_class = known.elf_class;
  abi.machine = known.machine;
  abi.name = known.name;
  abi.interpreter = known.interpreter;
  abi.cache_flags = known.cache_flags;
  abi.platform = known.platform;
  // Its own answer when it is installed and runs here (i386 and x32 do on x86-64; another
  // machine's does not, without an emulator).
  const std::string help =
      ask_installed && trustworthy(abi.interpreter) ? help_output(abi.interpreter) : "";
  if (!help.empty()) parse_loader_help(help, abi);
  if (!abi.system_directories.empty()) {
    abi.source = "its own `" + abi.interpreter + " --help`";
  } else {
    const std::string triplet = known.triplet;
    abi.system_directories = {"/lib/" + triplet + "/", "/usr/lib/" + triplet + "/", "/lib/",
                              "/usr/lib/"};
    abi.subdirectories = {""};
    abi.source = std::string("Debian's multiarch defaults for ") + known.triplet + " (" +
                 abi.interpreter + " is not installed here, or does not run)";
  }
  // $LIB: the first system directory, as the port's slibdir ("lib32", "lib/i386-linux-gnu").
  const std::string& first = abi.system_directories.front();
  abi.lib = first.substr(1, first.size() - 2);
  return abi;
}

}  // namespace

void parse_loader_help(const std::string& help, LoaderAbi& abi) {
  enum class Part { None, Paths, GlibcHwcaps, Legacy } part = Part::None;
  std::vector<std::string> glibc_hwcaps, legacy;
  std::string platform;
  std::size_t start = 0;
  while (start < help.size()) {
    std::size_t end = help.find('\n', start);
    if (end == std::string::npos) end = help.size();
    const std::string line = help.substr(start, end - start);
    start = end + 1;
    if (line.rfind("Shared library search path:", 0) == 0) {
      part = Part::Paths;
    } else if (line.rfind("Subdirectories of glibc-hwcaps directories", 0) == 0) {
      part = Part::GlibcHwcaps;
    } else if (line.rfind("Legacy HWCAP subdirectories", 0) == 0) {
      part = Part::Legacy;
    } else if (line.empty() || line[0] != ' ') {
      part = Part::None;
    } else {
      // "  /lib32 (system search path)", "  x86-64-v3 (supported, searched)", "  i686 (AT_PLATFORM;
      // supported, searched)"
      const std::size_t first = line.find_first_not_of(' ');
      const std::size_t space = line.find(' ', first);
      const std::string word = line.substr(first, space - first);
      const std::string rest = space == std::string::npos ? "" : line.substr(space);
      if (part == Part::Paths && rest.find("(system search path)") != std::string::npos)
        abi.system_directories.push_back(word + "/");
      const bool searched = rest.find("searched") != std::string::npos;
      if (part == Part::GlibcHwcaps && searched) glibc_hwcaps.push_back(word);
      // _dl_important_hwcaps joins tls first and the platform last.
      if (part == Part::Legacy && searched) {
        if (word == "tls")
          legacy.insert(legacy.begin(), word);
        else if (rest.find("AT_PLATFORM") != std::string::npos)
          platform = word;
        else
          legacy.push_back(word);
      }
    }
  }
  if (!platform.empty()) {
    legacy.push_back(platform);
    abi.platform = platform;
  }
  abi.glibc_hwcaps = glibc_hwcaps;
  abi.subdirectories.clear();
  for (const std::string& name : glibc_hwcaps)
    abi.subdirectories.push_back("glibc-hwcaps/" + name + "/");
  // The legacy part: every subset of the searched names, largest first, each joined in that
  // order ("tls/i686/", "tls/", "i686/"), as legacy_subdirectories() does for this loader.
  const unsigned count = static_cast<unsigned>(std::min<std::size_t>(legacy.size(), 8));
  for (unsigned mask = (1u << count); mask-- > 1;) {
    std::string joined;
    for (unsigned i = 0; i < count; ++i)
      if ((mask & (1u << (count - 1 - i))) != 0) joined += legacy[i] + "/";
    abi.subdirectories.push_back(joined);
  }
  abi.subdirectories.push_back("");
}

const LoaderAbi& native_loader() {
  static const LoaderAbi abi = [] {
    LoaderAbi native;
    native.elf_class = elf::host_class();
    native.machine = elf::host_machine();
    native.native = true;
    for (const KnownLoader& known : known_loaders())
      if (known.elf_class == native.elf_class && known.machine == native.machine) {
        native.name = known.name;
        native.cache_flags = known.cache_flags;
      }
    native.interpreter = interpreter_path();
    native.system_directories = system_directory_list();
    native.subdirectories = hwcap_subdirectory_list();
    if (native.subdirectories.empty() || !native.subdirectories.back().empty())
      native.subdirectories.push_back("");
    native.glibc_hwcaps = glibc_hwcaps_names();
    native.lib = dst_lib();
    native.platform = dst_platform();
    native.source = "this process's loader";
    return native;
  }();
  return abi;
}

const LoaderAbi* loader_for(unsigned elf_class, std::uint16_t machine, bool ask_installed) {
  const LoaderAbi& native = native_loader();
  if (elf_class == native.elf_class && machine == native.machine) return &native;
  static std::mutex mutex;
  static std::map<std::tuple<unsigned, std::uint16_t, bool>, LoaderAbi> made;
  const std::lock_guard<std::mutex> lock(mutex);
  const auto key = std::make_tuple(elf_class, machine, ask_installed);
  if (auto found = made.find(key); found != made.end()) return &found->second;
  for (const KnownLoader& known : known_loaders())
    if (known.elf_class == elf_class && known.machine == machine)
      return &made.emplace(key, foreign(known, ask_installed)).first->second;
  return nullptr;
}

}  // namespace dldoctor::search
