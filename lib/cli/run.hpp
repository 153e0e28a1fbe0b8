// dldoctor run (run.cpp): runs an unmodified program with dldoctor's recorder in it (an LD_AUDIT
// module and an LD_PRELOAD shim, lib/cli/run/), and diagnoses every dlopen that failed and
// every dlsym that missed in it, in the program's own context.
#pragma once

#include <string>
#include <vector>

#include "dldoctor/render.hpp"

namespace dldoctor::cli {

struct RunOptions {
  std::vector<std::string> command;  // CMD ARGS...
  bool json = false;
  std::string report_file;  // "" : standard error
  bool live = false;        // report each failure as it is recorded
  bool no_follow = false;   // the program's children run without the recorder
};

// The program's own exit status (128 + N when signal N ended it), or 2 when dldoctor could not
// run it (a static or secure-execution program, a command not found, no recorder).
int run_program(const RunOptions& options, TextStyle style);

}  // namespace dldoctor::cli
