// "Never run the inspected code unless asked": a plugin whose constructor leaves a mark (a file)
// is checked by every stage, with every option that reads more of it, and leaves none; the same
// check with --load (a real dlopen, in a child) leaves it, which proves the mark would show.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dldoctor/diagnose.hpp"
#include "process.hpp"

namespace fs = std::filesystem;
using dldoctor::testing::ProcessOptions;
using dldoctor::testing::run_process;

namespace dldoctor {
namespace {

TEST(NeverRuns, NoStageRunsThePluginsConstructorAndLoadDoes) {
  char pattern[] = "/tmp/dldoctor-never-runs-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const fs::path dir = pattern;
  const fs::path mark = dir / "constructor-ran";
  std::ofstream(dir / "p.c") << "#include <stdio.h>\n"
                                "__attribute__((constructor)) static void leave_a_mark(void) {\n"
                                "  FILE* f = fopen(\""
                             << mark.string()
                             << "\", \"w\"); if (f) fclose(f);\n}\n"
                                "int dldoctor_case_answer(void) { return 42; }\n"
                                "int needs_host(void);\n"
                                "int calls_host(void) { return needs_host(); }\n";
  ProcessOptions options;
  options.cwd = dir.string();
  ASSERT_EQ(run_process({DLDOCTOR_CC, "-g", "-shared", "-fPIC", "-o", "p.so", "p.c"}, options)
                .exit_status,
            0);
  const std::string plugin = (dir / "p.so").string();
  // The library's diagnosis, in this process, with everything that reads more of the file.
  LoadRequest request(plugin, Mode::Lazy);
  request.symbols = {"dldoctor_case_answer", "dldoctor_missing"};
  request.signatures = {"dldoctor_case_answer=double(double)"};
  request.host = "/usr/bin/true";
  (void)diagnose(request);
  request.host.reset();
  request.this_process = true;
  (void)diagnose(request);
  // The command, each subcommand that takes a file.
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{DLDOCTOR_EXE, "check", plugin, "--symbol", "nope", "--signature",
                                 "calls_host=int()", "--mode", "lazy"},
        std::vector<std::string>{DLDOCTOR_EXE, "check", "--json", plugin, "--host",
                                 "/usr/bin/true"},
        std::vector<std::string>{DLDOCTOR_EXE, "tree", "--json", plugin}})
    (void)run_process(argv, options);
  EXPECT_FALSE(fs::exists(mark)) << "a stage ran the plugin's constructor";
  // Asked to load it, dldoctor does, in a child: the mark appears (the test can fail).
  (void)run_process({DLDOCTOR_EXE, "check", "--load", "--mode", "lazy", plugin}, options);
  EXPECT_TRUE(fs::exists(mark)) << "--load did not run the constructor: the mark proves nothing";
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

// --load: a constructor that crashes, aborts, calls exit() or blocks ends (or hangs) the host
// inside dlopen; the child's end becomes a finding that names the signal and the function.
class LoadFindings : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/dldoctor-load-findings-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  // Builds NAME.so from SOURCE and returns `dldoctor check --json --load` of it.
  nlohmann::json load(const std::string& name, const std::string& source,
                      std::vector<std::string> extra = {}) {
    std::ofstream(dir_ / (name + ".c")) << source;
    ProcessOptions options;
    options.cwd = dir_.string();
    const auto built = run_process(
        {DLDOCTOR_CC, "-g", "-O0", "-shared", "-fPIC", "-o", name + ".so", name + ".c"}, options);
    EXPECT_EQ(built.exit_status, 0) << built.err;
    std::vector<std::string> argv{DLDOCTOR_EXE, "check", "--json", "--load",
                                  (dir_ / (name + ".so")).string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const auto checked = run_process(argv, options);
    EXPECT_EQ(checked.exit_status, 1) << checked.out << checked.err;
    try {
      return nlohmann::json::parse(checked.out);
    } catch (const nlohmann::json::exception&) {
      ADD_FAILURE() << "no JSON: " << checked.out << checked.err;
      return nlohmann::json::object();
    }
  }
  static const nlohmann::json* finding(const nlohmann::json& report, const std::string& code) {
    if (report.contains("findings"))  // a reference into report: value() would be a copy
      for (const nlohmann::json& item : report["findings"])
        if (item.value("code", "") == code) return &item;
    ADD_FAILURE() << "no " << code << " in " << report.dump(2);
    return nullptr;
  }
  fs::path dir_;
};

TEST_F(LoadFindings, ACrashNamesTheSignalAndTheFunction) {
  const nlohmann::json report =
      load("crash",
           "#include <stddef.h>\n"
           "int* volatile where = NULL;\n"
           "__attribute__((noinline)) void parse_config(void) { *where = 42; }\n"
           "__attribute__((constructor)) static void init_plugin(void) { parse_config(); }\n");
  EXPECT_EQ(report["load"].value("signal", 0), 11) << report.dump(2);
  const nlohmann::json* crash = finding(report, "mode.constructor-crash");
  ASSERT_NE(crash, nullptr);
  const std::string summary = (*crash)["summary"];
  EXPECT_NE(summary.find("in parse_config (crash.so+0x"), std::string::npos) << summary;
  EXPECT_NE(summary.find("signal 11 (Segmentation fault)"), std::string::npos) << summary;
  EXPECT_NE((*crash)["fix"]["summary"].get<std::string>().find("parse_config"), std::string::npos);
}

TEST_F(LoadFindings, AnAbortNamesTheFunctionThatCalledIt) {
  const nlohmann::json report =
      load("abort",
           "#include <stdlib.h>\n"
           "int ready = 0;\n"
           "__attribute__((noinline)) void check_ready(void) { if (!ready) abort(); }\n"
           "__attribute__((constructor)) static void init_plugin(void) { check_ready(); }\n");
  EXPECT_EQ(report["load"].value("signal", 0), 6) << report.dump(2);
  const nlohmann::json* aborted = finding(report, "mode.constructor-abort");
  ASSERT_NE(aborted, nullptr);
  const std::string summary = (*aborted)["summary"];
  EXPECT_NE(summary.find("in check_ready (abort.so+0x"), std::string::npos) << summary;
  bool stack = false;
  for (const nlohmann::json& line : (*aborted)["evidence"])
    stack = stack || (line.get<std::string>().find("abort (libc.so.6+0x") != std::string::npos &&
                      line.get<std::string>().find("< check_ready (abort.so") != std::string::npos);
  EXPECT_TRUE(stack) << (*aborted)["evidence"].dump(2);
}

TEST_F(LoadFindings, AnExitInAConstructorIsReportedWithItsStatus) {
  const nlohmann::json report =
      load("exit",
           "#include <stdlib.h>\n"
           "__attribute__((constructor)) static void init_plugin(void) { exit(3); }\n");
  EXPECT_EQ(report["load"].value("exit_status", 0), 3) << report.dump(2);
  const nlohmann::json* exited = finding(report, "mode.constructor-exit");
  ASSERT_NE(exited, nullptr);
  EXPECT_NE((*exited)["summary"].get<std::string>().find("with status 3"), std::string::npos);
}

TEST_F(LoadFindings, AConstructorThatBlocksIsKilledAfterTheTimeout) {
  const auto start = std::chrono::steady_clock::now();
  const nlohmann::json report =
      load("hang",
           "#include <unistd.h>\n"
           "__attribute__((constructor)) static void init_plugin(void) { for (;;) pause(); }\n",
           {"--timeout", "1"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  const nlohmann::json* hang = finding(report, "mode.constructor-hang");
  ASSERT_NE(hang, nullptr);
  EXPECT_NE((*hang)["summary"].get<std::string>().find("within 1 s"), std::string::npos);
}

TEST_F(LoadFindings, AGoodConstructorGivesNoFinding) {
  std::ofstream(dir_ / "good.c") << "__attribute__((constructor)) static void init(void) {}\n"
                                    "int dldoctor_case_answer(void) { return 42; }\n";
  ProcessOptions options;
  options.cwd = dir_.string();
  ASSERT_EQ(run_process({DLDOCTOR_CC, "-shared", "-fPIC", "-o", "good.so", "good.c"}, options)
                .exit_status,
            0);
  const auto checked = run_process(
      {DLDOCTOR_EXE, "check", "--json", "--load", (dir_ / "good.so").string()}, options);
  EXPECT_EQ(checked.exit_status, 0) << checked.out;
  const nlohmann::json report = nlohmann::json::parse(checked.out);
  EXPECT_TRUE(report["load"].value("loaded", false)) << report.dump(2);
  EXPECT_TRUE(report["findings"].empty()) << report.dump(2);
}

}  // namespace
}  // namespace dldoctor
