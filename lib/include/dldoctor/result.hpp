// Result<T>: a value or the Report that explains why there is none. No exception crosses the
// public API, so every fallible public call returns one of these. A call whose failure must stay
// cheap returns a lighter error instead (Result<T*, LookupError> from Library::lookup), which
// still turns into the Report on request.
#pragma once

#include <concepts>
#include <utility>
#include <variant>

#include "dldoctor/report.hpp"

namespace dldoctor {

template <class T, class E = Report>
class Result {
 public:
  Result(T value)
      : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(E error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT
  // Builds the error where it will stay, for an error that keeps its bytes inline (LookupError):
  // a cheap failure is not copied on its way out.
  template <class... Args>
  explicit Result(std::in_place_index_t<1>, Args&&... args)
      : state_(std::in_place_index<1>, std::forward<Args>(args)...) {}

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  // Requires: ok().
  T& value() & { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &std::get<0>(state_); }

  // Requires: !ok(). The error as the call returned it.
  const E& error() const& { return std::get<1>(state_); }
  E&& error() && { return std::get<1>(std::move(state_)); }

  // Requires: !ok(). The Report that explains the failure: the error itself when it is one,
  // otherwise built from it now (E::report()).
  const Report& report() const& requires std::same_as<E, Report> { return std::get<1>(state_); }
  Report&& report() && requires std::same_as<E, Report> { return std::get<1>(std::move(state_)); }
  Report report() const& requires(!std::same_as<E, Report>) { return std::get<1>(state_).report(); }

 private:
  std::variant<T, E> state_;
};

}  // namespace dldoctor
