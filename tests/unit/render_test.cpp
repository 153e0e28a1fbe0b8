// Renderers: colour only when asked, JSON with exactly the contract's fields.
#include "dldoctor/render.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "checks/stage.hpp"
#include "process.hpp"

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
  EXPECT_TRUE(nlohmann::json::accept(render_json(report)));
}

TEST(FamilyNames, RoundTripForAllSix) {
  for (Family family : {Family::WrongBuildMode, Family::UnexportedSymbol, Family::SignatureMismatch,
                        Family::VersionConflict, Family::BadPath, Family::MissingPermission})
    EXPECT_EQ(family_from_string(to_string(family)), family);
  EXPECT_FALSE(family_from_string("bad_path"));
}

}  // namespace
}  // namespace dldoctor

namespace dldoctor {
namespace {

// A file's strings are data: what a hostile DT_NEEDED or path holds never reaches the terminal
// as a control, and every byte is still told (escaped), not dropped.
const std::string kHostile = std::string("\033[31mlibz\033]0;pwned\a") + "\xc2\x9b" + "2J" +
                             "\xe2\x80\xae" + "os.\xff" + "caf\xc3\xa9\n.so";

Report hostile_report() {
  Report report = sample_report();
  report.path = kHostile;
  report.findings[0].summary = kHostile + " is not on the search path";
  report.findings[0].evidence = {"tried /lib/" + kHostile};
  report.findings[0].fix.commands = {"find / -name " + shell_quote(kHostile)};
  return report;
}

TEST(RenderText, ControlsBidiAndInvalidBytesFromAFileAreEscapedAndValidTextKept) {
  const std::string text = render_text(hostile_report(), TextStyle{false});
  for (const char c : text)
    EXPECT_TRUE(static_cast<unsigned char>(c) >= 0x20 || c == '\n') << static_cast<int>(c);
  EXPECT_EQ(text.find("\xc2\x9b"), std::string::npos);
  EXPECT_EQ(text.find("\xe2\x80\xae"), std::string::npos);
  EXPECT_NE(
      text.find("\\x1b[31mlibz\\x1b]0;pwned\\x07\\u{009b}2J\\u{202e}os.\\xffcaf\xc3\xa9\\x0a.so"),
      std::string::npos)
      << text;
  // One finding, one line each: the newline inside the name is escaped too.
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 7) << text;
  // With colour, dldoctor's own escapes are the only ones.
  const std::string coloured = render_text(hostile_report(), TextStyle{true});
  EXPECT_EQ(coloured.find("\033]"), std::string::npos);
  EXPECT_EQ(coloured.find("\033[31m"), std::string::npos);
}

TEST(RenderJson, EveryStringIsValidUtf8AndTheDocumentIsAscii) {
  const std::string text = render_json(hostile_report());
  for (const char c : text) EXPECT_LT(static_cast<unsigned char>(c), 0x80);
  const nlohmann::json parsed = nlohmann::json::parse(text);
  // The one escape for a byte that is not UTF-8: \xNN. Valid UTF-8 (controls too) is kept.
  const std::string path = parsed["path"];
  EXPECT_EQ(path, std::string("\033[31mlibz\033]0;pwned\a") + "\xc2\x9b" + "2J" + "\xe2\x80\xae" +
                      "os.\\xff" + "caf\xc3\xa9\n.so");
}

TEST(ShellQuote, AWordWithControlsIsAnsiCQuotedAndBashReadsBackTheSameBytes) {
  EXPECT_EQ(shell_quote("plain/path.so"), "plain/path.so");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("caf\xc3\xa9"), "'caf\xc3\xa9'");  // valid UTF-8 stays readable
  const std::string quoted = shell_quote(kHostile + "'\\");
  EXPECT_EQ(quoted.rfind("$'", 0), 0u) << quoted;
  for (const char c : quoted) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << static_cast<int>(c);
  // bash turns it back into the very bytes: the command a user pastes names the real file.
  const auto read =
      dldoctor::testing::run_process({"/bin/bash", "-c", "printf %s " + quoted}, {}).out;
  EXPECT_EQ(read, kHostile + "'\\");
}

}  // namespace
}  // namespace dldoctor

namespace dldoctor {
namespace {

// The issue's own reproduction: a DT_NEEDED entry made of escape sequences (patchelf, one
// command), through the real command, text, JSON and tree.
TEST(RenderHostileFile, ADtNeededOfEscapeSequencesNeverReachesTheTerminal) {
  char pattern[] = "/tmp/dldoctor-hostile-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::string dir = pattern;
  dldoctor::testing::ProcessOptions options;
  options.cwd = dir;
  {
    std::FILE* source = std::fopen((dir + "/p.c").c_str(), "w");
    std::fputs("int f(void) { return 1; }\n", source);
    std::fclose(source);
  }
  ASSERT_EQ(dldoctor::testing::run_process({DLDOCTOR_CC, "-shared", "-fPIC", "-o", "p.so", "p.c"},
                                           options)
                .exit_status,
            0);
  ASSERT_EQ(
      dldoctor::testing::run_process(
          {"/usr/bin/patchelf", "--add-needed", "\033[31mlibz\033]0;pwned\a.so", "p.so"}, options)
          .exit_status,
      0);
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{DLDOCTOR_EXE, "check", "./p.so"},
        std::vector<std::string>{DLDOCTOR_EXE, "check", "--json", "./p.so"},
        std::vector<std::string>{DLDOCTOR_EXE, "tree", "./p.so"},
        std::vector<std::string>{DLDOCTOR_EXE, "tree", "--json", "./p.so"}}) {
    const auto result = dldoctor::testing::run_process(command, options);
    EXPECT_EQ(result.exit_status, 1) << command[1] << result.err;
    EXPECT_EQ(result.out.find('\033'), std::string::npos) << command[1] << " " << command[2];
    EXPECT_EQ(result.out.find('\a'), std::string::npos) << command[1] << " " << command[2];
    EXPECT_NE(result.out.find("libz"), std::string::npos) << result.out;
    if (command[2] == "--json") {
      EXPECT_TRUE(nlohmann::json::accept(result.out)) << result.out;
    } else {
      EXPECT_NE(result.out.find("\\x1b[31mlibz\\x1b]0;pwned\\x07.so"), std::string::npos)
          << result.out;
    }
  }
  dldoctor::testing::run_process({"/bin/rm", "-rf", dir}, {});
}

}  // namespace
}  // namespace dldoctor
