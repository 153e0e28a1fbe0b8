// The search model's file system calls, made either on this machine's file system or inside a
// root directory (Environment::root: an extracted image, a sysroot) as if it were "/": every
// path, and every symbolic link on the way, is resolved inside the root (openat2's
// RESOLVE_IN_ROOT), so that an image's absolute links name its own files, never the host's.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <optional>
#include <string>

namespace dldoctor::search {

class RootedFiles {
 public:
  // root "" (or "/"): this machine's own file system, the plain calls.
  explicit RootedFiles(std::string root);
  ~RootedFiles();
  RootedFiles(const RootedFiles&) = delete;
  RootedFiles& operator=(const RootedFiles&) = delete;

  bool rooted() const noexcept { return !root_.empty(); }
  const std::string& root() const noexcept { return root_; }

  // open(2) of an absolute path; -1 with errno set, as the loader's open would fail.
  int open(const std::string& path, int flags) const;
  // stat(2) and lstat(2); false with errno set.
  bool stat(const std::string& path, struct stat& status) const;
  bool lstat(const std::string& path, struct stat& status) const;
  // readlink(2): the link's text; nullopt with errno set.
  std::optional<std::string> readlink(const std::string& path) const;
  // realpath(3) inside the root: the path the root's own "/" names it by; nullopt when it fails.
  std::optional<std::string> realpath(const std::string& path) const;

 private:
  // The directory holding path's last component, open inside the root, and that component.
  int open_parent(const std::string& path, std::string& last) const;

  std::string root_;       // "" for this machine's "/"
  std::string real_root_;  // the root's own real path, to take off what /proc says
  int root_fd_ = -1;
};

}  // namespace dldoctor::search
