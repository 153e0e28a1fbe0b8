// dldoctor scan on a small tree built here: a library that loads, one whose dependency is
// missing, a program, and files the loader does not load (an object file, a text file, a link).
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "process.hpp"
#include "scratch_directory.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// This file's scratch directories: /tmp/dldoctor-scan-XXXXXX.
struct ScratchDirectory : dldoctor::testing::ScratchDirectory {
  ScratchDirectory() : dldoctor::testing::ScratchDirectory("dldoctor-scan") {}
};

dldoctor::testing::ProcessOptions environment() { return dldoctor::testing::clean_environment(); }

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

// A root file system built here (an image's extracted /): the root's own loader, ld.so.cache
// (made by ldconfig -r, as an image build does; dldoctor never runs it) and directories, and
// nothing of this machine's. Each broken object is named with its cause, and nothing else.
TEST(Scan, ARootIsResolvedAsItsOwnLoaderWould) {
  const std::string ldconfig = "/sbin/ldconfig";
  if (::access(ldconfig.c_str(), X_OK) != 0) GTEST_SKIP() << "no ldconfig to make the root's cache";
  ScratchDirectory scratch;
  const fs::path root = scratch.path / "root";
  const fs::path source = scratch.path / "src";
  for (const char* directory : {"lib/x86_64-linux-gnu", "lib64", "usr/lib/app", "opt/lib", "etc"})
    fs::create_directories(root / directory);
  fs::create_directories(source);
  // The loader and libc, copied in; the loader's usual absolute link, which must resolve inside.
  fs::copy_file("/lib/x86_64-linux-gnu/libc.so.6", root / "lib/x86_64-linux-gnu/libc.so.6");
  fs::copy_file("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
                root / "lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
  fs::create_symlink("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
                     root / "lib64/ld-linux-x86-64.so.2");
  std::ofstream(source / "f.c") << "int f(void) { return 1; }\n";
  std::ofstream(source / "uses.c") << "int g(void);\nint uses(void) { return g(); }\n";
  std::ofstream(source / "g.c") << "int g(void) { return 2; }\n";
  std::ofstream(source / "v1.map") << "NEW_1 { global: g; local: *; };\n";
  std::ofstream(source / "v2.map") << "NEW_1 { local: *; };\nNEW_2 { global: g; } NEW_1;\n";
  const std::string app = (root / "usr/lib/app").string();
  // In the root's /opt/lib, which only its ld.so.conf (and so its cache) names.
  cc({"-shared", "-fPIC", "-Wl,-soname,libopt.so.1", "-o", (root / "opt/lib/libopt.so.1").string(),
      (source / "g.c").string()});
  cc({"-shared", "-fPIC", "-o", app + "/libgood.so", (source / "uses.c").string(),
      "-L" + (root / "opt/lib").string(), "-l:libopt.so.1"});
  // Needs libgone.so, which is nowhere in the root.
  cc({"-shared", "-fPIC", "-Wl,-soname,libgone.so", "-o", (source / "libgone.so").string(),
      (source / "g.c").string()});
  cc({"-shared", "-fPIC", "-o", app + "/libneeds.so", (source / "uses.c").string(),
      "-L" + source.string(), "-lgone"});
  // Needs NEW_2 of libver.so.1; the root's libver.so.1 defines only NEW_1.
  cc({"-shared", "-fPIC", "-Wl,-soname,libver.so.1",
      "-Wl,--version-script=" + (source / "v2.map").string(), "-o",
      (source / "libver.so.1").string(), (source / "g.c").string()});
  cc({"-shared", "-fPIC", "-o", app + "/libnewver.so", (source / "uses.c").string(),
      source.string() + "/libver.so.1"});
  cc({"-shared", "-fPIC", "-Wl,-soname,libver.so.1",
      "-Wl,--version-script=" + (source / "v1.map").string(), "-o", app + "/libver.so.1",
      (source / "g.c").string()});
  // Needs libz.so.1: this machine has it, the root does not; the root's link in a default
  // directory names this machine's path, which inside the root is nothing.
  fs::create_symlink("/usr/lib/x86_64-linux-gnu/libz.so.1",
                     root / "lib/x86_64-linux-gnu/libz.so.1");
  cc({"-shared", "-fPIC", "-o", app + "/libusesz.so", (source / "f.c").string(),
      "-Wl,--no-as-needed", "/lib/x86_64-linux-gnu/libz.so.1"});
  // Of another machine: an AArch64 library, whose libc.so.6 the root does not have.
  if (std::string(DLDOCTOR_CLANG).empty()) GTEST_SKIP() << "no clang to build an AArch64 object";
  const auto arm = dldoctor::testing::run_process(
      {DLDOCTOR_CLANG, "--target=aarch64-linux-gnu", "-fPIC", "-shared", "-nostdlib",
       "-fuse-ld=lld", "-Wl,--no-as-needed", "-Wl,-soname,libc.so.6", "-o",
       (source / "libc-arm.so").string(), (source / "g.c").string()},
      environment());
  if (arm.exit_status != 0) GTEST_SKIP() << "clang cannot build AArch64 objects here";
  const auto arm_user = dldoctor::testing::run_process(
      {DLDOCTOR_CLANG, "--target=aarch64-linux-gnu", "-fPIC", "-shared", "-nostdlib",
       "-fuse-ld=lld", "-o", app + "/libarm.so", (source / "uses.c").string(),
       (source / "libc-arm.so").string()},
      environment());
  ASSERT_EQ(arm_user.exit_status, 0) << arm_user.err;
  std::ofstream(root / "etc/ld.so.conf") << "/opt/lib\n/usr/lib/app\n";
  const auto cached =
      dldoctor::testing::run_process({ldconfig, "-r", root.string()}, environment());
  ASSERT_EQ(cached.exit_status, 0) << cached.err;

  const auto out = dldoctor::testing::run_process(
      {DLDOCTOR_EXE, "scan", "--json", "--root", root.string(), "/usr/lib/app"}, environment());
  EXPECT_EQ(out.exit_status, 1) << out.out << out.err;
  const json report = json::parse(out.out);
  EXPECT_EQ(report["objects"], 6) << report.dump(2);
  EXPECT_EQ(report["would_not_load"], 4) << report.dump(2);
  std::map<std::string, std::string> errors;
  for (const json& cause : report["causes"])
    for (const json& item : cause["objects"]) errors[item["path"]] = item["error"];
  EXPECT_EQ(errors, (std::map<std::string, std::string>{
                        {"/usr/lib/app/libneeds.so",
                         "libgone.so: cannot open shared object file: No such file or directory"},
                        {"/usr/lib/app/libnewver.so",
                         "/usr/lib/app/libver.so.1: version `NEW_2' not found (required by "
                         "/usr/lib/app/libnewver.so)"},
                        {"/usr/lib/app/libusesz.so",
                         "libz.so.1: cannot open shared object file: No such file or directory"},
                        {"/usr/lib/app/libarm.so",
                         "libc.so.6: cannot open shared object file: No such file or directory"},
                    }))
      << report.dump(2);

  // The whole root: the loader, libc and /opt/lib's library load too.
  const auto whole = dldoctor::testing::run_process({DLDOCTOR_EXE, "scan", "--root", root.string()},
                                                    environment());
  // libc.so.6 has a PT_INTERP: a program too.
  EXPECT_NE(whole.out.find("scan: 9 objects (8 libraries, 1 programs): 5 load, 4 would not"),
            std::string::npos)
      << whole.out;
  EXPECT_NE(whole.out.find("AArch64 library: a library or version it needs is missing (1)"),
            std::string::npos)
      << whole.out;
  EXPECT_EQ(whole.out.find(scratch.path.string()), std::string::npos)
      << "objects are named as the root names them:\n"
      << whole.out;
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

// The walk runs on every core, a directory at a time: a directory the user may not list is said
// on stderr (its objects are not checked), and every other one is still walked, however deep.
TEST(Scan, ADirectoryTheUserCannotListIsSaidAndTheRestWalked) {
  const passwd* daemon = ::getpwnam("daemon");
  ASSERT_NE(daemon, nullptr) << "Debian's daemon user";
  ScratchDirectory scratch;
  const fs::path source = scratch.path / "src";
  const fs::path tree = scratch.path / "tree";
  fs::create_directories(source);
  std::ofstream(source / "good.c") << "int good(void) { return 1; }\n";
  std::string deep = (tree / "a").string();
  for (int level = 0; level < 12; ++level) deep += "/d" + std::to_string(level);
  fs::create_directories(deep);
  fs::create_directories(tree / "private");
  for (const std::string& where : {deep, (tree / "private").string(), (tree / "b").string()}) {
    fs::create_directories(where);
    cc({"-shared", "-fPIC", "-o", where + "/libgood.so", (source / "good.c").string()});
  }
  fs::permissions(scratch.path, fs::perms::owner_all | fs::perms::group_read |
                                    fs::perms::group_exec | fs::perms::others_read |
                                    fs::perms::others_exec);
  fs::permissions(tree / "private", fs::perms::owner_all);  // root's alone

  dldoctor::testing::ProcessOptions as_daemon = environment();
  as_daemon.uid = daemon->pw_uid;
  as_daemon.gid = daemon->pw_gid;
  const auto result =
      dldoctor::testing::run_process({DLDOCTOR_EXE, "scan", tree.string()}, as_daemon);
  EXPECT_EQ(result.exit_status, 0) << result.out << result.err;
  EXPECT_NE(
      result.err.find("dldoctor scan: " + (tree / "private").string() + ": Permission denied"),
      std::string::npos)
      << result.err;
  EXPECT_NE(result.out.find("scan: 2 objects (2 libraries, 0 programs): 2 load, 0 would not"),
            std::string::npos)
      << result.out;

  // root lists it: all three.
  const auto as_root =
      dldoctor::testing::run_process({DLDOCTOR_EXE, "scan", tree.string()}, environment());
  EXPECT_EQ(as_root.err, "");
  EXPECT_NE(as_root.out.find("scan: 3 objects"), std::string::npos) << as_root.out;
}

// --user: the libraries are checked for that user's permissions, as check --user checks them. A
// library only root may read is daemon's failure, and the one beside it is not.
TEST(Scan, AUserIsCheckedForTheLibrariesPermissions) {
  const passwd* daemon = ::getpwnam("daemon");
  ASSERT_NE(daemon, nullptr) << "Debian's daemon user";
  ScratchDirectory scratch;
  const fs::path tree = scratch.path / "tree";
  fs::create_directories(tree);
  std::ofstream(scratch.path / "good.c") << "int good(void) { return 1; }\n";
  for (const char* name : {"libopen.so", "libroots.so"})
    cc({"-shared", "-fPIC", "-o", (tree / name).string(), (scratch.path / "good.c").string()});
  fs::permissions(scratch.path, fs::perms(0755), fs::perm_options::replace);
  fs::permissions(tree / "libroots.so", fs::perms::owner_read | fs::perms::owner_write,
                  fs::perm_options::replace);

  const auto as_root = dldoctor::testing::run_process(
      {DLDOCTOR_EXE, "scan", "--json", tree.string()}, environment());
  EXPECT_EQ(as_root.exit_status, 0) << as_root.out << as_root.err;
  const auto for_daemon = dldoctor::testing::run_process(
      {DLDOCTOR_EXE, "scan", "--json", "--user", "daemon", tree.string()}, environment());
  EXPECT_EQ(for_daemon.exit_status, 1) << for_daemon.out << for_daemon.err;
  const json report = json::parse(for_daemon.out);
  EXPECT_EQ(report["objects"], 2);
  EXPECT_EQ(report["would_not_load"], 1);
  ASSERT_EQ(report["causes"].size(), 1u) << report.dump(2);
  EXPECT_EQ(report["causes"][0]["cause"], "permission.unreadable-file");
  EXPECT_EQ(report["causes"][0]["objects"][0]["path"], (tree / "libroots.so").string());

  const auto unknown = dldoctor::testing::run_process(
      {DLDOCTOR_EXE, "scan", "--user", "no-such-user-dldoctor", tree.string()}, environment());
  EXPECT_EQ(unknown.exit_status, 2) << unknown.out << unknown.err;
  EXPECT_NE(unknown.err.find("--user no-such-user-dldoctor"), std::string::npos) << unknown.err;
}

}  // namespace
