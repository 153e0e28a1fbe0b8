// bench_open: the checked load path (Library::open, Library::lookup) against the raw dlopen and
// dlsym it wraps. DESIGN.md promises a success costs what the raw call costs; these pairs measure
// it (scripts/bench turns them into checked/raw ratios in docs/benchmarks.md).
// And the explanation of a failure against the failure itself: a plugin whose dependency is on no
// search path, its failing dlopen against search::resolve_tree and diagnose of the same plugin;
// a lookup miss (Library::lookup against dlsym + dlerror of the same name), and the diagnosis of
// that miss (Library::explain_lookup, which reads the file) against a fresh dlopen of the plugin.
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#include "dldoctor/diagnose.hpp"
#include "dldoctor/library.hpp"
#include "dldoctor/reloader.hpp"
#include "dldoctor/search.hpp"

// The version stage alone, on a prepared context (internal: lib/src).
#include "checks/stage.hpp"

#ifndef DLDOCTOR_BENCH_FIXTURE
#define DLDOCTOR_BENCH_FIXTURE ""
#endif
#ifndef DLDOCTOR_BENCH_MISSING_DEP
#define DLDOCTOR_BENCH_MISSING_DEP ""
#endif
#ifndef DLDOCTOR_BENCH_SYMBOLS
#define DLDOCTOR_BENCH_SYMBOLS ""
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

// The plugin of the lookup-miss and explain_lookup benchmarks (bench/gen_symbols.py): 300
// exported extern "C" functions, dldoctor_bench_fn_000 to _299, and kHidden, left hidden by
// -fvisibility=hidden. Compiled in like the others, overridden by a third positional argument.
std::string symbols_path = DLDOCTOR_BENCH_SYMBOLS;
// Defined in the plugin but not exported: dlsym misses it, explain_lookup says symbol.hidden.
constexpr const char* kHidden = "dldoctor_bench_hidden";
// Defined nowhere, a typo of an exported name: explain_lookup says symbol.not-found and offers
// kTypoOf among the near names.
constexpr const char* kTypo = "dldoctor_bench_fn_42";
constexpr std::string_view kTypoOf = "dldoctor_bench_fn_042";

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

bool resident(const std::string& path) {
  void* handle = ::dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  ::dlclose(handle);
  return true;
}

// A fresh-load benchmark measures mapping a plugin anew each iteration. That holds only if
// nothing holds it already and dlclose really unmaps it (no NODELETE, no unique symbols), so
// check both before timing rather than silently measuring the reference-count path.
bool require_fresh(benchmark::State& state, const std::string& path = fixture_path) {
  if (resident(path)) {
    state.SkipWithError((path + " is already loaded: this would not be a fresh load").c_str());
    return false;
  }
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    state.SkipWithError(loader_error("dlopen").c_str());
    return false;
  }
  ::dlclose(handle);
  if (resident(path)) {
    state.SkipWithError(("dlclose did not unload " + path + ": a load would not be fresh").c_str());
    return false;
  }
  return true;
}

// A raw handle held for a whole benchmark: the reference a host keeps on a loaded plugin.
class Held {
 public:
  explicit Held(const std::string& path = fixture_path)
      : handle_(::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) {}
  Held(const Held&) = delete;
  Held& operator=(const Held&) = delete;
  ~Held() {
    if (handle_ != nullptr) ::dlclose(handle_);
  }
  void* get() const { return handle_; }

 private:
  void* handle_;
};

// The library a lookup benchmark holds for its whole run; nullopt (and the benchmark skipped with
// the loader's message) when it does not load.
std::optional<dldoctor::Library> open_or_skip(benchmark::State& state, const std::string& path) {
  dldoctor::Result<dldoctor::Library> library = dldoctor::Library::open(path, dldoctor::Mode::Now);
  if (!library.ok()) {
    state.SkipWithError(report_error("Library::open", library.report()).c_str());
    return std::nullopt;
  }
  return std::move(library).value();
}

// The raw side of every load pair: dlopen + dlclose of path, each iteration.
void raw_open_close(benchmark::State& state, const char* path, int flags) {
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

// Fresh load, raw: the baseline, what any host pays to map, relocate and unmap the fixture.
void BM_OpenRaw(benchmark::State& state, dldoctor::Mode mode) {
  if (!require_fresh(state)) return;
  const char* path = fixture_path.c_str();
  const int flags = raw_flags(mode);
  raw_open_close(state, path, flags);
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
  raw_open_close(state, path, flags);
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

// The request resolve_tree gets for the plugin: this process's dlopen of it (this_process: the
// objects already loaded answer by name, the system directories found missing stay missing, as
// they do for the loader that just failed), or a fresh process (no host: the model of
// `ld.so --list PLUGIN`, every dependency searched and read from its file). Built inside the
// timed loop, as an explaining host would build it after each failure.
dldoctor::search::TreeRequest tree_request(bool this_process) {
  dldoctor::search::TreeRequest request;
  request.path = missing_dep_path;
  request.this_process = this_process;
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
// the plugin's dynamic section, ld.so.cache, and tries each candidate the loader would). As this
// process (this_process), the target is at most 0.25x BM_FailedOpen/raw, so explaining a failure
// is cheap beside the failure it explains; as a fresh process (the model of `ld.so --list`, which
// also reads every dependency's file) it is reported without a target.
void BM_FailedOpenTree(benchmark::State& state, bool this_process) {
  if (!require_failing_load(state)) return;
  if (const std::optional<std::string> problem =
          tree_problem(dldoctor::search::resolve_tree(tree_request(this_process)))) {
    state.SkipWithError(problem->c_str());
    return;
  }
  for (auto _ : state) {
    const dldoctor::search::Tree tree = dldoctor::search::resolve_tree(tree_request(this_process));
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

// The version stage's share of a check (issue: at most a tenth): dldoctor::diagnose of a library
// that loads, every stage, against check_versions alone on the same load scope, read beforehand
// (the scope is read once per check and shared with the symbol stage, so reading it is not the
// version stage's cost). libstdc++: the system library with the most version needs and
// definitions of its tree.
constexpr const char* kVersionedLibrary = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";

void BM_VersionStageCheck(benchmark::State& state) {
  const dldoctor::Report first = dldoctor::diagnose(dldoctor::LoadRequest(kVersionedLibrary));
  if (!first.loads || !first.findings.empty()) {
    state.SkipWithError("libstdc++.so.6 is missing or has findings here");
    return;
  }
  for (auto _ : state) {
    const dldoctor::Report report = dldoctor::diagnose(dldoctor::LoadRequest(kVersionedLibrary));
    benchmark::DoNotOptimize(report.findings.data());
  }
}

void BM_VersionStageAlone(benchmark::State& state) {
  const dldoctor::LoadRequest request(kVersionedLibrary);
  dldoctor::Context context(request);
  context.file = kVersionedLibrary;
  dldoctor::elf::ReadOutcome outcome = dldoctor::elf::read_image(kVersionedLibrary);
  if (auto* image = std::get_if<dldoctor::elf::Image>(&outcome)) context.image = std::move(*image);
  const std::size_t objects = dldoctor::load_scope(context).size();
  std::size_t needs = 0;
  for (const dldoctor::ScopeObject& object : *context.scope)
    for (const dldoctor::elf::VersionNeed& need : object.image.version_needs)
      needs += need.versions.size();
  if (!context.image || objects < 3 || needs == 0) {
    state.SkipWithError("libstdc++.so.6 is missing, or its tree has no version needs");
    return;
  }
  for (auto _ : state) {
    context.findings.clear();
    const dldoctor::StageVerdict verdict = dldoctor::check_versions(context);
    if (verdict != dldoctor::StageVerdict::Continue || !context.findings.empty()) {
      state.SkipWithError("the version stage found something in libstdc++'s tree");
      break;
    }
    benchmark::DoNotOptimize(context.findings.data());
  }
  state.counters["objects"] = static_cast<double>(objects);
  state.counters["version_needs"] = static_cast<double>(needs);
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

// Lookup hit, checked: the typed Library::lookup<int()>, whose type check ran at the first
// lookup: every later one finds the verdict and the address in the Library's table, and must
// cost no more than the dlsym it replaces.
void BM_LookupChecked(benchmark::State& state) {
  const std::optional<dldoctor::Library> library = open_or_skip(state, fixture_path);
  if (!library) return;
  const dldoctor::Library& held = *library;
  for (auto _ : state) {
    dldoctor::Result<int (*)(), dldoctor::LookupError> function = held.lookup<int()>(kSymbol);
    if (!function.ok()) {
      state.SkipWithError(("Library::lookup: " + std::string(function.error().message())).c_str());
      break;
    }
    benchmark::DoNotOptimize(function.value());
  }
}

// The first typed lookup of a name on a Library: the type check reads the file (its notes, its
// DWARF when it has some: the fixture is built with the project's -g), once per name and type.
// Each iteration is a new Library over the held one (the already-loaded path of dlopen), so
// that nothing is remembered; the raw side is the same dlopen, dlsym and dlclose.
void BM_LookupFirstRaw(benchmark::State& state) {
  const Held held;
  for (auto _ : state) {
    void* handle = ::dlopen(fixture_path.c_str(), RTLD_NOW | RTLD_LOCAL);
    void* address = handle != nullptr ? ::dlsym(handle, kSymbol) : nullptr;
    if (address == nullptr) {
      state.SkipWithError(loader_error("dlopen+dlsym").c_str());
      break;
    }
    benchmark::DoNotOptimize(address);
    ::dlclose(handle);
  }
}

void BM_LookupFirstChecked(benchmark::State& state) {
  const Held held;
  for (auto _ : state) {
    dldoctor::Result<dldoctor::Library> library = dldoctor::Library::open(fixture_path);
    if (!library.ok()) {
      state.SkipWithError(report_error("Library::open", library.report()).c_str());
      break;
    }
    dldoctor::Result<int (*)(), dldoctor::LookupError> function = library->lookup<int()>(kSymbol);
    if (!function.ok()) {
      state.SkipWithError(("Library::lookup: " + std::string(function.error().message())).c_str());
      break;
    }
    benchmark::DoNotOptimize(function.value());
  }
}

// ---- A lookup that misses, and its diagnosis: the bench_symbols plugin, name kHidden. ----

// nullopt when a dlsym of name on handle misses the way glibc words a miss, "PATH: undefined
// symbol: NAME"; otherwise what happened instead. The raw and the checked side both start here.
std::optional<std::string> miss_problem(void* handle, const char* name) {
  ::dlerror();  // clear any earlier message
  if (void* address = ::dlsym(handle, name); address != nullptr)
    return std::string("dlsym found ") + name + ": there is no miss to time";
  const char* message = ::dlerror();
  if (message == nullptr) return std::string("dlsym returned NULL without a dlerror() message");
  if (std::string_view(message).find(std::string("undefined symbol: ") + name) ==
      std::string_view::npos)
    return std::string("dlsym missed for another reason: ") + message;
  return std::nullopt;
}

// Lookup miss, raw: dlsym of a name the plugin does not export, then dlerror, on one open handle:
// what a host pays to learn that a symbol is missing, in the loader's one line. The baseline.
void BM_LookupMissRaw(benchmark::State& state) {
  const Held held(symbols_path);
  if (held.get() == nullptr) {
    state.SkipWithError(loader_error("dlopen").c_str());
    return;
  }
  if (const std::optional<std::string> problem = miss_problem(held.get(), kHidden)) {
    state.SkipWithError(problem->c_str());
    return;
  }
  for (auto _ : state) {
    void* address = ::dlsym(held.get(), kHidden);
    const char* message = ::dlerror();
    if (address != nullptr || message == nullptr) {
      state.SkipWithError("dlsym of the hidden name did not fail");
      break;
    }
    benchmark::DoNotOptimize(message);
  }
}

// nullopt when a failed lookup's error is the cheap one: it carries dlerror()'s "undefined
// symbol: NAME", and its report is a single symbol.not-found finding quoting it (no file read:
// that is explain_lookup's job).
std::optional<std::string> miss_error_problem(const dldoctor::LookupError& error,
                                              const char* name) {
  const std::string undefined = std::string("undefined symbol: ") + name;
  if (error.message().find(undefined) == std::string_view::npos)
    return "the lookup miss does not carry dlerror()'s \"" + undefined +
           "\": " + std::string(error.message());
  const dldoctor::Report report = error.report();
  if (report.findings.size() != 1)
    return "the lookup miss reported " + std::to_string(report.findings.size()) +
           " findings, not 1";
  const dldoctor::Finding& finding = report.findings.front();
  if (finding.code != "symbol.not-found")
    return "the lookup miss reported " + finding.code + ", not symbol.not-found";
  if (finding.summary != error.message())
    return "the lookup miss's report does not quote dlerror(): " + finding.summary;
  return std::nullopt;
}

// Lookup miss, checked: Library::lookup<int(int)> of the same name on the plugin held by a
// Library: the dlsym, then dlerror() and the structured error it returns (a LookupError holding a
// copy of the message, which turns into a Report with one finding on request), destroyed each
// iteration as a caller that only checks ok() would. Target: at most 1.10x BM_LookupMiss/raw.
void BM_LookupMissChecked(benchmark::State& state) {
  const std::optional<dldoctor::Library> library = open_or_skip(state, symbols_path);
  if (!library) return;
  const dldoctor::Library& held = *library;
  if (const std::optional<std::string> problem = miss_problem(held.native_handle(), kHidden)) {
    state.SkipWithError(problem->c_str());
    return;
  }
  {
    const dldoctor::Result<int (*)(int), dldoctor::LookupError> miss =
        held.lookup<int(int)>(kHidden);
    if (miss.ok()) {
      state.SkipWithError("Library::lookup found the hidden name");
      return;
    }
    if (const std::optional<std::string> problem = miss_error_problem(miss.error(), kHidden)) {
      state.SkipWithError(problem->c_str());
      return;
    }
  }
  for (auto _ : state) {
    dldoctor::Result<int (*)(int), dldoctor::LookupError> function = held.lookup<int(int)>(kHidden);
    if (function.ok()) {
      state.SkipWithError("Library::lookup found the hidden name");
      break;
    }
    benchmark::DoNotOptimize(function.error().message().data());
  }
}

// Explain baseline, raw: a fresh dlopen + dlclose (RTLD_NOW) of the bench_symbols plugin, what
// the explanation of a miss in it is measured against.
void BM_ExplainLookupRaw(benchmark::State& state) {
  if (!require_fresh(state, symbols_path)) return;
  const char* path = symbols_path.c_str();
  const int flags = raw_flags(dldoctor::Mode::Now);
  raw_open_close(state, path, flags);
}

// What explain_lookup must say for a name: the code, and a piece of evidence that shows it read
// the file rather than guessed (the .symtab entry, or a near name from .dynsym).
struct ExplainCase {
  const char* name;
  std::string_view code;
  std::string_view evidence;
};

std::optional<std::string> explain_problem(const dldoctor::Report& report,
                                           const ExplainCase& expected) {
  if (report.findings.size() != 1)
    return "explain_lookup reported " + std::to_string(report.findings.size()) + " findings, not 1";
  const dldoctor::Finding& finding = report.findings.front();
  if (finding.code != expected.code)
    return "explain_lookup reported " + finding.code + ", not " + std::string(expected.code) +
           ": " + finding.summary;
  const bool shown = std::any_of(
      finding.evidence.begin(), finding.evidence.end(),
      [&](const std::string& line) { return line.find(expected.evidence) != std::string::npos; });
  if (!shown)
    return "explain_lookup's " + finding.code + " evidence does not mention " +
           std::string(expected.evidence);
  return std::nullopt;
}

// Explain a miss: Library::explain_lookup of a name the held plugin does not export. It reads
// the loaded file (ELF headers, .dynsym, .symtab, version sections; for a hidden name also the
// DWARF producers, looking for -fvisibility=hidden) and builds the finding. Target: at most 0.5x
// BM_ExplainLookup/raw, a fresh load of the same plugin.
void BM_ExplainLookup(benchmark::State& state, ExplainCase expected) {
  const std::optional<dldoctor::Library> library = open_or_skip(state, symbols_path);
  if (!library) return;
  const dldoctor::Library& held = *library;
  if (const std::optional<std::string> problem =
          miss_problem(held.native_handle(), expected.name)) {
    state.SkipWithError(problem->c_str());
    return;
  }
  if (const std::optional<std::string> problem =
          explain_problem(held.explain_lookup(expected.name), expected)) {
    state.SkipWithError(problem->c_str());
    return;
  }
  for (auto _ : state) {
    const dldoctor::Report report = held.explain_lookup(expected.name);
    if (report.findings.empty()) {
      state.SkipWithError("explain_lookup reported no finding");
      break;
    }
    benchmark::DoNotOptimize(report.findings.data());
  }
}

}  // namespace

// Hot reload: a new build swapped in (issue: at most 1.10x, the reloader's diagnosis included).
// The builds arrive at one path, as a build writes them: before each reload, with the clock
// stopped, the other of two copies of the fixture is renamed over plugin.so (a new file, as the
// linker or install writes it). The baseline is what a host that gets it right by hand does then:
// dlopen of that path under a name never loaded before (the plain name would hand back the old
// object while its handle is open), dlsym of the entry point, dlclose of the previous build. The
// reloader (Reloader::reload) does the same loader calls and diagnoses the new build first: the
// ratio is what the reloader adds. BM_Reload/private_copy: the same with
// ReloadOptions::private_copy, a copy of each build (reported, no target).
struct ReloadFiles {
  std::string directory;
  std::string copies[2];
  std::string plugin;  // where the builds arrive (the reloader's path)
  ReloadFiles() {
    char pattern[] = "/tmp/dldoctor-bench-reload-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) return;
    directory = pattern;
    for (int i = 0; i < 2; ++i) {
      copies[i] = directory + "/build" + std::to_string(i) + ".so";
      std::ifstream in(fixture_path, std::ios::binary);
      std::ofstream out(copies[i], std::ios::binary);
      out << in.rdbuf();
    }
    plugin = directory + "/plugin.so";
    arrive(0);
  }
  // Build `which` arrives at plugin: a new directory entry for its inode, renamed over.
  bool arrive(int which) const {
    const std::string next = directory + "/plugin.so.new";
    return ::link(copies[which].c_str(), next.c_str()) == 0 &&
           ::rename(next.c_str(), plugin.c_str()) == 0;
  }
  ~ReloadFiles() {
    std::error_code ignored;
    std::filesystem::remove_all(directory, ignored);
  }
};

// The arriving build's path spelled anew for the raw host, as a host that gets it right by hand
// must name it (the loader hands back a loaded object of the same name): "dir/./plugin.so",
// "dir/.//plugin.so", ..., the count in binary, "./" for a one and "/" for a zero.
std::string spelled_anew(const std::string& directory, std::uint64_t count) {
  std::string path = directory + "/";
  for (int bit = 63 - std::countl_zero(count); bit >= 0; --bit)
    path += ((count >> bit) & 1) != 0 ? "./" : "/";
  return path + "plugin.so";
}

void BM_ReloadRaw(benchmark::State& state) {
  ReloadFiles files;
  void* current = ::dlopen(files.plugin.c_str(), RTLD_NOW | RTLD_LOCAL);
  int next = 1;
  std::uint64_t count = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const bool arrived = files.arrive(next);
    const std::string fresh_path = spelled_anew(files.directory, ++count);
    state.ResumeTiming();
    if (!arrived) {
      state.SkipWithError("a build could not be renamed over the plugin's path");
      break;
    }
    void* fresh = ::dlopen(fresh_path.c_str(), RTLD_NOW | RTLD_LOCAL);
    void* entry = fresh != nullptr ? ::dlsym(fresh, kSymbol) : nullptr;
    if (entry == nullptr || fresh == current) {
      state.SkipWithError("the arriving build did not load as a new object");
      break;
    }
    benchmark::DoNotOptimize(entry);
    ::dlclose(current);
    current = fresh;
    next = 1 - next;
  }
  if (current != nullptr) ::dlclose(current);
}

void BM_ReloadChecked(benchmark::State& state, bool private_copy) {
  ReloadFiles files;
  dldoctor::ReloadOptions options;
  options.symbols = {kSymbol};
  options.private_copy = private_copy;
  dldoctor::Reloader reloader(files.plugin, options);
  if (!reloader.reload().ok()) {
    state.SkipWithError("the reloader refused the fixture");
    return;
  }
  int next = 1;
  for (auto _ : state) {
    state.PauseTiming();
    const bool arrived = files.arrive(next);
    state.ResumeTiming();
    if (!arrived) {
      state.SkipWithError("a build could not be renamed over the plugin's path");
      break;
    }
    dldoctor::Result<dldoctor::Reloaded> reloaded = reloader.reload();
    if (!reloaded.ok() || !reloaded->previous.findings.empty() ||
        reloaded->private_copy != private_copy) {
      state.SkipWithError("a reload failed, left the old build mapped, or copied unasked");
      break;
    }
    benchmark::DoNotOptimize(reloader.current());
    next = 1 - next;
  }
}

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  // What Initialize leaves is ours: at most the fixture path, the missing-dependency plugin and
  // the symbols plugin.
  const bool options_left =
      std::any_of(argv + 1, argv + argc, [](const char* arg) { return arg[0] == '-'; });
  if (argc > 4 || options_left) {
    std::fprintf(stderr,
                 "usage: %s [--benchmark_...] [FIXTURE.so [MISSING_DEP.so [SYMBOLS.so]]]\n"
                 "unrecognized argument: %s\n",
                 argv[0], argv[argc - 1]);
    return 2;
  }
  if (argc >= 2) fixture_path = argv[1];
  if (argc >= 3) missing_dep_path = argv[2];
  if (argc == 4) symbols_path = argv[3];
  if (fixture_path.empty() || missing_dep_path.empty() || symbols_path.empty()) {
    std::fprintf(stderr,
                 "%s: no plugin path (pass bench_fixture, bench_missing_dep and bench_symbols)\n",
                 argv[0]);
    return 2;
  }

  // Pairs are registered side by side; scripts/bench (bench/ratios.py) pairs each measured side
  // (checked, resolve_tree, diagnose, explain_lookup) with raw by name, so keep that component
  // and the rest of the name in step. A measured name with more components than its raw one
  // (BM_ExplainLookup/explain_lookup/hidden) is measured against the shorter raw name.
  using dldoctor::Mode;
  benchmark::RegisterBenchmark("BM_Open/raw/now", BM_OpenRaw, Mode::Now);
  benchmark::RegisterBenchmark("BM_Open/checked/now", BM_OpenChecked, Mode::Now);
  benchmark::RegisterBenchmark("BM_Open/raw/lazy", BM_OpenRaw, Mode::Lazy);
  benchmark::RegisterBenchmark("BM_Open/checked/lazy", BM_OpenChecked, Mode::Lazy);
  benchmark::RegisterBenchmark("BM_OpenLoaded/raw", BM_OpenLoadedRaw);
  benchmark::RegisterBenchmark("BM_OpenLoaded/checked", BM_OpenLoadedChecked);
  benchmark::RegisterBenchmark("BM_Lookup/raw", BM_LookupRaw);
  benchmark::RegisterBenchmark("BM_Lookup/checked", BM_LookupChecked);
  benchmark::RegisterBenchmark("BM_LookupFirst/raw", BM_LookupFirstRaw);
  benchmark::RegisterBenchmark("BM_LookupFirst/checked", BM_LookupFirstChecked);
  benchmark::RegisterBenchmark("BM_FailedOpen/raw", BM_FailedOpenRaw);
  benchmark::RegisterBenchmark("BM_FailedOpen/resolve_tree", BM_FailedOpenTree, true);
  benchmark::RegisterBenchmark("BM_FailedOpen/resolve_tree_fresh", BM_FailedOpenTree, false);
  benchmark::RegisterBenchmark("BM_FailedOpen/diagnose", BM_FailedOpenDiagnose);
  benchmark::RegisterBenchmark("BM_VersionStage/raw", BM_VersionStageCheck);
  benchmark::RegisterBenchmark("BM_VersionStage/version_stage", BM_VersionStageAlone);
  benchmark::RegisterBenchmark("BM_LookupMiss/raw", BM_LookupMissRaw);
  benchmark::RegisterBenchmark("BM_LookupMiss/checked", BM_LookupMissChecked);
  benchmark::RegisterBenchmark("BM_Reload/raw", BM_ReloadRaw);
  benchmark::RegisterBenchmark("BM_Reload/checked", BM_ReloadChecked, false);
  benchmark::RegisterBenchmark("BM_Reload/private_copy", BM_ReloadChecked, true);
  benchmark::RegisterBenchmark("BM_ExplainLookup/raw", BM_ExplainLookupRaw);
  benchmark::RegisterBenchmark("BM_ExplainLookup/explain_lookup/hidden", BM_ExplainLookup,
                               ExplainCase{kHidden, "symbol.hidden", ".symtab: "});
  benchmark::RegisterBenchmark("BM_ExplainLookup/explain_lookup/absent", BM_ExplainLookup,
                               ExplainCase{kTypo, "symbol.not-found", kTypoOf});

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
