// What every file-reading fuzz target needs: the input as a file the readers can open by path
// and by descriptor (a memfd: nothing touches the disk), made once per input.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace dldoctor::fuzz {

class InputFile {
 public:
  InputFile(const std::uint8_t* data, std::size_t size)
      : fd_(::memfd_create("dldoctor-fuzz", MFD_CLOEXEC)) {
    if (fd_ < 0) return;
    for (std::size_t done = 0; done < size;) {
      const ssize_t wrote = ::write(fd_, data + done, size - done);
      if (wrote <= 0) break;
      done += static_cast<std::size_t>(wrote);
    }
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

}  // namespace dldoctor::fuzz
