#include "checks/path_walk.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <filesystem>

namespace dldoctor {
namespace {
// Symbolic links followed in one walk before the kernel gives up with ELOOP (MAXSYMLINKS).
constexpr int kMaxLinks = 40;

std::deque<std::string> components(const std::string& path) {
  std::deque<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string::npos ? path.size() : slash;
    if (end > start) parts.push_back(path.substr(start, end - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

std::string join(const std::string& directory, const std::string& name) {
  if (directory.empty()) return name;
  return directory == "/" ? "/" + name : directory + "/" + name;
}

bool more_names(const std::deque<std::string>& pending) {
  for (const std::string& name : pending)
    if (!name.empty()) return true;
  return false;
}
}  // namespace

std::string parent_directory(const std::string& physical) {
  const std::size_t slash = physical.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : physical.substr(0, slash);
}

PathWalk walk_path(const std::string& path) noexcept {
  PathWalk walk;
  try {
    if (path.empty()) {
      walk.error = ENOENT;  // the kernel's answer to open("")
      return walk;
    }
    std::string current = "/";
    if (path[0] != '/') {
      std::error_code error;
      current = std::filesystem::current_path(error).string();  // getcwd: already physical
      if (error) {
        walk.error = error.value();
        walk.failed_at = ".";
        return walk;
      }
    }
    // The caller's own spelling of each directory, while no link has been followed.
    std::string shown = path[0] == '/' ? "/" : "";
    bool shown_is_valid = true;
    auto display = [&] { return shown_is_valid ? (shown.empty() ? "." : shown) : current; };
    auto searched = [&] {
      if (walk.searched.empty() || walk.searched.back().physical != current)
        walk.searched.push_back({current, display()});
    };

    std::deque<std::string> pending = components(path);
    int links = 0;
    while (!pending.empty()) {
      const std::string name = pending.front();
      pending.pop_front();
      searched();  // may_lookup: search permission on the directory, before every name
      if (name == ".") {
        shown = join(shown, ".");
        continue;
      }
      if (name == "..") {
        current = parent_directory(current);
        shown = join(shown, "..");
        continue;
      }
      const std::string candidate = join(current, name);
      struct stat status;
      if (::lstat(candidate.c_str(), &status) != 0) {
        walk.error = errno;
        walk.failed_at = candidate;
        return walk;
      }
      if (S_ISLNK(status.st_mode)) {
        // The walk goes on inside the link's target: from "/" for an absolute target, from the
        // link's own directory for a relative one; every directory there is searched too.
        if (++links > kMaxLinks) {
          walk.error = ELOOP;
          walk.failed_at = candidate;
          return walk;
        }
        std::string target(4096, '\0');
        const ssize_t length = ::readlink(candidate.c_str(), target.data(), target.size());
        if (length < 0) {
          walk.error = errno;
          walk.failed_at = candidate;
          return walk;
        }
        target.resize(static_cast<std::size_t>(length));
        walk.links.push_back((shown_is_valid ? join(shown, name) : candidate) + " -> " + target);
        std::deque<std::string> inside = components(target);
        pending.insert(pending.begin(), inside.begin(), inside.end());
        if (!target.empty() && target[0] == '/') current = "/";
        shown_is_valid = false;
        continue;
      }
      if (more_names(pending) && !S_ISDIR(status.st_mode)) {
        walk.error = ENOTDIR;
        walk.failed_at = candidate;
        return walk;
      }
      current = candidate;
      shown = join(shown, name);
    }
    walk.target = current;
    walk.target_shown = display();
  } catch (...) {
    walk.error = ENOMEM;
  }
  return walk;
}

}  // namespace dldoctor
