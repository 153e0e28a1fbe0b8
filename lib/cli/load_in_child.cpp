#include "load_in_child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "helper_path.hpp"

namespace dldoctor::cli {
namespace {
// The child runs dldoctor-load with the pipe as its descriptor 3: it reports one line, "ok" or
// the loader's message. Only async-signal-safe calls between fork and exec.
[[noreturn]] void child_load(int write_end, const char* helper, const char* path, Mode mode) {
  constexpr int kReportFd = 3;
  // dup2 onto itself would keep O_CLOEXEC, and exec would close the pipe.
  if (write_end == kReportFd ? ::fcntl(kReportFd, F_SETFD, 0) < 0
                             : ::dup2(write_end, kReportFd) < 0)
    ::_exit(126);
  // What the plugin's constructors print goes to standard error: standard output is dldoctor's
  // report, which --json makes a document that nothing else may interleave with.
  if (::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) ::_exit(126);
  const char* mode_name = mode == Mode::Lazy ? "lazy" : "now";
  char* const arguments[] = {const_cast<char*>(helper), const_cast<char*>(mode_name),
                             const_cast<char*>(path), nullptr};
  ::execv(helper, arguments);
  static constexpr char kCannotRun[] = "cannot run the load helper ";
  [[maybe_unused]] ssize_t written = ::write(kReportFd, kCannotRun, sizeof kCannotRun - 1);
  written = ::write(kReportFd, helper, std::strlen(helper));
  ::_exit(127);
}
}  // namespace

LoadAttempt load_in_child(const std::string& path, Mode mode, std::chrono::seconds timeout) {
  LoadAttempt attempt;
  int pipe_ends[2];
  if (::pipe2(pipe_ends, O_CLOEXEC) != 0) {
    attempt.message = std::string("cannot create a pipe: ") + std::strerror(errno);
    return attempt;
  }
  const std::string helper = helper_path("dldoctor-load");
  const pid_t child = ::fork();
  if (child < 0) {
    attempt.message = std::string("cannot fork: ") + std::strerror(errno);
    ::close(pipe_ends[0]);
    ::close(pipe_ends[1]);
    return attempt;
  }
  if (child == 0) {
    child_load(pipe_ends[1], helper.c_str(), path.c_str(), mode);
  }
  ::close(pipe_ends[1]);

  std::string said;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd waiting{pipe_ends[0], POLLIN, 0};
    const int ready = ::poll(&waiting, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      timed_out = ready == 0;
      break;
    }
    char buffer[1024];
    const ssize_t got = ::read(pipe_ends[0], buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // the child closed its end: it is done
    said.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(pipe_ends[0]);
  if (timed_out) ::kill(child, SIGKILL);

  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) attempt.exit_status = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) attempt.signal = WTERMSIG(status);
  attempt.loaded = said == "ok" && attempt.exit_status == 0;
  if (attempt.loaded)
    attempt.message.clear();
  else if (timed_out)
    attempt.message = "the load did not finish within " + std::to_string(timeout.count()) +
                      " s (a constructor that blocks?); the child was killed";
  else if (attempt.signal)
    attempt.message = "the child loading it was killed by signal " +
                      std::to_string(*attempt.signal) + " (" + ::strsignal(*attempt.signal) + ")" +
                      (said.empty() ? "" : ": " + said);
  else if (!said.empty())
    attempt.message = said;  // dlerror(), or why the helper could not be run
  else
    attempt.message = "the child exited with status " +
                      std::to_string(attempt.exit_status.value_or(-1)) +
                      " before dlopen returned (exit() in a constructor?)";
  return attempt;
}

}  // namespace dldoctor::cli
