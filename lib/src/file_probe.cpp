#include "file_probe.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace dldoctor {
namespace {
FileKind kind_of(mode_t mode) {
  if (S_ISREG(mode)) return FileKind::Regular;
  if (S_ISDIR(mode)) return FileKind::Directory;
  if (S_ISFIFO(mode)) return FileKind::Fifo;
  if (S_ISSOCK(mode)) return FileKind::Socket;
  if (S_ISCHR(mode) || S_ISBLK(mode)) return FileKind::Device;
  return FileKind::Other;
}
}  // namespace

std::string describe(FileKind kind) {
  switch (kind) {
    case FileKind::Missing: return "missing";
    case FileKind::DanglingSymlink: return "a dangling symbolic link";
    case FileKind::Regular: return "a regular file";
    case FileKind::Directory: return "a directory";
    case FileKind::Fifo: return "a FIFO";
    case FileKind::Socket: return "a socket";
    case FileKind::Device: return "a device";
    case FileKind::Other: return "not a regular file";
  }
  return "unknown";
}

FileProbe probe_file(const std::string& path) noexcept {
  FileProbe probe;
  try {
    probe.path = path;
    struct stat status;
    if (::stat(path.c_str(), &status) != 0) {
      probe.stat_errno = errno;
      probe.kind = FileKind::Missing;
      struct stat link_status;
      if (probe.stat_errno == ENOENT && ::lstat(path.c_str(), &link_status) == 0 &&
          S_ISLNK(link_status.st_mode)) {
        probe.kind = FileKind::DanglingSymlink;
        std::string target(4096, '\0');
        const ssize_t length = ::readlink(path.c_str(), target.data(), target.size());
        if (length >= 0) {
          target.resize(static_cast<std::size_t>(length));
          probe.symlink_target = std::move(target);
        }
      }
      return probe;
    }
    probe.kind = kind_of(status.st_mode);
    probe.size = static_cast<std::uint64_t>(status.st_size);
    probe.mode = status.st_mode;
    probe.owner = status.st_uid;
    probe.group = status.st_gid;
    if (probe.kind != FileKind::Regular) return probe;

    // The loader opens with O_RDONLY (glibc open_verify); so does this, never for writing.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
      probe.open_errno = errno;
      return probe;
    }
    probe.head.resize(FileProbe::kHeadSize);
    ssize_t got = 0;
    do {
      got = ::pread(fd, probe.head.data(), probe.head.size(), 0);
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
      probe.open_errno = errno;  // e.g. EIO, or EISDIR on odd file systems
      got = 0;
    }
    probe.head.resize(static_cast<std::size_t>(got));
    ::close(fd);
  } catch (...) {
    // Only allocation can throw here; what was learnt so far is returned.
  }
  return probe;
}

}  // namespace dldoctor
