#include "dldoctor/library.hpp"

#include <dlfcn.h>
#include <link.h>

#include <optional>
#include <string>
#include <utility>

#include "checks/symbol_rules.hpp"

namespace dldoctor {
namespace {
int dlopen_flags(Mode mode) noexcept {
  return (mode == Mode::Lazy ? RTLD_LAZY : RTLD_NOW) | RTLD_LOCAL;
}

// Only reached after the loader has refused the file: the cost of the diagnosis never touches
// the success path.
[[gnu::cold, gnu::noinline]] Report explain_failed_open(const std::string& path, Mode mode,
                                                        const char* loader_message) noexcept {
  Report report = diagnose(LoadRequest{path, mode});
  LoadAttempt attempt;
  attempt.loaded = false;
  attempt.message = loader_message != nullptr ? loader_message : "dlopen failed";
  report.load = std::move(attempt);
  report.loads = false;
  return report;
}

}  // namespace

Result<Library> Library::open(const std::string& path, Mode mode) noexcept {
  if (void* handle = ::dlopen(path.c_str(), dlopen_flags(mode)); handle != nullptr)
    return Library(handle);
  return explain_failed_open(path, mode, ::dlerror());
}

Result<Library> Library::open_checked(const std::string& path, Mode mode) noexcept {
  try {
    return open_checked(LoadRequest{path, mode});
  } catch (...) {  // the request's copy of path: only allocation can fail
    return open(path, mode);
  }
}

Result<Library> Library::open_checked(const LoadRequest& request) noexcept {
  const std::string& path = request.path;
  const Mode mode = request.mode;
  Report report;
  try {
    LoadRequest in_this_process = request;
    in_this_process.this_process = true;
    in_this_process.host.reset();
    report = diagnose(in_this_process);
  } catch (...) {
    return open(path, mode);
  }
  if (report.has_errors()) {
    LoadAttempt attempt;
    attempt.message = "not loaded: dldoctor found what would make the load fail (see findings)";
    report.load = std::move(attempt);
    report.loads = false;
    return report;
  }
  return open(path, mode);
}

Library& Library::operator=(Library&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) ::dlclose(handle_);
    handle_ = std::exchange(other.handle_, nullptr);
  }
  return *this;
}

Library::~Library() {
  if (handle_ != nullptr) ::dlclose(handle_);
}

Report Library::explain_lookup(const char* name) const noexcept {
  Report report;
  try {
    const std::string wanted = name != nullptr ? name : "";
    link_map* map = nullptr;
    if (handle_ == nullptr || ::dlinfo(handle_, RTLD_DI_LINKMAP, &map) != 0 || map == nullptr) {
      report.findings.push_back(LookupError("no loaded object").report().findings.front());
      return report;
    }
    report.path = map->l_name;
    if (std::optional<Finding> finding = explain_unexported(report.path, wanted))
      report.findings.push_back(std::move(*finding));
  } catch (...) {
  }
  return report;
}

}  // namespace dldoctor
