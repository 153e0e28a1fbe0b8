// bench_open: the checked load path (Library::open, Library::lookup) against the raw dlopen and
// dlsym it wraps. DESIGN.md promises a success costs what the raw call costs; these pairs measure
// it (scripts/bench turns them into checked/raw ratios in docs/benchmarks.md).
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "dldoctor/library.hpp"

#ifndef DLDOCTOR_BENCH_FIXTURE
#define DLDOCTOR_BENCH_FIXTURE ""
#endif

namespace {

// The plugin every case loads: bench/meson.build compiles its build-tree path in; a positional
// argument overrides it (Meson's benchmark() passes it).
std::string fixture_path = DLDOCTOR_BENCH_FIXTURE;

// An extern "C" function of the fixture, resolved by the lookup pair.
constexpr const char* kSymbol = "dldoctor_bench_answer";

// The flags Library::open uses for each mode, so that both sides of a pair ask the same thing.
int raw_flags(dldoctor::Mode mode) {
  return (mode == dldoctor::Mode::Lazy ? RTLD_LAZY : RTLD_NOW) | RTLD_LOCAL;
}

std::string loader_error(const char* what) {
  const char* message = ::dlerror();
  return std::string(what) + ": " + (message != nullptr ? message : "no dlerror() message");
}

std::string report_error(const char* what, const dldoctor::Report& report) {
  std::string message = std::string(what) + ": ";
  if (report.load) return message + report.load->message;
  if (!report.findings.empty()) return message + report.findings.front().summary;
  return message + "failed without a message";
}

bool resident() {
  void* handle = ::dlopen(fixture_path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  ::dlclose(handle);
  return true;
}

// A fresh-load benchmark measures mapping the fixture anew each iteration. That holds only if
// nothing holds it already and dlclose really unmaps it (no NODELETE, no unique symbols), so
// check both before timing rather than silently measuring the reference-count path.
bool require_fresh(benchmark::State& state) {
  if (resident()) {
    state.SkipWithError("the fixture is already loaded: this would not be a fresh load");
    return false;
  }
  void* handle = ::dlopen(fixture_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    state.SkipWithError(loader_error("dlopen").c_str());
    return false;
  }
  ::dlclose(handle);
  if (resident()) {
    state.SkipWithError("dlclose did not unload the fixture: a load would not be fresh");
    return false;
  }
  return true;
}

// A raw handle held for a whole benchmark: the reference a host keeps on a loaded plugin.
class Held {
 public:
  Held() : handle_(::dlopen(fixture_path.c_str(), RTLD_NOW | RTLD_LOCAL)) {}
  Held(const Held&) = delete;
  Held& operator=(const Held&) = delete;
  ~Held() {
    if (handle_ != nullptr) ::dlclose(handle_);
  }
  void* get() const { return handle_; }

 private:
  void* handle_;
};

// Fresh load, raw: the baseline, what any host pays to map, relocate and unmap the fixture.
void BM_OpenRaw(benchmark::State& state, dldoctor::Mode mode) {
  if (!require_fresh(state)) return;
  const char* path = fixture_path.c_str();
  const int flags = raw_flags(mode);
  for (auto _ : state) {
    void* handle = ::dlopen(path, flags);
    if (handle == nullptr) {
      state.SkipWithError(loader_error("dlopen").c_str());
      break;
    }
    benchmark::DoNotOptimize(handle);
    ::dlclose(handle);
  }
}

// Fresh load, checked: Library::open plus its destructor (dlclose). Must match BM_OpenRaw, the
// diagnosis being reserved for failures.
void BM_OpenChecked(benchmark::State& state, dldoctor::Mode mode) {
  if (!require_fresh(state)) return;
  for (auto _ : state) {
    dldoctor::Result<dldoctor::Library> library = dldoctor::Library::open(fixture_path, mode);
    if (!library.ok()) {
      state.SkipWithError(report_error("Library::open", library.report()).c_str());
      break;
    }
    benchmark::DoNotOptimize(library.value().native_handle());
  }
}

// Already loaded, raw: with the fixture held, dlopen only finds it and bumps its reference count.
// The loader's work is smallest here, so any wrapper overhead shows most.
void BM_OpenLoadedRaw(benchmark::State& state) {
  const Held held;
  if (held.get() == nullptr) {
    state.SkipWithError(loader_error("dlopen").c_str());
    return;
  }
  const char* path = fixture_path.c_str();
  const int flags = raw_flags(dldoctor::Mode::Now);
  for (auto _ : state) {
    void* handle = ::dlopen(path, flags);
    if (handle == nullptr) {
      state.SkipWithError(loader_error("dlopen").c_str());
      break;
    }
    benchmark::DoNotOptimize(handle);
    ::dlclose(handle);
  }
}

// Already loaded, checked: the same reference-count path through Library::open and destruction.
void BM_OpenLoadedChecked(benchmark::State& state) {
  const Held held;
  if (held.get() == nullptr) {
    state.SkipWithError(loader_error("dlopen").c_str());
    return;
  }
  for (auto _ : state) {
    dldoctor::Result<dldoctor::Library> library =
        dldoctor::Library::open(fixture_path, dldoctor::Mode::Now);
    if (!library.ok()) {
      state.SkipWithError(report_error("Library::open", library.report()).c_str());
      break;
    }
    benchmark::DoNotOptimize(library.value().native_handle());
  }
}

// Lookup hit, raw: dlsym of an exported function on one open handle, the baseline for lookup.
void BM_LookupRaw(benchmark::State& state) {
  const Held held;
  if (held.get() == nullptr) {
    state.SkipWithError(loader_error("dlopen").c_str());
    return;
  }
  for (auto _ : state) {
    void* address = ::dlsym(held.get(), kSymbol);
    if (address == nullptr) {
      state.SkipWithError(loader_error("dlsym").c_str());
      break;
    }
    benchmark::DoNotOptimize(address);
  }
}

// Lookup hit, checked: the typed Library::lookup<int()>, which must add nothing measurable to the
// dlsym it makes when the symbol is there.
void BM_LookupChecked(benchmark::State& state) {
  dldoctor::Result<dldoctor::Library> library =
      dldoctor::Library::open(fixture_path, dldoctor::Mode::Now);
  if (!library.ok()) {
    state.SkipWithError(report_error("Library::open", library.report()).c_str());
    return;
  }
  const dldoctor::Library& held = library.value();
  for (auto _ : state) {
    dldoctor::Result<int (*)()> function = held.lookup<int()>(kSymbol);
    if (!function.ok()) {
      state.SkipWithError(report_error("Library::lookup", function.report()).c_str());
      break;
    }
    benchmark::DoNotOptimize(function.value());
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  // What Initialize leaves is ours: at most the fixture path.
  if (argc > 2 || (argc == 2 && std::string_view(argv[1]).starts_with("-"))) {
    std::fprintf(stderr, "usage: %s [--benchmark_...] [FIXTURE.so]\nunrecognized argument: %s\n",
                 argv[0], argv[argc - 1]);
    return 2;
  }
  if (argc == 2) fixture_path = argv[1];
  if (fixture_path.empty()) {
    std::fprintf(stderr, "%s: no fixture path (pass the bench_fixture module)\n", argv[0]);
    return 2;
  }

  // Pairs are registered side by side; scripts/bench (bench/ratios.py) pairs raw with checked by
  // name, so keep the raw/checked component and the rest of the name in step.
  using dldoctor::Mode;
  benchmark::RegisterBenchmark("BM_Open/raw/now", BM_OpenRaw, Mode::Now);
  benchmark::RegisterBenchmark("BM_Open/checked/now", BM_OpenChecked, Mode::Now);
  benchmark::RegisterBenchmark("BM_Open/raw/lazy", BM_OpenRaw, Mode::Lazy);
  benchmark::RegisterBenchmark("BM_Open/checked/lazy", BM_OpenChecked, Mode::Lazy);
  benchmark::RegisterBenchmark("BM_OpenLoaded/raw", BM_OpenLoadedRaw);
  benchmark::RegisterBenchmark("BM_OpenLoaded/checked", BM_OpenLoadedChecked);
  benchmark::RegisterBenchmark("BM_Lookup/raw", BM_LookupRaw);
  benchmark::RegisterBenchmark("BM_Lookup/checked", BM_LookupChecked);

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
