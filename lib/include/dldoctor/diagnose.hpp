// The static diagnosis: reads the files the loader would read and says why a load fails,
// without ever mapping or running the inspected code.
#pragma once

#include <string>

#include "dldoctor/report.hpp"

namespace dldoctor {

// How the host will call dlopen. Lazy and Now matter once symbols are checked (RTLD_LAZY defers
// the undefined-symbol failure to the first call).
enum class Mode { Now, Lazy };

struct LoadRequest {
  std::string path;  // as the host passes it to dlopen
  Mode mode = Mode::Now;
};

// Runs the stages in the loader's order (path, permissions, identity, ...); a stage that finds
// a blocking error stops the ones after it, as the loader would. Never throws.
Report diagnose(const LoadRequest& request) noexcept;

}  // namespace dldoctor
