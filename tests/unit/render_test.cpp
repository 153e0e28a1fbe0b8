// Renderers: colour only when asked, JSON with exactly the contract's fields.
#include "dldoctor/render.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace dldoctor {
namespace {

Report sample_report() {
  Report report;
  report.path = "plugins/p.so";
  report.loads = false;
  Finding finding;
  finding.family = Family::BadPath;
  finding.code = "path.not-found";
  finding.summary = "plugins/p.so does not exist";
  finding.evidence = {"beside it in plugins: p.so.1"};
  finding.fix = {"give the path of the file as it is on disk", {"ls -l plugins"}};
  report.findings.push_back(finding);
  return report;
}

TEST(RenderText, PlainTextHasNoEscapeSequences) {
  const std::string text = render_text(sample_report(), TextStyle{false});
  EXPECT_EQ(text.find('\033'), std::string::npos);
  EXPECT_NE(text.find("error bad-path path.not-found"), std::string::npos) << text;
  EXPECT_NE(text.find("$ ls -l plugins"), std::string::npos) << text;
}

TEST(RenderText, ColourIsAddedOnlyWhenAsked) {
  EXPECT_NE(render_text(sample_report(), TextStyle{true}).find("\033["), std::string::npos);
}

TEST(RenderJson, FieldsAreThoseOfTheContract) {
  const auto json = nlohmann::json::parse(render_json(sample_report()));
  EXPECT_EQ(json["path"], "plugins/p.so");
  EXPECT_EQ(json["loads"], false);
  ASSERT_EQ(json["findings"].size(), 1u);
  const auto& finding = json["findings"][0];
  EXPECT_EQ(finding["family"], "bad-path");
  EXPECT_EQ(finding["code"], "path.not-found");
  EXPECT_EQ(finding["severity"], "error");
  EXPECT_EQ(finding["evidence"][0], "beside it in plugins: p.so.1");
  EXPECT_EQ(finding["fix"]["commands"][0], "ls -l plugins");
  EXPECT_FALSE(json.contains("load")) << "load appears only after a real load (--load)";
}

TEST(RenderJson, InvalidUtf8InAPathDoesNotThrow) {
  Report report = sample_report();
  report.path = "plugins/\xff\xfe.so";
  EXPECT_NO_THROW(nlohmann::json::parse(render_json(report)));
}

TEST(FamilyNames, RoundTripForAllSix) {
  for (Family family : {Family::WrongBuildMode, Family::UnexportedSymbol, Family::SignatureMismatch,
                        Family::VersionConflict, Family::BadPath, Family::MissingPermission})
    EXPECT_EQ(family_from_string(to_string(family)), family);
  EXPECT_FALSE(family_from_string("bad_path"));
}

}  // namespace
}  // namespace dldoctor
