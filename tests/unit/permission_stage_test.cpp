// The permission stage on real files: the first path component that fails is named with the mode,
// owner and group that make it fail, for the user asked about; the fix grants exactly the class
// or ACL entry that decided; the execute bit is never asked for; noexec mounts are found by
// statvfs and named from mountinfo; others who can write the plugin are a warning.
#include <grp.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "checks/access_rules.hpp"
#include "dldoctor/diagnose.hpp"
#include "user.hpp"

namespace fs = std::filesystem;

namespace dldoctor {
namespace {

// A system library whose copies the tests give modes to (glibc's libm: always there).
constexpr const char* kSystemLibrary = "/lib/x86_64-linux-gnu/libm.so.6";

class PermissionStage : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/dldoctor-permission-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    fs::permissions(dir_, fs::perms(0755));  // searchable by the users the tests ask about
  }
  void TearDown() override {
    std::error_code ignored;
    fs::permissions(dir_, fs::perms(0755), ignored);
    fs::remove_all(dir_, ignored);
  }

  // A copy of the system library at `relative`, with `mode`; its directories made 0755.
  std::string library_copy(const std::string& relative, mode_t mode) {
    if (::access(kSystemLibrary, R_OK) != 0) return "";
    const fs::path path = dir_ / relative;
    fs::create_directories(path.parent_path());
    fs::copy_file(kSystemLibrary, path, fs::copy_options::overwrite_existing);
    ::chmod(path.c_str(), mode);
    return path.string();
  }

  static Report diagnose_for(const std::string& path, const char* user) {
    LoadRequest request(path);
    if (user != nullptr) request.user = user;
    return diagnose(request);
  }

  static const Finding* find(const Report& report, const std::string& code) {
    for (const Finding& finding : report.findings)
      if (finding.code == code) return &finding;
    return nullptr;
  }

  static bool has_evidence(const Finding& finding, const std::string& text) {
    return std::any_of(
        finding.evidence.begin(), finding.evidence.end(),
        [&](const std::string& line) { return line.find(text) != std::string::npos; });
  }

  static std::string dump(const Report& report) {
    std::string text;
    for (const Finding& finding : report.findings) {
      text += finding.code + ": " + finding.summary + "\n";
      for (const std::string& line : finding.evidence) text += "  - " + line + "\n";
      for (const std::string& command : finding.fix.commands) text += "  $ " + command + "\n";
    }
    return text;
  }

  fs::path dir_;
};

#define REQUIRE_SYSTEM_LIBRARY(path) \
  if ((path).empty()) GTEST_SKIP() << kSystemLibrary << " is not on this system"

#define REQUIRE_ROOT()                                                   \
  if (::geteuid() != 0)                                                  \
  GTEST_SKIP() << "needs root: only root can give files to other users " \
                  "or drop to them"

// Runs `body` in a forked child and returns what it returned: for what must not happen in the
// test process (dropping privileges, entering a mount namespace).
std::string in_child(const std::function<std::string()>& body) {
  int ends[2];
  if (::pipe(ends) != 0) return "pipe failed";
  const pid_t child = ::fork();
  if (child < 0) return "fork failed";
  if (child == 0) {
    ::close(ends[0]);
    const std::string answer = body();
    if (::write(ends[1], answer.data(), answer.size()) < 0) ::_exit(4);
    ::_exit(0);
  }
  ::close(ends[1]);
  std::string answer;
  char buffer[4096];
  for (ssize_t got; (got = ::read(ends[0], buffer, sizeof buffer)) > 0;)
    answer.append(buffer, static_cast<std::size_t>(got));
  ::close(ends[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  return answer;
}

// ---- the file ----

TEST_F(PermissionStage, SystemLibraryCopyWithMode0600IsUnreadableForNobodyAndNamed) {
  const std::string path = library_copy("libm-0600.so.6", 0600);
  REQUIRE_SYSTEM_LIBRARY(path);
  const Report report = diagnose_for(path, "65534");
  EXPECT_FALSE(report.loads);
  ASSERT_FALSE(report.findings.empty());
  const Finding& finding = report.findings.front();
  EXPECT_EQ(finding.family, Family::MissingPermission);
  EXPECT_EQ(finding.code, "permission.unreadable-file") << dump(report);
  EXPECT_NE(finding.summary.find(path), std::string::npos) << finding.summary;
  EXPECT_TRUE(has_evidence(finding, path + ": mode 0600 (-rw-------)")) << dump(report);
  EXPECT_TRUE(has_evidence(finding, "the others bits decide, o=--- (no r)")) << dump(report);
  EXPECT_EQ(finding.fix.commands, std::vector<std::string>{"chmod o+r " + path});
}

TEST_F(PermissionStage, SystemLibraryCopyWithMode0644HasNoFindingAndNeedsNoExecuteBit) {
  const std::string path = library_copy("libm-0644.so.6", 0644);
  REQUIRE_SYSTEM_LIBRARY(path);
  const Report report = diagnose_for(path, "65534");
  EXPECT_TRUE(report.loads);
  EXPECT_TRUE(report.findings.empty()) << dump(report);
}

TEST_F(PermissionStage, TheOwnerOfAnUnreadableFileIsToldToGiveTheOwnerRead) {
  REQUIRE_ROOT();
  const std::string path = library_copy("libm-0200.so.6", 0200);
  REQUIRE_SYSTEM_LIBRARY(path);
  ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
  const Report report = diagnose_for(path, "65534");
  ASSERT_NE(find(report, "permission.unreadable-file"), nullptr) << dump(report);
  EXPECT_EQ(find(report, "permission.unreadable-file")->fix.commands,
            std::vector<std::string>{"chmod u+r " + path});
}

TEST_F(PermissionStage, AGroupMemberIsToldToGiveTheGroupRead) {
  REQUIRE_ROOT();
  const group* nogroup = ::getgrgid(65534);
  if (nogroup == nullptr) GTEST_SKIP() << "no group 65534 on this system";
  const std::string path = library_copy("libm-0604.so.6", 0604);
  REQUIRE_SYSTEM_LIBRARY(path);
  ASSERT_EQ(::chown(path.c_str(), 0, 65534), 0);
  const Report report = diagnose_for(path, "nobody");  // nobody's primary group is 65534
  const Finding* finding = find(report, "permission.unreadable-file");
  ASSERT_NE(finding, nullptr) << dump(report);
  EXPECT_TRUE(has_evidence(*finding, "the group bits decide, g=---")) << dump(report);
  EXPECT_EQ(finding->fix.commands, std::vector<std::string>{"chmod g+r " + path});
}

TEST_F(PermissionStage, RootReadsAFileOfMode0000) {
  const std::string path = library_copy("libm-0000.so.6", 0000);
  REQUIRE_SYSTEM_LIBRARY(path);
  const Report report = diagnose_for(path, "root");
  EXPECT_EQ(find(report, "permission.unreadable-file"), nullptr) << dump(report);
}

// ---- the directories above it ----

TEST_F(PermissionStage, TheFirstUnsearchableDirectoryIsNamedWithItsModeOwnerAndGroup) {
  const std::string path = library_copy("outer/private/inner/libm.so.6", 0644);
  REQUIRE_SYSTEM_LIBRARY(path);
  const fs::path private_dir = dir_ / "outer" / "private";
  fs::permissions(dir_ / "outer" / "private" / "inner", fs::perms(0700));
  fs::permissions(private_dir, fs::perms(0744));  // r without x: listable, not searchable
  const Report report = diagnose_for(path, "65534");
  fs::permissions(private_dir, fs::perms(0755));
  ASSERT_FALSE(report.findings.empty());
  const Finding& finding = report.findings.front();
  EXPECT_EQ(finding.code, "permission.unsearchable-directory") << dump(report);
  EXPECT_NE(finding.summary.find("the directory " + private_dir.string() + " cannot be searched"),
            std::string::npos)
      << finding.summary;
  EXPECT_TRUE(has_evidence(finding, private_dir.string() + ": mode 0744 (drwxr--r--), owner"))
      << dump(report);
  EXPECT_EQ(finding.fix.commands, std::vector<std::string>{"chmod o+x " + private_dir.string()});
}

TEST_F(PermissionStage, ARelativePathNamesTheDirectoryAsTheHostWritesIt) {
  const std::string path = library_copy("private/libm.so.6", 0644);
  REQUIRE_SYSTEM_LIBRARY(path);
  fs::permissions(dir_ / "private", fs::perms(0700));
  const fs::path before = fs::current_path();
  fs::current_path(dir_);
  const Report report = diagnose_for("./private/libm.so.6", "65534");
  fs::current_path(before);
  const Finding* finding = find(report, "permission.unsearchable-directory");
  ASSERT_NE(finding, nullptr) << dump(report);
  EXPECT_EQ(finding->fix.commands, std::vector<std::string>{"chmod o+x ./private"});
}

TEST_F(PermissionStage, ADirectoryReachedThroughALinkIsNamedAsItReallyIs) {
  const std::string path = library_copy("private/libm.so.6", 0644);
  REQUIRE_SYSTEM_LIBRARY(path);
  fs::permissions(dir_ / "private", fs::perms(0700));
  fs::create_symlink(dir_ / "private", dir_ / "link");
  const Report report = diagnose_for((dir_ / "link" / "libm.so.6").string(), "65534");
  const Finding* finding = find(report, "permission.unsearchable-directory");
  ASSERT_NE(finding, nullptr) << dump(report);
  EXPECT_NE(finding->summary.find((dir_ / "private").string()), std::string::npos)
      << finding->summary;
}

TEST_F(PermissionStage, AnUnknownUserIsReportedNotGuessed) {
  const std::string path = library_copy("libm.so.6", 0644);
  REQUIRE_SYSTEM_LIBRARY(path);
  const Report report = diagnose_for(path, "no-such-user-dldoctor");
  ASSERT_EQ(report.findings.size(), 1u) << dump(report);
  EXPECT_EQ(report.findings[0].code, "permission.unknown-user");
  EXPECT_FALSE(report.loads);
}

// As root, the diagnosis runs in a child that has dropped to nobody: no --user, the current
// process's own credentials, and the kernel's own answer (faccessat) beside the rules.
TEST_F(PermissionStage, TheCurrentProcessIsCheckedWithItsOwnCredentials) {
  REQUIRE_ROOT();
  const std::string path = library_copy("private/libm.so.6", 0644);
  REQUIRE_SYSTEM_LIBRARY(path);
  fs::permissions(dir_ / "private", fs::perms(0700));
  const std::string answer = in_child([&] {
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)
      return std::string("cannot drop to nobody");
    const Report report = diagnose(LoadRequest(path));
    if (report.findings.empty()) return std::string("no finding");
    const Finding& finding = report.findings.front();
    return finding.code + "\n" + finding.summary + "\n" + finding.fix.commands.at(0);
  });
  EXPECT_EQ(answer, "permission.unsearchable-directory\nthe directory " +
                        (dir_ / "private").string() +
                        " cannot be searched by nobody (uid 65534), so " + path +
                        " cannot be reached\nchmod o+x " + (dir_ / "private").string());
}

// The entry point the dependency stage calls for each library its search resolves.
TEST_F(PermissionStage, ADependencyIsNamedWithTheObjectThatNeedsIt) {
  const std::string path = library_copy("lib/libm.so.6", 0600);
  REQUIRE_SYSTEM_LIBRARY(path);
  const auto nobody = resolve_user("65534");
  ASSERT_TRUE(std::holds_alternative<UserIdentity>(nobody));
  const std::optional<Finding> finding =
      check_access(path, std::get<UserIdentity>(nobody), "./plugin.so");
  ASSERT_TRUE(finding.has_value());
  EXPECT_EQ(finding->code, "permission.unreadable-file");
  EXPECT_EQ(finding->summary, "libm.so.6 (needed by ./plugin.so) at " + path +
                                  " cannot be opened for reading by nobody (uid 65534)");
  EXPECT_TRUE(has_evidence(*finding, "treats EACCES like ENOENT"))
      << "a searched library that cannot be opened is passed over, and the message says so";
  ::chmod(path.c_str(), 0644);
  EXPECT_FALSE(check_access(path, std::get<UserIdentity>(nobody), "./plugin.so").has_value());
  EXPECT_FALSE(
      check_access((dir_ / "absent.so").string(), std::get<UserIdentity>(nobody), "x").has_value())
      << "a missing file is the search's matter, not a permission";
}

// ---- ACLs (acl(5)) ----

// Writes an access ACL as setfacl does: the system.posix_acl_access attribute in the kernel's
// format (version 2, then {tag, perm, id} entries sorted by tag and id). false: no ACLs here.
struct RawAclEntry {
  std::uint16_t tag;
  std::uint16_t perm;
  std::uint32_t id;
};
bool set_access_acl(const std::string& path, const std::vector<RawAclEntry>& entries) {
  std::string value(4, '\0');
  const std::uint32_t version = 2;
  std::memcpy(value.data(), &version, 4);
  for (const RawAclEntry& entry : entries)
    value.append(reinterpret_cast<const char*>(&entry), sizeof entry);
  return ::setxattr(path.c_str(), "system.posix_acl_access", value.data(), value.size(), 0) == 0;
}
constexpr std::uint32_t kNoId = static_cast<std::uint32_t>(-1);
constexpr std::uint16_t kUserObj = 0x01, kUser = 0x02, kGroupObj = 0x04, kMask = 0x10,
                        kOther = 0x20;

TEST_F(PermissionStage, AnAclEntryThatRefusesTheUserIsNamedAndFixedWithSetfacl) {
  const std::string path = library_copy("libm-acl.so.6", 0644);
  REQUIRE_SYSTEM_LIBRARY(path);
  if (!set_access_acl(path, {{kUserObj, 6, kNoId},
                             {kUser, 0, 65534},
                             {kGroupObj, 4, kNoId},
                             {kMask, 4, kNoId},
                             {kOther, 4, kNoId}}))
    GTEST_SKIP() << "no POSIX ACLs on the file system of " << path;
  const Report report = diagnose_for(path, "65534");
  const Finding* finding = find(report, "permission.unreadable-file");
  ASSERT_NE(finding, nullptr) << "mode 0644, but the ACL refuses nobody:\n" << dump(report);
  EXPECT_TRUE(has_evidence(*finding, "its entry user:nobody:--- (no r)")) << dump(report);
  EXPECT_TRUE(has_evidence(*finding, "ACL user::rw-,user:nobody:---")) << dump(report);
  EXPECT_EQ(finding->fix.commands, std::vector<std::string>{"setfacl -m u:nobody:r-- " + path});
}

TEST_F(PermissionStage, AnAclEntryThatGrantsTheUserBeatsTheOthersBits) {
  const std::string path = library_copy("libm-acl.so.6", 0600);
  REQUIRE_SYSTEM_LIBRARY(path);
  if (!set_access_acl(path, {{kUserObj, 6, kNoId},
                             {kUser, 4, 65534},
                             {kGroupObj, 0, kNoId},
                             {kMask, 4, kNoId},
                             {kOther, 0, kNoId}}))
    GTEST_SKIP() << "no POSIX ACLs on the file system of " << path;
  EXPECT_TRUE(diagnose_for(path, "65534").findings.empty());
}

TEST_F(PermissionStage, AnAclMaskThatRefusesIsWhatTheFixRaises) {
  const std::string path = library_copy("libm-acl.so.6", 0600);
  REQUIRE_SYSTEM_LIBRARY(path);
  if (!set_access_acl(path, {{kUserObj, 6, kNoId},
                             {kUser, 4, 65534},
                             {kGroupObj, 0, kNoId},
                             {kMask, 0, kNoId},
                             {kOther, 0, kNoId}}))
    GTEST_SKIP() << "no POSIX ACLs on the file system of " << path;
  const Report report = diagnose_for(path, "65534");
  const Finding* finding = find(report, "permission.unreadable-file");
  ASSERT_NE(finding, nullptr) << dump(report);
  EXPECT_TRUE(has_evidence(*finding, "is limited by mask::--- (no r)")) << dump(report);
  EXPECT_EQ(finding->fix.commands, std::vector<std::string>{"setfacl -m m::r-- " + path});
}

// ---- others who can write ----

TEST_F(PermissionStage, AWorldWritableDirectoryAboveThePluginIsAWarning) {
  const std::string path = library_copy("shared/libm.so.6", 0644);
  REQUIRE_SYSTEM_LIBRARY(path);
  fs::permissions(dir_ / "shared", fs::perms(0777));
  const Report report = diagnose_for(path, "65534");
  EXPECT_TRUE(report.loads) << "a warning does not stop the load";
  const Finding* finding = find(report, "permission.writable-by-others");
  ASSERT_NE(finding, nullptr) << dump(report);
  EXPECT_EQ(finding->severity, Severity::Warning);
  EXPECT_EQ(finding->fix.commands,
            std::vector<std::string>{"chmod o-w " + (dir_ / "shared").string()});
}

TEST_F(PermissionStage, AStickyDirectoryLikeTmpIsNotAWarning) {
  const std::string path = library_copy("sticky/libm.so.6", 0644);
  REQUIRE_SYSTEM_LIBRARY(path);
  fs::permissions(dir_ / "sticky", fs::perms(01777));
  EXPECT_TRUE(diagnose_for(path, "65534").findings.empty());
}

// In a sticky directory others cannot replace the file, but its owner can: a plugin that neither
// root nor the loading user owns is the owner's code, and that is what the warning says, with no
// chmod (the directory is shared by design).
TEST_F(PermissionStage, InAStickyDirectoryAPluginOwnedBySomeoneElseIsTheirCode) {
  REQUIRE_ROOT();
  const std::string path = library_copy("sticky/libm.so.6", 0644);
  REQUIRE_SYSTEM_LIBRARY(path);
  fs::permissions(dir_ / "sticky", fs::perms(01777));
  ASSERT_EQ(::chown(path.c_str(), 1, 0), 0);  // daemon's
  const Report report = diagnose_for(path, "65534");
  const Finding* finding = find(report, "permission.writable-by-others");
  ASSERT_NE(finding, nullptr) << dump(report);
  EXPECT_EQ(finding->severity, Severity::Warning);
  EXPECT_TRUE(report.loads);
  EXPECT_EQ(finding->summary, path + " is in " + (dir_ / "sticky").string() +
                                  ", which every user can write; it is sticky, so only root and "
                                  "daemon (uid 1) can replace the file: the host runs the code "
                                  "they choose");
  EXPECT_TRUE(finding->fix.commands.empty()) << dump(report);
  EXPECT_EQ(finding->fix.summary,
            "install the plugin in a directory that only root or nobody can write, or make sure "
            "daemon (uid 1) is trusted");
  EXPECT_TRUE(diagnose_for(path, "daemon").findings.empty()) << "daemon loads its own file";
}

// A directory the distribution owns (here under /run, a tmpfs) that others can write: the warning
// names them, and proposes no chmod of the system's directory.
TEST_F(PermissionStage, AWritableSystemDirectoryIsNamedButNeverChmodded) {
  REQUIRE_ROOT();
  char pattern[] = "/run/dldoctor-system-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) GTEST_SKIP() << "cannot make a directory in /run";
  const fs::path system_dir = pattern;
  fs::copy_file(kSystemLibrary, system_dir / "libm.so.6");
  fs::permissions(system_dir, fs::perms(0777));
  const Report report = diagnose_for((system_dir / "libm.so.6").string(), "65534");
  fs::remove_all(system_dir);
  const Finding* finding = find(report, "permission.writable-by-others");
  ASSERT_NE(finding, nullptr) << dump(report);
  EXPECT_TRUE(finding->fix.commands.empty()) << dump(report);
  EXPECT_TRUE(has_evidence(*finding,
                           "(a directory of the system: its mode is the "
                           "distribution's, not to change)"))
      << dump(report);
  EXPECT_EQ(finding->fix.summary,
            "do not change a system directory's mode: install the plugin where only root or the "
            "host's user can write, or make sure everyone who can write there is trusted");
}

// `dldoctor check /tmp` or /dev/zero: the identity stage refuses what is not a regular file,
// with no word on who may write it (and never chmod o-w /tmp).
TEST_F(PermissionStage, ADirectoryOrADeviceGetsNoPermissionLecture) {
  for (const char* path : {"/tmp", "/dev/zero", "/dev/null"}) {
    const Report report = diagnose_for(path, nullptr);
    ASSERT_EQ(report.findings.size(), 1u) << path << "\n" << dump(report);
    EXPECT_EQ(report.findings[0].family, Family::WrongBuildMode) << dump(report);
    for (const std::string& command : report.findings[0].fix.commands)
      EXPECT_EQ(command.find("chmod"), std::string::npos) << command;
  }
}

TEST_F(PermissionStage, AWorldWritablePluginIsAWarningWhateverTheUser) {
  const std::string path = library_copy("libm-0666.so.6", 0666);
  REQUIRE_SYSTEM_LIBRARY(path);
  const Report report = diagnose_for(path, nullptr);
  const Finding* finding = find(report, "permission.writable-by-others");
  ASSERT_NE(finding, nullptr) << dump(report);
  EXPECT_EQ(finding->fix.commands, std::vector<std::string>{"chmod o-w " + path});
}

// ---- noexec ----

// In a child: a private mount namespace (as root, or in a new user namespace), a tmpfs mounted
// noexec at dir/mnt, and `body` run there. "SKIP: reason" when the machine allows neither.
std::string on_noexec_mount(const fs::path& dir, const std::function<std::string(fs::path)>& body) {
  return in_child([&] {
    const fs::path mount_point = dir / "mnt";
    fs::create_directory(mount_point);
    if (::geteuid() == 0) {
      if (::unshare(CLONE_NEWNS) != 0) return std::string("SKIP: unshare(CLONE_NEWNS) refused");
    } else {
      const uid_t uid = ::getuid();
      const gid_t gid = ::getgid();
      if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
        return std::string("SKIP: not root, and no unprivileged user namespaces");
      std::ofstream("/proc/self/setgroups") << "deny";
      std::ofstream("/proc/self/uid_map") << "0 " << uid << " 1";
      std::ofstream("/proc/self/gid_map") << "0 " << gid << " 1";
    }
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", mount_point.c_str(), "tmpfs", MS_NOEXEC, "mode=0755") != 0)
      return std::string("SKIP: cannot mount a private noexec tmpfs");
    return body(mount_point);
  });
}

TEST_F(PermissionStage, ALibraryOnANoexecMountIsRefusedWithTheMountPointNamed) {
  if (::access(kSystemLibrary, R_OK) != 0) GTEST_SKIP() << kSystemLibrary << " is missing";
  const std::string answer = on_noexec_mount(dir_, [](const fs::path& mount_point) {
    fs::copy_file(kSystemLibrary, mount_point / "libm.so.6");
    const Report report = diagnose_for((mount_point / "libm.so.6").string(), "root");
    if (report.findings.empty()) return std::string("no finding");
    return report.findings.front().code + "\n" + report.findings.front().summary;
  });
  if (answer.rfind("SKIP: ", 0) == 0) GTEST_SKIP() << answer.substr(6);
  EXPECT_EQ(answer, "permission.noexec-mount\n" + (dir_ / "mnt" / "libm.so.6").string() +
                        " is on a file system mounted noexec (" + (dir_ / "mnt").string() +
                        "): the kernel refuses to map its code, for every user, root included");
}

TEST_F(PermissionStage, NoexecDoesNotMatterForAFileTheLoaderRefusesBeforeMapping) {
  const std::string answer = on_noexec_mount(dir_, [](const fs::path& mount_point) {
    std::ofstream(mount_point / "notes.so") << "not a library, and never mapped\n";
    const Report report = diagnose_for((mount_point / "notes.so").string(), nullptr);
    return report.findings.empty() ? std::string("no finding") : report.findings.front().code;
  });
  if (answer.rfind("SKIP: ", 0) == 0) GTEST_SKIP() << answer.substr(6);
  EXPECT_EQ(answer, "mode.not-elf");
}

}  // namespace
}  // namespace dldoctor
