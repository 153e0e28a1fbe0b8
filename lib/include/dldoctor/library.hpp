// Library: an RAII handle over dlopen/dlclose whose failure carries a diagnosis.
// The success path is the raw call and nothing else: the diagnosis runs only after dlopen fails.
#pragma once

#include <string>
#include <string_view>

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

  // dlsym; on failure, a report carrying dlerror(). The diagnosis of why a symbol is missing is
  // the symbol stage's (unexported-symbol family).
  Result<void*> lookup_address(const char* name) const noexcept;

  template <class T>
  Result<T*> lookup(const char* name) const noexcept {
    Result<void*> address = lookup_address(name);
    if (!address) return std::move(address).report();
    return reinterpret_cast<T*>(address.value());
  }

  void* native_handle() const noexcept { return handle_; }

 private:
  explicit Library(void* handle) noexcept : handle_(handle) {}
  void* handle_ = nullptr;
};

}  // namespace dldoctor
