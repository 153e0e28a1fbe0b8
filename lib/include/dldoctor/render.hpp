// Renderers: the only code that turns reports into text. Stages never format output.
#pragma once

#include <string>

#include "dldoctor/explain.hpp"
#include "dldoctor/report.hpp"
#include "dldoctor/search.hpp"

namespace dldoctor {

struct TextStyle {
  bool colour = false;  // ANSI colour; the command enables it only on a terminal without NO_COLOR
};

std::string render_text(const Report& report, TextStyle style = {});
std::string render_json(const Report& report);  // one JSON object, as in docs/report.schema.json

std::string render_text(const Explanation& explanation, TextStyle style = {});
std::string render_json(const Explanation& explanation);

// The dependency tree: each library with where it was found and by which rule; each missing one
// with the paths considered in order and why each was skipped.
std::string render_text(const search::Tree& tree, TextStyle style = {});
std::string render_json(const search::Tree& tree);

// A search's candidates, grouped by directory for people: "tried /usr/lib/libx.so [default
// path]: not found (and 10 hwcaps subdirectories)".
std::vector<std::string> describe_steps(const search::Resolution& resolution);

}  // namespace dldoctor
