// Rendering of dependency trees (dldoctor tree): libtree's layout, with the rule that found each
// library in brackets, and for a missing one the paths considered in order and why each failed.
#include <nlohmann/json.hpp>
#include <string_view>

#include "dldoctor/render.hpp"
#include "render/printable.hpp"
#include "search/platform.hpp"

namespace dldoctor {
namespace {
using render::printable;  // names and paths come from the files: data, not controls

std::string rule_label(search::Rule rule, const std::string& owner) {
  std::string label(search::to_string(rule));
  if (!owner.empty()) {
    const std::size_t slash = owner.rfind('/');
    label += " of " + (slash == std::string::npos ? owner : owner.substr(slash + 1));
  }
  return "[" + label + "]";
}

// The hwcaps subdirectory a candidate path sits in ("glibc-hwcaps/x86-64-v3/"), or "".
std::string subdirectory_of(const std::string& path, const std::string& name) {
  if (path.size() < name.size()) return "";
  const std::string directory = path.substr(0, path.size() - name.size());
  for (const std::string& subdirectory : search::hwcap_subdirectory_list())
    if (!subdirectory.empty() && directory.ends_with("/" + subdirectory)) return subdirectory;
  return "";
}

}  // namespace

std::vector<std::string> describe_steps(const search::Resolution& resolution) {
  std::vector<std::string> lines;
  std::size_t hidden = 0;  // hwcaps subdirectory candidates that failed like the directory
  auto flush = [&](std::string& line) {
    if (hidden > 0)
      line += " (and " + std::to_string(hidden) + " hwcaps subdirector" +
              (hidden == 1 ? "y" : "ies") + " before it)";
    hidden = 0;
    lines.push_back(line);
  };
  for (const search::SearchStep& step : resolution.steps) {
    const bool in_subdirectory = !subdirectory_of(step.path, resolution.name).empty();
    if (in_subdirectory && step.outcome == search::Outcome::NotFound) {
      ++hidden;
      continue;
    }
    std::string line = "tried " + step.path + " " + rule_label(step.rule, step.rule_owner) + ": " +
                       (step.outcome == search::Outcome::Found ? "found" : step.why);
    flush(line);
  }
  if (hidden > 0) {
    std::string line = std::to_string(hidden) + " hwcaps subdirectory candidates: not found";
    hidden = 0;
    lines.push_back(line);
  }
  for (const std::string& note : resolution.notes) lines.push_back("note: " + note);
  return lines;
}

std::string render_text(const search::Tree& tree, TextStyle style) {
  auto paint = [&](std::string_view code, const std::string& text) {
    return style.colour ? "\033[" + std::string(code) + "m" + text + "\033[0m" : text;
  };
  std::string out;
  // Depth-first, children in DT_NEEDED order; "├──"/"└──" as libtree and tree(1) draw them.
  auto draw = [&](auto&& self, int index, const std::string& prefix, bool last, bool root) -> void {
    const search::Node& node = tree.nodes[static_cast<std::size_t>(index)];
    std::string line = root ? "" : prefix + (last ? "└── " : "├── ");
    if (root) {
      line += paint("1", printable(node.name));
      if (node.path && *node.path != node.name) line += " " + printable(*node.path);
    } else if (!node.path) {
      line += paint("1;31", printable(node.name) + " not found");
    } else if (node.repeated) {
      line += paint("2", printable(node.name + " " + rule_label(node.rule, node.rule_owner)));
    } else {
      line += paint("1", printable(node.name)) + " " +
              paint("33", printable(rule_label(node.rule, node.rule_owner))) + " " +
              printable(*node.path);
    }
    out += line + "\n";
    const std::string child_prefix = root ? "" : prefix + (last ? "    " : "│   ");
    for (const std::string& unmet : node.unmet_versions)
      out += child_prefix + "    " + paint("1;31", printable(unmet)) + "\n";
    if (!node.path && node.resolution >= 0) {
      const search::Resolution& resolution = tree.trace[static_cast<std::size_t>(node.resolution)];
      out += child_prefix + "    " + paint("2", "Paths considered in this order:") + "\n";
      for (const std::string& step : describe_steps(resolution))
        out += child_prefix + "    " + paint("2", printable(step)) + "\n";
    }
    for (std::size_t i = 0; i < node.children.size(); ++i)
      self(self, node.children[i], child_prefix, i + 1 == node.children.size(), false);
  };
  if (!tree.other_loader.empty())
    out += paint("2", "resolved as another kind's loader would: " + printable(tree.other_loader)) +
           "\n";
  if (!tree.nodes.empty()) draw(draw, 0, "", true, true);
  if (tree.error) out += "\n" + paint("1;31", "error: ") + printable(*tree.error) + "\n";
  return out;
}

std::string render_json(const search::Tree& tree) {
  using nlohmann::ordered_json;
  auto valid_lines = [](const std::vector<std::string>& lines) {
    std::vector<std::string> out;
    for (const std::string& line : lines) out.push_back(render::valid_utf8(line));
    return out;
  };
  auto node_json = [&](auto&& self, int index) -> ordered_json {
    const search::Node& node = tree.nodes[static_cast<std::size_t>(index)];
    ordered_json out = {{"name", render::valid_utf8(node.name)}};
    out["path"] = node.path ? ordered_json(render::valid_utf8(*node.path)) : ordered_json(nullptr);
    out["rule"] = search::to_string(node.rule);
    if (!node.rule_owner.empty()) out["rule_owner"] = render::valid_utf8(node.rule_owner);
    if (node.soname) out["soname"] = render::valid_utf8(*node.soname);
    out["repeated"] = node.repeated;
    if (!node.unmet_versions.empty()) out["unmet_versions"] = valid_lines(node.unmet_versions);
    ordered_json needs = ordered_json::array();
    for (int child : node.children) needs.push_back(self(self, child));
    out["needs"] = std::move(needs);
    return out;
  };
  ordered_json trace = ordered_json::array();
  for (const search::Resolution& resolution : tree.trace) {
    ordered_json tried = ordered_json::array();
    for (const search::SearchStep& step : resolution.steps) {
      ordered_json entry = {{"path", render::valid_utf8(step.path)},
                            {"rule", search::to_string(step.rule)},
                            {"outcome", search::to_string(step.outcome)}};
      if (!step.rule_owner.empty()) entry["rule_owner"] = render::valid_utf8(step.rule_owner);
      if (!step.why.empty()) entry["why"] = render::valid_utf8(step.why);
      tried.push_back(std::move(entry));
    }
    ordered_json entry = {{"name", render::valid_utf8(resolution.name)},
                          {"needed_by", render::valid_utf8(resolution.needed_by)}};
    entry["found"] = resolution.path ? ordered_json(render::valid_utf8(*resolution.path))
                                     : ordered_json(nullptr);
    if (resolution.path) entry["rule"] = search::to_string(resolution.rule);
    entry["tried"] = std::move(tried);
    entry["notes"] = valid_lines(resolution.notes);
    if (!resolution.error.empty()) entry["error"] = render::valid_utf8(resolution.error);
    trace.push_back(std::move(entry));
  }
  ordered_json out;
  out["root"] = tree.nodes.empty() ? ordered_json(nullptr) : node_json(node_json, 0);
  out["error"] = tree.error ? ordered_json(render::valid_utf8(*tree.error)) : ordered_json(nullptr);
  out["dlopen_trace_start"] = tree.dlopen_trace_start;
  if (!tree.other_loader.empty()) out["other_loader"] = render::valid_utf8(tree.other_loader);
  out["trace"] = std::move(trace);
  return out.dump(2, ' ', true,
                  ordered_json::error_handler_t::replace);  // ASCII, as render_json(Report)
}

}  // namespace dldoctor
