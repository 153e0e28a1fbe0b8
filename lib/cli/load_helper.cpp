// dldoctor-load MODE PATH: the real load that `dldoctor check --load` asks for. dldoctor itself
// is linked statically (a fast start for `dldoctor tree`), and a static program's dlopen is not a
// normal process's: it brings a second libc into the process. So the load runs in this small
// dynamically linked program instead, which the system's ld.so starts like any host: the
// plugin meets the real loader, the real libc and the environment (LD_LIBRARY_PATH...) a host
// would give it.
//
// Writes "ok" or dlerror()'s text to file descriptor 3 (the parent's pipe: the plugin's
// constructors keep standard output and error for themselves) and leaves with _exit: 0 loaded,
// 1 refused, 2 misused. A crash or an exit() inside a constructor is the parent's to report.
#include <dlfcn.h>
#include <unistd.h>

#include <cstring>

namespace {
constexpr int kReportFd = 3;
}

int main(int argc, char** argv) {
  if (argc != 3 || (std::strcmp(argv[1], "now") != 0 && std::strcmp(argv[1], "lazy") != 0)) {
    static constexpr char kUsage[] = "usage: dldoctor-load now|lazy PATH\n";
    [[maybe_unused]] ssize_t written = ::write(STDERR_FILENO, kUsage, sizeof kUsage - 1);
    return 2;
  }
  const int flags = (std::strcmp(argv[1], "lazy") == 0 ? RTLD_LAZY : RTLD_NOW) | RTLD_LOCAL;
  void* handle = ::dlopen(argv[2], flags);
  const char* message = handle != nullptr ? "ok" : ::dlerror();
  if (message == nullptr) message = "dlopen failed without a message";
  [[maybe_unused]] ssize_t written = ::write(kReportFd, message, std::strlen(message));
  // _exit: no atexit handlers or destructors of the plugin's run in a half-torn process.
  ::_exit(handle != nullptr ? 0 : 1);
}
