// RootedFiles (rooted_files.hpp): inside a root, openat2(RESOLVE_IN_ROOT) from the root's
// descriptor, which treats the root as "/" for ".." and absolute symbolic links alike.
#include "search/rooted_files.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>

namespace dldoctor::search {
namespace {

// Relative to the root: "/usr/lib/x.so" -> "usr/lib/x.so", "/" -> ".".
std::string inside(const std::string& path) {
  std::size_t start = 0;
  while (start < path.size() && path[start] == '/') ++start;
  return start == path.size() ? "." : path.substr(start);
}

int open_in(int root_fd, const std::string& path, int flags) {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, root_fd, inside(path).c_str(), &how, sizeof how));
}

}  // namespace

RootedFiles::RootedFiles(std::string root) {
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root.empty() || root == "/") return;
  root_ = std::move(root);
  root_fd_ = ::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  char real[PATH_MAX];
  if (::realpath(root_.c_str(), real) != nullptr) real_root_ = real;
}

RootedFiles::~RootedFiles() {
  if (root_fd_ >= 0) ::close(root_fd_);
}

int RootedFiles::open(const std::string& path, int flags) const {
  if (!rooted()) return ::open(path.c_str(), flags | O_CLOEXEC);
  if (root_fd_ < 0) {
    errno = ENOENT;
    return -1;
  }
  return open_in(root_fd_, path, flags);
}

bool RootedFiles::stat(const std::string& path, struct stat& status) const {
  if (!rooted()) return ::stat(path.c_str(), &status) == 0;
  const int fd = open(path, O_PATH);
  if (fd < 0) return false;
  const bool done = ::fstat(fd, &status) == 0;
  ::close(fd);
  return done;
}

int RootedFiles::open_parent(const std::string& path, std::string& last) const {
  const std::size_t slash = path.rfind('/');
  last = slash == std::string::npos ? path : path.substr(slash + 1);
  const std::string parent = slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
  return open(parent, O_PATH | O_DIRECTORY);
}

bool RootedFiles::lstat(const std::string& path, struct stat& status) const {
  if (!rooted()) return ::lstat(path.c_str(), &status) == 0;
  std::string last;
  const int parent = open_parent(path, last);
  if (parent < 0) return false;
  const bool done = ::fstatat(parent, last.c_str(), &status, AT_SYMLINK_NOFOLLOW) == 0;
  const int saved = errno;
  ::close(parent);
  errno = saved;
  return done;
}

std::optional<std::string> RootedFiles::readlink(const std::string& path) const {
  char target[PATH_MAX];
  ssize_t length = -1;
  if (!rooted()) {
    length = ::readlink(path.c_str(), target, sizeof target - 1);
  } else {
    std::string last;
    const int parent = open_parent(path, last);
    if (parent < 0) return std::nullopt;
    length = ::readlinkat(parent, last.c_str(), target, sizeof target - 1);
    ::close(parent);
  }
  if (length < 0) return std::nullopt;
  return std::string(target, static_cast<std::size_t>(length));
}

std::optional<std::string> RootedFiles::realpath(const std::string& path) const {
  char real[PATH_MAX];
  if (!rooted()) {
    if (::realpath(path.c_str(), real) == nullptr) return std::nullopt;
    return std::string(real);
  }
  const int fd = open(path, O_PATH);
  if (fd < 0) return std::nullopt;
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t length = ::readlink(link.c_str(), real, sizeof real - 1);
  ::close(fd);
  if (length <= 0 || real_root_.empty()) return std::nullopt;
  const std::string resolved(real, static_cast<std::size_t>(length));
  if (resolved == real_root_) return std::string("/");
  if (resolved.rfind(real_root_ + "/", 0) != 0) return std::nullopt;
  return resolved.substr(real_root_.size());
}

}  // namespace dldoctor::search
