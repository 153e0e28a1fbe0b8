// The plugin API versions a host accepts, checked against what a plugin declares with
// <dldoctor/plugin.h> before the plugin is loaded (LoadRequest::apis, `check --api`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace dldoctor {

// A bound of a range: MAJOR or MAJOR.MINOR. Without a minor it compares the major alone.
struct ApiBound {
  std::uint32_t major = 0;
  std::optional<std::uint32_t> minor;
};

// NAME=MIN..MAX, both included; NAME=V is V..V, NAME=MIN.. has no upper bound.
struct ApiRange {
  std::string name;
  ApiBound min;
  std::optional<ApiBound> max;  // nullopt: no upper bound

  bool accepts(std::uint32_t major, std::uint32_t minor) const noexcept;
};

struct ApiRangeError {
  std::string message;  // "expected a version after '=' (MAJOR or MAJOR.MINOR)"
  std::size_t column;   // 0-based, into the text parsed
};

// Parses what a host (or `dldoctor check --api`) states. Never throws.
std::variant<ApiRange, ApiRangeError> parse_api_range(std::string_view text) noexcept;

// "2.1", "2" (a bound), "2.1 through 2.x", "2.0 or later" (a range, for people).
std::string to_string(const ApiBound& bound);
std::string describe_accepted(const ApiRange& range);

}  // namespace dldoctor
