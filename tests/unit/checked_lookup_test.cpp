// Library::lookup<R(Args...)>: the type a host asks for, held against what the loaded file says
// of the name (descriptor, DWARF, mangled name). A mismatch is a Report, not a pointer; a match
// is the pointer; a file that says nothing gets the pointer too (no accusation without
// evidence). The call through the right pointer is the oracle that the file was read right.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "dldoctor/library.hpp"
#include "dldoctor/render.hpp"
#include "process.hpp"

namespace fs = std::filesystem;
using dldoctor::testing::ProcessOptions;
using dldoctor::testing::run_process;

namespace dldoctor {
namespace {

class CheckedLookup : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/dldoctor-checked-lookup-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    std::ofstream(dir_ / "add.c") << "#include <dldoctor/plugin.h>\n"
                                     "int add(int a, int b) { return a + b; }\n"
                                     "DLDOCTOR_SIGNATURE(int, add, int, int);\n"
                                     "double scale(double x) { return 2 * x; }\n"
                                     "int counter = 7;\n";
    std::ofstream(dir_ / "geo.cpp") << "namespace geo { long area(long w, long h) { return w * h; "
                                       "} }\n";
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  std::string build(const std::string& output, std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), DLDOCTOR_CC);
    arguments.insert(arguments.end(),
                     {"-shared", "-fPIC", "-I" DLDOCTOR_INCLUDE_DIR, "-o", output});
    ProcessOptions options;
    options.cwd = dir_.string();
    const auto built = run_process(arguments, options);
    EXPECT_EQ(built.exit_status, 0) << built.err;
    return (dir_ / output).string();
  }
  fs::path dir_;
};

TEST_F(CheckedLookup, AWrongTypeIsAReportNamingBothAndTheSourceAndTheRightOneIsThePointer) {
  Result<Library> plugin = Library::open(build("add.so", {"add.c"}));
  ASSERT_TRUE(plugin.ok());
  auto wrong = plugin->lookup<double(double, double)>("add");
  ASSERT_FALSE(wrong.ok());
  ASSERT_NE(wrong.error().mismatch(), nullptr);
  const Report report = wrong.report();
  ASSERT_EQ(report.findings.size(), 1u);
  EXPECT_EQ(report.findings[0].code, "signature.mismatch");
  EXPECT_NE(report.findings[0].summary.find("add.so defines int add(int, int)"), std::string::npos)
      << report.findings[0].summary;
  EXPECT_NE(report.findings[0].summary.find("double (double, double)"), std::string::npos);
  EXPECT_EQ(report.path, (dir_ / "add.so").string());
  std::string evidence;
  for (const std::string& line : report.findings[0].evidence) evidence += line + "\n";
  EXPECT_NE(evidence.find("DLDOCTOR_SIGNATURE note"), std::string::npos) << evidence;
  EXPECT_NE(render_text(report).find(report.path), std::string::npos) << render_text(report);
  // Asked again: the same verdict, from the table.
  EXPECT_FALSE((plugin->lookup<double(double, double)>("add").ok()));

  auto right = plugin->lookup<int(int, int)>("add");
  ASSERT_TRUE(right.ok()) << right.error().message();
  EXPECT_EQ(right.value()(2, 3), 5);
  EXPECT_EQ(plugin->lookup<int(int, int)>("add").value(), right.value());
  // Without a descriptor and without -g, a C name says nothing: the pointer, unchecked.
  auto scale = plugin->lookup<int(int)>("scale");
  ASSERT_TRUE(scale.ok());
  // A data object asked as a function is caught from the symbol table alone.
  auto counter = plugin->lookup<int()>("counter");
  ASSERT_FALSE(counter.ok());
  EXPECT_EQ(counter.report().findings.at(0).code, "signature.data-as-function");
  // As what it is, it is dlsym alone.
  auto value = plugin->lookup<int>("counter");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value.value(), 7);
}

TEST_F(CheckedLookup, DebugInformationAndMangledNamesAreSourcesToo) {
  Result<Library> plugin = Library::open(build("add_g.so", {"-g", "-x", "c", "add.c"}));
  ASSERT_TRUE(plugin.ok());
  auto scale = plugin->lookup<float(float)>("scale");
  ASSERT_FALSE(scale.ok());
  const Report report = scale.report();
  std::string evidence;
  for (const std::string& line : report.findings.at(0).evidence) evidence += line + "\n";
  EXPECT_NE(evidence.find("DWARF"), std::string::npos) << evidence;
  EXPECT_TRUE((plugin->lookup<double(double)>("scale").ok()));

  Result<Library> geo = Library::open(build("geo.so", {"-x", "c++", "geo.cpp"}));
  ASSERT_TRUE(geo.ok());
  auto area = geo->lookup<long(int, int)>("_ZN3geo4areaEll");
  ASSERT_FALSE(area.ok());
  EXPECT_NE(area.error().message().find("geo::area(long, long)"), std::string::npos)
      << area.error().message();
  auto right = geo->lookup<long(long, long)>("_ZN3geo4areaEll");
  ASSERT_TRUE(right.ok());
  EXPECT_EQ(right.value()(6, 7), 42);
}

// The same three sources from the command, statically: the issue's own acceptance test.
TEST_F(CheckedLookup, TheCommandChecksWithDebugInformationAndSaysWhenItCannot) {
  const std::string with_g = build("plain_g.so", {"-g", "-x", "c", "add.c"});
  ProcessOptions options;
  options.cwd = dir_.string();
  options.set_environment = {{"NO_COLOR", "1"}};
  auto check = [&](const std::string& file, const std::string& signature) {
    return run_process({DLDOCTOR_EXE, "check", file, "--signature", signature}, options);
  };
  EXPECT_EQ(check(with_g, "scale=double(double)").exit_status, 0);
  const auto wrong = check(with_g, "scale=float(float)");
  EXPECT_EQ(wrong.exit_status, 1) << wrong.out;
  EXPECT_NE(wrong.out.find("defines double scale(double)"), std::string::npos) << wrong.out;
  EXPECT_NE(wrong.out.find("signature.mismatch"), std::string::npos) << wrong.out;
  build("plain.so", {"-x", "c", "add.c"});
  const auto stripped = check((dir_ / "plain.so").string(), "scale=float(float)");
  EXPECT_EQ(stripped.exit_status, 0) << stripped.out;
  EXPECT_NE(stripped.out.find("signature.unverifiable"), std::string::npos) << stripped.out;
  EXPECT_NE(stripped.out.find("cannot be checked"), std::string::npos) << stripped.out;
  const auto grammar = check(with_g, "scale=double(double");
  EXPECT_EQ(grammar.exit_status, 2);
  EXPECT_NE(grammar.err.find("column 19"), std::string::npos) << grammar.err;
}

TEST(LookupErrorReport, AMissNamesTheLibraryTheLookupWasMadeIn) {
  Result<Library> libm = Library::open("libm.so.6");
  ASSERT_TRUE(libm.ok());
  auto missing = libm->lookup<double(double)>("dldoctor_no_such_function");
  ASSERT_FALSE(missing.ok());
  const Report report = missing.report();
  EXPECT_NE(report.path.find("libm.so.6"), std::string::npos) << report.path;
  EXPECT_EQ(render_text(report).rfind(report.path + ": ", 0), 0u) << render_text(report);
}

}  // namespace
}  // namespace dldoctor
