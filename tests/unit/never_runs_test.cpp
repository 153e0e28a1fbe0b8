// "Never run the inspected code unless asked": a plugin whose constructor leaves a mark (a file)
// is checked by every stage, with every option that reads more of it, and leaves none; the same
// check with --load (a real dlopen, in a child) leaves it, which proves the mark would show.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

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

}  // namespace
}  // namespace dldoctor
