// Library: the raw call on success, a diagnosis on failure, never an exception.
#include "dldoctor/library.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <string>
#include <string_view>
#include <utility>

namespace dldoctor {
namespace {

bool has_code(const Report& report, const std::string& code) {
  for (const Finding& finding : report.findings)
    if (finding.code == code) return true;
  return false;
}

TEST(LibraryOpen, SystemLibraryOpensAndItsFunctionIsCalled) {
  Result<Library> library = Library::open("libm.so.6");
  ASSERT_TRUE(library.ok()) << library.report().load->message;
  Result<double (*)(double), LookupError> cosine = library->lookup<double(double)>("cos");
  ASSERT_TRUE(cosine.ok());
  EXPECT_DOUBLE_EQ(cosine.value()(0.0), 1.0);
}

TEST(LibraryOpen, MissingFileCarriesTheLoaderMessageAndABadPathFinding) {
  Result<Library> library = Library::open("/nonexistent/dir/libplugin.so");
  ASSERT_FALSE(library.ok());
  const Report& report = library.report();
  ASSERT_TRUE(report.load.has_value());
  EXPECT_NE(report.load->message.find("cannot open shared object file"), std::string::npos)
      << report.load->message;
  EXPECT_FALSE(report.loads);
  EXPECT_TRUE(has_code(report, "path.not-found"));
}

TEST(LibraryOpen, ProgramIsDiagnosedAsAPie) {
  if (::access("/usr/bin/true", R_OK) != 0) GTEST_SKIP() << "/usr/bin/true is not readable";
  Result<Library> library = Library::open("/usr/bin/true");
  ASSERT_FALSE(library.ok());
  EXPECT_NE(library.report().load->message.find(
                "cannot dynamically load position-independent executable"),
            std::string::npos)
      << library.report().load->message;
  EXPECT_TRUE(has_code(library.report(), "mode.pie-executable"));
}

TEST(LibraryLookup, MissingSymbolCarriesDlerrorAndNoDiagnosis) {
  Result<Library> library = Library::open("libm.so.6");
  ASSERT_TRUE(library.ok());
  Result<void*, LookupError> missing = library->lookup_address("dldoctor_no_such_symbol");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("undefined symbol: dldoctor_no_such_symbol"),
            std::string_view::npos)
      << missing.error().message();
  // The error outlives glibc's buffer: another failing call replaces dlerror()'s text.
  ASSERT_FALSE(library->lookup<int()>("dldoctor_another_missing_symbol").ok());
  EXPECT_EQ(missing.error().message().find("dldoctor_another_missing_symbol"),
            std::string_view::npos)
      << missing.error().message();

  const Report report = missing.report();
  ASSERT_EQ(report.findings.size(), 1u);
  const Finding& finding = report.findings.front();
  EXPECT_EQ(finding.family, Family::UnexportedSymbol);
  EXPECT_EQ(finding.code, "symbol.not-found");
  EXPECT_EQ(finding.summary, missing.error().message()) << "the summary is dlerror()'s text";
  EXPECT_TRUE(finding.evidence.empty()) << "the cheap failure reads no file";
  EXPECT_TRUE(report.loads) << "the library loaded; only the lookup failed";
}

TEST(LibraryLookup, TypedMissCarriesTheSameError) {
  Result<Library> library = Library::open("libm.so.6");
  ASSERT_TRUE(library.ok());
  Result<double (*)(double), LookupError> missing =
      library->lookup<double(double)>("dldoctor_no_such_symbol");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("undefined symbol: dldoctor_no_such_symbol"),
            std::string_view::npos)
      << missing.error().message();
}

TEST(LookupErrorMessage, ShortMessagesStayInlineAndLongOnesAreKeptWhole) {
  const std::string small = "./plugin.so: undefined symbol: f";
  const std::string large = "/" + std::string(3 * LookupError::kInlineCapacity, 'd') +
                            "/plugin.so: undefined symbol: " + std::string(500, 'n');
  for (const std::string& text : {small, large}) {
    LookupError error(text.c_str());
    EXPECT_EQ(error.message(), text);
    LookupError copy(error);
    EXPECT_EQ(copy.message(), text);
    LookupError moved(std::move(copy));
    EXPECT_EQ(moved.message(), text);
    LookupError assigned("x");
    assigned = moved;
    EXPECT_EQ(assigned.message(), text);
    assigned = std::move(moved);
    EXPECT_EQ(assigned.message(), text);
    EXPECT_EQ(assigned.report().findings.at(0).summary, text);
  }
  // Exactly at the edge of the inline buffer, and one past it.
  for (const std::size_t size : {LookupError::kInlineCapacity - 1, LookupError::kInlineCapacity}) {
    const std::string text(size, 'e');
    EXPECT_EQ(LookupError(text.c_str()).message(), text) << size;
  }
  EXPECT_EQ(LookupError(nullptr).message(), "");
}

TEST(LibraryLookup, ExplainLookupReadsTheLoadedFile) {
  Result<Library> library = Library::open("libm.so.6");
  ASSERT_TRUE(library.ok());
  const Report report = library->explain_lookup("dldoctor_no_such_symbol");
  EXPECT_NE(report.path.find("libm.so.6"), std::string::npos) << report.path;
  ASSERT_EQ(report.findings.size(), 1u);
  // Debian's libm is stripped: no .symtab, so hidden and absent cannot be told apart.
  EXPECT_EQ(report.findings.front().code, "symbol.not-exported");
  EXPECT_TRUE(library->explain_lookup("cos").findings.empty()) << "cos is exported";
}

// A typo in a stripped library: .dynsym is all there is, and all the near-name search needs.
TEST(LibraryLookup, ATypoInAStrippedLibraryGetsItsNearNamesFromDynsym) {
  Result<Library> library = Library::open("libm.so.6");
  ASSERT_TRUE(library.ok());
  const Report report = library->explain_lookup("cosl_");
  ASSERT_EQ(report.findings.size(), 1u);
  const Finding& finding = report.findings.front();
  EXPECT_EQ(finding.code, "symbol.not-exported");
  ASSERT_GE(finding.evidence.size(), 3u);
  EXPECT_EQ(finding.evidence[1], "no .symtab: the file is stripped");
  EXPECT_EQ(finding.evidence[2].rfind("did you mean: cosl", 0), 0u) << finding.evidence[2];
  EXPECT_EQ(finding.fix.summary.rfind("look up the name the plugin exports: cosl ", 0), 0u)
      << finding.fix.summary;
}

TEST(LibraryHandle, MoveLeavesTheSourceEmpty) {
  Result<Library> library = Library::open("libm.so.6");
  ASSERT_TRUE(library.ok());
  Library moved = std::move(library.value());
  EXPECT_NE(moved.native_handle(), nullptr);
  EXPECT_EQ(library.value().native_handle(), nullptr);  // NOLINT(bugprone-use-after-move)
}

}  // namespace
}  // namespace dldoctor
