// bench_loaders: glibc's loader itself, on generated plugins (bench/gen_plugin.py, built by
// bench/loaders/meson.build): dlopen + dlclose as symbols and relocations grow, with each hash
// table, with -Bsymbolic, along dependency chains and in a process that already holds many
// objects; the already-loaded path; the failure paths; dlsym hit and miss. Beside each load, the
// floor (open, fstat, mmap of each segment, munmap, close of the same file: loader_probe.h), and
// per load the system calls and page faults (counters "syscalls", "faults"). bench/musl_driver.c
// measures musl's loader on the same plugins, built with musl-gcc, with the same names;
// bench/loaders_report.py turns both into the loaders' part of docs/benchmarks.md.
//
// Every benchmark checks what it claims before timing (the plugin's symbol count, its hash
// tables, that the chain loads that many objects, that a failure fails with the loader's
// expected message) and skips with the reason otherwise: scripts/bench --quick fails on a skip.
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <link.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api_benchmarks.hpp"
#include "dldoctor/library.hpp"
#include "loader_probe.h"

#ifndef DLDOCTOR_BENCH_LOADERS_DIR
#define DLDOCTOR_BENCH_LOADERS_DIR ""
#endif
#ifndef DLDOCTOR_BENCH_MISSING_DEP
#define DLDOCTOR_BENCH_MISSING_DEP ""
#endif

namespace {

// The generated plugins' directory (build/bench/loaders), compiled in; --plugins overrides it.
std::string plugins_dir = DLDOCTOR_BENCH_LOADERS_DIR;
// The plugin that needs libbench_gone.so, which no search path holds (bench/meson.build).
std::string missing_dep_path = DLDOCTOR_BENCH_MISSING_DEP;

// What bench/loaders/meson.build builds; bench/loaders_report.py and bench/check_quick.py know
// the same lists (keep them in step).
std::vector<int> symbol_counts = {10, 100, 1000, 10000};
// With --large (scripts/bench's full run, which builds them): the plugins of 100,000 functions.
constexpr int kLargeSymbolCount = 100000;
const std::vector<std::string_view> kVariants = {"gnu", "sysv", "both", "symbolic"};
const std::vector<int> kChainLengths = {1, 2, 4, 8, 16, 32};
constexpr int kChainLibraries = 32;
const std::vector<int> kCrowdSizes = {0, 10, 100, 1000};
// The plugin the crowd benchmarks open (one more plugin) and look up in.
constexpr int kCrowdTargetSymbols = 100;
// The system calls and page faults of a load: the mean over this many loads, counted after the
// timed loop.
constexpr int kCountedLoads = 8;

std::string symbols_plugin(std::string_view variant, int count) {
  return plugins_dir + "/libsym_" + std::string(variant) + "_" + std::to_string(count) + ".so";
}
std::string prefix_of(int count) { return "sym" + std::to_string(count) + "_fn_"; }
std::string function_name(int count, int index) { return prefix_of(count) + std::to_string(index); }
std::string chain_library(int index) {
  return plugins_dir + "/libbench_chain_" + std::to_string(index) + ".so";
}

std::string loader_error(const char* what) {
  const char* message = ::dlerror();
  return std::string(what) + ": " + (message != nullptr ? message : "no dlerror() message");
}

bool resident(const std::string& path) {
  void* handle = ::dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  ::dlclose(handle);
  return true;
}

std::size_t loaded_objects() {
  std::size_t count = 0;
  ::dl_iterate_phdr(
      [](dl_phdr_info*, std::size_t, void* data) {
        ++*static_cast<std::size_t*>(data);
        return 0;
      },
      &count);
  return count;
}

// The per-load counters, attached to the run as "syscalls" and "faults" (means over the counted
// loads; syscalls absent when the kernel refuses the tracepoint counter).
template <class Load>
void count_loads(benchmark::State& state, Load load) {
  probe_counters counters;
  probe_counters_open(&counters);
  const long long empty = probe_calibrate(&counters);
  probe_span span;
  probe_begin(&counters, &span);
  for (int i = 0; i < kCountedLoads; ++i) load();
  probe_end(&counters, &span);
  probe_counters_close(&counters);
  if (span.syscalls >= 0 && empty >= 0)
    state.counters["syscalls"] = static_cast<double>(span.syscalls - empty) / kCountedLoads;
  state.counters["faults"] = static_cast<double>(span.faults) / kCountedLoads;
}

// nullopt when the plugin of count functions and this variant is what the benchmark says it
// is: count exported functions, the hash tables of the variant, and the relocations (N data
// relocations; N-1 jump slots unless -Bsymbolic bound the calls at link time).
std::optional<std::string> plugin_problem(std::string_view variant, int count) {
  const std::string path = symbols_plugin(variant, count);
  probe_elf_facts facts;
  if (!probe_read_elf(path.c_str(), prefix_of(count).c_str(), &facts)) return facts.error;
  const auto says = [&](const std::string& what) { return path + ": " + what; };
  if (facts.defined_with_prefix != static_cast<unsigned long>(count))
    return says(std::to_string(facts.defined_with_prefix) + " exported " + prefix_of(count) +
                "* functions, not " + std::to_string(count));
  const bool gnu = variant != "sysv", sysv = variant == "sysv" || variant == "both";
  if (facts.has_gnu_hash != gnu || facts.has_hash != sysv)
    return says("DT_GNU_HASH " + std::to_string(facts.has_gnu_hash) + ", DT_HASH " +
                std::to_string(facts.has_hash) + ": not the " + std::string(variant) + " variant");
  if (facts.symbolic != (variant == "symbolic"))
    return says("DF_SYMBOLIC is " + std::string(facts.symbolic ? "set" : "not set"));
  if (facts.relocations < static_cast<unsigned long>(count))
    return says(std::to_string(facts.relocations) + " data relocations, fewer than " +
                std::to_string(count));
  const unsigned long slots = variant == "symbolic" ? 0 : count - 1;
  if (facts.plt_relocations < slots || (variant == "symbolic" && facts.plt_relocations > 8))
    return says(std::to_string(facts.plt_relocations) + " jump slots, expected " +
                std::to_string(slots));
  return std::nullopt;
}

// nullopt when a load of the plugin works and is a fresh one: nothing holds it, dlclose
// unmaps it, and its first function, called with count-1, runs through every PLT call to the
// last (each function adds 1 and the last its index: 2(count-1)).
std::optional<std::string> fresh_load_problem(const std::string& path, int count) {
  if (resident(path)) return path + " is already loaded: a load would not be fresh";
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return loader_error("dlopen");
  if (count > 0) {
    auto* first = reinterpret_cast<int (*)(int)>(::dlsym(handle, function_name(count, 0).c_str()));
    if (first == nullptr) {
      ::dlclose(handle);
      return loader_error("dlsym");
    }
    if (const int got = first(count - 1); got != 2 * (count - 1)) {
      ::dlclose(handle);
      return path + ": the call chain returned " + std::to_string(got) + ", not " +
             std::to_string(2 * (count - 1));
    }
  }
  ::dlclose(handle);
  if (resident(path)) return "dlclose did not unload " + path;
  return std::nullopt;
}

void open_close(benchmark::State& state, const char* path, int flags) {
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

// Load/glibc/MODE/VARIANT/N: dlopen + dlclose of the plugin of N functions, fresh each time.
void BM_Load(benchmark::State& state, int flags, std::string variant, int count) {
  const std::string path = symbols_plugin(variant, count);
  if (auto problem = plugin_problem(variant, count)) return state.SkipWithError(problem->c_str());
  if (auto problem = fresh_load_problem(path, count)) return state.SkipWithError(problem->c_str());
  open_close(state, path.c_str(), flags | RTLD_LOCAL);
  count_loads(state, [&] {
    if (void* handle = ::dlopen(path.c_str(), flags | RTLD_LOCAL)) ::dlclose(handle);
  });
}

// Floor/N and Floor/chain/K: the system calls a loader cannot avoid for the same files (the
// plugin of N functions, or the K libraries of a chain), and nothing else.
void BM_Floor(benchmark::State& state, std::vector<std::string> paths) {
  for (const std::string& path : paths)
    if (probe_floor_map(path.c_str()) != 0)
      return state.SkipWithError(("the floor could not map " + path).c_str());
  for (auto _ : state) {
    for (const std::string& path : paths) benchmark::DoNotOptimize(probe_floor_map(path.c_str()));
  }
  count_loads(state, [&] {
    for (const std::string& path : paths) probe_floor_map(path.c_str());
  });
}

// LoadLoaded/glibc/N: dlopen + dlclose while a handle is held: found by name, a reference
// count moved, nothing mapped.
void BM_LoadLoaded(benchmark::State& state, int count) {
  const std::string path = symbols_plugin("gnu", count);
  void* held = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (held == nullptr) return state.SkipWithError(loader_error("dlopen").c_str());
  const std::size_t before = loaded_objects();
  open_close(state, path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (loaded_objects() != before) state.SkipWithError("the loaded path mapped or unmapped objects");
  count_loads(state, [&] {
    if (void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) ::dlclose(handle);
  });
  ::dlclose(held);
}

// Fail/glibc/WHAT: a dlopen that fails, and dlerror. The message must be the loader's own for
// that failure (ENOENT of an absolute path; a bare name searched through LD_LIBRARY_PATH, the
// cache and the default directories; a plugin whose dependency is nowhere).
struct Failure {
  std::string path;
  std::string message_start;  // dlerror() must start with this
};

void BM_Fail(benchmark::State& state, Failure failure) {
  if (void* handle = ::dlopen(failure.path.c_str(), RTLD_NOW | RTLD_LOCAL)) {
    ::dlclose(handle);
    return state.SkipWithError((failure.path + " loaded: there is no failure to time").c_str());
  }
  const char* message = ::dlerror();
  if (message == nullptr || !std::string_view(message).starts_with(failure.message_start))
    return state.SkipWithError(("dlerror() says \"" + std::string(message ? message : "") +
                                "\", not \"" + failure.message_start + "...\"")
                                   .c_str());
  for (auto _ : state) {
    void* handle = ::dlopen(failure.path.c_str(), RTLD_NOW | RTLD_LOCAL);
    benchmark::DoNotOptimize(handle);
    benchmark::DoNotOptimize(::dlerror());
  }
  count_loads(state, [&] {
    ::dlopen(failure.path.c_str(), RTLD_NOW | RTLD_LOCAL);
    ::dlerror();
  });
}

// Chain/glibc/now/K: dlopen + dlclose of the first of K libraries, each needing the next.
void BM_Chain(benchmark::State& state, int length) {
  const std::string head = chain_library(kChainLibraries - length + 1);
  const std::size_t before = loaded_objects();
  void* handle = ::dlopen(head.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return state.SkipWithError(loader_error("dlopen").c_str());
  const std::size_t added = loaded_objects() - before;
  auto* first = reinterpret_cast<int (*)(int)>(
      ::dlsym(handle, ("bench_chain_" + std::to_string(kChainLibraries - length + 1)).c_str()));
  const int result = first != nullptr ? first(0) : -1;
  ::dlclose(handle);
  if (added != static_cast<std::size_t>(length))
    return state.SkipWithError(
        ("the chain of " + std::to_string(length) + " loaded " + std::to_string(added) + " objects")
            .c_str());
  // Each link but the last adds 1: the call went down the whole chain.
  if (result != length - 1)
    return state.SkipWithError(("the chain's call returned " + std::to_string(result)).c_str());
  if (loaded_objects() != before) return state.SkipWithError("dlclose left the chain loaded");
  open_close(state, head.c_str(), RTLD_NOW | RTLD_LOCAL);
  count_loads(state, [&] {
    if (void* h = ::dlopen(head.c_str(), RTLD_NOW | RTLD_LOCAL)) ::dlclose(h);
  });
}

// dlsym(RTLD_DEFAULT, name) called from bench_lookup_helper.so (bench/lookup_helper.c: from
// the host, a hit would pin the object found for the rest of the process), loaded for one
// benchmark run.
class DefaultLookup {
 public:
  DefaultLookup()
      : handle_(
            ::dlopen((plugins_dir + "/libbench_lookup_helper.so").c_str(), RTLD_NOW | RTLD_LOCAL)) {
    if (handle_ != nullptr)
      function_ = reinterpret_cast<void* (*)(const char*)>(::dlsym(handle_, "bench_dlsym_default"));
  }
  DefaultLookup(const DefaultLookup&) = delete;
  DefaultLookup& operator=(const DefaultLookup&) = delete;
  ~DefaultLookup() { close(); }
  void close() {
    if (handle_ != nullptr) ::dlclose(handle_);
    handle_ = nullptr;
    function_ = nullptr;
  }
  bool ok() const { return function_ != nullptr; }
  void* operator()(const char* name) const { return function_(name); }

 private:
  void* handle_;
  void* (*function_)(const char*) = nullptr;
};

// The crowd: copies of one small object under distinct names (distinct inodes, so that the
// loader cannot take one for another), made once per process in a temporary directory.
struct Crowd {
  std::filesystem::path directory;
  std::vector<std::string> members;
  ~Crowd() {
    std::error_code ignored;
    if (!directory.empty()) std::filesystem::remove_all(directory, ignored);
  }
};

Crowd& crowd() {
  static Crowd crowd = [] {
    Crowd made;
    char pattern[] = "/tmp/dldoctor-bench-crowd-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) return made;
    made.directory = pattern;
    const std::filesystem::path member = plugins_dir + "/libbench_crowd.so";
    const int largest = *std::max_element(kCrowdSizes.begin(), kCrowdSizes.end());
    for (int i = 0; i < largest; ++i) {
      const std::filesystem::path copy = made.directory / ("libcrowd_" + std::to_string(i) + ".so");
      std::error_code error;
      if (!std::filesystem::copy_file(member, copy, error)) break;
      made.members.push_back(copy.string());
    }
    return made;
  }();
  return crowd;
}

// The crowd's first n members loaded RTLD_GLOBAL for one benchmark run, closed after it.
class LoadedCrowd {
 public:
  explicit LoadedCrowd(int n) {
    const std::vector<std::string>& members = crowd().members;
    for (int i = 0; i < n && i < static_cast<int>(members.size()); ++i) {
      void* handle = ::dlopen(members[i].c_str(), RTLD_NOW | RTLD_GLOBAL);
      if (handle == nullptr) break;
      handles_.push_back(handle);
    }
  }
  LoadedCrowd(const LoadedCrowd&) = delete;
  LoadedCrowd& operator=(const LoadedCrowd&) = delete;
  ~LoadedCrowd() {
    for (auto it = handles_.rbegin(); it != handles_.rend(); ++it) ::dlclose(*it);
  }
  int size() const { return static_cast<int>(handles_.size()); }

 private:
  std::vector<void*> handles_;
};

// Crowd/glibc/open/N: dlopen + dlclose (RTLD_NOW) of one more plugin, the 100-function one,
// with N objects loaded RTLD_GLOBAL before it: each of its relocations is looked up through
// the global scope, the N objects included, before its own definitions.
void BM_CrowdOpen(benchmark::State& state, int n) {
  const std::string path = symbols_plugin("gnu", kCrowdTargetSymbols);
  const std::size_t before = loaded_objects();
  const LoadedCrowd loaded(n);
  if (loaded.size() != n || loaded_objects() - before != static_cast<std::size_t>(n))
    return state.SkipWithError(("the crowd of " + std::to_string(n) + " did not load").c_str());
  if (auto problem = fresh_load_problem(path, kCrowdTargetSymbols))
    return state.SkipWithError(problem->c_str());
  open_close(state, path.c_str(), RTLD_NOW | RTLD_LOCAL);
  count_loads(state, [&] {
    if (void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) ::dlclose(handle);
  });
}

// Crowd/glibc/dlsym-default-{hit,miss}/N: dlsym(RTLD_DEFAULT) of a name the 100-function
// plugin defines (loaded RTLD_GLOBAL after the N objects), or of a name nothing defines: both
// walk the whole global scope.
void BM_CrowdLookup(benchmark::State& state, int n, bool hit) {
  const std::size_t before = loaded_objects();
  const LoadedCrowd loaded(n);
  if (loaded.size() != n || loaded_objects() - before != static_cast<std::size_t>(n))
    return state.SkipWithError(("the crowd of " + std::to_string(n) + " did not load").c_str());
  const DefaultLookup lookup;
  if (!lookup.ok()) return state.SkipWithError(loader_error("the lookup helper").c_str());
  const std::string path = symbols_plugin("gnu", kCrowdTargetSymbols);
  if (resident(path)) return state.SkipWithError((path + " is loaded before the crowd").c_str());
  void* target = ::dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (target == nullptr) return state.SkipWithError(loader_error("dlopen").c_str());
  const std::string name =
      hit ? function_name(kCrowdTargetSymbols, kCrowdTargetSymbols / 2) : "bench_absent_name";
  void* expected = hit ? ::dlsym(target, name.c_str()) : nullptr;
  if (lookup(name.c_str()) != expected || (hit && expected == nullptr)) {
    ::dlclose(target);
    return state.SkipWithError(("dlsym(RTLD_DEFAULT, " + name + ") is not the plugin's").c_str());
  }
  for (auto _ : state) benchmark::DoNotOptimize(lookup(name.c_str()));
  ::dlclose(target);
}

// Dlsym/glibc/{handle,default}/{hit,miss}/N: dlsym in the plugin of N functions (loaded
// RTLD_GLOBAL, so that RTLD_DEFAULT finds it too, after the host's own objects), of its middle
// function or of a name it lacks.
void BM_Dlsym(benchmark::State& state, bool by_handle, bool hit, int count) {
  DefaultLookup lookup;
  if (!lookup.ok()) return state.SkipWithError(loader_error("the lookup helper").c_str());
  void* handle = ::dlopen(symbols_plugin("gnu", count).c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (handle == nullptr) return state.SkipWithError(loader_error("dlopen").c_str());
  const std::string name = hit ? function_name(count, count / 2) : prefix_of(count) + "absent";
  auto* table = static_cast<void* const*>(
      ::dlsym(handle, ("sym" + std::to_string(count) + "_table").c_str()));
  void* const expected = hit && table != nullptr ? table[count / 2] : nullptr;
  const auto find = [&](const char* symbol) {
    return by_handle ? ::dlsym(handle, symbol) : lookup(symbol);
  };
  if (find(name.c_str()) != expected || (hit && expected == nullptr)) {
    ::dlclose(handle);
    return state.SkipWithError(("dlsym of " + name + " did not give the table's entry").c_str());
  }
  for (auto _ : state) benchmark::DoNotOptimize(find(name.c_str()));
  ::dlclose(handle);
  // The load benchmarks need the plugin unloaded after this one (the helper's dependency on it
  // goes with the helper).
  lookup.close();
  if (resident(symbols_plugin("gnu", count)))
    state.SkipWithError("the plugin stayed loaded after the lookups");
}

// Dlsym/dldoctor-typed/handle/hit/N: Library::lookup<int(int)> of the same name on a Library
// over the plugin: after its first call (which reads the file to check the type, done before
// timing), a lookup in the Library's own table, beside the dlsym it replaces.
void BM_TypedLookup(benchmark::State& state, int count) {
  auto library = dldoctor::Library::open(symbols_plugin("gnu", count), dldoctor::Mode::Now);
  if (!library.ok()) return state.SkipWithError("Library::open failed");
  const std::string name = function_name(count, count / 2);
  auto first = library->lookup<int(int)>(name.c_str());
  if (!first.ok() || first.value()(0) != count / 2)
    return state.SkipWithError(("Library::lookup<int(int)> of " + name + " failed").c_str());
  for (auto _ : state) benchmark::DoNotOptimize(library->lookup<int(int)>(name.c_str()).ok());
}

void register_benchmarks() {
  const std::pair<const char*, int> modes[] = {{"now", RTLD_NOW}, {"lazy", RTLD_LAZY}};
  for (const int count : symbol_counts) {
    for (const std::string_view variant : kVariants)
      for (const auto& [mode, flags] : modes)
        benchmark::RegisterBenchmark(("Load/glibc/" + std::string(mode) + "/" +
                                      std::string(variant) + "/" + std::to_string(count))
                                         .c_str(),
                                     BM_Load, flags, std::string(variant), count);
    benchmark::RegisterBenchmark(("Floor/" + std::to_string(count)).c_str(), BM_Floor,
                                 std::vector<std::string>{symbols_plugin("gnu", count)});
    for (const bool by_handle : {true, false})
      for (const bool hit : {true, false})
        benchmark::RegisterBenchmark(
            ("Dlsym/glibc/" + std::string(by_handle ? "handle" : "default") + "/" +
             (hit ? "hit" : "miss") + "/" + std::to_string(count))
                .c_str(),
            BM_Dlsym, by_handle, hit, count);
    benchmark::RegisterBenchmark(
        ("Dlsym/dldoctor-typed/handle/hit/" + std::to_string(count)).c_str(), BM_TypedLookup,
        count);
  }
  benchmark::RegisterBenchmark("LoadLoaded/glibc/10", BM_LoadLoaded, 10);
  const std::string absent = "/nonexistent/dldoctor-bench/libabsent.so";
  const std::string bare = "libdldoctor_bench_absent.so";
  benchmark::RegisterBenchmark("Fail/glibc/enoent", BM_Fail,
                               Failure{absent, absent + ": cannot open shared object file"});
  benchmark::RegisterBenchmark("Fail/glibc/bare-name", BM_Fail,
                               Failure{bare, bare + ": cannot open shared object file"});
  benchmark::RegisterBenchmark(
      "Fail/glibc/missing-dependency", BM_Fail,
      Failure{missing_dep_path, "libbench_gone.so: cannot open shared object file"});
  for (const int length : kChainLengths) {
    benchmark::RegisterBenchmark(("Chain/glibc/now/" + std::to_string(length)).c_str(), BM_Chain,
                                 length);
    std::vector<std::string> files;
    for (int i = kChainLibraries - length + 1; i <= kChainLibraries; ++i)
      files.push_back(chain_library(i));
    benchmark::RegisterBenchmark(("Floor/chain/" + std::to_string(length)).c_str(), BM_Floor,
                                 files);
  }
  for (const int n : kCrowdSizes) {
    benchmark::RegisterBenchmark(("Crowd/glibc/open/" + std::to_string(n)).c_str(), BM_CrowdOpen,
                                 n);
    benchmark::RegisterBenchmark(("Crowd/glibc/dlsym-default-hit/" + std::to_string(n)).c_str(),
                                 BM_CrowdLookup, n, true);
    benchmark::RegisterBenchmark(("Crowd/glibc/dlsym-default-miss/" + std::to_string(n)).c_str(),
                                 BM_CrowdLookup, n, false);
  }
  register_api_benchmarks(symbols_plugin("gnu", 10), function_name(10, 0));
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  // What Initialize leaves is ours: --plugins DIR and --missing-dep PATH override the compiled-in
  // build paths; --large adds the 100,000-function plugins.
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--plugins" && i + 1 < argc) {
      plugins_dir = argv[++i];
    } else if (arg == "--large") {
      symbol_counts.push_back(kLargeSymbolCount);
    } else if (arg == "--missing-dep" && i + 1 < argc) {
      missing_dep_path = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: %s [--benchmark_...] [--plugins DIR] [--missing-dep PATH] [--large]\n"
                   "unrecognized argument: %s\n",
                   argv[0], argv[i]);
      return 2;
    }
  }
  if (plugins_dir.empty() || missing_dep_path.empty()) {
    std::fprintf(stderr, "%s: no plugin directory (pass --plugins and --missing-dep)\n", argv[0]);
    return 2;
  }
  register_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
