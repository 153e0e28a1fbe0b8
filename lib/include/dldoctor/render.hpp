// Renderers: the only code that turns reports into text. Stages never format output.
#pragma once

#include <string>

#include "dldoctor/explain.hpp"
#include "dldoctor/report.hpp"

namespace dldoctor {

struct TextStyle {
  bool colour = false;  // ANSI colour; the command enables it only on a terminal without NO_COLOR
};

std::string render_text(const Report& report, TextStyle style = {});
std::string render_json(const Report& report);  // one JSON object, as in docs/report.schema.json

std::string render_text(const Explanation& explanation, TextStyle style = {});
std::string render_json(const Explanation& explanation);

}  // namespace dldoctor
