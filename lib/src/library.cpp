#include "dldoctor/library.hpp"

#include <dlfcn.h>
#include <link.h>

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

// The structured error of a failed lookup, as cheap as it can be: the loader's message is the
// summary, and nothing is read; Library::explain_lookup says why, on request.
[[gnu::cold, gnu::noinline]] Report explain_failed_lookup(const char* name,
                                                          const char* loader_message) noexcept {
  Report report;
  report.loads = true;
  Finding& finding = report.findings.emplace_back();
  finding.family = Family::UnexportedSymbol;
  finding.code = "symbol.not-found";
  finding.stops_load = false;
  if (loader_message != nullptr)
    finding.summary = loader_message;
  else
    finding.summary = std::string("undefined symbol: ") + (name != nullptr ? name : "(null)");
  return report;
}
}  // namespace

Result<Library> Library::open(const std::string& path, Mode mode) noexcept {
  if (void* handle = ::dlopen(path.c_str(), dlopen_flags(mode)); handle != nullptr)
    return Library(handle);
  return explain_failed_open(path, mode, ::dlerror());
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
    link_map* map = nullptr;
    if (handle_ == nullptr || ::dlinfo(handle_, RTLD_DI_LINKMAP, &map) != 0 || map == nullptr) {
      report.findings.push_back(explain_failed_lookup(name, "no loaded object").findings.front());
      return report;
    }
    report.path = map->l_name;
    elf::ReadOutcome outcome = elf::read_image(report.path);
    if (const auto* image = std::get_if<elf::Image>(&outcome)) {
      if (find_exported(*image, name) == nullptr)
        report.findings.push_back(lookup_failure(report.path, *image, name));
    } else {
      Finding finding = explain_failed_lookup(name, nullptr).findings.front();
      finding.evidence.push_back("cannot read " + report.path + ": " +
                                 std::get<elf::ReadError>(outcome).message);
      report.findings.push_back(std::move(finding));
    }
  } catch (...) {
  }
  return report;
}

Result<void*> Library::lookup_null(const char* name) const noexcept {
  // dlsym returned NULL. That is not yet a failure: an absolute symbol of value 0 or an IFUNC
  // resolving to 0 is found and still NULL. glibc's _dlerror_run (dlfcn/dlerror.c) records every
  // call's outcome, a success included, so dlerror() now tells the two apart.
  if (const char* message = ::dlerror(); message != nullptr)
    return explain_failed_lookup(name, message);
  return static_cast<void*>(nullptr);
}

}  // namespace dldoctor
