// Debian 12's glibc 2.36 on x86-64, as `ld.so --help` reports it ("Shared library search path",
// "Subdirectories of glibc-hwcaps directories", "Legacy HWCAP subdirectories"); a unit test
// compares these lists with that output on the machine that runs it.
#include "search/platform.hpp"

#include <sys/auxv.h>

namespace dldoctor::search {
namespace {

#if defined(__x86_64__)
// glibc's x86-64 ISA levels (sysdeps/x86/get-isa-level.h), best first, as far as this CPU and
// kernel support them: libgcc's __builtin_cpu_supports tests the same CPUID bits and XCR0 state.
std::vector<std::string> supported_isa_levels() {
  std::vector<std::string> levels;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("x86-64-v4")) levels.emplace_back("x86-64-v4");
  if (__builtin_cpu_supports("x86-64-v3")) levels.emplace_back("x86-64-v3");
  if (__builtin_cpu_supports("x86-64-v2")) levels.emplace_back("x86-64-v2");
  return levels;
}

// Legacy hwcap names (sysdeps/x86/dl-hwcap.h): "x86_64" always, "avx512_1" on Intel CPUs with
// AVX512F, CD, BW, DQ and VL but without AVX512ER (cpu_features.c).
std::vector<std::string> legacy_hwcap_names() {
  std::vector<std::string> names{"x86_64"};
  if (__builtin_cpu_is("intel") && __builtin_cpu_supports("avx512cd") &&
      !__builtin_cpu_supports("avx512er") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    names.emplace_back("avx512_1");
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
