// Stage 1, path (bad-path family): does the name the host passes lead to a file? This models the
// part of glibc's _dl_map_object that opens a name containing a slash as given, relative to the
// current directory. The search of a bare name (RPATH, LD_LIBRARY_PATH, RUNPATH, ld.so.cache,
// default directories) is the search model's, and joins this stage with the bad-path issue.
#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "checks/stage.hpp"

namespace dldoctor {
namespace {
std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
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

Finding not_found(const Context& context) {
  const std::string& path = context.request.path;
  Finding finding;
  finding.family = Family::BadPath;
  finding.code = "path.not-found";
  finding.summary = path + " does not exist";
  const std::string directory = parent_of(path);
  if (path.find('/') == std::string::npos)
    finding.evidence.push_back(
        "the name has no slash: dlopen searches the library path for it and never the current "
        "directory");
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
}  // namespace

StageVerdict check_path(Context& context) {
  context.probe = probe_file(context.request.path);
  const FileProbe& probe = context.probe;
  if (probe.kind == FileKind::DanglingSymlink) {
    Finding finding;
    finding.family = Family::BadPath;
    finding.code = "path.dangling-symlink";
    const std::string target = probe.symlink_target.value_or("?");
    finding.summary = probe.path + " is a symbolic link to " + target + ", which does not exist";
    finding.evidence.push_back("readlink " + probe.path + ": " + target);
    finding.fix.summary = "point the link at the real file, or install the file it names";
    finding.fix.commands.push_back("ls -l " + shell_quote(probe.path));
    context.findings.push_back(std::move(finding));
    return StageVerdict::Stop;
  }
  if (probe.kind != FileKind::Missing) return StageVerdict::Continue;
  switch (probe.stat_errno) {
    case ENOENT: context.findings.push_back(not_found(context)); return StageVerdict::Stop;
    case EACCES: return StageVerdict::Continue;  // a directory that cannot be searched: stage 2
    default: {
      Finding finding;
      finding.family = Family::BadPath;
      finding.code = probe.stat_errno == ENOTDIR ? "path.not-a-directory" : "path.unreachable";
      finding.summary = "cannot reach " + probe.path + ": " + std::strerror(probe.stat_errno);
      finding.evidence.push_back("stat " + probe.path + ": " + std::strerror(probe.stat_errno));
      finding.fix.summary = "give a path whose every component but the last is a directory";
      finding.fix.commands.push_back("namei -l " + shell_quote(probe.path));
      context.findings.push_back(std::move(finding));
      return StageVerdict::Stop;
    }
  }
}

}  // namespace dldoctor
