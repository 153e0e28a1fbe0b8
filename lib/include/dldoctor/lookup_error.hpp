// LookupError: why Library::lookup found nothing, as cheap as a failed dlsym allows. It holds a
// copy of dlerror()'s message (glibc frees its buffer at the next dl call, so a pointer would
// dangle) in an inline buffer, so the common failure allocates nothing; a message too long for the
// buffer goes to the heap, whole. The full Report (one symbol.not-found finding) is built only
// when asked for, and Library::explain_lookup says why the name is missing.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

#include "dldoctor/report.hpp"

namespace dldoctor {

class LookupError {
 public:
  // Bytes kept inside the object, the terminating NUL included. glibc's message for a miss is
  // "OBJECT: undefined symbol: NAME": a path and a name, which fit here unless either is long.
  static constexpr std::size_t kInlineCapacity = 232;

  // Copies message (dlerror()'s text; nullptr is taken as an empty message). Inline: it is all
  // that a failed lookup adds to the failed dlsym.
  explicit LookupError(const char* message) noexcept {
    const std::size_t size = message != nullptr ? std::strlen(message) : 0;
    if (size >= kInlineCapacity) {
      assign_long(message, size);
      return;
    }
    if (size > 0) std::memcpy(inline_, message, size);
    inline_[size] = '\0';
    size_ = size;
  }
  // A name that was found with another type than asked (Library::lookup<R(Args...)>): the
  // Report says which, and from which source; message() is its first finding's summary.
  explicit LookupError(std::shared_ptr<const Report> mismatch) noexcept;
  LookupError(const LookupError& other) noexcept;
  LookupError(LookupError&& other) noexcept;
  LookupError& operator=(const LookupError& other) noexcept;
  LookupError& operator=(LookupError&& other) noexcept;
  ~LookupError() {
    if (heap_ != nullptr) release();
  }

  // dlerror()'s message, verbatim: "./plugin.so: undefined symbol: NAME". Only if memory runs
  // out while copying a message longer than kInlineCapacity is it cut, and then it says so.
  std::string_view message() const noexcept { return {data(), size_}; }

  // The structured error: one symbol.not-found finding (unexported-symbol family) whose summary
  // is message(), for the library the message names (report.path); the library loaded (loads is
  // true) and no file is read. For a type mismatch, the Report that explained it.
  Report report() const noexcept;
  // The signature-mismatch Report, when that is why the lookup failed; nullptr otherwise.
  const Report* mismatch() const noexcept { return mismatch_.get(); }

 private:
  const char* data() const noexcept { return heap_ != nullptr ? heap_ : inline_; }
  void assign(const char* message, std::size_t size) noexcept;
  void assign_long(const char* message, std::size_t size) noexcept;
  void release() noexcept;
  void take(LookupError& other) noexcept;  // into an empty this; a heap copy moves over

  std::shared_ptr<const Report> mismatch_;  // set only for a type mismatch
  std::size_t size_ = 0;
  char* heap_ = nullptr;  // owns the copy when it does not fit inline_
  char inline_[kInlineCapacity];
};

}  // namespace dldoctor
