// The path and identity stages on files made at test time: each kind of not-a-shared-object is
// named for what it is, and nothing blocks or throws.
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "dldoctor/diagnose.hpp"

namespace fs = std::filesystem;

namespace dldoctor {
namespace {

class IdentityStage : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/dldoctor-unit-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& bytes) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path.string();
  }

  // By value: the reports these tests make are temporaries.
  static Finding only_finding(const Report& report) {
    EXPECT_EQ(report.findings.size(), 1u);
    return report.findings.empty() ? Finding{} : report.findings.front();
  }

  fs::path dir_;
};

TEST_F(IdentityStage, EmptyFileIsNamedEmpty) {
  const Report report = diagnose({write("p.so", ""), Mode::Now});
  EXPECT_EQ(only_finding(report).code, "mode.empty-file");
  EXPECT_FALSE(report.loads);
}

TEST_F(IdentityStage, ShortTextFileShowsItsFirstLine) {
  const Finding finding = only_finding(diagnose({write("p.so", "oops\nmore\n"), Mode::Now}));
  EXPECT_EQ(finding.code, "mode.not-elf");
  ASSERT_FALSE(finding.evidence.empty());
  EXPECT_EQ(finding.evidence.front(), "first line: oops");
}

TEST_F(IdentityStage, BinaryGarbageShowsItsFirstBytes) {
  const Finding& finding = only_finding(
      diagnose({write("p.so", std::string("\x01\x02\x03\x04garbage", 11)), Mode::Now}));
  EXPECT_EQ(finding.code, "mode.not-elf");
  EXPECT_NE(finding.evidence.front().find("01 02 03 04"), std::string::npos);
}

TEST_F(IdentityStage, LinkerScriptPointsAtTheSonameOfWhatItNames) {
  const char* libc_script = "/usr/lib/x86_64-linux-gnu/libc.so";
  if (::access(libc_script, R_OK) != 0) GTEST_SKIP() << libc_script << " is not on this system";
  const Finding finding = only_finding(diagnose({libc_script, Mode::Now}));
  EXPECT_EQ(finding.code, "mode.linker-script");
  EXPECT_NE(finding.fix.summary.find("dlopen(\"libc.so.6\""), std::string::npos)
      << finding.fix.summary;
}

TEST_F(IdentityStage, LinkerScriptAsNeededInputsAreMarked) {
  const std::string script = write(
      "libx.so", "/* GNU ld script */\nGROUP ( /nonexistent/libx.so.1 AS_NEEDED ( libz.so.9 ) )\n");
  const Finding finding = only_finding(diagnose({script, Mode::Now}));
  EXPECT_EQ(finding.code, "mode.linker-script");
  const auto& evidence = finding.evidence;
  EXPECT_NE(std::find(evidence.begin(), evidence.end(), "names /nonexistent/libx.so.1"),
            evidence.end());
  EXPECT_NE(std::find(evidence.begin(), evidence.end(), "names libz.so.9 (AS_NEEDED)"),
            evidence.end());
}

TEST_F(IdentityStage, DirectorySuggestsTheLibraryInsideIt) {
  fs::create_directory(dir_ / "plugins");
  write("plugins/libreal.so", "");
  const Finding finding = only_finding(diagnose({(dir_ / "plugins").string(), Mode::Now}));
  EXPECT_EQ(finding.code, "mode.directory");
  EXPECT_NE(finding.fix.summary.find("plugins/libreal.so"), std::string::npos)
      << finding.fix.summary;
}

TEST_F(IdentityStage, FifoIsRefusedWithoutBlocking) {
  const fs::path fifo = dir_ / "p.so";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const Finding finding = only_finding(diagnose({fifo.string(), Mode::Now}));
  EXPECT_EQ(finding.code, "mode.not-regular-file");
  EXPECT_NE(finding.summary.find("is a FIFO, not a regular file"), std::string::npos);
}

TEST_F(IdentityStage, MissingFileIsABadPathWithSimilarNamesBesideIt) {
  write("libplugin.so.2", "");
  const Finding& finding = only_finding(diagnose({(dir_ / "libplugin.so").string(), Mode::Now}));
  EXPECT_EQ(finding.family, Family::BadPath);
  EXPECT_EQ(finding.code, "path.not-found");
  ASSERT_FALSE(finding.evidence.empty());
  EXPECT_NE(finding.evidence.back().find("libplugin.so.2"), std::string::npos);
}

TEST_F(IdentityStage, DanglingSymlinkNamesItsTarget) {
  fs::create_symlink("libgone.so.1", dir_ / "libgone.so");
  const Finding finding = only_finding(diagnose({(dir_ / "libgone.so").string(), Mode::Now}));
  EXPECT_EQ(finding.code, "path.dangling-symlink");
  EXPECT_NE(finding.summary.find("libgone.so.1"), std::string::npos);
}

// Root reads any file, so the rule is proven as an unprivileged user: as root, the diagnosis runs
// in a child that has dropped to nobody (65534), and reports the code it found through a pipe.
TEST_F(IdentityStage, UnreadableFileIsAMissingPermissionForThisUser) {
  const std::string path = write("p.so", "x");
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(path.c_str(), 0200), 0);
  if (::geteuid() != 0) {
    const Finding finding = only_finding(diagnose({path, Mode::Now}));
    EXPECT_EQ(finding.family, Family::MissingPermission);
    EXPECT_EQ(finding.code, "permission.unreadable-file");
    return;
  }
  int ends[2];
  ASSERT_EQ(::pipe(ends), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ends[0]);
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
    const Report report = diagnose({path, Mode::Now});
    const std::string code = report.findings.empty() ? "none" : report.findings.front().code;
    if (::write(ends[1], code.data(), code.size()) < 0) ::_exit(4);
    ::_exit(0);
  }
  ::close(ends[1]);
  char buffer[128] = {};
  const ssize_t got = ::read(ends[0], buffer, sizeof buffer - 1);
  ::close(ends[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  EXPECT_EQ(std::string(buffer, got > 0 ? static_cast<std::size_t>(got) : 0),
            "permission.unreadable-file");
}

TEST_F(IdentityStage, SystemLibraryHasNoFinding) {
  const char* libc = "/lib/x86_64-linux-gnu/libc.so.6";
  if (::access(libc, R_OK) != 0) GTEST_SKIP() << libc << " is not on this system";
  const Report report = diagnose({libc, Mode::Now});
  EXPECT_TRUE(report.findings.empty());
  EXPECT_TRUE(report.loads);
}

}  // namespace
}  // namespace dldoctor
