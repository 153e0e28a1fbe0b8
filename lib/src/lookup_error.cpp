#include "dldoctor/lookup_error.hpp"

#include <cstring>
#include <new>
#include <utility>

#include "dldoctor/codes.hpp"

namespace dldoctor {
namespace {
// What replaces the end of a long message when there is no memory for all of it: a cut message
// must not pass for the loader's words.
constexpr std::string_view kCut = " [message cut: out of memory]";
static_assert(kCut.size() < LookupError::kInlineCapacity);
}  // namespace

LookupError::LookupError(std::shared_ptr<const Report> mismatch) noexcept
    : mismatch_(std::move(mismatch)) {
  inline_[0] = '\0';
  if (mismatch_ && !mismatch_->findings.empty())
    assign(mismatch_->findings.front().summary.c_str(), mismatch_->findings.front().summary.size());
}

LookupError::LookupError(const LookupError& other) noexcept : mismatch_(other.mismatch_) {
  assign(other.data(), other.size_);
}

LookupError::LookupError(LookupError&& other) noexcept : mismatch_(std::move(other.mismatch_)) {
  take(other);
}

LookupError& LookupError::operator=(const LookupError& other) noexcept {
  if (this != &other) {
    release();
    mismatch_ = other.mismatch_;
    assign(other.data(), other.size_);
  }
  return *this;
}

LookupError& LookupError::operator=(LookupError&& other) noexcept {
  if (this != &other) {
    release();
    mismatch_ = std::move(other.mismatch_);
    take(other);
  }
  return *this;
}

// The heap copy changes hands; an inline one is copied (it is at most kInlineCapacity bytes).
void LookupError::take(LookupError& other) noexcept {
  size_ = other.size_;
  if (other.heap_ != nullptr) {
    heap_ = std::exchange(other.heap_, nullptr);
    other.size_ = 0;
    other.inline_[0] = '\0';
  } else {
    std::memcpy(inline_, other.inline_, size_ + 1);
  }
}

void LookupError::release() noexcept {
  delete[] heap_;
  heap_ = nullptr;
  size_ = 0;
}

void LookupError::assign(const char* message, std::size_t size) noexcept {
  if (size < kInlineCapacity) {
    if (size > 0) std::memcpy(inline_, message, size);
    inline_[size] = '\0';
    size_ = size;
    return;
  }
  assign_long(message, size);
}

void LookupError::assign_long(const char* message, std::size_t size) noexcept {
  heap_ = new (std::nothrow) char[size + 1];
  if (heap_ != nullptr) {
    std::memcpy(heap_, message, size);
    heap_[size] = '\0';
    size_ = size;
    return;
  }
  // No memory: keep what fits, and say that it was cut.
  const std::size_t kept = kInlineCapacity - 1 - kCut.size();
  std::memcpy(inline_, message, kept);
  std::memcpy(inline_ + kept, kCut.data(), kCut.size());
  size_ = kept + kCut.size();
  inline_[size_] = '\0';
}

Report LookupError::report() const noexcept {
  if (mismatch_) {
    try {
      return *mismatch_;
    } catch (...) {
    }
  }
  Report report;
  report.loads = true;  // dlopen succeeded; only this dlsym failed
  // glibc's _dl_lookup_symbol_x says "OBJECT: undefined symbol: NAME" (elf/dl-lookup.c), OBJECT
  // being the l_name of the object dlsym searched: the library the lookup was made in.
  constexpr std::string_view kUndefined = ": undefined symbol: ";
  if (const std::size_t at = message().find(kUndefined); at != std::string_view::npos && at > 0) {
    try {
      report.path = std::string(message().substr(0, at));
    } catch (...) {
    }
  }
  Finding& finding = report.findings.emplace_back();
  finding.family = Family::UnexportedSymbol;
  finding.code = finding_code("symbol.not-found").code;
  finding.stops_load = false;
  finding.summary = message();
  return report;
}

}  // namespace dldoctor
