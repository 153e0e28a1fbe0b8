// dldoctor scan (scan.cpp): every ELF object under some paths, checked as this machine's loader
// would load it; a summary grouped by cause, worst first.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dldoctor/render.hpp"

namespace dldoctor::cli {

struct ScanOptions {
  std::vector<std::string> paths;  // with root: paths inside it ("/usr/lib"), "/" when none
  bool json = false;
  // A root file system (an extracted image, a sysroot): every object is resolved as the root's
  // own loader would, from the root's ld.so.cache and directories, "/" being the root.
  std::string root;
  // Check the libraries' permissions for this user (--user: a name or a uid), not the current
  // one: a file or directory they cannot read or search is their failure.
  std::optional<std::string> user;
};

// Prints the report; the exit status: 0 every object loads, 1 some would not.
int run_scan(const ScanOptions& options, TextStyle style);

}  // namespace dldoctor::cli
