// Runs a program in a child process for a test: argv, working directory, environment changes,
// captured output, a time limit. Case tests load plugins only this way, never in the test process.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dldoctor::testing {

struct ProcessResult {
  std::optional<int> exit_status;  // set when the child exited
  std::optional<int> signal;       // set when a signal ended it
  bool timed_out = false;
  std::string out;  // standard output
  std::string err;  // standard error

  std::string describe() const;  // "exit 1", "signal 11 (Segmentation fault)", "timed out"
};

struct ProcessOptions {
  std::string cwd;                                     // "" keeps the current directory
  std::map<std::string, std::string> set_environment;  // added or replaced
  std::vector<std::string> unset_environment;
  std::chrono::seconds timeout{60};
  // Run the child as this user and group with no supplementary groups (setgroups, setgid, then
  // setuid, before the chdir): how a test running as root loads as an unprivileged user.
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
};

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options);

// A child a test talks to while it runs (a host paused for a diagnosis): its standard input is a
// pipe the test closes to release it, its standard output is read as it comes; standard error
// goes to a file. The destructor kills a child that was not finished.
class RunningProcess {
 public:
  RunningProcess(const std::vector<std::string>& argv, const ProcessOptions& options);
  RunningProcess(const RunningProcess&) = delete;
  RunningProcess& operator=(const RunningProcess&) = delete;
  ~RunningProcess();

  pid_t pid() const { return child_; }
  // Reads standard output until a whole line equal to LINE has come (true), or the output ends
  // or the options' timeout passes (false). What was read is kept for finish().
  bool wait_for_line(const std::string& line);
  // Closes standard input, reads the rest of the output and waits for the child (killed at the
  // options' timeout). Call once.
  ProcessResult finish();

 private:
  pid_t child_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int err_fd_ = -1;
  std::string err_path_;
  std::string out_;
  std::chrono::steady_clock::time_point deadline_;
  bool read_some(int timeout_ms);  // false at end of output or on an error
};

}  // namespace dldoctor::testing
