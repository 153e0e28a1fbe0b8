// explain: from a loader message (dlerror() text, or what ld.so printed) to the family it belongs
// to, what it means, and the checks that decide the real cause.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dldoctor/report.hpp"

namespace dldoctor {

struct Explanation {
  std::string message_kind;           // the glibc message this matched, e.g. "invalid ELF header"
  std::vector<Family> families;       // most likely first; one message can hide several causes
  std::string meaning;                // what the loader was doing when it said this
  std::vector<std::string> checks;    // what to look at, in order, to tell the causes apart
  std::optional<std::string> object;  // the file the message names, when it names one
  std::optional<std::string> symbol;  // the symbol or version it names, when it names one
  std::optional<std::string> next_command;  // the dldoctor command that settles it
};

// std::nullopt when the text is not a loader message dldoctor knows.
std::optional<Explanation> explain(std::string_view message) noexcept;

}  // namespace dldoctor
