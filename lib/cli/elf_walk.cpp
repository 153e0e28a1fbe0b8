// See elf_walk.hpp. A tree such as /usr holds some 170,000 files for 3,000 ELF objects: the
// walk opens each one to read its first four bytes, and that, not the checking, was most of a
// scan's time. So each thread takes the next directory from a shared queue, lists it with
// readdir (d_type, no stat per entry), queues its subdirectories and opens its files relative
// to the directory's descriptor (openat: one name for the kernel to look up, not the whole path).
#include "elf_walk.hpp"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

namespace dldoctor::cli {
namespace {

// follow: a path the user named may be a link; a link found by the walk is not followed.
bool starts_as_elf_at(int directory, const char* name, bool follow = false) {
  const int fd = ::openat(directory, name,
                          O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW));
  if (fd < 0) return false;
  unsigned char magic[SELFMAG] = {};
  const bool elf =
      ::pread(fd, magic, sizeof magic, 0) == SELFMAG && std::memcmp(magic, ELFMAG, SELFMAG) == 0;
  ::close(fd);
  return elf;
}

class Walk {
 public:
  explicit Walk(std::deque<std::string> directories) : queue_(std::move(directories)) {}

  void run() {
    std::vector<std::string> found;
    std::vector<std::string> unreadable;
    for (std::string directory; next(directory);) {
      std::vector<std::string> subdirectories;
      list(directory, subdirectories, found, unreadable);
      finish(std::move(subdirectories));
    }
    const std::lock_guard<std::mutex> lock(mutex_);
    result_.files.insert(result_.files.end(), found.begin(), found.end());
    result_.unreadable.insert(result_.unreadable.end(), unreadable.begin(), unreadable.end());
  }

  ElfWalk take() { return std::move(result_); }

 private:
  bool next(std::string& directory) {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [&] { return !queue_.empty() || busy_ == 0; });
    if (queue_.empty()) return false;  // nothing queued and nobody listing: the walk is over
    directory = std::move(queue_.front());
    queue_.pop_front();
    ++busy_;
    return true;
  }

  void finish(std::vector<std::string> subdirectories) {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      for (std::string& subdirectory : subdirectories) queue_.push_back(std::move(subdirectory));
      --busy_;
    }
    ready_.notify_all();
  }

  static void list(const std::string& directory, std::vector<std::string>& subdirectories,
                   std::vector<std::string>& found, std::vector<std::string>& unreadable) {
    DIR* dir = ::opendir(directory.c_str());
    if (dir == nullptr) {
      unreadable.push_back(directory + ": " + std::strerror(errno));
      return;
    }
    const int fd = ::dirfd(dir);
    const std::string prefix = directory.back() == '/' ? directory : directory + "/";
    while (const dirent* entry = ::readdir(dir)) {
      const char* name = entry->d_name;
      if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) continue;
      unsigned char type = entry->d_type;
      if (type == DT_UNKNOWN) {  // a file system without d_type: ask
        struct stat status {};
        if (::fstatat(fd, name, &status, AT_SYMLINK_NOFOLLOW) != 0) continue;
        type = S_ISDIR(status.st_mode) ? DT_DIR : S_ISREG(status.st_mode) ? DT_REG : DT_LNK;
      }
      if (type == DT_DIR)
        subdirectories.push_back(prefix + name);
      else if (type == DT_REG && starts_as_elf_at(fd, name))
        found.push_back(prefix + name);
    }
    ::closedir(dir);
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::string> queue_;
  int busy_ = 0;
  ElfWalk result_;
};

}  // namespace

ElfWalk find_elf_files(const std::vector<std::string>& paths, unsigned threads) {
  std::deque<std::string> directories;
  ElfWalk given;
  for (const std::string& path : paths) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) {
      given.unreadable.push_back(path + ": " + std::strerror(errno));
    } else if (S_ISDIR(status.st_mode)) {
      directories.push_back(path);
    } else if (S_ISREG(status.st_mode)) {
      if (starts_as_elf_at(AT_FDCWD, path.c_str(), true)) given.files.push_back(path);
    }
  }
  Walk walk(std::move(directories));
  std::vector<std::thread> workers;
  for (unsigned i = 1; i < std::max(1u, threads); ++i) workers.emplace_back([&] { walk.run(); });
  walk.run();
  for (std::thread& worker : workers) worker.join();
  ElfWalk result = walk.take();
  result.files.insert(result.files.end(), given.files.begin(), given.files.end());
  result.unreadable.insert(result.unreadable.begin(), given.unreadable.begin(),
                           given.unreadable.end());
  std::sort(result.files.begin(), result.files.end());
  result.files.erase(std::unique(result.files.begin(), result.files.end()), result.files.end());
  std::sort(result.unreadable.begin(), result.unreadable.end());
  return result;
}

}  // namespace dldoctor::cli
