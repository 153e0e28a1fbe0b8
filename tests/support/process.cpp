#include "process.hpp"

#include <fcntl.h>
#include <grp.h>
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

int temporary_file(std::string& path) {
  const char* base = std::getenv("TMPDIR");
  path = std::string(base != nullptr ? base : "/tmp") + "/dldoctor-test-XXXXXX";
  return ::mkstemp(path.data());
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
  std::vector<char*> env_pointers;
  for (std::string& entry : environment) env_pointers.push_back(entry.data());
  env_pointers.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> arg_pointers;
  for (std::string& arg : args) arg_pointers.push_back(arg.data());
  arg_pointers.push_back(nullptr);

  const pid_t child = ::fork();
  if (child == 0) {
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    if (options.gid && (::setgroups(0, nullptr) != 0 || ::setgid(*options.gid) != 0)) ::_exit(125);
    if (options.uid && ::setuid(*options.uid) != 0) ::_exit(125);
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) ::_exit(126);
    ::execve(arg_pointers[0], arg_pointers.data(), env_pointers.data());
    ::_exit(127);
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  while (true) {
    const pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child) break;
    if (done < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      result.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
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

}  // namespace dldoctor::testing
