// What the loader's open() and first read() would see of a path: whether it exists, what kind
// of file it is, whether it can be opened for reading, and its first bytes. Directories, FIFOs and
// devices are described without being opened, so a FIFO cannot block dldoctor.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace dldoctor {

enum class FileKind { Missing, DanglingSymlink, Regular, Directory, Fifo, Socket, Device, Other };

struct FileProbe {
  std::string path;
  FileKind kind = FileKind::Missing;
  int stat_errno = 0;  // why stat failed, when it did (ENOENT, EACCES, ENOTDIR, ELOOP...)
  int open_errno = 0;  // why open(O_RDONLY) failed, when it did
  std::uint64_t size = 0;
  mode_t mode = 0;
  uid_t owner = 0;
  gid_t group = 0;
  std::optional<std::string> symlink_target;  // for a dangling symlink
  std::string head;  // the first bytes of a readable regular file (at most kHeadSize)

  static constexpr std::size_t kHeadSize = 4096;
  bool readable() const noexcept { return kind == FileKind::Regular && open_errno == 0; }
};

// Never throws, never blocks on a FIFO, never writes.
FileProbe probe_file(const std::string& path) noexcept;

std::string describe(FileKind kind);

}  // namespace dldoctor
