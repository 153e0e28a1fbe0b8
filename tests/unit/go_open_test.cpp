// A Go host's plugin.Open, modelled from the files (the Go cases' own, built with the tree):
// - a file that is no Go plugin (a C library, a -buildmode=c-shared Go library) is go.not-plugin
//   for a Go host, and nothing Go-specific for a C host or without one;
// - a bare name is resolved against the current directory (realpath), not searched: missing
//   there it is go.bare-name even when dlopen's search would find it, and present there it loads,
//   where the C rule says dlopen never looks (path.bare-name);
// - plugin.Lookup of a name exported to C by cgo's //export names that C symbol.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "dldoctor/diagnose.hpp"

namespace dldoctor {
namespace {

#ifdef DLDOCTOR_GO_CASES
std::string case_dir(const std::string& relative) {
  return std::string(DLDOCTOR_GO_CASES) + "/" + relative;
}

bool have_go_cases() {
  return std::filesystem::exists(case_dir("wrong-build-mode/go-c-shared/host"));
}

const Finding* finding_of(const Report& report, const std::string& code) {
  const auto found = std::find_if(report.findings.begin(), report.findings.end(),
                                  [&](const Finding& finding) { return finding.code == code; });
  return found == report.findings.end() ? nullptr : &*found;
}

bool any_evidence(const Finding& finding, const std::string& text) {
  return std::any_of(finding.evidence.begin(), finding.evidence.end(),
                     [&](const std::string& line) { return line.find(text) != std::string::npos; });
}

Report check(const std::string& path, const std::optional<std::string>& host,
             std::vector<std::string> symbols = {}) {
  LoadRequest request(path);
  request.host = host;
  request.symbols = std::move(symbols);
  return diagnose(request);
}

// Runs the body in a directory, and comes back.
struct InDirectory {
  explicit InDirectory(const std::string& directory) : previous(std::filesystem::current_path()) {
    std::filesystem::current_path(directory);
  }
  ~InDirectory() { std::filesystem::current_path(previous); }
  std::filesystem::path previous;
};

TEST(GoOpen, ACSharedGoLibraryIsNoPluginForAGoHost) {
  if (!have_go_cases()) GTEST_SKIP() << "Go is not installed: the Go cases were not built";
  const std::string dir = case_dir("wrong-build-mode/go-c-shared/");
  const Report broken = check(dir + "broken/p.so", dir + "host");
  const Finding* finding = finding_of(broken, "go.not-plugin");
  ASSERT_NE(finding, nullptr);
  EXPECT_EQ(finding->family, Family::WrongBuildMode);
  EXPECT_TRUE(finding->stops_load);
  EXPECT_TRUE(any_evidence(*finding, "the entry of a -buildmode=c-shared library"));
  EXPECT_TRUE(any_evidence(*finding, "Go build info (.go.buildinfo) of go1."));
  EXPECT_TRUE(any_evidence(*finding, "fatal error: runtime: no plugin module data"));
  EXPECT_TRUE(check(dir + "fixed/p.so", dir + "host").findings.empty());
  // Without a Go host, nothing says the file is to be a Go plugin: it is a shared library.
  EXPECT_EQ(finding_of(check(dir + "broken/p.so", std::nullopt), "go.not-plugin"), nullptr);
  EXPECT_EQ(finding_of(check(dir + "broken/p.so", DLDOCTOR_EXE), "go.not-plugin"), nullptr);
}

TEST(GoOpen, ACLibraryIsNoPluginForAGoHost) {
  if (!have_go_cases()) GTEST_SKIP() << "Go is not installed: the Go cases were not built";
  const std::string dir = case_dir("wrong-build-mode/go-not-plugin/");
  const Report broken = check(dir + "broken/p.so", dir + "host");
  const Finding* finding = finding_of(broken, "go.not-plugin");
  ASSERT_NE(finding, nullptr);
  EXPECT_TRUE(any_evidence(*finding, "no Go at all"));
  EXPECT_FALSE(any_evidence(*finding, "c-shared library)"));
  EXPECT_TRUE(check(dir + "fixed/p.so", dir + "host").findings.empty());
  EXPECT_TRUE(check(dir + "broken/p.so", std::nullopt, {"Hello"}).findings.empty());
}

TEST(GoOpen, ABareNameIsResolvedAgainstTheCurrentDirectoryNotSearched) {
  if (!have_go_cases()) GTEST_SKIP() << "Go is not installed: the Go cases were not built";
  const std::string dir = case_dir("bad-path/go-bare-name");
  const std::string host = dir + "/host";
  {
    // From the case's directory, with plugins/ on LD_LIBRARY_PATH: dlopen's search would find
    // it, Go's realpath does not.
    InDirectory in(dir);
    const char* saved = std::getenv("LD_LIBRARY_PATH");
    const std::string previous = saved != nullptr ? saved : "";
    ::setenv("LD_LIBRARY_PATH", (dir + "/plugins").c_str(), 1);
    const Report report = check("p.so", host);
    if (saved != nullptr)
      ::setenv("LD_LIBRARY_PATH", previous.c_str(), 1);
    else
      ::unsetenv("LD_LIBRARY_PATH");
    const Finding* finding = finding_of(report, "go.bare-name");
    ASSERT_NE(finding, nullptr);
    EXPECT_EQ(finding->family, Family::BadPath);
    EXPECT_TRUE(any_evidence(*finding, "dlopen's search would find it at ./plugins/p.so by"));
    EXPECT_TRUE(any_evidence(*finding, "'plugin.Open(\"p.so\"): realpath failed'"));
    // dlopen would expand $ORIGIN to the host's directory; Go's realpath looks for a directory
    // named "$ORIGIN" (the Go host says "realpath failed").
    const Report origin = check("$ORIGIN/plugins/p.so", host);
    EXPECT_NE(finding_of(origin, "path.not-found"), nullptr);
  }
  {
    // From plugins/, where p.so is: Go opens it; the C rule (no Go host) says dlopen never
    // looks in the current directory.
    InDirectory in(dir + "/plugins");
    EXPECT_TRUE(check("p.so", host, {"Hello"}).findings.empty());
    EXPECT_NE(finding_of(check("p.so", DLDOCTOR_EXE), "path.bare-name"), nullptr);
  }
}

TEST(GoOpen, AMissingPathOfAGoHostSaysRealpathFails) {
  if (!have_go_cases()) GTEST_SKIP() << "Go is not installed: the Go cases were not built";
  const std::string dir = case_dir("bad-path/go-missing-file");
  InDirectory in(dir);
  const Report go_host = check("./plugins/p", dir + "/host");
  const Finding* finding = finding_of(go_host, "path.not-found");
  ASSERT_NE(finding, nullptr);
  EXPECT_TRUE(any_evidence(*finding, "beside it in ./plugins: p.so"));
  EXPECT_TRUE(any_evidence(*finding, "realpath failed"));
  const Report c_report = check("./plugins/p", DLDOCTOR_EXE);
  const Finding* c_host = finding_of(c_report, "path.not-found");
  ASSERT_NE(c_host, nullptr);
  EXPECT_FALSE(any_evidence(*c_host, "realpath failed")) << "dlopen says no such thing";
}

TEST(GoOpen, LookupOfACgoExportNamesTheCSymbol) {
  if (!have_go_cases()) GTEST_SKIP() << "Go is not installed: the Go cases were not built";
  const std::string dir = case_dir("unexported-symbol/go-export-myth/");
  const Report report = check(dir + "broken/p.so", dir + "host", {"hello"});
  const Finding* finding = finding_of(report, "go.unexported-name");
  ASSERT_NE(finding, nullptr);
  EXPECT_FALSE(finding->stops_load);
  EXPECT_TRUE(any_evidence(*finding, "hello is in p.so's .dynsym (FUNC GLOBAL DEFAULT hello"));
  EXPECT_TRUE(any_evidence(*finding, "cgo's C export of hello"));
  EXPECT_TRUE(any_evidence(*finding, "looks for example.com/plug.hello instead"));
  EXPECT_TRUE(check(dir + "fixed/p.so", dir + "host", {"Hello"}).findings.empty());
  // Without import "C", //export is a comment: no C symbol to name.
  const std::string lowercase = case_dir("unexported-symbol/go-lowercase/");
  const Report lowercase_report = check(lowercase + "broken/p.so", lowercase + "host", {"hello"});
  const Finding* plain = finding_of(lowercase_report, "go.unexported-name");
  ASSERT_NE(plain, nullptr);
  EXPECT_FALSE(any_evidence(*plain, "cgo's C export of hello"));
}
#endif

}  // namespace
}  // namespace dldoctor
