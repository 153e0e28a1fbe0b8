// Library: an RAII handle over dlopen/dlclose whose failure carries a diagnosis.
// The success path is the raw call and nothing else: the diagnosis runs only after dlopen fails.
#pragma once

#include <dlfcn.h>

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
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

  Library(Library&& other) noexcept
      : handle_(std::exchange(other.handle_, nullptr)),
        typed_(other.typed_.exchange(nullptr, std::memory_order_acq_rel)) {}
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

  // lookup<R(Args...)>(name): dlsym, and the type checked against what the loaded file says of
  // the name (its DLDOCTOR_SIGNATURE note, its DWARF, its C++ mangled name, strongest first): a
  // function defined with another type than T is a LookupError whose report() says which, and
  // from which source, instead of a pointer that would be called with its arguments in the
  // wrong registers. Nothing said (a stripped C function): the pointer. The verdict is kept per
  // name and type, with the address, so that later lookups of the same name cost a lookup in
  // that small table, no more than dlsym; the first one reads the file. lookup<T> of an object
  // type (a variable) is dlsym alone.
  template <class T>
  Result<T*, LookupError> lookup(const char* name) const noexcept {
    if constexpr (std::is_function_v<T>) {
      std::shared_ptr<const Report> mismatch;
      if (void* address = lookup_typed(name, typeid(T), &mismatch); address != nullptr)
        return reinterpret_cast<T*>(address);
      if (mismatch) return Result<T*, LookupError>(std::in_place_index<1>, std::move(mismatch));
      // dlsym found nothing, and its message is still to be read: the error is made here, in
      // the Result, once (a miss costs what lookup_address's does).
      if (const char* message = ::dlerror(); message != nullptr)
        return Result<T*, LookupError>(std::in_place_index<1>, message);
      return static_cast<T*>(nullptr);
    } else {
      if (void* address = ::dlsym(handle_, name); address != nullptr)
        return static_cast<T*>(address);
      if (const char* message = ::dlerror(); message != nullptr)  // as in lookup_address
        return Result<T*, LookupError>(std::in_place_index<1>, message);
      return static_cast<T*>(nullptr);
    }
  }

  // Why name cannot be looked up: reads the loaded file (never the process's memory) and says
  // whether the symbol is static, hidden, local to a version script, exported only under its C++
  // name, or absent (with the nearest names). Costs a read of the file, so lookup() leaves it to
  // the caller.
  Report explain_lookup(const char* name) const noexcept;

  void* native_handle() const noexcept { return handle_; }

  // dlclose now, and say whether the loader really unmapped the object: a Report with no
  // finding when it is gone from the process; reload.still-mapped, with why (-z nodelete,
  // STB_GNU_UNIQUE symbols, thread_local destructors, an object that needs it, another handle),
  // when it is not. The handle is released either way; the destructor's dlclose says nothing.
  // Costs a walk of the loaded objects (dl_iterate_phdr) after dlclose, and file reads only when
  // the object stayed.
  Report close() noexcept;

 private:
  explicit Library(void* handle) noexcept : handle_(handle) {}
  // The address, checked (nullptr and *mismatch set: another type); nullptr alone: dlsym found
  // nothing, and dlerror() has not been called.
  void* lookup_typed(const char* name, const std::type_info& type,
                     std::shared_ptr<const Report>* mismatch) const noexcept;

  struct TypedLookups;  // library.cpp: the verdicts of lookup<R(Args...)>, by name and type
  void release_typed_lookups() noexcept;
  void* handle_ = nullptr;
  mutable std::atomic<TypedLookups*> typed_{nullptr};
};

}  // namespace dldoctor
