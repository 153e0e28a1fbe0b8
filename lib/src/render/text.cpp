// Text rendering, for people: the verdict, then each finding as family and code, the cause in one
// sentence, the evidence read from the files, and the fix as commands to paste.
#include <string_view>

#include "dldoctor/render.hpp"
#include "render/printable.hpp"

namespace dldoctor {
namespace {
using render::printable;  // every string of a report may come from the file: data, not controls

class Painter {
 public:
  explicit Painter(TextStyle style) : colour_(style.colour) {}
  std::string operator()(std::string_view code, std::string_view text) const {
    if (!colour_) return std::string(text);
    return "\033[" + std::string(code) + "m" + std::string(text) + "\033[0m";
  }
  std::string bold(std::string_view text) const { return (*this)("1", text); }
  std::string red(std::string_view text) const { return (*this)("1;31", text); }
  std::string yellow(std::string_view text) const { return (*this)("1;33", text); }
  std::string green(std::string_view text) const { return (*this)("1;32", text); }
  std::string dim(std::string_view text) const { return (*this)("2", text); }

 private:
  bool colour_;
};
}  // namespace

std::string render_text(const Report& report, TextStyle style) {
  const Painter paint(style);
  std::string out;
  std::string verdict;
  if (report.load)
    verdict = report.load->loaded ? paint.green("loads") : paint.red("does not load");
  else if (!report.loads)
    verdict = paint.red("would not load");
  else if (report.has_errors())
    verdict = paint.yellow("would load") + ", " + paint.red("then fails (below)");
  else
    verdict = paint.green("would load");
  out += paint.bold(printable(report.path)) + ": " + verdict + "\n";
  if (report.load && !report.load->message.empty())
    out += "  loader: " + printable(report.load->message) + "\n";
  for (const Finding& finding : report.findings) {
    const bool error = finding.severity == Severity::Error;
    out += "\n  " + (error ? paint.red("error") : paint.yellow("warning")) + " " +
           paint.bold(std::string(to_string(finding.family))) + " " +
           paint.dim(printable(finding.code)) + "\n";
    out += "    " + printable(finding.summary) + "\n";
    for (const std::string& line : finding.evidence)
      out += "    " + paint.dim("- ") + printable(line) + "\n";
    if (!finding.fix.summary.empty()) out += "    fix: " + printable(finding.fix.summary) + "\n";
    for (const std::string& command : finding.fix.commands)
      out += "      " + paint.dim("$ ") + printable(command) + "\n";
  }
  if (report.findings.empty()) out += "  no problems found\n";
  return out;
}

std::string render_text(const Explanation& explanation, TextStyle style) {
  const Painter paint(style);
  std::string families;
  for (Family family : explanation.families)
    families += (families.empty() ? "" : ", ") + std::string(to_string(family));
  std::string out = paint.bold(printable(explanation.message_kind)) + "\n";
  out += "  family: " + families + "\n";
  out += "  meaning: " + printable(explanation.meaning) + "\n";
  if (explanation.object) out += "  object: " + printable(*explanation.object) + "\n";
  if (explanation.symbol) out += "  symbol: " + printable(*explanation.symbol) + "\n";
  out += "  checks:\n";
  for (std::size_t i = 0; i < explanation.checks.size(); ++i)
    out += "    " + std::to_string(i + 1) + ". " + printable(explanation.checks[i]) + "\n";
  if (explanation.next_command)
    out += "  next: " + paint.dim("$ ") + printable(*explanation.next_command) + "\n";
  return out;
}

}  // namespace dldoctor
