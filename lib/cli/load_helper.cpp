// dldoctor-load MODE PATH: the real load that `dldoctor check --load` asks for. dldoctor itself
// is linked statically (a fast start for `dldoctor tree`), and a static program's dlopen is not a
// normal process's: it brings a second libc into the process. So the load runs in this small
// dynamically linked program instead, which the system's ld.so starts like any host: the
// plugin meets the real loader, the real libc and the environment (LD_LIBRARY_PATH...) a host
// would give it.
//
// Writes "ok" or dlerror()'s text to file descriptor 3 (the parent's pipe: the plugin's
// constructors keep standard output and error for themselves) and leaves with _exit: 0 loaded,
// 1 refused, 2 misused. When a constructor (dlopen runs the plugin's and its dependencies'
// DT_INIT and DT_INIT_ARRAY, _dl_init) is killed by a signal, or calls exit(), this program
// writes what the parent needs to say where, before it dies:
//   signal N            the signal, "in dlopen" when it came while dlopen was running
//   pc PATH+0xOFFSET    the mapping and file offset of the instruction it came at
//   frame PATH+0xOFFSET the return addresses on the stack (backtrace), innermost first
//   exit in dlopen      exit() was called while dlopen was running
// The handler uses only async-signal-safe calls (open, read, write, raise) and backtrace, which
// main calls once first so that libgcc's unwinder is loaded before any signal.
#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace {
constexpr int kReportFd = 3;
volatile sig_atomic_t in_dlopen = 0;

void put(const char* text) {
  [[maybe_unused]] ssize_t written = ::write(kReportFd, text, std::strlen(text));
}

void put_number(std::uint64_t value, unsigned base) {
  char digits[24];
  int at = sizeof digits;
  digits[--at] = '\0';
  do {
    digits[--at] = "0123456789abcdef"[value % base];
    value /= base;
  } while (value != 0 && at > 0);
  put(&digits[at]);
}

std::uint64_t parse_hex(const char*& at) {
  std::uint64_t value = 0;
  for (;; ++at) {
    const char c = *at;
    if (c >= '0' && c <= '9')
      value = value * 16 + static_cast<std::uint64_t>(c - '0');
    else if (c >= 'a' && c <= 'f')
      value = value * 16 + static_cast<std::uint64_t>(c - 'a' + 10);
    else
      return value;
  }
}

// "PATH+0xOFFSET" of the file mapping that holds address, from /proc/self/maps ("start-end perms
// offset dev inode path"); "?+0xADDRESS" when no file mapping does.
void put_location(std::uintptr_t address) {
  static char buffer[8192];
  static char line[4096];
  std::size_t length = 0;
  const int fd = ::open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  bool found = false;
  while (fd >= 0 && !found) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got <= 0) break;
    for (ssize_t i = 0; i < got && !found; ++i) {
      if (buffer[i] != '\n') {
        if (length + 1 < sizeof line) line[length++] = buffer[i];
        continue;
      }
      line[length] = '\0';
      length = 0;
      const char* at = line;
      const std::uint64_t start = parse_hex(at);
      if (*at++ != '-') continue;
      const std::uint64_t end = parse_hex(at);
      if (address < start || address >= end) continue;
      while (*at == ' ') ++at;
      while (*at != '\0' && *at != ' ') ++at;  // perms
      while (*at == ' ') ++at;
      const std::uint64_t offset = parse_hex(at);
      for (int field = 0; field < 2; ++field) {  // dev, inode
        while (*at == ' ') ++at;
        while (*at != '\0' && *at != ' ') ++at;
      }
      while (*at == ' ') ++at;
      put(*at == '/' ? at : "?");
      put("+0x");
      put_number(*at == '/' ? address - start + offset : address, 16);
      found = true;
    }
  }
  if (fd >= 0) ::close(fd);
  if (!found) {
    put("?+0x");
    put_number(address, 16);
  }
}

void on_fatal_signal(int signal_number, siginfo_t*, void* context) {
  std::uintptr_t pc = 0;
#if defined(__x86_64__)
  pc = static_cast<std::uintptr_t>(static_cast<ucontext_t*>(context)->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  pc = static_cast<std::uintptr_t>(static_cast<ucontext_t*>(context)->uc_mcontext.pc);
#else
  (void)context;
#endif
  put("\nsignal ");
  put_number(static_cast<std::uint64_t>(signal_number), 10);
  put(in_dlopen != 0 ? " in dlopen\n" : "\n");
  if (pc != 0) {
    put("pc ");
    put_location(pc);
    put("\n");
  }
  void* frames[32];
  const int count = ::backtrace(frames, 32);
  for (int i = 0; i < count; ++i) {
    put("frame ");
    put_location(reinterpret_cast<std::uintptr_t>(frames[i]));
    put("\n");
  }
  // SA_RESETHAND restored the default action: die of the same signal, as the host would.
  ::raise(signal_number);
}

void on_exit() {
  if (in_dlopen != 0) put("\nexit in dlopen\n");
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || (std::strcmp(argv[1], "now") != 0 && std::strcmp(argv[1], "lazy") != 0)) {
    static constexpr char kUsage[] = "usage: dldoctor-load now|lazy PATH\n";
    [[maybe_unused]] ssize_t written = ::write(STDERR_FILENO, kUsage, sizeof kUsage - 1);
    return 2;
  }
  void* warm[1];
  (void)::backtrace(warm, 1);
  static char alternate_stack[64 * 1024];
  stack_t stack{};
  stack.ss_sp = alternate_stack;
  stack.ss_size = sizeof alternate_stack;
  (void)::sigaltstack(&stack, nullptr);
  struct sigaction action {};
  action.sa_sigaction = on_fatal_signal;
  action.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_ONSTACK;
  for (const int signal_number : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP})
    (void)::sigaction(signal_number, &action, nullptr);
  std::atexit(on_exit);

  const int flags = (std::strcmp(argv[1], "lazy") == 0 ? RTLD_LAZY : RTLD_NOW) | RTLD_LOCAL;
  in_dlopen = 1;
  void* handle = ::dlopen(argv[2], flags);
  in_dlopen = 0;
  const char* message = handle != nullptr ? "ok" : ::dlerror();
  if (message == nullptr) message = "dlopen failed without a message";
  put(message);
  // _exit: no atexit handlers or destructors of the plugin's run in a half-torn process.
  ::_exit(handle != nullptr ? 0 : 1);
}
