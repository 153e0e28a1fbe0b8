// dldoctor scan: every ELF object under the paths, checked as this machine's loader would load it.
// A shared library (ET_DYN without PT_INTERP) is diagnosed as a dlopen of its path
// (dldoctor::diagnose: every stage); a program (ET_EXEC, or ET_DYN with PT_INTERP) is resolved as
// its start would be (search::resolve_tree, then check_versions, as ld.so --list does), and so is a
// library of another class or machine, by its own loader (search::loader_for). Files are
// read, never run; symbolic links are not followed (their targets are scanned where they are).
// Objects are checked on every core, each thread taking the next file.
#include "scan.hpp"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "checks/access_rules.hpp"
#include "checks/stage.hpp"
#include "dldoctor/dldoctor.hpp"
#include "elf_walk.hpp"
#include "render/printable.hpp"
#include "search/platform.hpp"

namespace dldoctor::cli {
namespace {

namespace fs = std::filesystem;

struct Scanned {
  std::string path;  // as the user sees it: inside a --root, the root's own name for it
  bool program = false;
  bool loads = true;
  Report report;                   // a library's diagnosis
  std::optional<std::string> why;  // a program's first failure (Tree::error)
  std::string other_kind;          // "i386": a library of another class or machine than this one
  bool resolved_only = false;      // a library of a --root: resolved, not diagnosed
};

// nullopt: an ELF file the loader does not load (a relocatable object, a core file). root: the
// --root directory ("" for none), path being a file under it.
std::optional<Scanned> scan_one(const std::string& path, const std::string& root,
                                const std::optional<std::string>& user) {
  Scanned scanned;
  scanned.path = root.empty() ? path : path.substr(root.size());
  elf::ReadOutcome outcome = elf::read_image(path, elf::ReadParts::LoaderView);
  if (const auto* image = std::get_if<elf::Image>(&outcome)) {
    if (image->identity.type != ET_DYN && image->identity.type != ET_EXEC) return std::nullopt;
    scanned.program = image->identity.type == ET_EXEC || image->has_interpreter();
    // A library of another kind (an i386 one beside x86-64 ones) is no plugin of this machine's
    // programs: it is resolved as its own loader would resolve it (search::loader_for), as a
    // program is, rather than refused for its class.
    const search::LoaderAbi* loader =
        search::loader_for(image->identity.elf_class, image->identity.machine, root.empty());
    if (!scanned.program && loader != nullptr && !loader->native) scanned.other_kind = loader->name;
  }
  // In a root, every object is resolved by the root's loader: its dependencies and the versions
  // they need, from the root's files only (no environment of this machine's applies).
  if (!root.empty()) {
    search::TreeRequest request;
    request.path = scanned.path;
    request.environment = search::Environment{};
    request.environment.root = root;
    request.versions = true;
    search::Tree tree = search::resolve_tree(request);
    search::check_versions(tree);
    scanned.why = tree.error;
    scanned.loads = !tree.error;
    scanned.resolved_only = true;
    return scanned;
  }
  if (scanned.program || !scanned.other_kind.empty()) {
    search::TreeRequest request;
    request.path = path;
    request.versions = true;
    search::Tree tree = search::resolve_tree(request);
    search::check_versions(tree);
    scanned.why = tree.error;
    scanned.loads = !tree.error;
    return scanned;
  }
  LoadRequest request{path};
  request.user = user;
  scanned.report = diagnose(request);
  scanned.loads = scanned.report.loads;
  return scanned;
}

const Finding* first_error(const Report& report) {
  for (const Finding& finding : report.findings)
    if (finding.severity == Severity::Error) return &finding;
  return nullptr;
}

std::string cause_of(const Scanned& scanned) {
  if (scanned.program) return "program: a library or version it needs is missing";
  if (!scanned.other_kind.empty())
    return scanned.other_kind + " library: a library or version it needs is missing";
  if (scanned.resolved_only) return "library: a library or version it needs is missing";
  const Finding* error = first_error(scanned.report);
  return error != nullptr ? error->code : "no finding";
}

}  // namespace

int run_scan(const ScanOptions& options, TextStyle style) {
  // In a root, the paths are its own ("/usr/lib"), all of it by default.
  std::string root = options.root;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root == "/") root.clear();
  std::vector<std::string> paths = options.paths;
  if (!options.root.empty()) {
    if (paths.empty()) paths.push_back("/");
    for (std::string& path : paths)
      path = root + (path.empty() || path[0] != '/' ? "/" : "") + path;
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const ElfWalk walk = find_elf_files(paths, cores);
  // What the walk could not read is said, not skipped silently: its objects are not checked.
  constexpr std::size_t kUnreadableShown = 10;
  for (std::size_t i = 0; i < walk.unreadable.size() && i < kUnreadableShown; ++i)
    std::cerr << "dldoctor scan: " << render::printable(walk.unreadable[i]) << "\n";
  if (walk.unreadable.size() > kUnreadableShown)
    std::cerr << "dldoctor scan: and " << walk.unreadable.size() - kUnreadableShown
              << " more that could not be read\n";
  const std::vector<std::string>& files = walk.files;
  // Each library the objects need (libc, libstdc++...) is read once for all their diagnoses.
  const ScopedImageCache shared_reads;
  std::vector<std::optional<Scanned>> results(files.size());
  std::atomic<std::size_t> next{0};
  const unsigned workers =
      std::max(1u, std::min<unsigned>(cores, static_cast<unsigned>(files.size())));
  const bool progress = !options.json && ::isatty(STDERR_FILENO) == 1;
  std::atomic<std::size_t> done{0};
  auto work = [&] {
    // Every diagnosis walks the same few directories (/usr/lib/x86_64-linux-gnu) to the same
    // libraries (libc.so.6): what the user may open is worked out once per thread for the scan.
    const SearchPermissionMemo openable_paths;
    for (std::size_t i; (i = next.fetch_add(1)) < files.size();) {
      results[i] = scan_one(files[i], root, options.user);
      const std::size_t count = ++done;
      if (progress && count % 64 == 0)
        std::cerr << "\rdldoctor scan: " << count << "/" << files.size();
    }
  };
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < workers; ++i) threads.emplace_back(work);
  work();
  for (std::thread& thread : threads) thread.join();
  if (progress) std::cerr << "\r\033[K";

  std::size_t objects = 0, programs = 0, broken = 0;
  std::map<std::string, std::vector<const Scanned*>> by_cause;
  std::map<std::string, std::size_t> warnings;
  for (const std::optional<Scanned>& scanned : results) {
    if (!scanned) continue;
    ++objects;
    programs += scanned->program ? 1 : 0;
    for (const Finding& finding : scanned->report.findings)
      if (finding.severity == Severity::Warning) ++warnings[finding.code];
    if (scanned->loads) continue;
    ++broken;
    by_cause[cause_of(*scanned)].push_back(&*scanned);
  }
  // Worst first: the causes that stop the most objects.
  std::vector<std::pair<std::string, std::vector<const Scanned*>>> causes(by_cause.begin(),
                                                                          by_cause.end());
  std::stable_sort(causes.begin(), causes.end(),
                   [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });

  if (options.json) {
    nlohmann::json out;
    out["objects"] = objects;
    out["programs"] = programs;
    out["would_not_load"] = broken;
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& [cause, list] : causes) {
      nlohmann::json row{{"cause", cause}, {"count", list.size()}};
      nlohmann::json items = nlohmann::json::array();
      for (const Scanned* scanned : list) {
        nlohmann::json item{{"path", scanned->path}, {"program", scanned->program}};
        if (!scanned->other_kind.empty()) item["loader"] = scanned->other_kind;
        if (scanned->program || !scanned->other_kind.empty() || scanned->resolved_only)
          item["error"] = scanned->why.value_or("");
        else
          item["report"] = nlohmann::json::parse(render_json(scanned->report));
        items.push_back(std::move(item));
      }
      row["objects"] = std::move(items);
      rows.push_back(std::move(row));
    }
    out["causes"] = std::move(rows);
    out["warnings"] = warnings;
    std::cout << out.dump(2) << "\n";
    return broken == 0 ? 0 : 1;
  }
  const auto bold = [&](const std::string& text) {
    return style.colour ? "\033[1m" + text + "\033[0m" : text;
  };
  std::cout << "scan: " << objects << " objects (" << objects - programs << " libraries, "
            << programs << " programs): " << objects - broken << " load, " << broken
            << " would not\n";
  for (const auto& [cause, list] : causes) {
    std::cout << "\n" << bold(cause) << " (" << list.size() << ")\n";
    // A plugin's names are its host's to provide: dlopen from any other process fails the same.
    if (cause == "symbol.undefined")
      std::cout << "  (a plugin whose host defines these names loads in that host: check it with "
                   "dldoctor check PATH --host PROGRAM)\n";
    for (const Scanned* scanned : list) {
      std::string why;
      if (scanned->program || !scanned->other_kind.empty() || scanned->resolved_only) {
        why = scanned->why.value_or("");
      } else if (const Finding* error = first_error(scanned->report)) {
        why = error->summary;
      }
      std::cout << "  " << render::printable(scanned->path) << ": " << render::printable(why)
                << "\n";
    }
  }
  if (!warnings.empty()) {
    std::cout << "\nwarnings (they load):";
    for (const auto& [code, count] : warnings) std::cout << " " << code << " " << count << ";";
    std::cout << "\n";
  }
  if (broken != 0)
    std::cout << (root.empty() ? "\nfor one object: dldoctor check PATH (a plugin: with --host)\n"
                               : "\nobjects as the root names them, resolved from its own "
                                 "ld.so.cache and directories\n");
  return broken == 0 ? 0 : 1;
}

}  // namespace dldoctor::cli
