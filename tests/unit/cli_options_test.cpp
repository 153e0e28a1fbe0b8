// The command's --user and --host, run as a user runs them: users are resolved as the system
// resolves them (NSS, through the dldoctor-names helper, never inside the static command), an
// unknown name is a usage error (exit 2), a UID without an entry is checked as that bare UID and
// says so, and a --host that is not a program is refused with the option named.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "process.hpp"

namespace fs = std::filesystem;
using dldoctor::testing::ProcessOptions;
using dldoctor::testing::ProcessResult;
using dldoctor::testing::run_process;
using nlohmann::json;

namespace {

constexpr const char* kSystemLibrary = "/lib/x86_64-linux-gnu/libm.so.6";

ProcessResult dldoctor(const std::vector<std::string>& arguments) {
  std::vector<std::string> argv{DLDOCTOR_EXE};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  ProcessOptions options;
  options.set_environment = {{"LC_ALL", "C"}, {"NO_COLOR", "1"}};
  options.timeout = std::chrono::seconds(30);
  return run_process(argv, options);
}

std::string shell_output(const std::string& command) {
  return run_process({"/bin/sh", "-c", command}, {}).out;
}

class CliOptions : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/dldoctor-cli-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    fs::permissions(dir_, fs::perms(0755));
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  // A copy of the system library in dir/sub (mode 0644), the directory given `mode`, owner root
  // and `group`.
  std::string library_in(const std::string& sub, mode_t mode, gid_t group) {
    const fs::path directory = dir_ / sub;
    fs::create_directories(directory);
    const fs::path path = directory / "libm.so.6";
    fs::copy_file(kSystemLibrary, path);
    ::chmod(path.c_str(), 0644);
    if (::chown(directory.c_str(), 0, group) != 0) return "";
    ::chmod(directory.c_str(), mode);
    return path.string();
  }
  fs::path dir_;
};

#define REQUIRE_ROOT() \
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: only root can give a directory away"

// daemon (uid 1, group 1) is on every Debian system: a user that is neither root nor nobody, and
// whom NSS's systemd module is asked about (it crashed the static command).
TEST_F(CliOptions, ASystemUserOtherThanRootAndNobodyIsCheckedWithTheirGroup) {
  REQUIRE_ROOT();
  const std::string through_group = library_in("group-daemon", 0750, 1);
  const std::string closed = library_in("root-only", 0700, 0);
  ASSERT_FALSE(through_group.empty());
  const ProcessResult allowed = dldoctor({"check", "--user", "daemon", through_group, "--json"});
  ASSERT_EQ(allowed.exit_status, 0) << allowed.describe() << allowed.out << allowed.err;
  EXPECT_TRUE(json::parse(allowed.out)["findings"].empty()) << allowed.out;

  const ProcessResult refused = dldoctor({"check", "--user", "daemon", closed, "--json"});
  ASSERT_EQ(refused.exit_status, 1) << refused.describe() << refused.out << refused.err;
  const json finding = json::parse(refused.out)["findings"].at(0);
  EXPECT_EQ(finding["code"], "permission.unsearchable-directory");
  EXPECT_NE(finding["summary"].get<std::string>().find("cannot be searched by daemon (uid 1)"),
            std::string::npos)
      << finding.dump(2);
  EXPECT_NE(finding["evidence"].dump().find("checked for uid 1 (daemon), group 1 (daemon)"),
            std::string::npos)
      << finding.dump(2);
}

TEST_F(CliOptions, AnUnknownUserNameIsAUsageErrorThatSaysSo) {
  const ProcessResult result =
      dldoctor({"check", "--user", "no-such-user-dldoctor", kSystemLibrary});
  EXPECT_EQ(result.exit_status, 2) << result.describe();
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "dldoctor check: --user no-such-user-dldoctor: no user named no-such-user-dldoctor in "
            "the user database, and not a numeric UID\n");
  EXPECT_EQ(dldoctor({"check", "--user", "", kSystemLibrary}).exit_status, 2);
}

// A UID no entry names (a container's, DynamicUser=): the kernel checks it by number, in no group.
TEST_F(CliOptions, AnUnknownUidIsCheckedAsThatUidWithNoGroupAndSaysSo) {
  REQUIRE_ROOT();
  ASSERT_EQ(shell_output("getent passwd 4242424"), "") << "uid 4242424 exists here";
  const std::string group_only = library_in("group-root", 0750, 0);
  const ProcessResult result = dldoctor({"check", "--user", "4242424", group_only, "--json"});
  EXPECT_EQ(result.exit_status, 1) << result.describe() << result.out << result.err;
  EXPECT_EQ(result.err,
            "dldoctor check: uid 4242424 has no entry in the user database: checked as uid "
            "4242424 with no group at all (no primary or supplementary group)\n");
  const json finding = json::parse(result.out)["findings"].at(0);
  EXPECT_EQ(finding["code"], "permission.unsearchable-directory") << finding.dump(2);
  EXPECT_NE(finding["evidence"].dump().find("uid 4242424, no groups known"), std::string::npos)
      << finding.dump(2);
}

// The helper answers as the system's own getent does, for every user the database lists.
TEST(NamesHelper, AnswersAsGetentForEveryUser) {
  const std::string helper = fs::path(DLDOCTOR_EXE).parent_path() / "dldoctor-names";
  std::istringstream users(shell_output("getent passwd | cut -d: -f1,3,4 | head -40"));
  std::string requests;
  std::string expected;
  for (std::string line; std::getline(users, line);) {
    const std::string name = line.substr(0, line.find(':'));
    const std::string ids = line.substr(line.find(':') + 1);
    const std::string uid = ids.substr(0, ids.find(':'));
    const std::string gid = ids.substr(ids.find(':') + 1);
    requests += "N\t" + name + "\nU\t" + uid + "\nL\t" + name + "\t" + gid + "\n";
    expected += "+\t" + uid + "\t" + gid + "\t" + name + "\n";
    expected += "+\t" + uid + "\t" + gid + "\t" +
                shell_output("getent passwd " + uid + " | cut -d: -f1 | tr -d '\\n'") + "\n";
    // getent initgroups NAME: the groups login gives, as "NAME  G1 G2..."; the helper puts the
    // primary group first.
    std::istringstream listed(shell_output("getent initgroups " + name));
    std::string ignored;
    listed >> ignored;
    std::string groups = "+\t" + gid;
    for (std::string group; listed >> group;)
      if (group != gid) groups += "\t" + group;
    expected += groups + "\n";
  }
  ASSERT_FALSE(requests.empty());
  requests += "N\tno-such-user-dldoctor\nG\t0\nX\tbad\n";
  expected += "-\n+\troot\n!\tnot a request dldoctor-names knows: X\tbad\n";
  // The request for X has a tab, which the helper shows as it came: the answer is one line only
  // if the tab is replaced.
  expected.replace(expected.rfind("X\tbad"), 5, "X?bad");
  const fs::path input =
      fs::temp_directory_path() / ("dldoctor-names-" + std::to_string(::getpid()));
  std::ofstream(input) << requests;
  const ProcessResult result = run_process({"/bin/sh", "-c", helper + " < " + input.string()}, {});
  fs::remove(input);
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out, expected);
}

TEST_F(CliOptions, AHostThatIsNotAProgramIsAUsageErrorNamingTheOption) {
  std::ofstream(dir_ / "script") << "#!/bin/sh\necho a host written in sh\n";
  const std::vector<std::pair<std::string, std::string>> hosts{
      {"/nonexistent/host",
       "dldoctor check: --host /nonexistent/host: No such file or directory\n"},
      {"", "dldoctor check: --host: an empty path (give the program that calls dlopen)\n"},
      {dir_.string(), "dldoctor check: --host " + dir_.string() + ": not a regular file\n"},
      {(dir_ / "script").string(),
       "dldoctor check: --host " + (dir_ / "script").string() +
           ": not an ELF program (not an ELF file: the first four bytes are not 7f 45 4c 46 "
           "(\\177ELF))\n"},
      {kSystemLibrary, std::string("dldoctor check: --host ") + kSystemLibrary +
                           ": not a program but ET_DYN without an interpreter (a shared library) "
                           "(give the executable that calls dlopen)\n"},
  };
  for (const auto& [host, message] : hosts) {
    const ProcessResult result = dldoctor({"check", kSystemLibrary, "--host", host});
    EXPECT_EQ(result.exit_status, 2) << host << ": " << result.describe() << result.out;
    EXPECT_EQ(result.out, "") << host;
    EXPECT_EQ(result.err, message) << host;
  }
  const ProcessResult tree = dldoctor({"tree", kSystemLibrary, "--host", "/nonexistent/host"});
  EXPECT_EQ(tree.exit_status, 2);
  EXPECT_EQ(tree.err, "dldoctor tree: --host /nonexistent/host: No such file or directory\n");
  const ProcessResult real = dldoctor({"check", kSystemLibrary, "--host", "/bin/sh"});
  EXPECT_EQ(real.exit_status, 0) << real.err << real.out;
}

}  // namespace

namespace {

// --color: always colours a pipe (NO_COLOR=1 is set by dldoctor() above), never and auto do not;
// another word is a usage error.
TEST(ColourOption, AlwaysNeverAndAutoOnAPipe) {
  const ProcessResult always = dldoctor({"--color", "always", "check", kSystemLibrary});
  EXPECT_EQ(always.exit_status, 0) << always.err;
  EXPECT_NE(always.out.find("\033["), std::string::npos) << always.out;
  for (const std::string when : {"never", "auto"}) {
    const ProcessResult plain = dldoctor({"--color", when, "check", kSystemLibrary});
    EXPECT_EQ(plain.exit_status, 0) << plain.err;
    EXPECT_EQ(plain.out.find('\033'), std::string::npos) << when << ": " << plain.out;
  }
  const ProcessResult wrong = dldoctor({"--color", "sometimes", "check", kSystemLibrary});
  EXPECT_EQ(wrong.exit_status, 2);
  EXPECT_NE(wrong.err.find("sometimes"), std::string::npos) << wrong.err;
}

}  // namespace
