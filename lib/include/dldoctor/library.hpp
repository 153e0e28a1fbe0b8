// Library: an RAII handle over dlopen/dlclose whose failure carries a diagnosis.
// The success path is the raw call and nothing else: the diagnosis runs only after dlopen fails.
#pragma once

#include <dlfcn.h>

#include <string>
#include <string_view>
#include <utility>

#include "dldoctor/diagnose.hpp"
#include "dldoctor/lookup_error.hpp"
#include "dldoctor/result.hpp"

namespace dldoctor {

class Library {
 public:
  // dlopen(path, RTLD_NOW or RTLD_LAZY, plus RTLD_LOCAL); on failure, the loader's message and
  // dldoctor's findings. The report's load->message holds dlerror() verbatim.
  static Result<Library> open(const std::string& path, Mode mode = Mode::Now) noexcept;
  // Diagnoses first (reads the plugin and its tree, runs nothing) and calls dlopen only when no
  // finding of severity error remains: for a plugin that would end the calling process (an ld.so
  // assertion, version.unversioned-provider; a function no object defines, with RTLD_LAZY) the
  // caller gets the Report instead, and goes on. Costs a diagnosis on every call, which open()
  // does not: for hosts that load plugins they do not trust to be well built.
  static Result<Library> open_checked(const std::string& path, Mode mode = Mode::Now) noexcept;
  // The same with the host's own conditions: request.apis, the plugin APIs it accepts (a plugin
  // that declares another version with <dldoctor/plugin.h> is refused before dlopen), and
  // request.symbols, the names it will look up. The diagnosis models this very process
  // (LoadRequest::this_process: its loaded objects, its global scope), whatever request.host says.
  static Result<Library> open_checked(const LoadRequest& request) noexcept;

  Library(Library&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Library& operator=(Library&& other) noexcept;
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
  ~Library();

  // dlsym; on failure, a LookupError carrying a copy of dlerror() (no file is read, nothing is
  // allocated for a message of usual length; error().report() gives the Report). The hit is
  // inline and is the raw call; why a symbol is missing is explain_lookup's question.
  Result<void*, LookupError> lookup_address(const char* name) const noexcept {
    if (void* address = ::dlsym(handle_, name); address != nullptr) return address;
    // NULL is not yet a failure: an absolute symbol of value 0, or an IFUNC resolving to 0, is
    // found and still NULL. glibc's _dlerror_run (dlfcn/dlerror.c) records every call's outcome,
    // a success included, so dlerror() tells the two apart.
    if (const char* message = ::dlerror(); message != nullptr)
      return Result<void*, LookupError>(std::in_place_index<1>, message);
    return static_cast<void*>(nullptr);
  }

  template <class T>
  Result<T*, LookupError> lookup(const char* name) const noexcept {
    if (void* address = ::dlsym(handle_, name); address != nullptr)
      return reinterpret_cast<T*>(address);
    if (const char* message = ::dlerror(); message != nullptr)  // as in lookup_address
      return Result<T*, LookupError>(std::in_place_index<1>, message);
    return static_cast<T*>(nullptr);
  }

  // Why name cannot be looked up: reads the loaded file (never the process's memory) and says
  // whether the symbol is static, hidden, local to a version script, exported only under its C++
  // name, or absent (with the nearest names). Costs a read of the file, so lookup() leaves it to
  // the caller.
  Report explain_lookup(const char* name) const noexcept;

  void* native_handle() const noexcept { return handle_; }

 private:
  explicit Library(void* handle) noexcept : handle_(handle) {}
  void* handle_ = nullptr;
};

}  // namespace dldoctor
