// Result<T>: a value or the Report that explains why there is none. No exception crosses the
// public API, so every fallible public call returns one of these.
#pragma once

#include <utility>
#include <variant>

#include "dldoctor/report.hpp"

namespace dldoctor {

template <class T>
class Result {
 public:
  Result(T value)
      : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Report report) : state_(std::in_place_index<1>, std::move(report)) {}  // NOLINT

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  // Requires: ok().
  T& value() & { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &std::get<0>(state_); }

  // Requires: !ok().
  const Report& report() const& { return std::get<1>(state_); }
  Report&& report() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Report> state_;
};

}  // namespace dldoctor
