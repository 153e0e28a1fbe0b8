// Debian 12's glibc 2.36 on x86-64, as `ld.so --help` reports it ("Shared library search path",
// "Subdirectories of glibc-hwcaps directories", "Legacy HWCAP subdirectories"); a unit test
// compares these lists with that output on the machine that runs it.
#include "search/platform.hpp"

#include <sys/auxv.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <sys/platform/x86.h>
#endif

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
