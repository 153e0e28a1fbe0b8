// Stage 2, permissions (missing-permission family): the loader opens the file O_RDONLY (glibc
// open_verify), which needs search permission on every directory above it and read permission on
// the file, for the user the process runs as. This stage names the component that fails for the
// current user; other users, ACLs, noexec mounts and writable-by-others warnings come with the
// missing-permission issue.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "checks/stage.hpp"

namespace dldoctor {
namespace {
std::string octal_mode(mode_t mode) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "%04o", static_cast<unsigned>(mode & 07777));
  return buffer;
}

// Which permission class (u, g or o) the current user falls in for a file: the kernel checks
// only that one (owner first, then group, then others).
char permission_class(const struct stat& status) {
  if (status.st_uid == ::geteuid()) return 'u';
  if (status.st_gid == ::getegid()) return 'g';
  gid_t groups[256];
  const int count = ::getgroups(256, groups);
  for (int i = 0; i < count; ++i)
    if (groups[i] == status.st_gid) return 'g';
  return 'o';
}

std::string facts(const std::string& path, const struct stat& status) {
  return path + ": mode " + octal_mode(status.st_mode) + ", owner uid " +
         std::to_string(status.st_uid) + ", group gid " + std::to_string(status.st_gid);
}

// The first directory on the path that the current user cannot search.
bool find_unsearchable_directory(const std::string& path, std::string& directory,
                                 struct stat& status) {
  std::string prefix = path[0] == '/' ? "/" : ".";
  std::size_t position = path[0] == '/' ? 1 : 0;
  while (true) {
    if (::stat(prefix.c_str(), &status) == 0 && S_ISDIR(status.st_mode) &&
        ::access(prefix.c_str(), X_OK) != 0) {
      directory = prefix;
      return true;
    }
    const std::size_t slash = path.find('/', position);
    if (slash == std::string::npos) return false;
    prefix = path.substr(0, slash == 0 ? 1 : slash);
    position = slash + 1;
  }
}
}  // namespace

StageVerdict check_permissions(Context& context) {
  const FileProbe& probe = context.probe;
  const std::string& path = probe.path;
  if (probe.kind == FileKind::Missing && probe.stat_errno == EACCES) {
    Finding finding;
    finding.family = Family::MissingPermission;
    finding.code = "permission.unsearchable-directory";
    std::string directory;
    struct stat status;
    if (find_unsearchable_directory(path, directory, status)) {
      finding.summary = "the directory " + directory + " cannot be searched by this user, so " +
                        path + " cannot be reached";
      finding.evidence.push_back(facts(directory, status));
      finding.fix.summary = "give search (x) permission on " + directory;
      finding.fix.commands.push_back("chmod " + std::string(1, permission_class(status)) + "+x " +
                                     shell_quote(directory));
    } else {
      finding.summary = path + " cannot be reached: " + std::strerror(EACCES);
      finding.fix.summary = "give search (x) permission on every directory above the file";
      finding.fix.commands.push_back("namei -l " + shell_quote(path));
    }
    context.findings.push_back(std::move(finding));
    return StageVerdict::Stop;
  }
  if (probe.kind == FileKind::Regular &&
      (probe.open_errno == EACCES || probe.open_errno == EPERM)) {
    struct stat status;
    Finding finding;
    finding.family = Family::MissingPermission;
    finding.code = "permission.unreadable-file";
    finding.summary = path + " cannot be opened for reading by this user";
    finding.evidence.push_back("open " + path + " O_RDONLY: " + std::strerror(probe.open_errno));
    if (::stat(path.c_str(), &status) == 0) {
      finding.evidence.push_back(facts(path, status));
      finding.fix.commands.push_back("chmod " + std::string(1, permission_class(status)) + "+r " +
                                     shell_quote(path));
    }
    finding.fix.summary = "give read (r) permission on the file; execute (x) is not needed";
    context.findings.push_back(std::move(finding));
    return StageVerdict::Stop;
  }
  return StageVerdict::Continue;
}

}  // namespace dldoctor
