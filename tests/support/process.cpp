#include "process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace dldoctor::testing {
namespace {
std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// This process's environment with the options' changes.
std::vector<std::string> child_environment(const ProcessOptions& options) {
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text = *entry;
    const std::string name = text.substr(0, text.find('='));
    bool drop = options.set_environment.count(name) > 0;
    for (const std::string& unset : options.unset_environment) drop = drop || unset == name;
    if (!drop) environment.push_back(text);
  }
  for (const auto& [name, value] : options.set_environment)
    environment.push_back(name + "=" + value);
  return environment;
}

// What the child does between fork and exec: its user, its directory, then the program.
// What execve takes: each string's bytes, then a null pointer (the strings must outlive it).
std::vector<char*> exec_pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

[[noreturn]] void exec_child(const ProcessOptions& options, std::vector<char*>& arg_pointers,
                             std::vector<char*>& env_pointers) {
  if (options.gid && (::setgroups(0, nullptr) != 0 || ::setgid(*options.gid) != 0)) ::_exit(125);
  if (options.uid && ::setuid(*options.uid) != 0) ::_exit(125);
  if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) ::_exit(126);
  ::execve(arg_pointers[0], arg_pointers.data(), env_pointers.data());
  ::_exit(127);
}

int temporary_file(std::string& path) {
  const char* base = std::getenv("TMPDIR");
  path = std::string(base != nullptr ? base : "/tmp") + "/dldoctor-test-XXXXXX";
  return ::mkstemp(path.data());
}
// Waits for child until deadline, and kills it then: its wait status; timed_out says whether it
// had to be killed.
int wait_or_kill(pid_t child, std::chrono::steady_clock::time_point deadline, bool& timed_out) {
  int status = 0;
  while (true) {
    const pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child) break;
    if (done < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return status;
}

}  // namespace

std::string ProcessResult::describe() const {
  if (timed_out) return "timed out";
  if (signal) return "signal " + std::to_string(*signal) + " (" + ::strsignal(*signal) + ")";
  if (exit_status) return "exit " + std::to_string(*exit_status);
  return "did not run";
}

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  ProcessResult result;
  std::string out_path;
  std::string err_path;
  // Output goes to files, not pipes: a chatty child can never block on a full pipe.
  const int out_fd = temporary_file(out_path);
  const int err_fd = temporary_file(err_path);
  if (out_fd < 0 || err_fd < 0) {
    result.err = "cannot create temporary files";
    return result;
  }
  std::vector<std::string> environment = child_environment(options);
  std::vector<char*> env_pointers = exec_pointers(environment);
  std::vector<std::string> args = argv;
  std::vector<char*> arg_pointers = exec_pointers(args);

  const pid_t child = ::fork();
  if (child == 0) {
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    exec_child(options, arg_pointers, env_pointers);
  }
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  const int status = wait_or_kill(child, deadline, result.timed_out);
  if (!result.timed_out) {
    if (WIFEXITED(status)) result.exit_status = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  }
  ::close(out_fd);
  ::close(err_fd);
  result.out = read_all(out_path);
  result.err = read_all(err_path);
  ::unlink(out_path.c_str());
  ::unlink(err_path.c_str());
  return result;
}

RunningProcess::RunningProcess(const std::vector<std::string>& argv, const ProcessOptions& options)
    : deadline_(std::chrono::steady_clock::now() + options.timeout) {
  int in_pipe[2];
  int out_pipe[2];
  err_fd_ = temporary_file(err_path_);
  if (err_fd_ < 0 || ::pipe2(in_pipe, O_CLOEXEC) != 0) return;
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    return;
  }
  std::vector<std::string> environment = child_environment(options);
  std::vector<char*> env_pointers = exec_pointers(environment);
  std::vector<std::string> args = argv;
  std::vector<char*> arg_pointers = exec_pointers(args);
  child_ = ::fork();
  if (child_ == 0) {
    ::dup2(in_pipe[0], STDIN_FILENO);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_fd_, STDERR_FILENO);
    exec_child(options, arg_pointers, env_pointers);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  stdin_fd_ = in_pipe[1];
  stdout_fd_ = out_pipe[0];
}

RunningProcess::~RunningProcess() {
  if (child_ > 0) {
    ::kill(child_, SIGKILL);
    ::waitpid(child_, nullptr, 0);
  }
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  if (err_fd_ >= 0) {
    ::close(err_fd_);
    ::unlink(err_path_.c_str());
  }
}

bool RunningProcess::read_some(int timeout_ms) {
  pollfd ready{stdout_fd_, POLLIN, 0};
  const int polled = ::poll(&ready, 1, timeout_ms);
  if (polled < 0) return errno == EINTR;
  if (polled == 0) return true;
  char buffer[4096];
  const ssize_t got = ::read(stdout_fd_, buffer, sizeof buffer);
  if (got < 0) return errno == EINTR;
  if (got == 0) return false;
  out_.append(buffer, static_cast<std::size_t>(got));
  return true;
}

bool RunningProcess::wait_for_line(const std::string& line) {
  if (child_ <= 0) return false;
  while (std::chrono::steady_clock::now() < deadline_) {
    if (out_.rfind(line + "\n", 0) == 0 || out_.find("\n" + line + "\n") != std::string::npos)
      return true;
    if (!read_some(20)) return false;
  }
  return false;
}

ProcessResult RunningProcess::finish() {
  ProcessResult result;
  if (child_ <= 0) {
    result.err = "the child could not be started";
    return result;
  }
  ::close(stdin_fd_);
  stdin_fd_ = -1;
  while (std::chrono::steady_clock::now() < deadline_ && read_some(20)) {
  }
  const int status = wait_or_kill(child_, deadline_, result.timed_out);
  child_ = -1;
  if (!result.timed_out) {
    if (WIFEXITED(status)) result.exit_status = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  }
  result.out = out_;
  result.err = read_all(err_path_);
  return result;
}

}  // namespace dldoctor::testing
