// What the tests that build and run their own files share: a fresh directory under /tmp, removed
// with everything in it when the test ends, and the environment their children run in.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "process.hpp"

namespace dldoctor::testing {

struct ScratchDirectory {
  std::filesystem::path path;  // empty when mkdtemp failed
  // /tmp/PREFIX-XXXXXX. searchable: also by the unprivileged users some tests run as (mkdtemp
  // makes it 0700).
  explicit ScratchDirectory(const std::string& prefix = "dldoctor-test", bool searchable = false) {
    std::string pattern = "/tmp/" + prefix + "-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) return;
    path = pattern;
    namespace fs = std::filesystem;
    if (searchable)
      fs::permissions(path, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    if (!path.empty()) std::filesystem::remove_all(path, ignored);
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
};

// A child's environment free of what would change what it loads or prints: messages in the C
// locale, no colours, no loader variables of the tester's shell. cwd: "" keeps the test's.
inline ProcessOptions clean_environment(const std::filesystem::path& cwd = {}) {
  ProcessOptions options;
  options.cwd = cwd.string();
  options.set_environment = {{"LC_ALL", "C"}, {"NO_COLOR", "1"}};
  options.unset_environment = {"LD_LIBRARY_PATH", "LD_PRELOAD", "LD_AUDIT", "LD_DEBUG"};
  return options;
}

}  // namespace dldoctor::testing
