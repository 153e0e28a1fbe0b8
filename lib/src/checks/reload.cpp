// The reload stage (version-conflict family, codes reload.*): what goes wrong when a host closes
// a plugin and loads a new build of it, read from the files and, with --pid, from the running
// process. It runs after the identity stage, before anything else is looked for, because the
// loader answers a name it has loaded already before it opens any file:
// - glibc's _dl_map_object compares the name given to dlopen with the names of the loaded objects
//   (_dl_name_match_p) and returns the loaded one; with another name it opens the file, and
//   _dl_map_object_from_fd still returns a loaded object with the same st_dev and st_ino. Either
//   way the new build is never read (reload.same-path);
// - a page of a file rewritten in place (cp over it: the same inode, new bytes) is read from the
//   new bytes the next time the process faults it in, and a page past the new end is SIGBUS
//   (reload.rewritten-in-place);
// - dlclose unloads nothing that defines an STB_GNU_UNIQUE symbol (do_lookup_unique marks it
//   nodelete), that was linked -z nodelete (DF_1_NODELETE), or that has thread_local destructors
//   pending (__cxa_thread_atexit_impl counts them in l_tls_dtor_count): the old code stays;
// - a thread the plugin started that still runs when the host unloads it executes unmapped code;
// - Go's plugin.Open keeps every plugin it opened, by the file's real path (src/plugin: a second
//   Open of it returns the first result, "(previous failure)" included), and refuses a plugin
//   whose plugin path a loaded one has (runtime/plugin.go: "plugin already loaded"): Go plugins
//   are never unloaded (reload.go-same-file, reload.go-plugin-already-loaded).
#include <elf.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <ctime>
#include <set>

#include "checks/finding_helpers.hpp"
#include "checks/process_maps.hpp"
#include "checks/stage.hpp"
#include "checks/symbol_rules.hpp"
#include "elf/dwarf_sources.hpp"
#include "elf/symbol_index.hpp"
#include "go/go_binary.hpp"

namespace dldoctor {
namespace {

constexpr const char* kReloadFix =
    "load each new build under a path of its own (copy it to a new name first; "
    "dldoctor::Reloader does), close every handle of the old one, and put a new build in place "
    "with a rename (install, mv), never by writing into the loaded file";

std::string real_path(const std::string& path) {
  char resolved[PATH_MAX];
  return ::realpath(path.c_str(), resolved) != nullptr ? std::string(resolved) : std::string();
}

std::string utc_time(double seconds) {
  const std::time_t whole = static_cast<std::time_t>(seconds);
  std::tm parts{};
  ::gmtime_r(&whole, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &parts);
  return text;
}

double modified_at(const struct stat& status) {
  return static_cast<double>(status.st_mtim.tv_sec) +
         static_cast<double>(status.st_mtim.tv_nsec) / 1e9;
}

std::string inode_text(const struct stat& status) {
  return "inode " + std::to_string(status.st_ino) + " on device " +
         std::to_string(major(status.st_dev)) + ":" + std::to_string(minor(status.st_dev));
}

// ---- what keeps an object mapped after dlclose, and threads that outlive it (--reload) ----

bool imports(const elf::Symbol& symbol, std::string_view name) {
  return !symbol.defined() && symbol.name == name;
}

// Where an inline function's static lives: "counter()::n" is counter()'s, whose code the DWARF's
// ranges assign to a compile unit. "" when there is no such function, or no DWARF says.
std::string unit_of_unique(const std::string& path, const elf::Image& image,
                           const std::string& demangled) {
  const std::size_t scope = demangled.rfind("::");
  if (scope == std::string::npos || scope == 0 || demangled[scope - 1] != ')') return "";
  const std::string function = demangled.substr(0, scope);
  const std::vector<elf::Symbol>* tables[] = {&image.dynamic_symbols,
                                              image.symbol_table ? &*image.symbol_table : nullptr};
  for (const std::vector<elf::Symbol>* table : tables) {
    if (table == nullptr) continue;
    for (const elf::Symbol& symbol : *table) {
      if (!symbol.defined() || symbol.type != STT_FUNC || demangle(symbol.name) != function)
        continue;
      elf::SymbolIndexOutcome outcome = elf::read_symbol_index(path);
      const auto* index = std::get_if<elf::SymbolIndex>(&outcome);
      if (index == nullptr) return "";
      for (const elf::CompileUnit& unit :
           elf::compile_units_at(path, index->file_bytes(), index->debug_sections(),
                                 index->big_endian(), symbol.value))
        return unit.source;
      return "";
    }
  }
  return "";
}

void check_unloadable(Context& context) {
  const elf::Image& image = *context.image;
  const std::string file = base_of(context.file);
  std::vector<std::string> unique;
  std::vector<std::string> unique_lines;
  std::string thread_local_import;
  std::vector<std::string> thread_starts;
  for (const elf::Symbol& symbol : image.dynamic_symbols) {
    if (symbol.defined() && symbol.binding == STB_GNU_UNIQUE) {
      const std::string demangled = demangle(symbol.name);
      unique.push_back(demangled);
      // The compile unit, for the first few (DWARF is read only here, on a reload question).
      const std::string unit =
          unique_lines.size() < 4 ? unit_of_unique(context.file, image, demangled) : "";
      unique_lines.push_back(
          "exports " + demangled + (demangled != symbol.name ? " (" + symbol.name + ")" : "") +
          ": STB_GNU_UNIQUE " + (symbol.type == STT_FUNC ? "FUNC" : "OBJECT") +
          (symbol.section_name.empty() ? "" : " in " + symbol.section_name) +
          " (readelf --dyn-syms: UNIQUE)" + (unit.empty() ? "" : ", from " + unit));
    }
    if (imports(symbol, "__cxa_thread_atexit") || imports(symbol, "__cxa_thread_atexit_impl"))
      thread_local_import = symbol.name + (symbol.version.empty() ? "" : "@" + symbol.version);
    if (imports(symbol, "pthread_create") || imports(symbol, "thrd_create"))
      thread_starts.push_back(symbol.name + (symbol.version.empty() ? "" : "@" + symbol.version));
    else if (!symbol.defined() && symbol.name.rfind("_ZNSt6thread15_M_start_thread", 0) == 0)
      thread_starts.push_back(demangle(symbol.name) + " (std::thread)");
  }
  if (!unique.empty()) {
    Finding finding =
        make_finding(finding_code("reload.gnu-unique"),
                     file + " defines " + std::to_string(unique.size()) + " STB_GNU_UNIQUE symbol" +
                         (unique.size() == 1 ? "" : "s") + " (" + joined(unique, 4) +
                         "): dlclose leaves it mapped, and a reload runs the old code");
    for (std::size_t i = 0; i < unique_lines.size() && i < 8; ++i)
      finding.evidence.push_back(unique_lines[i]);
    if (unique_lines.size() > 8)
      finding.evidence.push_back("and " + std::to_string(unique_lines.size() - 8) + " more");
    finding.evidence.push_back(
        "g++ makes an inline function's static variable, or a template's static member, "
        "STB_GNU_UNIQUE, so that one copy serves the whole process; glibc then never unloads "
        "the object that defines it (do_lookup_unique marks it nodelete)");
    finding.fix.summary =
        "build the plugin with -fno-gnu-unique, or with -fvisibility=hidden exporting only its "
        "entry points (the statics are then local to it); or keep such statics out of it";
    context.findings.push_back(std::move(finding));
  }
  if (image.dynamic.has_flags_1 && (image.dynamic.flags_1 & DF_1_NODELETE) != 0) {
    Finding finding = make_finding(
        finding_code("reload.nodelete"),
        file +
            " was linked with -z nodelete: dlclose never unloads it, and a reload of the same "
            "object runs the old code");
    finding.evidence.push_back(
        "DT_FLAGS_1 has DF_1_NODELETE (readelf -d: FLAGS_1 Flags: NODELETE)");
    finding.fix.summary =
        "link the plugin without -Wl,-z,nodelete (and open it without RTLD_NODELETE)";
    context.findings.push_back(std::move(finding));
  }
  if (!thread_local_import.empty()) {
    Finding finding = make_finding(
        finding_code("reload.thread-local-destructor"),
        file +
            " has thread_local objects with destructors: while a thread that used one is "
            "alive, dlclose does not unload it");
    finding.evidence.push_back(
        "imports " + thread_local_import +
        ": each thread that constructs such an object registers its destructor, and glibc's "
        "__cxa_thread_atexit_impl counts it against the object (l_tls_dtor_count) until that "
        "thread exits");
    finding.fix.summary =
        "end the threads that used the plugin's thread_local objects before the host closes it, "
        "or give those objects trivial destructors (or no thread_local storage)";
    context.findings.push_back(std::move(finding));
  }
  if (!thread_starts.empty()) {
    Finding finding = make_finding(
        finding_code("reload.starts-threads"),
        file +
            " starts threads: one that still runs when the host closes it executes code "
            "that is no longer mapped, and the process dies");
    finding.evidence.push_back("imports " + joined(thread_starts, 3));
    finding.fix.summary =
        "give the plugin a shutdown function that stops and joins its threads, and have the "
        "host call it before dlclose";
    context.findings.push_back(std::move(finding));
  }
}

// ---- a file the host has loaded already (--loaded) ----

struct Checked {
  std::string path;  // what the host passes
  std::string real;  // realpath, "" when it cannot be resolved
  struct stat status {};
  bool stat_ok = false;
};

Finding same_path_finding(const Checked& file, const std::string& how,
                          const std::vector<std::string>& evidence) {
  Finding finding = make_finding(
      finding_code("reload.same-path"),
      "the host has " + file.path + " loaded already (" + how + "): dlopen(\"" + file.path +
          "\") returns that object, with the code of the build it loaded then, and never reads "
          "this file");
  finding.evidence = evidence;
  finding.fix.summary = kReloadFix;
  return finding;
}

void check_loaded_c(Context& context, const Checked& file, const std::string& loaded) {
  struct stat status {};
  const bool stat_ok = ::stat(loaded.c_str(), &status) == 0;
  const std::string real = real_path(loaded);
  std::vector<std::string> evidence;
  std::string how;
  if (loaded == file.path) {
    how = "--loaded " + loaded;
    evidence.push_back(
        "--loaded " + loaded +
        ": already loaded by the same name; the loader compares the name passed to dlopen with the "
        "names of the "
        "objects it has loaded (_dl_map_object, _dl_name_match_p) before it opens any file");
  } else if (!real.empty() && real == file.real) {
    how = "as " + loaded + ", the same file";
    evidence.push_back("--loaded " + loaded + " and " + file.path + " both resolve to " + real +
                       ": already loaded while it is the inode the host mapped (the loader "
                       "returns that object: _dl_map_object_from_fd compares st_dev and st_ino)");
  } else if (stat_ok && file.stat_ok && status.st_dev == file.status.st_dev &&
             status.st_ino == file.status.st_ino) {
    how = "as " + loaded + ", a link to the same inode";
    evidence.push_back("--loaded " + loaded + " is " + inode_text(status) + ", as " + file.path +
                       " is: already loaded from that inode, and the loader returns that object "
                       "(_dl_map_object_from_fd compares st_dev and st_ino)");
  } else {
    return;
  }
  context.findings.push_back(same_path_finding(file, how, evidence));
}

std::optional<std::string> plugin_path_of(const std::string& path, const elf::Image& image) {
  go::Binary binary = go::read_binary(path, image, go::DwarfParts{false, std::nullopt});
  return binary.plugin_path;
}

// A Go host: plugin.Open keys its table by realpath, and refuses a second plugin path.
// Returns whether the open stops here (plugin already loaded).
bool check_loaded_go(Context& context, const Checked& file, const std::string& loaded,
                     const std::optional<std::string>& plugin_path) {
  const std::string real = real_path(loaded);
  const std::string name = file.path.size() > 3 && file.path.ends_with(".so")
                               ? file.path.substr(0, file.path.size() - 3)
                               : file.path;
  if (!real.empty() && real == file.real) {
    Finding finding = make_finding(
        finding_code("reload.go-same-file"),
        "the Go host has opened " + real + " before: plugin.Open(\"" + name +
            "\") returns what it returned then (that plugin, or its error with \"(previous "
            "failure)\") and does not read the file again");
    finding.evidence.push_back("--loaded " + loaded + " and " + file.path + " both resolve to " +
                               real +
                               ", the key of Go's table of opened plugins (plugin.Open calls "
                               "realpath first; src/plugin/plugin_dlopen.go)");
    finding.fix.summary =
        "Go plugins are never unloaded: give each new build a new file name and a plugin path "
        "of its own (go build -buildmode=plugin -gcflags=-p=NAME-BUILD "
        "-ldflags=-pluginpath=NAME-BUILD), and open "
        "that; each reload keeps the old one mapped";
    context.findings.push_back(std::move(finding));
    return false;
  }
  if (!plugin_path) return false;
  elf::ReadOutcome outcome = elf::read_image(loaded);
  const auto* image = std::get_if<elf::Image>(&outcome);
  if (image == nullptr) return false;
  const std::optional<std::string> loaded_path = plugin_path_of(loaded, *image);
  if (!loaded_path || *loaded_path != *plugin_path) return false;
  Finding finding = make_finding(
      finding_code("reload.go-plugin-already-loaded"),
      "plugin.Open(\"" + name + "\") fails with \"plugin already loaded\": " + file.path +
          " has the plugin path " + *plugin_path + ", which " + loaded +
          ", loaded before, has too (when that open failed, its package hash, still loaded, "
          "answers first: \"plugin was built with a different version of package " +
          *plugin_path + "\")");
  finding.evidence.push_back(file.path + ": plugin path " + *plugin_path +
                             " (go.link.thispluginpath)");
  finding.evidence.push_back("--loaded " + loaded + ": plugin path " + *loaded_path +
                             "; runtime/plugin.go refuses a module whose pluginpath an active "
                             "one has, and keeps it mapped");
  finding.fix.summary =
      "build each new version with a plugin path of its own, at a new file name: go build "
      "-buildmode=plugin -gcflags=-p=" +
      *plugin_path + "-BUILD -ldflags=-pluginpath=" + *plugin_path +
      "-BUILD (BUILD: a build number; the linker's flag alone leaves the symbols named " +
      *plugin_path +
      ".*, which Lookup then cannot find); the old one stays mapped (Go plugins are never "
      "unloaded)";
  finding.stops_load = true;
  context.findings.push_back(std::move(finding));
  return true;
}

// ---- a running process (--pid) ----

void check_process(Context& context, const Checked& file, bool go_host,
                   const std::optional<std::string>& plugin_path, bool& stop) {
  std::string error;
  const std::optional<ProcessMaps> maps = read_process_maps(*context.request.pid, error);
  // The command refuses a --pid it cannot read (exit 2); a library caller gets no finding.
  if (!maps) return;
  const std::string who = "process " + std::to_string(*context.request.pid) +
                          (maps->command.empty() ? std::string() : " (" + maps->command + ")");
  std::vector<const Mapping*> same_inode;
  std::set<std::string> other_files;
  for (const Mapping& mapping : maps->mappings) {
    if (mapping.inode == 0 || mapping.path.empty() || mapping.path[0] != '/') continue;
    if (file.stat_ok && mapping.inode == file.status.st_ino &&
        mapping.device_major == major(file.status.st_dev) &&
        mapping.device_minor == minor(file.status.st_dev) && !mapping.deleted)
      same_inode.push_back(&mapping);
    else
      other_files.insert(mapping.path + (mapping.deleted ? " (deleted)" : ""));
  }
  if (!same_inode.empty()) {
    std::uint64_t extent = 0;
    for (const Mapping* mapping : same_inode)
      extent = std::max(extent, mapping->offset + (mapping->end - mapping->start));
    // What shows that the file changed under the mapping: it is shorter than what is mapped, or
    // its segments are no longer where the process has them. A modification time after the
    // process started alone is no proof (the process may have loaded it after that): said, not
    // concluded from.
    std::vector<std::string> changed;
    const PageRange pages;
    const auto size = static_cast<std::uint64_t>(file.status.st_size);
    if (pages.up(size) < extent)
      changed.push_back("the process maps " + std::to_string(extent) + " bytes of it; the file " +
                        "is now " + std::to_string(size) +
                        " bytes: touching a page past its end is SIGBUS");
    if (const std::string layout = layout_change(same_inode, *context.image); !layout.empty())
      changed.push_back(layout);
    std::string modified;
    if (maps->started_at && modified_at(file.status) > *maps->started_at)
      modified = "the file was modified at " + utc_time(modified_at(file.status)) +
                 ", after the process started (" + utc_time(*maps->started_at) + ")";
    const std::string mapped =
        "mapped by " + who + " as " + same_inode.front()->path + ", " + inode_text(file.status);
    if (!changed.empty()) {
      Finding finding = make_finding(
          finding_code("reload.rewritten-in-place"),
          file.path + " was rewritten in place while " + who +
              " has it mapped: its pages now come from the new bytes, and it crashes or runs a "
              "mix of both builds");
      finding.evidence.push_back(mapped);
      for (const std::string& line : changed)
        finding.evidence.push_back("rewritten in place: " + line);
      if (!modified.empty()) finding.evidence.push_back(modified);
      finding.fix.summary =
          "never write into a loaded plugin: write the new build to a new file and rename it "
          "over (install and mv do; cp does not), then load it under a new path; restart the "
          "process, whose mapped copy is now damaged";
      finding.stops_load = false;  // dlopen of its name returns the damaged object
      stop = true;
      context.findings.push_back(std::move(finding));
      return;
    }
    std::vector<std::string> evidence{
        mapped,
        "the loader returns that object for the name it was loaded by, or for any name "
        "of the same inode (_dl_map_object, _dl_map_object_from_fd)"};
    if (!modified.empty())
      evidence.push_back(modified + ": if it was loaded before that, its pages are a mix");
    context.findings.push_back(same_path_finding(file, "mapped by " + who, evidence));
    return;
  }
  // The build that was at this path before, replaced by a new file: the mapping is of the old
  // inode, now deleted, under the path's real name.
  if (!file.real.empty()) {
    for (const Mapping& mapping : maps->mappings) {
      if (!mapping.deleted || mapping.path != file.real) continue;
      if (go_host) {
        Finding finding = make_finding(
            finding_code("reload.go-same-file"),
            "the Go " + who + " has opened " + file.real +
                " before: plugin.Open returns what it returned then, and does not read the new "
                "file at that path");
        finding.evidence.push_back(who + " maps the build that was at " + file.real + " (inode " +
                                   std::to_string(mapping.inode) + ", deleted: replaced since)");
        finding.fix.summary =
            "give each new build a new file name and a plugin path of its own "
            "(-gcflags=-p=NAME-BUILD -ldflags=-pluginpath=NAME-BUILD)";
        context.findings.push_back(std::move(finding));
        return;
      }
      context.findings.push_back(same_path_finding(
          file, "its previous build, mapped by " + who,
          {who + " maps the build that was at " + file.real + " (inode " +
               std::to_string(mapping.inode) + ", deleted: replaced by a new file since)",
           "the loader returns that object for the name it was loaded by (_dl_map_object); "
           "this file is loaded only under a name the process has not used"}));
      return;
    }
  }
  if (go_host && plugin_path) {
    for (const std::string& other : other_files) {
      if (other.ends_with(" (deleted)") || !other.ends_with(".so")) continue;
      elf::ReadOutcome outcome = elf::read_image(other);
      const auto* image = std::get_if<elf::Image>(&outcome);
      if (image == nullptr) continue;
      if (plugin_path_of(other, *image) == plugin_path) {
        stop = check_loaded_go(context, file, other, plugin_path);
        return;
      }
    }
  }
}

}  // namespace

StageVerdict check_reload(Context& context) {
  const LoadRequest& request = context.request;
  if (!request.about_reload() || !context.image) return StageVerdict::Continue;
  Checked file;
  file.path = context.file;
  file.real = real_path(context.file);
  file.stat_ok = ::stat(context.file.c_str(), &file.status) == 0;
  const bool go_host = is_go_plugin_host(context);
  std::optional<std::string> plugin_path;
  if (go_host) plugin_path = plugin_path_of(context.file, *context.image);
  bool stop = false;
  for (const std::string& loaded : request.loaded) {
    if (go_host && plugin_path)
      stop = check_loaded_go(context, file, loaded, plugin_path) || stop;
    else
      check_loaded_c(context, file, loaded);
  }
  if (request.pid) check_process(context, file, go_host && plugin_path, plugin_path, stop);
  if (!(go_host && plugin_path)) check_unloadable(context);
  return stop ? StageVerdict::Stop : StageVerdict::Continue;
}

}  // namespace dldoctor
