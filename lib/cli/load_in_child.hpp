// A real load, asked for with --load: dlopen in a child process running dldoctor-load (a
// dynamically linked helper, see load_helper.cpp), so that a crashing constructor, an ld.so
// assertion or an exit() inside the plugin is reported instead of ending dldoctor.
#pragma once

#include <chrono>
#include <string>

#include "dldoctor/diagnose.hpp"
#include "dldoctor/report.hpp"

namespace dldoctor::cli {

LoadAttempt load_in_child(const std::string& path, Mode mode, std::chrono::seconds timeout);

}  // namespace dldoctor::cli
