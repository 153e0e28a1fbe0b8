// dldoctor scan on a small tree built here: a library that loads, one whose dependency is
// missing, a program, and files the loader does not load (an object file, a text file, a link).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "process.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct ScratchDirectory {
  fs::path path;
  ScratchDirectory() {
    char pattern[] = "/tmp/dldoctor-scan-XXXXXX";
    if (::mkdtemp(pattern) != nullptr) path = pattern;
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

dldoctor::testing::ProcessOptions environment() {
  dldoctor::testing::ProcessOptions options;
  options.set_environment = {{"LC_ALL", "C"}, {"NO_COLOR", "1"}};
  options.unset_environment = {"LD_LIBRARY_PATH", "LD_PRELOAD"};
  return options;
}

void cc(const std::vector<std::string>& arguments) {
  std::vector<std::string> argv{DLDOCTOR_CC};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  const auto built = dldoctor::testing::run_process(argv, environment());
  ASSERT_EQ(built.exit_status, 0) << built.err;
}

TEST(Scan, NamesEachObjectThatWouldNotLoadWithItsCauseAndNothingElse) {
  ScratchDirectory scratch;
  const fs::path source = scratch.path / "src";
  const fs::path tree = scratch.path / "tree";
  fs::create_directories(source);
  fs::create_directories(tree / "lib" / "deep");
  std::ofstream(source / "good.c") << "int good(void) { return 1; }\n";
  std::ofstream(source / "dep.c") << "int dep(void) { return 2; }\n";
  std::ofstream(source / "needs.c") << "int dep(void);\nint needs(void) { return dep(); }\n";
  std::ofstream(source / "main.c") << "int main(void) { return 0; }\n";
  cc({"-shared", "-fPIC", "-o", (tree / "lib" / "libgood.so").string(),
      (source / "good.c").string()});
  cc({"-shared", "-fPIC", "-o", (source / "libdep.so").string(), (source / "dep.c").string()});
  cc({"-shared", "-fPIC", "-o", (tree / "lib" / "deep" / "libneeds.so").string(),
      (source / "needs.c").string(), "-L" + source.string(), "-ldep"});
  cc({"-o", (tree / "program").string(), (source / "main.c").string()});
  cc({"-c", "-o", (tree / "object.o").string(), (source / "good.c").string()});
  std::ofstream(tree / "notes.txt") << "not ELF\n";
  fs::create_symlink("lib/libgood.so", tree / "link.so");

  const auto text =
      dldoctor::testing::run_process({DLDOCTOR_EXE, "scan", tree.string()}, environment());
  EXPECT_EQ(text.exit_status, 1) << text.out << text.err;
  EXPECT_NE(text.out.find("scan: 3 objects (2 libraries, 1 programs): 2 load, 1 would not"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("path.missing-dependency (1)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find((tree / "lib" / "deep" / "libneeds.so").string() + ": "),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("libdep.so"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("libgood.so:"), std::string::npos)
      << "a library that loads is not listed";

  const auto out = dldoctor::testing::run_process({DLDOCTOR_EXE, "scan", "--json", tree.string()},
                                                  environment());
  EXPECT_EQ(out.exit_status, 1);
  const json report = json::parse(out.out);
  EXPECT_EQ(report["objects"], 3);
  EXPECT_EQ(report["programs"], 1);
  EXPECT_EQ(report["would_not_load"], 1);
  ASSERT_EQ(report["causes"].size(), 1u) << report.dump(2);
  EXPECT_EQ(report["causes"][0]["cause"], "path.missing-dependency");
  EXPECT_EQ(report["causes"][0]["objects"][0]["report"]["findings"][0]["code"],
            "path.missing-dependency");

  // The broken library's dependency put where the loader looks: everything loads.
  fs::remove(tree / "lib" / "deep" / "libneeds.so");
  const auto clean =
      dldoctor::testing::run_process({DLDOCTOR_EXE, "scan", tree.string()}, environment());
  EXPECT_EQ(clean.exit_status, 0) << clean.out;
  EXPECT_NE(clean.out.find("2 objects (1 libraries, 1 programs): 2 load, 0 would not"),
            std::string::npos)
      << clean.out;
}

// Libraries of another kind (i386 ones, as /usr/lib32 holds them beside x86-64 ones) are resolved
// as their own loader would, not refused for their class: one whose libc.so.6 the cache's i386
// entries give loads; one that needs a library on no i386 path would not, and says so.
TEST(Scan, AnI386LibraryIsCheckedAsItsOwnLoaderWouldLoadIt) {
  if (::access("/lib/ld-linux.so.2", X_OK) != 0 || ::access("/lib32/libc.so.6", R_OK) != 0)
    GTEST_SKIP() << "no i386 loader and libc here (libc6-i386)";
  ScratchDirectory scratch;
  const fs::path tree = scratch.path / "tree";
  fs::create_directories(tree);
  std::ofstream(scratch.path / "good.c") << "int good(void) { return 1; }\n";
  std::ofstream(scratch.path / "needs.c")
      << "int gone(void);\nint needs(void) { return gone(); }\n";
  std::ofstream(scratch.path / "gone.c") << "int gone(void) { return 2; }\n";
  if (std::string(DLDOCTOR_CLANG).empty()) GTEST_SKIP() << "no clang to build i686 objects";
  const std::vector<std::string> clang{
      DLDOCTOR_CLANG, "--target=i686-linux-gnu", "-fPIC", "-shared", "-nostdlib", "-fuse-ld=lld"};
  auto build = [&](std::vector<std::string> arguments) {
    std::vector<std::string> argv = clang;
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    return dldoctor::testing::run_process(argv, environment()).exit_status == 0;
  };
  if (!build({"-o", (tree / "libgood32.so").string(), (scratch.path / "good.c").string(),
              "/lib32/libc.so.6"}) ||
      !build({"-Wl,-soname,libgone32.so", "-o", (scratch.path / "libgone32.so").string(),
              (scratch.path / "gone.c").string()}) ||
      !build({"-o", (tree / "libneeds32.so").string(), (scratch.path / "needs.c").string(),
              (scratch.path / "libgone32.so").string()}))
    GTEST_SKIP() << "clang cannot build i686 objects here";

  const auto out = dldoctor::testing::run_process({DLDOCTOR_EXE, "scan", "--json", tree.string()},
                                                  environment());
  EXPECT_EQ(out.exit_status, 1) << out.out << out.err;
  const json report = json::parse(out.out);
  EXPECT_EQ(report["objects"], 2) << report.dump(2);
  EXPECT_EQ(report["would_not_load"], 1) << report.dump(2);
  ASSERT_EQ(report["causes"].size(), 1u) << report.dump(2);
  EXPECT_EQ(report["causes"][0]["cause"], "i386 library: a library or version it needs is missing");
  const json& item = report["causes"][0]["objects"][0];
  EXPECT_EQ(item["path"], (tree / "libneeds32.so").string());
  EXPECT_EQ(item["loader"], "i386");
  EXPECT_EQ(item["error"],
            "libgone32.so: cannot open shared object file: No such file or directory");
}

TEST(Scan, APathThatIsNotThereIsSaidAndTheRestScanned) {
  const auto result = dldoctor::testing::run_process(
      {DLDOCTOR_EXE, "scan", "/nonexistent-dldoctor-scan", "/usr/lib/x86_64-linux-gnu/libc.so.6"},
      environment());
  EXPECT_EQ(result.exit_status, 0) << result.out << result.err;
  EXPECT_NE(result.err.find("/nonexistent-dldoctor-scan: No such file or directory"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.out.find("scan: 1 objects"), std::string::npos) << result.out;
}

}  // namespace
