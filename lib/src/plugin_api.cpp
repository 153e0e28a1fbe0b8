// The host's side of <dldoctor/plugin.h>: the API range it accepts, parsed and compared.
#include "dldoctor/plugin_api.hpp"

#include <charconv>
#include <limits>

namespace dldoctor {
namespace {

// -1, 0 or 1 as version (major, minor) is below, inside or above bound; a bound without a minor
// compares the major only, so that MAX 2 admits every 2.x and MIN 2 every 2.x too.
int compare(std::uint32_t major, std::uint32_t minor, const ApiBound& bound) noexcept {
  if (major != bound.major) return major < bound.major ? -1 : 1;
  if (!bound.minor || minor == *bound.minor) return 0;
  return minor < *bound.minor ? -1 : 1;
}

class RangeParser {
 public:
  explicit RangeParser(std::string_view text) : text_(text) {}

  std::variant<ApiRange, ApiRangeError> parse() {
    ApiRange range;
    const std::size_t equals = text_.find('=');
    if (equals == std::string_view::npos)
      return ApiRangeError{"expected NAME=MIN..MAX (no '=')", text_.size()};
    range.name = std::string(text_.substr(0, equals));
    if (range.name.empty()) return ApiRangeError{"expected an API name before '='", 0};
    for (std::size_t i = 0; i < range.name.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(range.name[i]);
      if (c <= ' ' || c >= 0x7f)
        return ApiRangeError{"an API name is printable ASCII without spaces", i};
    }
    at_ = equals + 1;
    std::optional<ApiBound> min = bound();
    if (!min) return error_;
    range.min = *min;
    if (at_ == text_.size()) {
      range.max = range.min;
      return range;
    }
    if (text_.substr(at_, 2) != "..")
      return ApiRangeError{"expected '..' or the end after the version", at_};
    at_ += 2;
    if (at_ == text_.size()) return range;  // MIN..: no upper bound
    std::optional<ApiBound> max = bound();
    if (!max) return error_;
    if (at_ != text_.size()) return ApiRangeError{"unexpected text after the range", at_};
    if (compare(max->major, max->minor.value_or(std::numeric_limits<std::uint32_t>::max()),
                range.min) < 0)
      return ApiRangeError{"the upper bound is below the lower bound", equals + 1};
    range.max = *max;
    return range;
  }

 private:
  std::optional<std::uint32_t> number(const char* what) {
    std::uint32_t value = 0;
    const char* begin = text_.data() + at_;
    const char* end = text_.data() + text_.size();
    const auto [stop, status] = std::from_chars(begin, end, value);
    if (status != std::errc() || stop == begin) {
      error_ = ApiRangeError{std::string("expected ") + what + " (a number)", at_};
      return std::nullopt;
    }
    at_ += static_cast<std::size_t>(stop - begin);
    return value;
  }

  std::optional<ApiBound> bound() {
    ApiBound result;
    const std::optional<std::uint32_t> major = number("a major version");
    if (!major) return std::nullopt;
    result.major = *major;
    // One '.' then a minor; ".." is the range's separator.
    if (at_ < text_.size() && text_[at_] == '.' && text_.substr(at_, 2) != "..") {
      ++at_;
      const std::optional<std::uint32_t> minor = number("a minor version after '.'");
      if (!minor) return std::nullopt;
      result.minor = *minor;
    }
    return result;
  }

  std::string_view text_;
  std::size_t at_ = 0;
  ApiRangeError error_;
};

}  // namespace

bool ApiRange::accepts(std::uint32_t major, std::uint32_t minor) const noexcept {
  return compare(major, minor, min) >= 0 && (!max || compare(major, minor, *max) <= 0);
}

std::variant<ApiRange, ApiRangeError> parse_api_range(std::string_view text) noexcept {
  try {
    return RangeParser(text).parse();
  } catch (...) {
    return ApiRangeError{"out of memory", 0};
  }
}

std::string to_string(const ApiBound& bound) {
  return std::to_string(bound.major) + (bound.minor ? "." + std::to_string(*bound.minor) : "");
}

std::string describe_accepted(const ApiRange& range) {
  const std::string low =
      std::to_string(range.min.major) + "." + std::to_string(range.min.minor.value_or(0));
  if (!range.max) return low + " or later";
  const std::string high = to_string(*range.max) + (range.max->minor ? "" : ".x");
  return low == high ? "exactly " + low : low + " through " + high;
}

}  // namespace dldoctor
