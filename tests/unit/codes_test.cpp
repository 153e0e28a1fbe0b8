// The published finding codes: one list (dldoctor/codes.hpp), each code once, spelled
// "<area>.<what>", its area the family's; and the findings the stages make take their severity
// from it (permission.not-inspectable was documented as an error and made as a warning).
#include "dldoctor/codes.hpp"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <string>

#include "checks/finding_helpers.hpp"

namespace dldoctor {
namespace {

TEST(FindingCodes, EachCodeOnceSpelledAreaDotWhatWithTheAreaOfItsFamily) {
  const std::map<std::string, Family> area_family{{"path", Family::BadPath},
                                                  {"permission", Family::MissingPermission},
                                                  {"mode", Family::WrongBuildMode},
                                                  {"symbol", Family::UnexportedSymbol},
                                                  {"version", Family::VersionConflict},
                                                  {"signature", Family::SignatureMismatch},
                                                  // hot reload is version-conflict's (DESIGN.md)
                                                  {"reload", Family::VersionConflict}};
  const std::regex spelling("([a-z]+)\\.[a-z0-9]+(-[a-z0-9]+)*");
  std::set<std::string_view> seen;
  for (const FindingCode& code : finding_codes()) {
    EXPECT_TRUE(seen.insert(code.code).second) << code.code << " is listed twice";
    std::cmatch parts;
    const std::string text(code.code);
    ASSERT_TRUE(std::regex_match(text.c_str(), parts, spelling)) << code.code;
    EXPECT_FALSE(code.meaning.empty()) << code.code;
    if (parts[1] == "internal") continue;  // dldoctor's own trouble, in no family of its own
    // Go's codes keep the family of what went wrong (DESIGN.md): each is listed here.
    if (parts[1] == "go") {
      const std::map<std::string, Family> go_family{
          {"go.host-without-cgo", Family::WrongBuildMode},
          {"go.package-version", Family::VersionConflict},
          {"go.replaced-module", Family::VersionConflict},
          {"go.toolchain", Family::VersionConflict},
          {"go.build-flags", Family::VersionConflict},
          {"go.type-mismatch", Family::SignatureMismatch},
          {"go.unexported-name", Family::UnexportedSymbol},
          {"go.not-plugin", Family::WrongBuildMode},
          {"go.bare-name", Family::BadPath}};
      ASSERT_TRUE(go_family.count(text)) << code.code << ": give it its family in this test";
      EXPECT_EQ(code.family, go_family.at(text)) << code.code;
      continue;
    }
    ASSERT_TRUE(area_family.count(parts[1])) << code.code;
    EXPECT_EQ(code.family, area_family.at(parts[1])) << code.code;
  }
  EXPECT_GE(seen.size(), 46u);
}

TEST(FindingCodes, AFindingTakesItsFamilyAndSeverityFromTheList) {
  for (const FindingCode& code : finding_codes()) {
    const Finding finding = make_finding(code, "summary");
    EXPECT_EQ(finding.code, code.code);
    EXPECT_EQ(finding.family, code.family) << code.code;
    EXPECT_EQ(finding.severity,
              code.severity == CodeSeverity::Warning ? Severity::Warning : Severity::Error)
        << code.code;
  }
  EXPECT_EQ(make_finding(finding_code("permission.not-inspectable"), "").severity,
            Severity::Warning);
  EXPECT_EQ(make_finding(finding_code("path.insecure-runpath"), "").severity, Severity::Warning);
  EXPECT_EQ(find_finding_code("path.no-such-code"), nullptr);
  EXPECT_EQ(to_string(finding_code("path.shadowed-dependency").severity), "error or warning");
}

}  // namespace
}  // namespace dldoctor
