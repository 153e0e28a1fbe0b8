// A real load, asked for with --load: dlopen in a child process running dldoctor-load (a
// dynamically linked helper, see load_helper.cpp), so that a crashing constructor, an ld.so
// assertion or an exit() inside the plugin is reported instead of ending dldoctor.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "dldoctor/diagnose.hpp"
#include "dldoctor/report.hpp"

namespace dldoctor::cli {

// What the child said and how it ended, beyond the LoadAttempt of the report.
struct ChildLoad {
  LoadAttempt attempt;
  bool timed_out = false;
  bool exit_in_dlopen = false;      // exit() was called while dlopen ran (a constructor)
  bool signal_in_dlopen = false;    // the signal came while dlopen ran
  std::string pc;                   // "PATH+0xOFFSET" of the faulting instruction, or ""
  std::vector<std::string> frames;  // "PATH+0xOFFSET" return addresses, innermost first
  std::string loader_assertion;     // "Inconsistency detected by ld.so: ..." from its stderr
};

ChildLoad load_in_child(const std::string& path, Mode mode, std::chrono::seconds timeout);

// The findings a load that did not return says of the plugin (lib/cli/load_findings.cpp): a
// constructor killed by a signal (where, by function, from the file's symbols), an abort, an
// exit(), a hang past the timeout, an ld.so assertion. Empty when dlopen returned.
std::vector<Finding> findings_of_load(const std::string& path, const ChildLoad& load,
                                      std::chrono::seconds timeout);

}  // namespace dldoctor::cli
