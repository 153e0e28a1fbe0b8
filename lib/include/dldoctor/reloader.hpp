// Reloader: swaps a new build of a plugin in without the failures of a naive reload. A host that
// calls dlclose and dlopen on the same path gets the old object back while any handle holds it
// (the loader matches the name first), and one that lets a build be written into the loaded
// file gets a mix of both. The reloader
//   1. diagnoses the new build first (what would not load, or would end this process inside
//      dlopen, is refused with its Report),
//   2. loads it under a name no loaded object has, so that the loader cannot hand back the old
//      object: the build's own path spelled anew ("dir/./p.so"), or a private copy, which no
//      later write into the build's file reaches (ReloadOptions::private_copy, and always when
//      the file is the one loaded already: written into in place, or not changed),
//   3. resolves every asked symbol, and
//   4. only then closes the previous build, reporting whether it really left the process
//      (Library::close).
// A failed reload keeps the previous build loaded and current. Not for Go plugins, which are
// never unloaded (docs/hot-reload.md: a plugin path of its own per build).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dldoctor/library.hpp"
#include "dldoctor/report.hpp"
#include "dldoctor/result.hpp"

namespace dldoctor {

struct ReloadOptions {
  Mode mode = Mode::Now;
  // Names a new build must export (dlsym finds each), else it is refused and the old one kept.
  std::vector<std::string> symbols;
  // Each build loaded from a private copy, which no later write into the build's file reaches
  // (a `cp` over it: the loaded code would change under the process, or SIGBUS), at the cost of
  // a copy of the file per reload. false: the build's own file, under a new spelling of its path,
  // as cheap as a dlopen of a new path (a build written by the linker, install or a rename is a
  // new file; only one written into in place is a hazard), and a copy all the same when the
  // file is one loaded already.
  bool private_copy = false;
  // Where the private copies go. "": in memory (memfd_create) when the build has no RUNPATH or
  // RPATH and every library it needs is loaded already (nothing is looked for beside it), else
  // beside the build (hidden names), so that $ORIGIN names the same directory.
  std::string directory;
};

struct Reloaded {
  std::uint64_t generation = 0;  // 1 for the first load
  // The name the loader opened: the build's path spelled anew ("dir/./p.so"), or its private
  // copy (/proc/self/fd/N: a memfd; or "dir/.p.so.reload-PID-N").
  std::string loaded_from;
  bool private_copy = false;  // loaded_from is a private copy
  // The previous build's Library::close(): no finding when it left the process; "" path and no
  // finding on the first load.
  Report previous;
};

// The file at a path, as far as telling builds apart goes.
struct FileVersion {
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  std::int64_t modified_ns = 0;
  bool operator==(const FileVersion&) const = default;
};

class Reloader {
 public:
  explicit Reloader(std::string path, ReloadOptions options = {}) noexcept;
  ~Reloader();  // closes the current build and removes its copy
  Reloader(const Reloader&) = delete;
  Reloader& operator=(const Reloader&) = delete;

  // Takes the build at path now (see above). Never throws.
  Result<Reloaded> reload() noexcept;
  // Whether the file at path is another build than the one loaded last (another inode, size or
  // modification time): what a host polls, or asks after an inotify event.
  bool changed() const noexcept;

  // The loaded build; nullptr before the first successful reload.
  Library* current() noexcept { return current_ ? &*current_ : nullptr; }
  std::uint64_t generation() const noexcept { return generation_; }
  const std::string& path() const noexcept { return path_; }

 private:
  // What a build was loaded from: its own file (not owned), or its private copy: a file beside
  // the build (path, fd -1), or an anonymous in-memory file (memfd: fd open, path
  // /proc/self/fd/N) when the build needs nothing of its directory.
  struct Copy {
    std::string path;
    int fd = -1;
    bool owned = false;
  };
  // Copies the build at path into copy; the Report when it cannot.
  std::optional<Report> make_copy(bool needs_no_directory, Copy& copy);
  // Removes a copy whose build was closed; the memfd of one still mapped is kept open, so that its
  // /proc/self/fd/N, the loaded object's name, is never handed to another build.
  void release(const Copy& copy, bool still_mapped) noexcept;

  std::string path_;
  ReloadOptions options_;
  std::optional<Library> current_;
  std::optional<Copy> current_copy_;
  std::optional<FileVersion> current_version_;
  std::uint64_t generation_ = 0;
  std::uint64_t attempts_ = 0;         // spellings of the path handed to the loader so far
  std::uint64_t copies_ = 0;           // private copies made so far
  std::vector<int> kept_descriptors_;  // memfds of closed builds still mapped
};

// The file's identity now; nullopt when it cannot be stat'ed.
std::optional<FileVersion> file_version(const std::string& path) noexcept;

}  // namespace dldoctor
