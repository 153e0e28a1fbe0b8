// JSON rendering: the contract of DESIGN.md and docs/report.schema.json. Field names and family
// strings here are published; change them only with the schema.
#include <nlohmann/json.hpp>

#include "dldoctor/render.hpp"

namespace dldoctor {

std::string render_json(const Report& report) {
  nlohmann::ordered_json findings = nlohmann::ordered_json::array();
  for (const Finding& finding : report.findings) {
    findings.push_back({
        {"family", to_string(finding.family)},
        {"code", finding.code},
        {"severity", to_string(finding.severity)},
        {"summary", finding.summary},
        {"evidence", finding.evidence},
        {"fix", {{"summary", finding.fix.summary}, {"commands", finding.fix.commands}}},
    });
  }
  nlohmann::ordered_json out = {
      {"path", report.path},
      {"loads", report.loads},
      {"findings", std::move(findings)},
  };
  if (report.load) {
    nlohmann::ordered_json load = {{"loaded", report.load->loaded},
                                   {"message", report.load->message}};
    if (report.load->exit_status) load["exit_status"] = *report.load->exit_status;
    if (report.load->signal) load["signal"] = *report.load->signal;
    out["load"] = std::move(load);
  }
  // Invalid UTF-8 (a file name is bytes) is replaced rather than thrown on.
  return out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string render_json(const Explanation& explanation) {
  nlohmann::ordered_json families = nlohmann::ordered_json::array();
  for (Family family : explanation.families) families.push_back(to_string(family));
  nlohmann::ordered_json out = {
      {"message_kind", explanation.message_kind},
      {"families", std::move(families)},
      {"meaning", explanation.meaning},
      {"checks", explanation.checks},
  };
  if (explanation.object) out["object"] = *explanation.object;
  if (explanation.symbol) out["symbol"] = *explanation.symbol;
  if (explanation.next_command) out["next_command"] = *explanation.next_command;
  return out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace dldoctor
