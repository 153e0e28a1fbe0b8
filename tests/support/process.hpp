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

}  // namespace dldoctor::testing
