#include "load_in_child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "helper_path.hpp"

namespace dldoctor::cli {
namespace {
// The child runs dldoctor-load with the pipe as its descriptor 3: it reports one line, "ok" or
// the loader's message. Only async-signal-safe calls between fork and exec.
[[noreturn]] void child_load(int write_end, int error_end, const char* helper, const char* path,
                             Mode mode) {
  constexpr int kReportFd = 3;
  // dup2 onto itself would keep O_CLOEXEC, and exec would close the pipe.
  if (write_end == kReportFd ? ::fcntl(kReportFd, F_SETFD, 0) < 0
                             : ::dup2(write_end, kReportFd) < 0)
    ::_exit(126);
  // What the plugin's constructors and ld.so print goes to the parent's second pipe, which the
  // parent passes on to its standard error (standard output is dldoctor's report, which --json
  // makes a document that nothing else may interleave with) and reads for ld.so's assertion.
  if (::dup2(error_end, STDOUT_FILENO) < 0 || ::dup2(error_end, STDERR_FILENO) < 0) ::_exit(126);
  const char* mode_name = mode == Mode::Lazy ? "lazy" : "now";
  char* const arguments[] = {const_cast<char*>(helper), const_cast<char*>(mode_name),
                             const_cast<char*>(path), nullptr};
  ::execv(helper, arguments);
  static constexpr char kCannotRun[] = "cannot run the load helper ";
  [[maybe_unused]] ssize_t written = ::write(kReportFd, kCannotRun, sizeof kCannotRun - 1);
  written = ::write(kReportFd, helper, std::strlen(helper));
  ::_exit(127);
}

// The report's lines after the loader's message (load_helper.cpp says what they are).
void parse_report(const std::string& said, ChildLoad& load, std::string& message) {
  const std::size_t first = said.find('\n');
  message = said.substr(0, first);
  std::size_t at = first;
  while (at != std::string::npos && at < said.size()) {
    const std::size_t end = said.find('\n', at + 1);
    const std::string line = said.substr(at + 1, end == std::string::npos ? end : end - at - 1);
    at = end;
    if (line.starts_with("signal ")) load.signal_in_dlopen = line.ends_with(" in dlopen");
    if (line.starts_with("pc ")) load.pc = line.substr(3);
    if (line.starts_with("frame ") && load.frames.size() < 32)
      load.frames.push_back(line.substr(6));
    if (line == "exit in dlopen") load.exit_in_dlopen = true;
  }
}
}  // namespace

ChildLoad load_in_child(const std::string& path, Mode mode, std::chrono::seconds timeout) {
  ChildLoad load;
  LoadAttempt& attempt = load.attempt;
  int pipe_ends[2];
  int error_ends[2];
  if (::pipe2(pipe_ends, O_CLOEXEC) != 0) {
    attempt.message = std::string("cannot create a pipe: ") + std::strerror(errno);
    return load;
  }
  if (::pipe2(error_ends, O_CLOEXEC) != 0) {
    attempt.message = std::string("cannot create a pipe: ") + std::strerror(errno);
    ::close(pipe_ends[0]);
    ::close(pipe_ends[1]);
    return load;
  }
  const std::string helper = helper_path("dldoctor-load");
  const pid_t child = ::fork();
  if (child < 0) {
    attempt.message = std::string("cannot fork: ") + std::strerror(errno);
    for (const int fd : {pipe_ends[0], pipe_ends[1], error_ends[0], error_ends[1]}) ::close(fd);
    return load;
  }
  if (child == 0) child_load(pipe_ends[1], error_ends[1], helper.c_str(), path.c_str(), mode);
  ::close(pipe_ends[1]);
  ::close(error_ends[1]);

  // Both pipes until both are closed (the child is done) or the time is up. What the child
  // prints is passed on as it comes, and its first 64 KiB kept to look for ld.so's assertion.
  std::string said;
  std::string printed;
  constexpr std::size_t kKeptOutput = 64 * 1024;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd waiting[2] = {{pipe_ends[0], POLLIN, 0}, {error_ends[0], POLLIN, 0}};
  int open_pipes = 2;
  while (open_pipes > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      load.timed_out = true;
      break;
    }
    const int ready = ::poll(waiting, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    if (ready == 0) {
      load.timed_out = true;
      break;
    }
    for (pollfd& entry : waiting) {
      if (entry.fd < 0 || entry.revents == 0) continue;
      char buffer[4096];
      const ssize_t got = ::read(entry.fd, buffer, sizeof buffer);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {  // the child closed its end
        ::close(entry.fd);
        entry.fd = -1;
        --open_pipes;
        continue;
      }
      if (entry.fd == pipe_ends[0]) {
        said.append(buffer, static_cast<std::size_t>(got));
      } else {
        [[maybe_unused]] ssize_t written =
            ::write(STDERR_FILENO, buffer, static_cast<std::size_t>(got));
        if (printed.size() < kKeptOutput)
          printed.append(buffer,
                         std::min(static_cast<std::size_t>(got), kKeptOutput - printed.size()));
      }
    }
  }
  for (const pollfd& entry : waiting)
    if (entry.fd >= 0) ::close(entry.fd);
  if (load.timed_out) ::kill(child, SIGKILL);

  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) attempt.exit_status = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) attempt.signal = WTERMSIG(status);
  std::string message;
  parse_report(said, load, message);
  constexpr std::string_view kAssertion = "Inconsistency detected by ld.so: ";
  if (const std::size_t at = printed.find(kAssertion); at != std::string::npos)
    load.loader_assertion = printed.substr(at, printed.find('\n', at) - at);
  attempt.loaded = message == "ok" && attempt.exit_status == 0;
  if (attempt.loaded)
    attempt.message.clear();
  else if (load.timed_out)
    attempt.message = "the load did not finish within " + std::to_string(timeout.count()) +
                      " s (a constructor that blocks?); the child was killed";
  else if (attempt.signal)
    attempt.message = "the child loading it was killed by signal " +
                      std::to_string(*attempt.signal) + " (" + ::strsignal(*attempt.signal) + ")" +
                      (message.empty() ? "" : ": " + message);
  else if (!load.loader_assertion.empty())
    attempt.message = load.loader_assertion;
  else if (!message.empty())
    attempt.message = message;  // dlerror(), or why the helper could not be run
  else
    attempt.message = "the child exited with status " +
                      std::to_string(attempt.exit_status.value_or(-1)) +
                      " before dlopen returned (exit() in a constructor?)";
  return load;
}

}  // namespace dldoctor::cli
