// The bad-path family: the loader looked somewhere other than where the user thinks.
// Stage 1 (path) models the start of glibc's _dl_map_object for the name the host passes: a name
// with a slash is opened as given, relative to the current directory; a bare name is searched
// (search/loader_model.cpp), never in the current directory.
// Stage 4 (dependencies) models _dl_map_object_deps: each DT_NEEDED entry searched with the
// requester's RPATH/RUNPATH, and checks the files it chose: a copy shadowing another, a RUNPATH
// that lets others choose the code.
#include <dirent.h>
#include <elf.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "checks/access_rules.hpp"
#include "checks/finding_helpers.hpp"
#include "checks/stage.hpp"
#include "dldoctor/render.hpp"
#include "dldoctor/search.hpp"
#include "search/ld_so_cache.hpp"

namespace dldoctor {
namespace {

bool is_file(const std::string& path) {
  struct stat status {};
  return ::stat(path.c_str(), &status) == 0 && S_ISREG(status.st_mode);
}

// Entries of the directory that share the name's stem ("libfoo" of "libfoo.so.2"): the usual
// reason for a missing file is a different version suffix or a typo in it.
std::vector<std::string> similar_entries(const std::string& directory, const std::string& name) {
  std::vector<std::string> similar;
  const std::string stem = name.substr(0, name.find('.'));
  if (stem.empty()) return similar;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(directory.c_str()), ::closedir);
  if (!dir) return similar;
  while (const dirent* entry = ::readdir(dir.get())) {
    const std::string candidate = entry->d_name;
    if (candidate != name && candidate.rfind(stem, 0) == 0) similar.push_back(candidate);
    if (similar.size() > 64) break;
  }
  std::sort(similar.begin(), similar.end());
  if (similar.size() > 5) similar.resize(5);
  return similar;
}

// The path made absolute and normalised, without a trailing slash: for people and commands (the
// loader's own spelling stays in the trace).
std::string absolute(const std::string& path) {
  std::error_code error;
  const std::filesystem::path made = std::filesystem::absolute(path, error);
  if (error) return path;
  std::string text = made.lexically_normal().string();
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  return text;
}

// A path to show: normalised, and relative ("./lib/libdep1.so") when it lies under the current
// directory.
std::string display_path(const std::string& path) {
  const std::string full = absolute(path);
  const std::string cwd = absolute(".");
  if (full.size() > cwd.size() && full.compare(0, cwd.size(), cwd) == 0 && full[cwd.size()] == '/')
    return "./" + full.substr(cwd.size() + 1);
  return full;
}

bool is_elf_file(const std::string& path) {
  FileProbe probe = probe_file(path);
  return probe.readable() && probe.head.compare(0, 4,
                                                "\x7f"
                                                "ELF") == 0;
}

// "$ORIGIN" or "$ORIGIN/../lib": the RUNPATH entry that names `directory` from `requester`'s
// own directory, so that the pair can be moved together.
std::string origin_relative(const std::string& requester, const std::string& directory) {
  const std::filesystem::path from = absolute(parent_of(requester));
  const std::filesystem::path to = absolute(directory);
  const std::filesystem::path relative = to.lexically_relative(from);
  if (relative.empty() || relative == ".") return "$ORIGIN";
  return "$ORIGIN/" + relative.string();
}

std::string set_runpath_command(const std::string& object, const std::string& entry,
                                bool has_runpath) {
  return std::string("patchelf ") + (has_runpath ? "--add-rpath " : "--set-rpath ") +
         shell_quote(entry) + " " + shell_quote(object);
}

// ---- Stage 1: the name the host passes ----

Finding not_found(const std::string& path) {
  Finding finding = make_finding(finding_code("path.not-found"), path + " does not exist");
  const std::string directory = parent_of(path);
  std::vector<std::string> similar = similar_entries(directory, base_of(path));
  for (const std::string& entry : similar)
    finding.evidence.push_back("beside it in " + directory + ": " + entry);
  finding.fix.summary = similar.empty()
                            ? "give the path of the file as it is on disk"
                            : "give the path of the file as it is on disk, e.g. " +
                                  (directory == "." ? "./" : directory + "/") + similar.front();
  finding.fix.commands.push_back("ls -l " + shell_quote(directory));
  return finding;
}

// dlopen("name.so"): the search failed. Say where it looked, and where the file really is when
// it is in the current directory, the classic mistake.
Finding bare_name_not_found(const Context& context, const search::Resolution& resolution) {
  const std::string& name = context.request.path;
  const bool in_cwd = is_file(name);
  Finding finding = make_finding(
      in_cwd ? finding_code("path.bare-name") : finding_code("path.not-found"),
      in_cwd
          ? "dlopen(\"" + name +
                "\") searches the library path, never the current directory, where " + name + " is"
          : name + " is not on the library search path");
  finding.evidence.push_back("the loader: " + resolution.error);
  for (const std::string& line : describe_steps(resolution)) finding.evidence.push_back(line);
  if (in_cwd) {
    finding.fix.summary = "open it by a path (\"./" + name +
                          "\", or one built from /proc/self/exe), or put its directory on the "
                          "host's RUNPATH";
    if (context.request.host) {
      // $ORIGIN-relative when the plugin lives beside or below the host, so that both can move.
      const std::string entry = origin_relative(*context.request.host, ".");
      const std::string host_dir = absolute(parent_of(*context.request.host));
      const std::string cwd = absolute(".");
      const bool below_host = cwd == host_dir || cwd.rfind(host_dir + "/", 0) == 0;
      finding.fix.commands.push_back("patchelf --add-rpath " +
                                     shell_quote(below_host ? entry : cwd) + " " +
                                     shell_quote(*context.request.host));
    }
  } else {
    finding.fix.summary = "install the library, or open it by its full path";
    finding.fix.commands.push_back("find / -xdev -name " + shell_quote(name + "*") +
                                   " 2>/dev/null");
  }
  return finding;
}

// dlopen("plugins/p.so") started from another directory: relative paths count from the current
// directory, not from the program.
std::optional<Finding> relative_to_elsewhere(const Context& context) {
  const std::string& path = context.request.path;
  if (path.empty() || path[0] == '/' || !context.request.host) return std::nullopt;
  const std::string host_directory = parent_of(absolute(*context.request.host));
  const std::string beside_host = host_directory + "/" + path;
  if (!is_file(beside_host)) return std::nullopt;
  Finding finding = make_finding(finding_code("path.relative-to-cwd"),
                                 path +
                                     " is relative, so the loader looks for it from the current "
                                     "directory, " +
                                     absolute(".") + ", not from the host's");
  finding.evidence.push_back("stat " + absolute(path) + ": " + std::strerror(ENOENT));
  finding.evidence.push_back("it is at " + absolute(beside_host) +
                             ", relative to the host's "
                             "directory " +
                             host_directory);
  finding.fix.summary =
      "build the path from the host's own location (the directory of /proc/self/exe, or "
      "dladdr of a host function), or dlopen(\"$ORIGIN/" +
      path + "\"), which the loader expands to the host's directory";
  return finding;
}

Finding dangling_symlink(const FileProbe& probe) {
  const std::string target = probe.symlink_target.value_or("?");
  Finding finding =
      make_finding(finding_code("path.dangling-symlink"),
                   probe.path + " is a symbolic link to " + target + ", which does not exist");
  finding.evidence.push_back("readlink " + probe.path + ": " + target);
  const std::string directory = parent_of(probe.path);
  std::vector<std::string> similar = similar_entries(directory, base_of(probe.path));
  // Candidates: other versions of the same library (the link's name and a suffix) that are ELF
  // files, not whatever shares the name's stem (a build system's stamp file, say).
  const std::string prefix = base_of(probe.path) + ".";
  similar.erase(std::remove_if(similar.begin(), similar.end(),
                               [&](const std::string& entry) {
                                 return entry.rfind(prefix, 0) != 0 || entry == base_of(target) ||
                                        !is_elf_file(directory + "/" + entry);
                               }),
                similar.end());
  for (const std::string& entry : similar)
    finding.evidence.push_back("beside it in " + directory + ": " + entry);
  if (!similar.empty()) {
    // The newest version suffix sorts last.
    const std::string replacement = similar.back();
    finding.fix.summary = "point the link at the file that is there: " + replacement;
    finding.fix.commands.push_back("ln -sfn " + shell_quote(replacement) + " " +
                                   shell_quote(probe.path));
  } else {
    finding.fix.summary = "install the file the link names, or point the link at the real file";
    finding.fix.commands.push_back("ls -l " + shell_quote(directory));
  }
  return finding;
}

// ---- Stage 4: dependencies ----

search::TreeRequest tree_request(const Context& context) {
  search::TreeRequest request;
  request.path = context.file;
  request.host = context.request.host;
  request.caller = context.request.caller;
  request.this_process = context.request.this_process;
  return request;
}

// Whether node is the plugin or below it (the host's own libraries are not the plugin's fault).
bool is_descendant(const search::Tree& tree, int node) {
  for (int at = node; at >= 0; at = tree.nodes[static_cast<std::size_t>(at)].parent)
    if (at == tree.plugin) return true;
  return false;
}

std::string node_path(const search::Tree& tree, int index) {
  if (index < 0) return "";
  const search::Node& node = tree.nodes[static_cast<std::size_t>(index)];
  return node.path.value_or(node.name);
}

// The RUNPATH directories of the objects above `node` that hold `name`: RUNPATH is not inherited,
// so a library found there for the plugin is not found there for the plugin's dependencies.
std::optional<std::pair<std::string, std::string>> runpath_of_ancestor_holding(
    const search::Tree& tree, int node, const std::string& name) {
  for (int ancestor = tree.nodes[static_cast<std::size_t>(node)].parent; ancestor >= 0;
       ancestor = tree.nodes[static_cast<std::size_t>(ancestor)].parent) {
    const std::string path = node_path(tree, ancestor);
    elf::ReadOutcome outcome = elf::read_image(path, elf::ReadParts::LoaderView);
    const auto* image = std::get_if<elf::Image>(&outcome);
    if (image == nullptr || !image->dynamic.runpath) continue;
    for (const std::string& entry :
         origin_expanded_entries(*image->dynamic.runpath, parent_of(absolute(path))))
      if (!entry.empty() && is_file(entry + "/" + name)) return std::make_pair(path, entry);
  }
  return std::nullopt;
}

// dlopen(NAME) by a library of the host (LoadRequest::caller), and the file is in a directory on
// the RUNPATH of an object above that library (the program's, typically): the search is the
// caller's request, served by the caller's RPATH chain and its own RUNPATH only (glibc
// _dl_map_object with the caller's link map as loader), so the program's RUNPATH is not read.
std::optional<Finding> caller_runpath_not_inherited(const Context& context,
                                                    const search::Tree& tree,
                                                    const search::Resolution& resolution) {
  if (!context.request.caller || tree.plugin < 0 ||
      static_cast<std::size_t>(tree.plugin) >= tree.nodes.size())
    return std::nullopt;
  const std::string& name = resolution.name;
  const auto ancestor = runpath_of_ancestor_holding(tree, tree.plugin, name);
  if (!ancestor) return std::nullopt;
  const auto& [owner, directory] = *ancestor;
  const std::string& caller = *context.request.caller;
  elf::ReadOutcome caller_image = elf::read_image(caller, elf::ReadParts::LoaderView);
  const auto* image = std::get_if<elf::Image>(&caller_image);
  const bool has_runpath = image != nullptr && image->dynamic.runpath.has_value();
  Finding finding = make_finding(
      finding_code("path.runpath-not-inherited"),
      name + " (dlopened by " + display_path(caller) + ") is in " + display_path(directory) +
          ", on the RUNPATH of " + display_path(owner) +
          ", but a RUNPATH serves only its own object's requests, and this dlopen is " +
          base_of(caller) + "'s");
  finding.evidence.push_back("the loader: " + resolution.error);
  for (const std::string& line : describe_steps(resolution)) finding.evidence.push_back(line);
  finding.evidence.push_back(display_path(directory + "/" + name) + " exists");
  finding.evidence.push_back(
      "dlopen searches with the RPATH chain and the RUNPATH of the object that calls it, " +
      base_of(caller) + " (" +
      (has_runpath ? "RUNPATH " + *image->dynamic.runpath : std::string("no RUNPATH")) +
      "), not with the program's RUNPATH");
  finding.fix.summary = "give " + base_of(caller) +
                        " its own RUNPATH naming that directory, or have it dlopen the file by "
                        "its full path";
  finding.fix.commands.push_back(
      set_runpath_command(display_path(caller), origin_relative(caller, directory), has_runpath));
  return finding;
}

// Other major versions of a missing library where the search looked: "libfoo.so.1" for a
// needed "libfoo.so.2", each with its SONAME. The system directories are asked of ld.so.cache
// (which lists what ldconfig found there: reading /usr/lib/x86_64-linux-gnu would cost more than
// the rest of the diagnosis); the others, usually small, are listed. Their glibc-hwcaps and
// legacy hwcaps subdirectories are left out.
std::vector<std::pair<std::string, std::string>> other_major_versions(
    const search::Resolution& resolution) {
  std::vector<std::pair<std::string, std::string>> found;
  const std::size_t dot_so = resolution.name.find(".so");
  if (dot_so == std::string::npos || resolution.name.find('/') != std::string::npos) return found;
  const std::string stem = library_stem(resolution.name);
  auto same_library = [&](const std::string& file) {
    return file != resolution.name && file.rfind(stem, 0) == 0 &&
           (file.size() == stem.size() || file[stem.size()] == '.');
  };
  std::vector<std::string> candidates;
  std::set<std::string> system;
  for (const std::string& directory : search::system_directories()) system.insert(directory);
  const std::shared_ptr<const search::LdSoCache> cache =
      search::cached_ld_so_cache(search::Environment::from_process().ld_so_cache);
  for (const search::LdSoCache::Entry& entry : cache->entries())
    if (entry.hwcaps_subdirectory.empty() && same_library(entry.key))
      candidates.push_back(entry.value);
  std::set<std::string> directories;
  for (const search::SearchStep& step : resolution.steps) {
    std::string directory = parent_of(step.path);
    if (const std::size_t hwcaps = directory.find("/glibc-hwcaps/"); hwcaps != std::string::npos)
      directory.resize(hwcaps);
    if (system.count(directory) != 0 || !directories.insert(directory).second) continue;
    DIR* listing = ::opendir(directory.c_str());
    if (listing == nullptr) continue;
    while (const dirent* entry = ::readdir(listing))
      if (same_library(entry->d_name)) candidates.push_back(directory + "/" + entry->d_name);
    ::closedir(listing);
  }
  // One entry per file, under the name that is its SONAME when a link of that name exists
  // (libz.so.1 rather than the development link libz.so).
  std::map<std::string, std::pair<std::string, std::string>> by_file;
  for (const std::string& path : candidates) {
    if (by_file.size() > 8) break;
    char real[PATH_MAX];
    if (::realpath(path.c_str(), real) == nullptr) continue;
    if (const auto known = by_file.find(real);
        known != by_file.end() && base_of(known->second.first) == known->second.second)
      continue;
    elf::ReadOutcome outcome = elf::read_image(path, elf::ReadParts::LoaderView);
    const auto* image = std::get_if<elf::Image>(&outcome);
    if (image == nullptr || image->identity.machine != elf::host_machine() ||
        image->identity.elf_class != elf::host_class())
      continue;
    by_file[real] = {path, image->dynamic.soname.value_or("")};
  }
  for (const auto& [real, entry] : by_file) found.push_back(entry);
  std::sort(found.begin(), found.end());
  return found;
}

// A SONAME bump: the library the requester was linked against (libfoo.so.2) is absent, another
// major version of it (libfoo.so.1) is where the loader looks. The number changed because the
// ABI did, so the other one is not a substitute, and a symbolic link named libfoo.so.2 would
// load a library the requester was not built for.
std::optional<Finding> soname_bump(const search::Resolution& resolution,
                                   const std::string& requester) {
  const std::vector<std::pair<std::string, std::string>> others = other_major_versions(resolution);
  if (others.empty()) return std::nullopt;
  const std::string& name = resolution.name;
  std::string listed;
  for (const auto& [path, soname] : others) listed += (listed.empty() ? "" : ", ") + base_of(path);
  Finding finding = make_finding(
      finding_code("version.soname-bump"),
      name + " (needed by " + requester + ") is not on the search path, but another version of " +
          "the library is: " + listed + ". " + base_of(requester) + " was built against " + name);
  finding.evidence.push_back("the loader: " + resolution.error);
  for (const std::string& line : describe_steps(resolution)) finding.evidence.push_back(line);
  for (const auto& [path, soname] : others)
    finding.evidence.push_back(
        display_path(path) + ": DT_SONAME " + (soname.empty() ? "(none)" : soname) +
        (soname == name ? ", the name needed: a copy the search missed" : ", not " + name));
  finding.evidence.push_back(
      "a SONAME changes when the library's ABI does: a symbolic link named " + name +
      " to another version loads, and then calls functions that have other arguments, layouts "
      "or no longer exist");
  finding.fix.summary = "install the version of the library that provides " + name +
                        " (its package, or the build it came from), or rebuild " +
                        base_of(requester) + " against the version this system has";
  finding.fix.commands.push_back("find / -xdev -name " + shell_quote(name + "*") + " 2>/dev/null");
  return finding;
}

// The loader never compares the name it was asked for with the DT_SONAME of the file it opens:
// a link libdep.so.2 -> libdep.so.1 (the "fix" for a SONAME bump) loads, and the plugin then
// calls functions of the other ABI. Both names versioned (libfoo.so.N) and different: a file of
// one major version standing in for another.
std::optional<Finding> found_under_another_soname(const search::Node& node,
                                                  const search::Resolution& resolution) {
  if (!node.soname || !node.path || resolution.needed_by.empty()) return std::nullopt;
  const std::string& needed = node.name;
  const std::string& soname = *node.soname;
  auto versioned = [](const std::string& name) {
    const std::size_t dot_so = name.find(".so.");
    return dot_so != std::string::npos && name.find('/') == std::string::npos &&
           dot_so + 4 < name.size() && std::isdigit(static_cast<unsigned char>(name[dot_so + 4]));
  };
  if (needed == soname || !versioned(needed) || !versioned(soname) ||
      library_stem(needed) != library_stem(soname))
    return std::nullopt;
  Finding finding = make_finding(
      finding_code("version.soname-mismatch"),
      needed + " (needed by " + display_path(resolution.needed_by) + ") was found as " +
          display_path(*node.path) + ", whose DT_SONAME is " + soname +
          ": another major version under its name, which loads and then runs another ABI");
  char real[PATH_MAX];
  if (::realpath(node.path->c_str(), real) != nullptr &&
      display_path(real) != display_path(*node.path))
    finding.evidence.push_back(display_path(*node.path) + " is a link to " + real);
  finding.evidence.push_back(base_of(resolution.needed_by) + ", DT_NEEDED: " + needed);
  finding.evidence.push_back(display_path(*node.path) + ", DT_SONAME: " + soname);
  finding.fix.summary = "install the " + needed +
                        " the requester was built against (and remove "
                        "the link or copy named " +
                        needed + "), or rebuild the requester against " + soname;
  finding.fix.commands.push_back("ls -l " + shell_quote(display_path(*node.path)));
  return finding;
}

Finding missing_dependency(const search::Tree& tree, int node,
                           const search::Resolution& resolution) {
  const std::string& name = resolution.name;
  const std::string requester =
      resolution.needed_by.empty() ? "the host" : display_path(resolution.needed_by);
  const std::string requester_path = display_path(resolution.needed_by);
  elf::ReadOutcome requester_image =
      elf::read_image(resolution.needed_by, elf::ReadParts::LoaderView);
  const auto* image = std::get_if<elf::Image>(&requester_image);
  const bool has_runpath = image != nullptr && image->dynamic.runpath.has_value();

  // A dangling symbolic link among the candidates: the file was there once.
  for (const search::SearchStep& step : resolution.steps) {
    if (step.why.rfind("dangling symbolic link", 0) != 0) continue;
    Finding finding =
        make_finding(finding_code("path.dangling-symlink"),
                     name + " (needed by " + requester + ") is a " + step.why + " at " + step.path);
    for (const std::string& line : describe_steps(resolution)) finding.evidence.push_back(line);
    const Finding link = dangling_symlink(probe_file(step.path));
    finding.fix = link.fix;
    return finding;
  }

  if (auto ancestor = runpath_of_ancestor_holding(tree, node, name)) {
    const auto& [owner, directory] = *ancestor;
    Finding finding =
        make_finding(finding_code("path.runpath-not-inherited"),
                     name + " (needed by " + requester + ") is in " + display_path(directory) +
                         ", on the RUNPATH of " + display_path(owner) +
                         ", but a RUNPATH serves only its own object's requests");
    finding.evidence.push_back("the loader: " + resolution.error);
    for (const std::string& line : describe_steps(resolution)) finding.evidence.push_back(line);
    finding.evidence.push_back(display_path(directory + "/" + name) + " exists");
    finding.fix.summary = "give " + base_of(requester) + " its own RUNPATH naming that directory";
    finding.fix.commands.push_back(set_runpath_command(
        requester_path, origin_relative(resolution.needed_by, directory), has_runpath));
    return finding;
  }

  if (std::optional<Finding> bump = soname_bump(resolution, requester)) return std::move(*bump);

  Finding finding = make_finding(finding_code("path.missing-dependency"),
                                 name + " (needed by " + requester + ") is not on the search path");
  finding.evidence.push_back("the loader: " + resolution.error);
  for (const std::string& line : describe_steps(resolution)) finding.evidence.push_back(line);
  const std::string beside = parent_of(resolution.needed_by) + "/" + name;
  if (!resolution.needed_by.empty() && is_file(beside)) {
    finding.evidence.push_back(beside + " exists, beside " + base_of(requester) +
                               ", which has no RUNPATH naming its own directory");
    finding.fix.summary =
        "give " + base_of(requester) + " a RUNPATH of $ORIGIN (its own directory)";
    finding.fix.commands.push_back(set_runpath_command(requester_path, "$ORIGIN", has_runpath));
  } else {
    finding.fix.summary = "install the library that provides " + name +
                          ", or give the requester a RUNPATH naming its directory";
    finding.fix.commands.push_back("find / -xdev -name " + shell_quote(name + "*") +
                                   " 2>/dev/null");
  }
  return finding;
}

// Names a requester needs (undefined, not weak) that `library` does not define.
std::vector<std::string> unmet_symbols(const elf::Image& requester, const elf::Image& library) {
  std::set<std::string> defined;
  for (const elf::Symbol& symbol : library.dynamic_symbols)
    if (symbol.defined() && symbol.binding != STB_LOCAL) defined.insert(symbol.name);
  std::vector<std::string> unmet;
  for (const elf::Symbol& symbol : requester.dynamic_symbols)
    if (!symbol.defined() && symbol.binding == STB_GLOBAL && symbol.type != STT_TLS &&
        !symbol.name.empty())
      if (defined.count(symbol.name) == 0 && unmet.size() < 1000) unmet.push_back(symbol.name);
  return unmet;
}

// A library found by an earlier rule (LD_LIBRARY_PATH, say) while a later rule would have found
// another copy: the first wins, and when it lacks what the requester needs, the load fails with
// "undefined symbol" though the "right" copy is on disk.
std::optional<Finding> shadowed(const search::Resolution& resolution) {
  if (!resolution.path || resolution.needed_by.empty()) return std::nullopt;
  const search::Rule chosen_rule = resolution.rule;
  if (chosen_rule != search::Rule::LdLibraryPath && chosen_rule != search::Rule::Rpath)
    return std::nullopt;
  // The later candidates: the requester's RUNPATH, then the system.
  elf::ReadOutcome requester_outcome = elf::read_image(resolution.needed_by);
  const auto* requester = std::get_if<elf::Image>(&requester_outcome);
  if (requester == nullptr || !requester->dynamic.runpath) return std::nullopt;
  std::optional<std::string> other;
  for (const std::string& entry : origin_expanded_entries(
           *requester->dynamic.runpath, parent_of(absolute(resolution.needed_by)))) {
    const std::string candidate = entry + "/" + resolution.name;
    if (!other && is_file(candidate) && absolute(candidate) != absolute(*resolution.path))
      other = candidate;
  }
  if (!other) return std::nullopt;
  elf::ReadOutcome chosen_outcome = elf::read_image(*resolution.path);
  elf::ReadOutcome other_outcome = elf::read_image(*other);
  const auto* chosen = std::get_if<elf::Image>(&chosen_outcome);
  const auto* alternative = std::get_if<elf::Image>(&other_outcome);
  if (chosen == nullptr || alternative == nullptr) return std::nullopt;
  const std::vector<std::string> missing_in_chosen = unmet_symbols(*requester, *chosen);
  const std::vector<std::string> missing_in_other = unmet_symbols(*requester, *alternative);
  std::vector<std::string> lost;  // needed, absent from the chosen copy, present in the other
  for (const std::string& name : missing_in_chosen)
    if (std::find(missing_in_other.begin(), missing_in_other.end(), name) == missing_in_other.end())
      lost.push_back(name);
  Finding finding =
      make_finding(finding_code("path.shadowed-dependency"),
                   resolution.name + " (needed by " + resolution.needed_by + ") is taken from " +
                       *resolution.path + " [" + std::string(search::to_string(chosen_rule)) +
                       "], which shadows " + *other + " [runpath]");
  finding.severity = lost.empty() ? Severity::Warning : Severity::Error;
  finding.evidence.push_back("chosen: " + *resolution.path + " by " +
                             std::string(search::to_string(chosen_rule)) +
                             ", which the loader searches before RUNPATH");
  finding.evidence.push_back("shadowed: " + *other + " on the RUNPATH of " +
                             base_of(resolution.needed_by));
  for (std::size_t i = 0; i < lost.size() && i < 5; ++i)
    finding.evidence.push_back(lost[i] + ": needed by " + base_of(resolution.needed_by) +
                               ", defined by the shadowed copy only");
  finding.fix.summary =
      chosen_rule == search::Rule::LdLibraryPath
          ? "drop the directory holding the older copy from LD_LIBRARY_PATH, or remove that copy"
          : "remove the older copy, or the RPATH entry that names it";
  if (chosen_rule == search::Rule::LdLibraryPath) {
    // LD_LIBRARY_PATH without the directory that holds the older copy.
    const std::string shadow_dir = absolute(parent_of(*resolution.path));
    std::string kept;
    const std::string current = search::Environment::from_process().ld_library_path.value_or("");
    for (std::size_t start = 0; start <= current.size();) {
      std::size_t end = current.find_first_of(":;", start);
      if (end == std::string::npos) end = current.size();
      const std::string entry = current.substr(start, end - start);
      if (!entry.empty() && absolute(entry) != shadow_dir)
        kept += (kept.empty() ? "" : ":") + entry;
      start = end + 1;
    }
    finding.fix.commands.push_back(kept.empty() ? "unset LD_LIBRARY_PATH"
                                                : "export LD_LIBRARY_PATH=" + shell_quote(kept));
  }
  return finding;
}

// RUNPATH or RPATH entries that let others choose the code: empty ("" is the current directory),
// ".", relative ones (relative to wherever the host was started), and directories that users
// other than the owner can write.
std::optional<Finding> insecure_runpath(const std::string& path, const elf::Image& image) {
  const std::optional<std::string>& list =
      image.dynamic.runpath ? image.dynamic.runpath : image.dynamic.rpath;
  if (!list) return std::nullopt;
  const char* tag = image.dynamic.runpath ? "RUNPATH" : "RPATH";
  std::vector<std::string> reasons;
  std::vector<std::string> kept;
  std::size_t start = 0;
  while (start <= list->size()) {
    std::size_t end = list->find(':', start);
    if (end == std::string::npos) end = list->size();
    const std::string entry = list->substr(start, end - start);
    start = end + 1;
    std::string expanded = entry;
    for (const char* token : {"$ORIGIN", "${ORIGIN}"})
      if (expanded.rfind(token, 0) == 0)
        expanded = parent_of(absolute(path)) + expanded.substr(std::strlen(token));
    struct stat status {};
    if (entry.empty()) {
      reasons.push_back("an empty entry, which the loader reads as the current directory");
    } else if (entry == "." || entry == "./") {
      reasons.push_back("\".\", the current directory of whoever starts the host");
    } else if (entry[0] != '/' && entry[0] != '$') {
      reasons.push_back("\"" + entry + "\", relative to the current directory of the host");
    } else if (::stat(expanded.c_str(), &status) == 0 && S_ISDIR(status.st_mode) &&
               (status.st_mode & (S_IWOTH | S_IWGRP)) != 0 && (status.st_mode & S_ISVTX) == 0) {
      reasons.push_back("\"" + entry + "\" (" + expanded +
                        "), a directory that users other than "
                        "its owner can write");
    } else {
      kept.push_back(entry);
    }
    if (end == list->size()) break;
  }
  if (reasons.empty()) return std::nullopt;
  Finding finding = make_finding(finding_code("path.insecure-runpath"),
                                 path + "'s " + tag + " lets others choose the code it loads");
  finding.evidence.push_back(std::string(tag) + ": " + *list);
  for (const std::string& reason : reasons) finding.evidence.push_back("entry " + reason);
  std::string cleaned;
  for (const std::string& entry : kept) cleaned += (cleaned.empty() ? "" : ":") + entry;
  finding.fix.summary = kept.empty() ? "remove the " + std::string(tag)
                                     : "keep only the absolute and $ORIGIN entries";
  finding.fix.commands.push_back(kept.empty() ? "patchelf --remove-rpath " + shell_quote(path)
                                              : "patchelf --set-rpath " + shell_quote(cleaned) +
                                                    " " + shell_quote(path));
  return finding;
}

}  // namespace

// dlopen expands $ORIGIN in the name it is given (_dl_dst_substitute) against the caller's
// origin, the host program's real directory.
std::string expand_origin_of_host(const std::string& path, const Context& context) {
  if (path.find('$') == std::string::npos || !context.request.host) return path;
  char real[PATH_MAX];
  if (::realpath(context.request.host->c_str(), real) == nullptr) return path;
  const std::string origin = parent_of(real);
  std::string out = path;
  for (const char* token : {"${ORIGIN}", "$ORIGIN"})
    for (std::size_t at; (at = out.find(token)) != std::string::npos;)
      out.replace(at, std::strlen(token), origin);
  return out;
}

// plugin.Open("p.so") of a Go host (Go 1.19 src/plugin/plugin_dlopen.go): realpath(name) first,
// against the current directory, then dlopen of the absolute path it made. A bare name is never
// searched (no LD_LIBRARY_PATH, RUNPATH or cache): it loads from the current directory, where
// dlopen would never look, and fails in realpath when it is not there.
Finding go_bare_name_not_found(const Context& context) {
  const std::string& name = context.request.path;
  const std::string cwd = absolute(".");
  Finding finding = make_finding(finding_code("go.bare-name"),
                                 "plugin.Open(\"" + name + "\") resolves " + name +
                                     " against the current directory, " + cwd +
                                     ", where it is not: Go searches no library path");
  finding.evidence.push_back("realpath(\"" + name + "\") in " + cwd + ": " + std::strerror(ENOENT));
  // Where dlopen's search, which plugin.Open never runs, would have found it.
  search::TreeRequest request;
  request.path = name;
  request.host = context.request.host;
  request.caller = context.request.caller;
  const search::Tree tree = search::resolve_tree(request);
  std::optional<std::string> found;
  if (tree.plugin >= 0 && static_cast<std::size_t>(tree.plugin) < tree.nodes.size()) {
    const search::Node& node = tree.nodes[static_cast<std::size_t>(tree.plugin)];
    if (node.path) {
      found = display_path(*node.path);
      std::string how = std::string(search::to_string(node.rule));
      if (!node.rule_owner.empty()) how += " of " + base_of(node.rule_owner);
      finding.evidence.push_back("dlopen's search would find it at " + *found + " by [" + how +
                                 "]; plugin.Open passes dlopen the absolute path realpath made, "
                                 "so no search takes place");
    }
  }
  finding.evidence.push_back("plugin.Open fails before any dlopen: 'plugin.Open(\"" + name +
                             "\"): realpath failed'");
  finding.fix.summary =
      "give plugin.Open a path: one built from the host's own directory "
      "(filepath.Join(filepath.Dir(exe), ...), exe from os.Executable()) or an absolute one" +
      (found ? ", here " + *found : std::string());
  if (found) finding.fix.commands.push_back("ls -l " + shell_quote(*found));
  return finding;
}

StageVerdict check_path(Context& context) {
  // Read only where it matters: a bare name, $ORIGIN, or a path that is not there.
  auto go_host = [&] { return is_go_plugin_host(context); };
  // A Go host's realpath takes "$ORIGIN" for the name of a directory, and dlopen gets realpath's
  // absolute result: nothing is expanded.
  const std::string path = context.request.path.find("$ORIGIN") != std::string::npos && go_host()
                               ? context.request.path
                               : expand_origin_of_host(context.request.path, context);
  context.file = path;
  const bool bare = !path.empty() && path.find('/') == std::string::npos;
  if (bare && go_host()) {
    // A Go host's bare name: relative to the current directory, as realpath resolves it.
    struct stat status {};
    if (::lstat(path.c_str(), &status) != 0 && errno == ENOENT) {
      context.findings.push_back(go_bare_name_not_found(context));
      return StageVerdict::Stop;
    }
    context.file = "./" + path;
  } else if (bare) {
    // A bare name: the loader searches for it as the host's request.
    search::TreeRequest request;
    request.path = path;
    request.host = context.request.host;
    request.caller = context.request.caller;
    request.this_process = context.request.this_process;
    const search::Tree tree = search::resolve_tree(request);
    const search::Node& plugin = tree.nodes[static_cast<std::size_t>(
        std::min<int>(tree.plugin, static_cast<int>(tree.nodes.size()) - 1))];
    const bool hosted = request.host || request.this_process;
    if (hosted && tree.nodes.size() > 1 && plugin.path) {
      context.file = *plugin.path;
    } else if (!hosted) {
      const search::Resolution resolution =
          search::resolve_name(path, search::Environment::from_process());
      if (resolution.path) {
        context.file = *resolution.path;
      } else {
        context.findings.push_back(bare_name_not_found(context, resolution));
        return StageVerdict::Stop;
      }
    } else {
      const int index = plugin.resolution;
      search::Resolution resolution;
      if (index >= 0) resolution = tree.trace[static_cast<std::size_t>(index)];
      if (resolution.error.empty()) resolution.error = tree.error.value_or("not found");
      std::optional<Finding> not_inherited =
          caller_runpath_not_inherited(context, tree, resolution);
      context.findings.push_back(not_inherited ? std::move(*not_inherited)
                                               : bare_name_not_found(context, resolution));
      return StageVerdict::Stop;
    }
  }

  context.probe = probe_file(context.file);
  const FileProbe& probe = context.probe;
  if (probe.kind == FileKind::DanglingSymlink) {
    context.findings.push_back(dangling_symlink(probe));
    return StageVerdict::Stop;
  }
  if (probe.kind != FileKind::Missing) return StageVerdict::Continue;
  switch (probe.stat_errno) {
    case ENOENT:
      if (auto relative = relative_to_elsewhere(context))
        context.findings.push_back(std::move(*relative));
      else
        context.findings.push_back(not_found(context.file));
      if (go_host())  // Go's plugin.Open fails before dlopen, with its own message
        context.findings.back().evidence.push_back(
            "plugin.Open fails before any dlopen: 'plugin.Open(\"" + context.request.path +
            "\"): realpath failed'");
      return StageVerdict::Stop;
    case EACCES: return StageVerdict::Continue;  // a directory that cannot be searched: stage 2
    default: {
      Finding finding =
          make_finding(probe.stat_errno == ENOTDIR ? finding_code("path.not-a-directory")
                                                   : finding_code("path.unreachable"),
                       "cannot reach " + probe.path + ": " + std::strerror(probe.stat_errno));
      finding.evidence.push_back("stat " + probe.path + ": " + std::strerror(probe.stat_errno));
      finding.fix.summary = "give a path whose every component but the last is a directory";
      finding.fix.commands.push_back("namei -l " + shell_quote(probe.path));
      context.findings.push_back(std::move(finding));
      return StageVerdict::Stop;
    }
  }
}

// The missing-permission family's rules for one library the search resolved (or refused with
// EACCES): the loader opens it as the plugin, for the same user.
std::optional<Finding> dependency_access(const Context& context, const std::string& path,
                                         const search::Resolution& resolution, search::Rule rule,
                                         const std::string& rule_owner) {
  const UserIdentity user = context.user ? *context.user : current_user();
  std::optional<Finding> finding = check_access(display_path(path), user, resolution.needed_by);
  if (!finding) return finding;
  std::string how = std::string(search::to_string(rule));
  if (!rule_owner.empty()) how += " of " + base_of(rule_owner);
  finding->evidence.insert(finding->evidence.begin(),
                           "DT_NEEDED " + resolution.name + " of " + resolution.needed_by +
                               ": found in " + display_path(parent_of(path)) + " by [" + how + "]");
  return finding;
}

StageVerdict check_dependencies(Context& context) {
  if (!context.image) return StageVerdict::Continue;
  if (auto warning = insecure_runpath(context.file, *context.image))
    context.findings.push_back(std::move(*warning));
  context.tree = search::resolve_tree(tree_request(context));
  const search::Tree& tree = *context.tree;
  bool blocked = false;
  for (std::size_t i = 0; i < tree.nodes.size(); ++i) {
    const search::Node& node = tree.nodes[i];
    if (node.resolution < 0 || static_cast<int>(i) == tree.plugin) continue;
    if ((context.request.host || context.request.this_process) &&
        !is_descendant(tree, static_cast<int>(i)))
      continue;
    const search::Resolution& resolution = tree.trace[static_cast<std::size_t>(node.resolution)];
    if (!node.path) {
      // A candidate the search could not open (EACCES) explains the "not found" better.
      std::optional<Finding> refused;
      for (const search::SearchStep& step : resolution.steps)
        if (!refused && step.outcome == search::Outcome::PermissionDenied)
          refused = dependency_access(context, step.path, resolution, step.rule, step.rule_owner);
      context.findings.push_back(refused
                                     ? std::move(*refused)
                                     : missing_dependency(tree, static_cast<int>(i), resolution));
      blocked = true;
      continue;
    }
    if (node.repeated) continue;
    if (auto access =
            dependency_access(context, *node.path, resolution, node.rule, node.rule_owner)) {
      blocked |= access->severity == Severity::Error;
      context.findings.push_back(std::move(*access));
      continue;
    }
    if (auto writable = check_writable_by_others(
            *node.path, context.user ? *context.user : current_user(), resolution.needed_by))
      context.findings.push_back(std::move(*writable));
    if (auto shadow = shadowed(resolution)) {
      blocked |= shadow->severity == Severity::Error;
      context.findings.push_back(std::move(*shadow));
    }
    if (auto renamed = found_under_another_soname(node, resolution))
      context.findings.push_back(std::move(*renamed));
  }
  return blocked ? StageVerdict::Stop : StageVerdict::Continue;
}

}  // namespace dldoctor
