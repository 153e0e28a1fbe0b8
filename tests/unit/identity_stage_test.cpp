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

namespace dldoctor {
namespace {

// Plugins of other platforms, from their real headers' bytes: named for what they are.
class ForeignFormat : public IdentityStage {
 protected:
  Finding of(const std::string& bytes) {
    return only_finding(diagnose({write("plugin.so", bytes), Mode::Now}));
  }
  static std::string zeros(std::size_t n) { return std::string(n, '\0'); }
};

TEST_F(ForeignFormat, AWindowsDllIsNamedWithItsMachine) {
  std::string pe = "MZ" + zeros(0x3a) + std::string("\x80\0\0\0", 4) + zeros(0x40);
  pe += std::string("PE\0\0", 4) + std::string("\x64\x86", 2) + zeros(16) +
        std::string("\x22\x20", 2) + zeros(64);  // Machine 0x8664, IMAGE_FILE_DLL
  const Finding finding = of(pe);
  EXPECT_EQ(finding.code, "mode.foreign-format");
  EXPECT_NE(finding.summary.find("a Windows PE/COFF DLL for x86-64"), std::string::npos)
      << finding.summary;
  EXPECT_NE(finding.fix.summary.find("Linux build"), std::string::npos);
}

TEST_F(ForeignFormat, MachOUniversalJavaWasmAndZipAreToldApart) {
  const std::string dylib = std::string("\xcf\xfa\xed\xfe\x07\0\0\x01", 8) + zeros(4) +
                            std::string("\x06\0\0\0", 4) + zeros(32);
  EXPECT_NE(of(dylib).summary.find("a macOS Mach-O dynamic library (dylib) for x86-64"),
            std::string::npos);
  const std::string universal = std::string("\xca\xfe\xba\xbe\0\0\0\x02", 8) +
                                std::string("\x01\0\0\x07", 4) + zeros(16) +
                                std::string("\x01\0\0\x0c", 4) + zeros(16);
  EXPECT_NE(of(universal).summary.find("universal (fat) Mach-O binary for x86-64, ARM64"),
            std::string::npos)
      << of(universal).summary;
  const std::string java = std::string("\xca\xfe\xba\xbe\0\0\0\x3d", 8) + zeros(32);
  EXPECT_NE(of(java).summary.find("a Java class file"), std::string::npos);
  EXPECT_NE(of(std::string("\0asm\x01\0\0\0", 8) + zeros(8)).summary.find("WebAssembly"),
            std::string::npos);
  EXPECT_NE(of(std::string("PK\3\4", 4) + zeros(40)).summary.find("zip archive"),
            std::string::npos);
  // Garbage stays garbage.
  EXPECT_EQ(of(std::string("\x01\x02\x03\x04garbage", 11)).code, "mode.not-elf");
}

// Objects that only load at start-up, against the real loader: the verdict equals a real
// dlopen (dldoctor check --load, a child) for the system's sanitizer runtimes and for plugins
// made here with initial-exec TLS over and under glibc's static TLS surplus.
TEST_F(IdentityStage, InitialExecTlsOverTheSurplusIsRefusedAsTheLoaderRefusesIt) {
  std::ofstream(dir_ / "big.c") << "static __thread char big[4096] "
                                   "__attribute__((tls_model(\"initial-exec\")));\n"
                                   "char* f(void) { return big; }\n";
  std::ofstream(dir_ / "small.c") << "static __thread char small[64] "
                                     "__attribute__((tls_model(\"initial-exec\")));\n"
                                     "char* f(void) { return small; }\n";
  for (const char* name : {"big", "small"}) {
    const std::string command = std::string(DLDOCTOR_CC) + " -shared -fPIC -o " +
                                (dir_ / name).string() + ".so " + (dir_ / name).string() + ".c";
    ASSERT_EQ(std::system(command.c_str()), 0);
  }
  const Report big = diagnose({(dir_ / "big.so").string(), Mode::Now});
  ASSERT_FALSE(big.findings.empty());
  EXPECT_EQ(big.findings[0].code, "mode.static-tls");
  EXPECT_NE(big.findings[0].summary.find("4096-byte block"), std::string::npos);
  EXPECT_FALSE(big.loads);
  EXPECT_TRUE(diagnose({(dir_ / "small.so").string(), Mode::Now}).loads);
  for (const char* name : {"big", "small"}) {
    const std::string command = std::string(DLDOCTOR_EXE) + " check --load " +
                                (dir_ / name).string() + ".so >" + (dir_ / name).string() +
                                ".out 2>&1";
    const int status = std::system(command.c_str());
    std::ifstream in((dir_ / name).string() + ".out");
    const std::string out((std::istreambuf_iterator<char>(in)), {});
    if (std::string(name) == "big") {
      EXPECT_NE(WEXITSTATUS(status), 0);
      EXPECT_NE(out.find("cannot allocate memory in static TLS block"), std::string::npos) << out;
    } else {
      EXPECT_EQ(WEXITSTATUS(status), 0) << out;
    }
  }
}

TEST(SanitizerRuntimes, TheSystemsRuntimesAreRefusedAsARealDlopenFailsThem) {
  int checked = 0;
  for (const std::string name : {"libasan.so.8", "libtsan.so.2", "liblsan.so.0"}) {
    const std::string path = "/usr/lib/x86_64-linux-gnu/" + name;
    if (::access(path.c_str(), R_OK) != 0) continue;
    ++checked;
    const Report report = diagnose({path, Mode::Now});
    EXPECT_FALSE(report.loads) << name;
    ASSERT_FALSE(report.findings.empty()) << name;
    EXPECT_EQ(report.findings[0].code,
              name == "libasan.so.8" ? "mode.sanitizer-runtime" : "mode.static-tls");
#if defined(__SANITIZE_ADDRESS__)
    // Under ASan the loading child has the runtime first already: the one host where it loads.
    if (name == "libasan.so.8") continue;
#endif
    const std::string command =
        std::string(DLDOCTOR_EXE) + " check --load " + path + " >/dev/null 2>&1";
    EXPECT_NE(WEXITSTATUS(std::system(command.c_str())), 0) << name << " loaded for real";
  }
  if (checked == 0) GTEST_SKIP() << "no sanitizer runtime installed (gcc's libasan8 etc.)";
}

}  // namespace
}  // namespace dldoctor
