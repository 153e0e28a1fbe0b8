// bench_open: the checked load path (Library::open, Library::lookup) against the raw dlopen and
// dlsym it wraps. DESIGN.md promises a success costs what the raw call costs; these pairs measure
// it (scripts/bench turns them into checked/raw ratios in docs/benchmarks.md).
// And the explanation of a failure against the failure itself: a plugin whose dependency is on no
// search path, its failing dlopen against search::resolve_tree and diagnose of the same plugin.
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "dldoctor/diagnose.hpp"
#include "dldoctor/library.hpp"
#include "dldoctor/search.hpp"

#ifndef DLDOCTOR_BENCH_FIXTURE
#define DLDOCTOR_BENCH_FIXTURE ""
#endif
#ifndef DLDOCTOR_BENCH_MISSING_DEP
#define DLDOCTOR_BENCH_MISSING_DEP ""
#endif

namespace {

// The plugin every case loads: bench/meson.build compiles its build-tree path in; a positional
// argument overrides it (Meson's benchmark() passes it).
std::string fixture_path = DLDOCTOR_BENCH_FIXTURE;

// An extern "C" function of the fixture, resolved by the lookup pair.
constexpr const char* kSymbol = "dldoctor_bench_answer";

// The plugin whose load fails (bench/missing_dep.cpp): compiled in like the fixture, overridden by
// a second positional argument. It NEEDs kGone, built in bench/gone/ where nothing searches.
std::string missing_dep_path = DLDOCTOR_BENCH_MISSING_DEP;
constexpr std::string_view kGone = "libbench_gone.so";
// How glibc's dlerror() starts for it (then ": No such file or directory").
constexpr std::string_view kGoneError = "libbench_gone.so: cannot open shared object file";

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

// The failing load: BM_FailedOpen times it and what explains it, so each checks first that the
// plugin fails for the reason the benchmark is about (and not, say, because it was not built).
// nullopt when dlopen fails with kGoneError; otherwise what happened instead.
std::optional<std::string> failing_load_problem() {
  void* handle = ::dlopen(missing_dep_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle != nullptr) {
    ::dlclose(handle);
    return missing_dep_path + " loaded: there is no failure to explain";
  }
  const char* message = ::dlerror();
  if (message == nullptr) return std::string("dlopen failed without a dlerror() message");
  if (!std::string_view(message).starts_with(kGoneError))
    return std::string("dlopen failed for another reason: ") + message;
  return std::nullopt;
}

bool require_failing_load(benchmark::State& state) {
  if (const std::optional<std::string> problem = failing_load_problem()) {
    state.SkipWithError(problem->c_str());
    return false;
  }
  return true;
}

// Failing load, raw: dlopen of the plugin and dlerror, what a host pays to learn only the
// loader's one line. glibc maps the plugin, searches every directory for kGone, then unmaps it.
// The baseline for explaining that failure.
void BM_FailedOpenRaw(benchmark::State& state) {
  if (!require_failing_load(state)) return;
  const char* path = missing_dep_path.c_str();
  const int flags = RTLD_NOW | RTLD_LOCAL;
  for (auto _ : state) {
    void* handle = ::dlopen(path, flags);
    if (handle != nullptr) {
      ::dlclose(handle);
      state.SkipWithError("dlopen of the missing-dependency plugin succeeded");
      break;
    }
    const char* message = ::dlerror();
    if (message == nullptr) {
      state.SkipWithError("dlopen failed without a dlerror() message");
      break;
    }
    benchmark::DoNotOptimize(message);
  }
}

// The request resolve_tree gets for the plugin: no host (the model of `ld.so --list PLUGIN`), this
// process's environment (LD_LIBRARY_PATH, current directory), as an explaining host would build
// it after each failure; built inside the timed loop for that reason.
dldoctor::search::TreeRequest tree_request() {
  dldoctor::search::TreeRequest request;
  request.path = missing_dep_path;
  return request;
}

// nullopt when the tree reports what dlopen reported: kGone needed and not found, and the load's
// error as dlerror() words it; otherwise what it said instead.
std::optional<std::string> tree_problem(const dldoctor::search::Tree& tree) {
  if (!tree.error) return std::string("resolve_tree reported no error");
  if (!std::string_view(*tree.error).starts_with(kGoneError))
    return "resolve_tree reported another error: " + *tree.error;
  const bool missing = std::any_of(tree.nodes.begin(), tree.nodes.end(), [](const auto& node) {
    return node.name == kGone && !node.path.has_value();
  });
  if (!missing) return "resolve_tree has no missing " + std::string(kGone) + " node";
  return std::nullopt;
}

// Failing load, explained by the search model: search::resolve_tree of the same plugin (reads
// the plugin's and its dependencies' dynamic sections, ld.so.cache, and tries each candidate the
// loader would). Target: at most 0.25x BM_FailedOpen/raw, so explaining a failure is cheap
// beside the failure it explains.
void BM_FailedOpenTree(benchmark::State& state) {
  if (!require_failing_load(state)) return;
  if (const std::optional<std::string> problem =
          tree_problem(dldoctor::search::resolve_tree(tree_request()))) {
    state.SkipWithError(problem->c_str());
    return;
  }
  for (auto _ : state) {
    const dldoctor::search::Tree tree = dldoctor::search::resolve_tree(tree_request());
    if (!tree.error) {
      state.SkipWithError("resolve_tree reported no error");
      break;
    }
    benchmark::DoNotOptimize(tree.nodes.data());
  }
}

// nullopt when the report blames kGone with the missing-dependency finding.
std::optional<std::string> report_problem(const dldoctor::Report& report) {
  if (report.loads) return std::string("diagnose says the plugin loads");
  const bool blamed =
      std::any_of(report.findings.begin(), report.findings.end(), [](const auto& finding) {
        return finding.code == "path.missing-dependency" &&
               finding.summary.find(kGone) != std::string::npos;
      });
  if (!blamed)
    return report_error("diagnose did not blame libbench_gone.so (path.missing-dependency)",
                        report);
  return std::nullopt;
}

// Failing load, diagnosed: dldoctor::diagnose of the same plugin, every stage (path,
// permissions, identity, dependencies with their findings and fixes). No target; reported so
// that the cost of the full diagnosis beside the failing dlopen is known.
void BM_FailedOpenDiagnose(benchmark::State& state) {
  if (!require_failing_load(state)) return;
  if (const std::optional<std::string> problem =
          report_problem(dldoctor::diagnose(dldoctor::LoadRequest(missing_dep_path)))) {
    state.SkipWithError(problem->c_str());
    return;
  }
  for (auto _ : state) {
    const dldoctor::Report report = dldoctor::diagnose(dldoctor::LoadRequest(missing_dep_path));
    if (report.loads) {
      state.SkipWithError("diagnose says the plugin loads");
      break;
    }
    benchmark::DoNotOptimize(report.findings.data());
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
  // What Initialize leaves is ours: at most the fixture path and the missing-dependency plugin.
  const bool options_left =
      std::any_of(argv + 1, argv + argc, [](const char* arg) { return arg[0] == '-'; });
  if (argc > 3 || options_left) {
    std::fprintf(stderr,
                 "usage: %s [--benchmark_...] [FIXTURE.so [MISSING_DEP.so]]\n"
                 "unrecognized argument: %s\n",
                 argv[0], argv[argc - 1]);
    return 2;
  }
  if (argc >= 2) fixture_path = argv[1];
  if (argc == 3) missing_dep_path = argv[2];
  if (fixture_path.empty() || missing_dep_path.empty()) {
    std::fprintf(stderr, "%s: no plugin path (pass bench_fixture and bench_missing_dep)\n",
                 argv[0]);
    return 2;
  }

  // Pairs are registered side by side; scripts/bench (bench/ratios.py) pairs each measured side
  // (checked, resolve_tree, diagnose) with raw by name, so keep that component and the rest of
  // the name in step.
  using dldoctor::Mode;
  benchmark::RegisterBenchmark("BM_Open/raw/now", BM_OpenRaw, Mode::Now);
  benchmark::RegisterBenchmark("BM_Open/checked/now", BM_OpenChecked, Mode::Now);
  benchmark::RegisterBenchmark("BM_Open/raw/lazy", BM_OpenRaw, Mode::Lazy);
  benchmark::RegisterBenchmark("BM_Open/checked/lazy", BM_OpenChecked, Mode::Lazy);
  benchmark::RegisterBenchmark("BM_OpenLoaded/raw", BM_OpenLoadedRaw);
  benchmark::RegisterBenchmark("BM_OpenLoaded/checked", BM_OpenLoadedChecked);
  benchmark::RegisterBenchmark("BM_Lookup/raw", BM_LookupRaw);
  benchmark::RegisterBenchmark("BM_Lookup/checked", BM_LookupChecked);
  benchmark::RegisterBenchmark("BM_FailedOpen/raw", BM_FailedOpenRaw);
  benchmark::RegisterBenchmark("BM_FailedOpen/resolve_tree", BM_FailedOpenTree);
  benchmark::RegisterBenchmark("BM_FailedOpen/diagnose", BM_FailedOpenDiagnose);

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
