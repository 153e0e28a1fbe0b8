// JSON rendering: the contract of DESIGN.md and docs/report.schema.json. Field names and family
// strings here are published; change them only with the schema.
#include <nlohmann/json.hpp>

#include "dldoctor/render.hpp"
#include "render/printable.hpp"

namespace dldoctor {
namespace {
// Every string as valid UTF-8 (a byte that is not becomes \xNN, docs/cli.md), written with
// ensure_ascii: the document is ASCII, so nothing in it acts on a terminal that prints it raw.
using render::valid_utf8;
std::vector<std::string> valid_utf8(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  out.reserve(lines.size());
  for (const std::string& line : lines) out.push_back(valid_utf8(line));
  return out;
}
std::string dump(const nlohmann::ordered_json& document) {
  return document.dump(2, ' ', true, nlohmann::ordered_json::error_handler_t::replace);
}
}  // namespace

std::string render_json(const Report& report) {
  nlohmann::ordered_json findings = nlohmann::ordered_json::array();
  for (const Finding& finding : report.findings) {
    findings.push_back({
        {"family", to_string(finding.family)},
        {"code", valid_utf8(finding.code)},
        {"severity", to_string(finding.severity)},
        {"summary", valid_utf8(finding.summary)},
        {"evidence", valid_utf8(finding.evidence)},
        {"fix",
         {{"summary", valid_utf8(finding.fix.summary)},
          {"commands", valid_utf8(finding.fix.commands)}}},
    });
  }
  nlohmann::ordered_json out = {
      {"path", valid_utf8(report.path)},
      {"loads", report.loads},
      {"findings", std::move(findings)},
  };
  if (report.load) {
    nlohmann::ordered_json load = {{"loaded", report.load->loaded},
                                   {"message", valid_utf8(report.load->message)}};
    if (report.load->exit_status) load["exit_status"] = *report.load->exit_status;
    if (report.load->signal) load["signal"] = *report.load->signal;
    out["load"] = std::move(load);
  }
  return dump(out);
}

std::string render_json(const Explanation& explanation) {
  nlohmann::ordered_json families = nlohmann::ordered_json::array();
  for (Family family : explanation.families) families.push_back(to_string(family));
  nlohmann::ordered_json out = {
      {"message_kind", valid_utf8(explanation.message_kind)},
      {"families", std::move(families)},
      {"meaning", valid_utf8(explanation.meaning)},
      {"checks", valid_utf8(explanation.checks)},
  };
  if (explanation.object) out["object"] = valid_utf8(*explanation.object);
  if (explanation.symbol) out["symbol"] = valid_utf8(*explanation.symbol);
  if (explanation.next_command) out["next_command"] = valid_utf8(*explanation.next_command);
  return dump(out);
}

}  // namespace dldoctor
