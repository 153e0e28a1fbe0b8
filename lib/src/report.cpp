#include "dldoctor/report.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "dldoctor/codes.hpp"

namespace dldoctor {
namespace {
constexpr std::array<std::pair<Family, std::string_view>, 6> kFamilyNames{{
    {Family::WrongBuildMode, "wrong-build-mode"},
    {Family::UnexportedSymbol, "unexported-symbol"},
    {Family::SignatureMismatch, "signature-mismatch"},
    {Family::VersionConflict, "version-conflict"},
    {Family::BadPath, "bad-path"},
    {Family::MissingPermission, "missing-permission"},
}};
}  // namespace

std::string_view to_string(Family family) noexcept {
  for (const auto& [value, name] : kFamilyNames)
    if (value == family) return name;
  return "unknown";
}

std::optional<Family> family_from_string(std::string_view name) noexcept {
  for (const auto& [value, spelled] : kFamilyNames)
    if (spelled == name) return value;
  return std::nullopt;
}

std::string_view to_string(Severity severity) noexcept {
  return severity == Severity::Error ? "error" : "warning";
}

std::string_view to_string(CodeSeverity severity) noexcept {
  switch (severity) {
    case CodeSeverity::Error: return "error";
    case CodeSeverity::Warning: return "warning";
    case CodeSeverity::ErrorOrWarning: return "error or warning";
  }
  return "error";
}

bool Report::has_errors() const noexcept {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.severity == Severity::Error; });
}

}  // namespace dldoctor
