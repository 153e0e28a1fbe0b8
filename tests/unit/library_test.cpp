// Library: the raw call on success, a diagnosis on failure, never an exception.
#include "dldoctor/library.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>

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
  Result<double (*)(double)> cosine = library->lookup<double(double)>("cos");
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
  Result<void*> missing = library->lookup_address("dldoctor_no_such_symbol");
  ASSERT_FALSE(missing.ok());
  ASSERT_EQ(missing.report().findings.size(), 1u);
  const Finding& finding = missing.report().findings.front();
  EXPECT_EQ(finding.family, Family::UnexportedSymbol);
  EXPECT_EQ(finding.code, "symbol.not-found");
  EXPECT_NE(finding.summary.find("undefined symbol: dldoctor_no_such_symbol"), std::string::npos)
      << finding.summary;
  EXPECT_TRUE(finding.evidence.empty()) << "the cheap failure reads no file";
  EXPECT_TRUE(missing.report().loads) << "the library loaded; only the lookup failed";
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

TEST(LibraryHandle, MoveLeavesTheSourceEmpty) {
  Result<Library> library = Library::open("libm.so.6");
  ASSERT_TRUE(library.ok());
  Library moved = std::move(library.value());
  EXPECT_NE(moved.native_handle(), nullptr);
  EXPECT_EQ(library.value().native_handle(), nullptr);  // NOLINT(bugprone-use-after-move)
}

}  // namespace
}  // namespace dldoctor
