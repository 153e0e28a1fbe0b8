// The loading APIs side by side over glibc's loader, on the 10-function generated plugin: raw
// dlopen + dlsym + dlclose, dldoctor's Library::open + lookup, and Boost.DLL's
// boost::dll::shared_library + get<int(int)>; each as a fresh load with one lookup (open-get)
// and as a lookup on a held handle (get). Boost.DLL is used header-only: with
// BOOST_DLL_USE_STD_FS its paths and errors are std::filesystem's and std::error_code, so no
// boost_filesystem or boost_system library is linked.
#define BOOST_DLL_USE_STD_FS
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <boost/dll/shared_library.hpp>
#include <optional>
#include <string>
#include <system_error>

#include "api_benchmarks.hpp"
#include "dldoctor/library.hpp"

namespace {

using Function = int(int);
constexpr int kFlags = RTLD_NOW | RTLD_LOCAL;
const auto kBoostMode = boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local;

bool resident(const std::string& path) {
  void* handle = ::dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (handle != nullptr) ::dlclose(handle);
  return handle != nullptr;
}

// nullopt when each API loads the plugin, finds the symbol at dlsym's address, and leaves the
// plugin unloaded afterwards (so that open-get is a fresh load for each of them).
std::optional<std::string> api_problem(const std::string& path, const std::string& symbol) {
  if (resident(path)) return path + " is already loaded: open-get would not be fresh";
  void* handle = ::dlopen(path.c_str(), kFlags);
  void* address = handle != nullptr ? ::dlsym(handle, symbol.c_str()) : nullptr;
  if (address == nullptr) {
    if (handle != nullptr) ::dlclose(handle);
    return "dlopen/dlsym of " + symbol + " failed";
  }
  {
    std::error_code error;
    boost::dll::shared_library library(path, kBoostMode, error);
    if (error) return "boost::dll::shared_library: " + error.message();
    if (!library.has(symbol)) return "boost::dll::shared_library::has(" + symbol + ") is false";
    if (reinterpret_cast<void*>(&library.get<Function>(symbol)) != address)
      return "Boost.DLL's get gives another address than dlsym";
  }
  {
    auto library = dldoctor::Library::open(path, dldoctor::Mode::Now);
    if (!library.ok()) return "Library::open failed";
    auto function = library->lookup<Function>(symbol.c_str());
    if (!function.ok() || reinterpret_cast<void*>(function.value()) != address)
      return "Library::lookup gives another address than dlsym";
  }
  ::dlclose(handle);
  if (resident(path)) return "the plugin stayed loaded after each API closed it";
  return std::nullopt;
}

void BM_OpenGetRaw(benchmark::State& state, std::string path, std::string symbol) {
  if (auto problem = api_problem(path, symbol)) return state.SkipWithError(problem->c_str());
  for (auto _ : state) {
    void* handle = ::dlopen(path.c_str(), kFlags);
    void* address = handle != nullptr ? ::dlsym(handle, symbol.c_str()) : nullptr;
    if (address == nullptr) return state.SkipWithError("dlopen/dlsym failed");
    benchmark::DoNotOptimize(address);
    ::dlclose(handle);
  }
}

// Library::open + lookup_address (dlsym, no type check): what Boost.DLL's get does.
void BM_OpenGetChecked(benchmark::State& state, std::string path, std::string symbol) {
  if (auto problem = api_problem(path, symbol)) return state.SkipWithError(problem->c_str());
  for (auto _ : state) {
    auto library = dldoctor::Library::open(path, dldoctor::Mode::Now);
    if (!library.ok()) return state.SkipWithError("Library::open failed");
    auto address = library->lookup_address(symbol.c_str());
    if (!address.ok()) return state.SkipWithError("Library::lookup_address failed");
    benchmark::DoNotOptimize(address.value());
  }
}

// Library::open + lookup<int(int)>: the typed lookup, whose first call per Library reads the
// file to check the type.
void BM_OpenGetTyped(benchmark::State& state, std::string path, std::string symbol) {
  if (auto problem = api_problem(path, symbol)) return state.SkipWithError(problem->c_str());
  for (auto _ : state) {
    auto library = dldoctor::Library::open(path, dldoctor::Mode::Now);
    if (!library.ok()) return state.SkipWithError("Library::open failed");
    auto function = library->lookup<Function>(symbol.c_str());
    if (!function.ok()) return state.SkipWithError("Library::lookup failed");
    benchmark::DoNotOptimize(function.value());
  }
}

void BM_OpenGetBoost(benchmark::State& state, std::string path, std::string symbol) {
  if (auto problem = api_problem(path, symbol)) return state.SkipWithError(problem->c_str());
  for (auto _ : state) {
    std::error_code error;
    boost::dll::shared_library library(path, kBoostMode, error);
    if (error) return state.SkipWithError(error.message().c_str());
    benchmark::DoNotOptimize(&library.get<Function>(symbol));
  }
}

void BM_GetRaw(benchmark::State& state, std::string path, std::string symbol) {
  void* handle = ::dlopen(path.c_str(), kFlags);
  if (handle == nullptr) return state.SkipWithError("dlopen failed");
  for (auto _ : state) benchmark::DoNotOptimize(::dlsym(handle, symbol.c_str()));
  ::dlclose(handle);
}

void BM_GetChecked(benchmark::State& state, std::string path, std::string symbol) {
  auto library = dldoctor::Library::open(path, dldoctor::Mode::Now);
  if (!library.ok()) return state.SkipWithError("Library::open failed");
  for (auto _ : state) benchmark::DoNotOptimize(library->lookup_address(symbol.c_str()).ok());
}

void BM_GetTyped(benchmark::State& state, std::string path, std::string symbol) {
  auto library = dldoctor::Library::open(path, dldoctor::Mode::Now);
  if (!library.ok()) return state.SkipWithError("Library::open failed");
  for (auto _ : state) benchmark::DoNotOptimize(library->lookup<Function>(symbol.c_str()).ok());
}

// get<T> of a std::string name: Boost.DLL's usual call (it takes the name by const reference).
void BM_GetBoost(benchmark::State& state, std::string path, std::string symbol) {
  std::error_code error;
  boost::dll::shared_library library(path, kBoostMode, error);
  if (error) return state.SkipWithError(error.message().c_str());
  for (auto _ : state) benchmark::DoNotOptimize(&library.get<Function>(symbol));
}

}  // namespace

void register_api_benchmarks(const std::string& plugin, const std::string& symbol) {
  benchmark::RegisterBenchmark("Api/raw/open-get", BM_OpenGetRaw, plugin, symbol);
  benchmark::RegisterBenchmark("Api/dldoctor/open-get", BM_OpenGetChecked, plugin, symbol);
  benchmark::RegisterBenchmark("Api/dldoctor-typed/open-get", BM_OpenGetTyped, plugin, symbol);
  benchmark::RegisterBenchmark("Api/boost/open-get", BM_OpenGetBoost, plugin, symbol);
  benchmark::RegisterBenchmark("Api/raw/get", BM_GetRaw, plugin, symbol);
  benchmark::RegisterBenchmark("Api/dldoctor/get", BM_GetChecked, plugin, symbol);
  benchmark::RegisterBenchmark("Api/dldoctor-typed/get", BM_GetTyped, plugin, symbol);
  benchmark::RegisterBenchmark("Api/boost/get", BM_GetBoost, plugin, symbol);
}
