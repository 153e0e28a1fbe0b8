// Library: an RAII handle over dlopen/dlclose whose failure carries a diagnosis.
// The success path is the raw call and nothing else: the diagnosis runs only after dlopen fails.
#pragma once

#include <dlfcn.h>

#include <string>
#include <string_view>
#include <utility>

#include "dldoctor/diagnose.hpp"
#include "dldoctor/result.hpp"

namespace dldoctor {

class Library {
 public:
  // dlopen(path, RTLD_NOW or RTLD_LAZY, plus RTLD_LOCAL); on failure, the loader's message and
  // dldoctor's findings. The report's load->message holds dlerror() verbatim.
  static Result<Library> open(const std::string& path, Mode mode = Mode::Now) noexcept;

  Library(Library&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Library& operator=(Library&& other) noexcept;
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
  ~Library();

  // dlsym; on failure, a report carrying dlerror(). The hit is inline and is the raw call; the
  // diagnosis of why a symbol is missing is the symbol stage's (unexported-symbol family).
  Result<void*> lookup_address(const char* name) const noexcept {
    if (void* address = ::dlsym(handle_, name); address != nullptr) return address;
    return lookup_null(name);
  }

  template <class T>
  Result<T*> lookup(const char* name) const noexcept {
    if (void* address = ::dlsym(handle_, name); address != nullptr)
      return reinterpret_cast<T*>(address);
    Result<void*> slow = lookup_null(name);
    if (!slow) return std::move(slow).report();
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
  // dlsym returned NULL: a failure, or a symbol whose value is 0 (see library.cpp).
  Result<void*> lookup_null(const char* name) const noexcept;
  void* handle_ = nullptr;
};

}  // namespace dldoctor
