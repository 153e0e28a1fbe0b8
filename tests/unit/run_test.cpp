// dldoctor run: programs built here with the C compiler run under the recorder, and what it
// reports is checked against what the programs did and against dldoctor's own model of the
// loader's search (the trace the real loader made must be the model's, file for file).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "dldoctor/dldoctor.hpp"
#include "process.hpp"
#include "scratch_directory.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// This file's scratch directories: /tmp/dldoctor-run-test-XXXXXX, searchable by every user.
struct ScratchDirectory : dldoctor::testing::ScratchDirectory {
  ScratchDirectory() : dldoctor::testing::ScratchDirectory("dldoctor-run-test", true) {}
};

dldoctor::testing::ProcessOptions environment(const fs::path& cwd = {}) {
  return dldoctor::testing::clean_environment(cwd);
}

void cc(const std::vector<std::string>& arguments) {
  std::vector<std::string> argv{DLDOCTOR_CC};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  const auto built = dldoctor::testing::run_process(argv, environment());
  ASSERT_EQ(built.exit_status, 0) << built.err;
}

void write(const fs::path& file, const std::string& text) { std::ofstream(file) << text; }

// A program with a RUNPATH of $ORIGIN/lib that dlopens the bare name libplugin.so (found only
// through that RUNPATH), whose dependency libdep.so is nowhere the loader looks.
struct RunpathProgram {
  ScratchDirectory scratch;
  fs::path program, plugin;
  RunpathProgram() {
    const fs::path& dir = scratch.path;
    fs::create_directories(dir / "lib");
    fs::create_directories(dir / "elsewhere");
    write(dir / "dep.c", "int dep(void) { return 2; }\n");
    write(dir / "plugin.c", "int dep(void);\nint plugin_run(void) { return dep(); }\n");
    write(dir / "main.c",
          "#include <dlfcn.h>\n#include <errno.h>\n#include <stdio.h>\n"
          "int main(void) {\n"
          "  errno = 0;\n"
          "  void* h = dlopen(\"libplugin.so\", RTLD_NOW);\n"
          "  int saved = errno;\n"
          "  const char* e = dlerror();\n"
          "  printf(\"dlopen: %s\\n\", h ? \"loaded\" : e ? e : \"(no error)\");\n"
          "  printf(\"errno: %d\\n\", saved);\n"
          "  printf(\"dlerror again: %s\\n\", dlerror() ? \"an error\" : \"NULL\");\n"
          "  return 3;\n}\n");
    cc({"-shared", "-fPIC", "-o", (dir / "elsewhere" / "libdep.so").string(),
        (dir / "dep.c").string()});
    plugin = dir / "lib" / "libplugin.so";
    cc({"-shared", "-fPIC", "-o", plugin.string(), (dir / "plugin.c").string(),
        "-L" + (dir / "elsewhere").string(), "-ldep"});
    program = dir / "main";
    cc({"-o", program.string(), (dir / "main.c").string(),
        "-Wl,--enable-new-dtags,-rpath,$ORIGIN/lib"});
  }
};

json run_json(const std::vector<std::string>& command, const fs::path& cwd,
              dldoctor::testing::ProcessResult* result = nullptr,
              std::vector<std::string> options = {}) {
  const fs::path report = fs::temp_directory_path() /
                          ("dldoctor-run-test-report-" + std::to_string(::getpid()) + ".json");
  std::vector<std::string> argv{DLDOCTOR_EXE, "run", "--json", "--report", report.string()};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  const auto ran = dldoctor::testing::run_process(argv, environment(cwd));
  if (result != nullptr) *result = ran;
  std::ifstream file(report);
  std::stringstream text;
  text << file.rdbuf();
  fs::remove(report);
  if (text.str().empty()) {
    ADD_FAILURE() << "no report: " << ran.describe() << "\n" << ran.err;
    return json::object();
  }
  return json::parse(text.str());
}

const json* find_code(const json& report, const std::string& code) {
  for (const json& finding : report["findings"])
    if (finding["code"] == code) return &finding;
  return nullptr;
}

std::vector<std::string> tried_paths(const json& search) {
  std::vector<std::string> paths;
  for (const json& tried : search["tried"]) paths.push_back(tried["path"]);
  return paths;
}

TEST(Run, AMissingDependencyOfAPluginFoundThroughTheProgramsRunpath) {
  RunpathProgram fixture;
  dldoctor::testing::ProcessResult ran;
  const json out = run_json({fixture.program.string()}, fixture.scratch.path, &ran);
  EXPECT_EQ(ran.exit_status, 3) << "the program's own exit status";
  // The plugin was found, through the program's RUNPATH: the recorder kept the program as the
  // caller of dlopen (a wrapper that is itself the caller would have found no libplugin.so).
  EXPECT_NE(ran.out.find("dlopen: libdep.so: cannot open shared object file"), std::string::npos)
      << ran.out;
  ASSERT_EQ(out["failures"].size(), 1u) << out.dump(2);
  const json& failure = out["failures"][0];
  EXPECT_EQ(failure["call"], "dlopen");
  EXPECT_EQ(failure["name"], "libplugin.so");
  EXPECT_EQ(failure["mode"], "RTLD_NOW");
  EXPECT_EQ(failure["requested_by"], fixture.program.string());
  EXPECT_EQ(failure["error"],
            "libdep.so: cannot open shared object file: No such file or directory");
  const json* missing = find_code(failure["report"], "path.missing-dependency");
  ASSERT_NE(missing, nullptr) << failure["report"].dump(2);
  EXPECT_NE((*missing)["summary"].get<std::string>().find("libdep.so"), std::string::npos);
  // The searches, as the real loader made them: the plugin in the program's RUNPATH directory,
  // then its dependency, asked for by the plugin.
  ASSERT_EQ(failure["searches"].size(), 2u) << failure["searches"].dump(2);
  const json& plugin_search = failure["searches"][0];
  EXPECT_EQ(plugin_search["requested_by"], fixture.program.string());
  const std::vector<std::string> plugin_tried = tried_paths(plugin_search);
  ASSERT_FALSE(plugin_tried.empty());
  EXPECT_EQ(plugin_tried.back(), (fixture.scratch.path / "lib" / "libplugin.so").string());
  EXPECT_EQ(plugin_search["tried"].back()["source"], "RPATH or RUNPATH");
  const json& dep_search = failure["searches"][1];
  EXPECT_EQ(dep_search["name"], "libdep.so");
  EXPECT_EQ(dep_search["requested_by"], fixture.plugin.string());
  EXPECT_GT(dep_search["tried"].size(), 3u);
  EXPECT_TRUE(failure["model_agrees"]) << failure.dump(2);
  EXPECT_TRUE(failure["searches_complete"]);
}

// The trace that the audit module recorded from the real loader, for the failing name, is the
// model's list of candidates (search::resolve_tree, what dldoctor tree uses), in order. An
// LD_LIBRARY_PATH with a missing directory and the ld.so.cache make the search long.
TEST(Run, TheRealLoadersSearchIsTheModelsSearchFileForFile) {
  RunpathProgram fixture;
  const fs::path library_path_dir = fixture.scratch.path / "ldpath";
  fs::create_directories(library_path_dir);
  const std::string library_path =
      library_path_dir.string() + ":" + (fixture.scratch.path / "gone").string();
  dldoctor::testing::ProcessOptions options = environment(fixture.scratch.path);
  options.set_environment["LD_LIBRARY_PATH"] = library_path;
  options.unset_environment = {"LD_PRELOAD", "LD_AUDIT"};
  const fs::path report = fixture.scratch.path / "report.json";
  const auto ran = dldoctor::testing::run_process(
      {DLDOCTOR_EXE, "run", "--json", "--report", report.string(), "--", fixture.program.string()},
      options);
  ASSERT_EQ(ran.exit_status, 3) << ran.err;
  std::ifstream file(report);
  const json out = json::parse(file);
  ASSERT_EQ(out["failures"].size(), 1u);
  const json& searches = out["failures"][0]["searches"];
  ASSERT_EQ(searches.size(), 2u);

  dldoctor::search::TreeRequest request;
  request.path = "libplugin.so";
  request.host = fixture.program.string();
  request.environment.ld_library_path = library_path;
  request.environment.cwd = fixture.scratch.path.string();
  const dldoctor::search::Tree tree = dldoctor::search::resolve_tree(request);
  std::size_t compared = 0;
  for (const json& search : searches) {
    const dldoctor::search::Resolution* model = nullptr;
    for (std::size_t i = tree.dlopen_trace_start; i < tree.trace.size(); ++i)
      if (tree.trace[i].name == search["name"]) model = &tree.trace[i];
    ASSERT_NE(model, nullptr) << "the model never searched for " << search["name"];
    std::vector<std::string> modelled;
    for (const auto& step : model->steps) modelled.push_back(step.path);
    EXPECT_EQ(tried_paths(search), modelled) << "for " << search["name"];
    compared += modelled.size();
  }
  EXPECT_GT(compared, 20u) << "a search through LD_LIBRARY_PATH, the cache and the system";
  EXPECT_TRUE(out["failures"][0]["model_agrees"]);
  // The LD_LIBRARY_PATH directory is tried, as the loader's own (LA_SER_LIBPATH) rule.
  bool library_path_tried = false;
  for (const json& tried : searches[1]["tried"])
    library_path_tried |= tried["source"] == "LD_LIBRARY_PATH" &&
                          tried["path"] == (library_path_dir / "libdep.so").string();
  EXPECT_TRUE(library_path_tried) << searches[1].dump(2);
}

// A library calls dlopen: its RUNPATH is the one searched (the recorder keeps it the caller),
// and what that search found is diagnosed: here its dependency, missing.
TEST(Run, ADlopenFromALibraryIsSearchedWithThatLibrarysRunpath) {
  ScratchDirectory scratch;
  const fs::path& dir = scratch.path;
  fs::create_directories(dir / "sub");
  fs::create_directories(dir / "elsewhere");
  write(dir / "loader.c",
        "#include <dlfcn.h>\n#include <stdio.h>\n"
        "int load(const char* name) {\n"
        "  void* h = dlopen(name, RTLD_LAZY);\n"
        "  if (!h) printf(\"load: %s\\n\", dlerror());\n  return h != 0;\n}\n");
  write(dir / "dep.c", "int dep(void) { return 2; }\n");
  write(dir / "plugin.c", "int dep(void);\nint plugin(void) { return dep(); }\n");
  write(dir / "main.c",
        "int load(const char*);\nint main(void) { return load(\"libsub.so\") ? 0 : 4; }\n");
  cc({"-shared", "-fPIC", "-o", (dir / "elsewhere" / "libdldoctordep.so").string(),
      (dir / "dep.c").string()});
  cc({"-shared", "-fPIC", "-o", (dir / "sub" / "libsub.so").string(), (dir / "plugin.c").string(),
      "-L" + (dir / "elsewhere").string(), "-ldldoctordep"});
  cc({"-shared", "-fPIC", "-o", (dir / "libloader.so").string(), (dir / "loader.c").string(),
      "-Wl,--enable-new-dtags,-rpath,$ORIGIN/sub"});
  cc({"-o", (dir / "main").string(), (dir / "main.c").string(), "-L" + dir.string(), "-lloader",
      "-Wl,--enable-new-dtags,-rpath,$ORIGIN"});
  dldoctor::testing::ProcessResult ran;
  const json out = run_json({"./main"}, dir, &ran);
  EXPECT_EQ(ran.exit_status, 4);
  EXPECT_NE(ran.out.find("load: libdldoctordep.so: cannot open shared object file"),
            std::string::npos)
      << "found through libloader.so's RUNPATH, then its dependency is missing: " << ran.out;
  ASSERT_EQ(out["failures"].size(), 1u) << out.dump(2);
  const json& failure = out["failures"][0];
  EXPECT_EQ(failure["requested_by"], (dir / "libloader.so").string());
  EXPECT_EQ(failure["searches"][0]["requested_by"], (dir / "libloader.so").string());
  EXPECT_EQ(failure["diagnosed_path"], (dir / "sub" / "libsub.so").string());
  EXPECT_NE(find_code(failure["report"], "path.missing-dependency"), nullptr)
      << failure["report"].dump(2);
  EXPECT_TRUE(failure["model_agrees"]) << failure.dump(2);
}

TEST(Run, ADlsymMissIsDiagnosedWithTheNearName) {
  ScratchDirectory scratch;
  write(scratch.path / "plugin.c", "int plugin_run(void) { return 1; }\n");
  write(scratch.path / "main.c",
        "#include <dlfcn.h>\n#include <stdio.h>\n"
        "int main(void) {\n"
        "  void* h = dlopen(\"./plugin.so\", RTLD_NOW);\n"
        "  if (!h) return 9;\n"
        "  void* f = dlsym(h, \"plugin_rum\");\n"
        "  printf(\"dlsym: %s\\n\", f ? \"found\" : dlerror());\n"
        "  return f ? 0 : 1;\n}\n");
  cc({"-shared", "-fPIC", "-o", (scratch.path / "plugin.so").string(),
      (scratch.path / "plugin.c").string()});
  cc({"-o", (scratch.path / "main").string(), (scratch.path / "main.c").string()});
  dldoctor::testing::ProcessResult ran;
  const json out = run_json({"./main"}, scratch.path, &ran);
  EXPECT_EQ(ran.exit_status, 1);
  EXPECT_NE(ran.out.find("dlsym: ./plugin.so: undefined symbol: plugin_rum"), std::string::npos)
      << ran.out;
  ASSERT_EQ(out["failures"].size(), 1u) << out.dump(2);
  const json& failure = out["failures"][0];
  EXPECT_EQ(failure["call"], "dlsym");
  EXPECT_EQ(failure["symbol"], "plugin_rum");
  EXPECT_EQ(failure["object"], "./plugin.so");
  const json* not_found = find_code(failure["report"], "symbol.not-found");
  ASSERT_NE(not_found, nullptr) << failure["report"].dump(2);
  EXPECT_NE((*not_found).dump().find("plugin_run"), std::string::npos)
      << "the near name: " << not_found->dump(2);
}

// Threads failing dlopens at once: each thread's dlerror() is its own failure's (the shim keeps
// the error per thread), every failure is recorded whole, and a search that another thread's
// dlopen came between is dropped rather than given to the wrong failure.
TEST(Run, ThreadsFailingAtOnceEachGetTheirOwnErrorAndRecord) {
  ScratchDirectory scratch;
  write(scratch.path / "main.c",
        "#include <dlfcn.h>\n#include <pthread.h>\n#include <stdio.h>\n#include <string.h>\n"
        "static int wrong;\n"
        "static void* run(void* arg) {\n"
        "  char name[64];\n"
        "  for (int i = 0; i < 25; ++i) {\n"
        "    snprintf(name, sizeof name, \"libabsent-%ld-%d.so\", (long)arg, i);\n"
        "    if (dlopen(name, RTLD_NOW) != NULL) { wrong = 1; continue; }\n"
        "    const char* e = dlerror();\n"
        "    if (e == NULL || strncmp(e, name, strlen(name)) != 0) wrong = 1;\n"
        "    if (dlerror() != NULL) wrong = 1;\n"
        "  }\n  return NULL;\n}\n"
        "int main(void) {\n  pthread_t t[4];\n"
        "  for (long i = 0; i < 4; ++i) pthread_create(&t[i], NULL, run, (void*)i);\n"
        "  for (int i = 0; i < 4; ++i) pthread_join(t[i], NULL);\n"
        "  puts(wrong ? \"wrong\" : \"right\");\n  return wrong;\n}\n");
  cc({"-pthread", "-o", (scratch.path / "main").string(), (scratch.path / "main.c").string()});
  dldoctor::testing::ProcessResult ran;
  const json out = run_json({"./main"}, scratch.path, &ran);
  EXPECT_EQ(ran.exit_status, 0) << ran.out << ran.err;
  EXPECT_EQ(ran.out, "right\n");
  ASSERT_EQ(out["failures"].size(), 100u);
  for (const json& failure : out["failures"]) {
    const std::string name = failure["name"];
    EXPECT_EQ(failure["error"],
              name + ": cannot open shared object file: No such file or directory");
    if (!failure["searches"].empty()) {
      EXPECT_EQ(failure["searches"][0]["name"], name);
    }
  }
}

// dlmopen into a new namespace: recorded with its namespace, diagnosed as a dlopen is.
TEST(Run, ADlmopenFailureIsRecordedWithItsNamespace) {
  ScratchDirectory scratch;
  write(scratch.path / "main.c",
        "#define _GNU_SOURCE\n#include <dlfcn.h>\n#include <stdio.h>\n"
        "int main(void) {\n"
        "  void* h = dlmopen(LM_ID_NEWLM, \"./absent.so\", RTLD_LAZY);\n"
        "  printf(\"%s\\n\", h ? \"loaded\" : dlerror());\n  return h ? 0 : 1;\n}\n");
  cc({"-o", (scratch.path / "main").string(), (scratch.path / "main.c").string()});
  dldoctor::testing::ProcessResult ran;
  const json out = run_json({"./main"}, scratch.path, &ran);
  EXPECT_EQ(ran.exit_status, 1);
  EXPECT_EQ(ran.out, "./absent.so: cannot open shared object file: No such file or directory\n");
  ASSERT_EQ(out["failures"].size(), 1u) << out.dump(2);
  EXPECT_EQ(out["failures"][0]["call"], "dlmopen");
  EXPECT_EQ(out["failures"][0]["namespace"], -1) << "LM_ID_NEWLM";
  EXPECT_EQ(out["failures"][0]["mode"], "RTLD_LAZY");
  EXPECT_NE(find_code(out["failures"][0]["report"], "path.not-found"), nullptr);
}

// Under dldoctor run the program prints, exits and sees errno and dlerror() as without it.
TEST(Run, TheProgramsOutputExitStatusErrnoAndDlerrorAreUnchanged) {
  RunpathProgram fixture;
  const auto plain =
      dldoctor::testing::run_process({fixture.program.string()}, environment(fixture.scratch.path));
  dldoctor::testing::ProcessResult ran;
  const json out = run_json({fixture.program.string()}, fixture.scratch.path, &ran);
  EXPECT_EQ(ran.exit_status, plain.exit_status);
  EXPECT_EQ(ran.out, plain.out);
  EXPECT_EQ(ran.err, plain.err) << "the report went to --report, the program's stderr is its own";
  EXPECT_NE(plain.out.find("dlerror again: NULL"), std::string::npos) << plain.out;
  EXPECT_EQ(out["exit_status"], 3);

  // The text report, on standard error after the program's own.
  const auto text = dldoctor::testing::run_process(
      {DLDOCTOR_EXE, "run", "--", fixture.program.string()}, environment(fixture.scratch.path));
  EXPECT_EQ(text.exit_status, 3);
  EXPECT_EQ(text.out, plain.out);
  EXPECT_NE(text.err.find("dlopen(\"libplugin.so\", RTLD_NOW) failed"), std::string::npos)
      << text.err;
  EXPECT_NE(text.err.find("path.missing-dependency"), std::string::npos) << text.err;
  EXPECT_NE(text.err.find("dldoctor's model of this search agrees"), std::string::npos) << text.err;
}

TEST(Run, AStaticProgramIsRefusedWithTheReason) {
  ScratchDirectory scratch;
  write(scratch.path / "main.c", "int main(void) { return 0; }\n");
  const fs::path program = scratch.path / "static";
  cc({"-static", "-o", program.string(), (scratch.path / "main.c").string()});
  const auto ran =
      dldoctor::testing::run_process({DLDOCTOR_EXE, "run", "--", program.string()}, environment());
  EXPECT_EQ(ran.exit_status, 2);
  EXPECT_NE(ran.err.find("is statically linked (no PT_INTERP)"), std::string::npos) << ran.err;
  EXPECT_NE(ran.err.find("nothing to audit or interpose"), std::string::npos) << ran.err;
}

// The kernel marks a set-user-ID program that changes the user's id for secure execution
// (AT_SECURE), and the loader then ignores LD_AUDIT and LD_PRELOAD: dldoctor says so instead
// of reporting a clean run.
TEST(Run, ASetUserIdProgramIsRefusedWithTheReason) {
  ScratchDirectory scratch;
  write(scratch.path / "main.c", "int main(void) { return 0; }\n");
  fs::path program = scratch.path / "setuid";
  cc({"-o", program.string(), (scratch.path / "main.c").string()});
  if (::getuid() == 0) {
    // Root's own set-user-ID root program is not secure: owned by nobody, it is.
    ASSERT_EQ(::chown(program.c_str(), 65534, 65534), 0);
  } else if (fs::exists("/usr/bin/passwd")) {
    program = "/usr/bin/passwd";
  } else {
    GTEST_SKIP() << "not root, and no set-user-ID program to try";
  }
  if (::getuid() == 0) {
    ASSERT_EQ(::chmod(program.c_str(), 04755), 0);
  }
  struct stat status {};
  ASSERT_EQ(::stat(program.c_str(), &status), 0);
  ASSERT_NE(status.st_mode & S_ISUID, 0u);
  const auto ran =
      dldoctor::testing::run_process({DLDOCTOR_EXE, "run", "--", program.string()}, environment());
  EXPECT_EQ(ran.exit_status, 2);
  EXPECT_NE(ran.err.find("is set-user-ID"), std::string::npos) << ran.err;
  EXPECT_NE(ran.err.find("secure-execution mode and ignores LD_AUDIT and LD_PRELOAD"),
            std::string::npos)
      << ran.err;
}

TEST(Run, PythonCtypesLoadingAPluginWithAMissingDependency) {
  ScratchDirectory scratch;
  fs::create_directories(scratch.path / "elsewhere");
  write(scratch.path / "dep.c", "int dep(void) { return 2; }\n");
  write(scratch.path / "p.c", "int dep(void);\nint p(void) { return dep(); }\n");
  cc({"-shared", "-fPIC", "-o", (scratch.path / "elsewhere" / "libdep.so").string(),
      (scratch.path / "dep.c").string()});
  cc({"-shared", "-fPIC", "-o", (scratch.path / "p.so").string(), (scratch.path / "p.c").string(),
      "-L" + (scratch.path / "elsewhere").string(), "-ldep"});
  // Debian's python3 (a python3 earlier on the PATH may be a shell script that execs another).
  const std::vector<std::string> command{"/usr/bin/python3", "-c",
                                         "import ctypes; ctypes.CDLL('./p.so')"};
  const auto plain = dldoctor::testing::run_process(command, environment(scratch.path));
  dldoctor::testing::ProcessResult ran;
  const json out = run_json(command, scratch.path, &ran);
  EXPECT_EQ(ran.exit_status, plain.exit_status);
  EXPECT_EQ(ran.err, plain.err) << "Python's own traceback, unchanged";
  ASSERT_GE(out["failures"].size(), 1u) << out.dump(2);
  const json* ours = nullptr;
  for (const json& failure : out["failures"])
    if (failure["call"] == "dlopen" && failure["name"] == "./p.so") ours = &failure;
  ASSERT_NE(ours, nullptr) << out.dump(2);
  EXPECT_NE((*ours)["requested_by"].get<std::string>().find("_ctypes"), std::string::npos)
      << "ctypes' extension module calls dlopen: " << (*ours)["requested_by"];
  EXPECT_NE(find_code((*ours)["report"], "path.missing-dependency"), nullptr)
      << (*ours)["report"].dump(2);
  ASSERT_EQ((*ours)["searches"].size(), 2u);
  EXPECT_EQ((*ours)["searches"][1]["name"], "libdep.so");
  EXPECT_TRUE((*ours)["model_agrees"]) << ours->dump(2);
}

// Children are followed (the variables stay); with --no-follow the recorder takes them out of
// the environment as the program starts, and the program's children run without it.
TEST(Run, ChildrenAreFollowedUnlessNoFollow) {
  RunpathProgram fixture;
  const std::vector<std::string> command{"/bin/sh", "-c",
                                         "echo \"preload=${LD_PRELOAD:-none}\"; ./main"};
  dldoctor::testing::ProcessResult ran;
  const json followed = run_json(command, fixture.scratch.path, &ran);
  EXPECT_EQ(ran.exit_status, 3);
  EXPECT_NE(ran.out.find("preload=/"), std::string::npos) << ran.out;
  EXPECT_EQ(followed["processes"].size(), 2u) << followed.dump(2);
  ASSERT_EQ(followed["failures"].size(), 1u) << followed.dump(2);
  EXPECT_EQ(followed["failures"][0]["program"], fixture.program.string());

  const json alone = run_json(command, fixture.scratch.path, &ran, {"--no-follow"});
  EXPECT_EQ(ran.exit_status, 3);
  EXPECT_NE(ran.out.find("preload=none"), std::string::npos) << ran.out;
  EXPECT_EQ(alone["processes"].size(), 1u) << alone.dump(2);
  EXPECT_TRUE(alone["failures"].empty()) << alone.dump(2);
}

// --live: each failure reported while the program runs, once: here while the shell that ran
// the failing program still waits for input dldoctor's test holds back.
TEST(Run, LiveReportsAFailureWhileTheProgramStillRuns) {
  RunpathProgram fixture;
  const fs::path report = fixture.scratch.path / "live.txt";
  const fs::path go_on = fixture.scratch.path / "go-on";
  dldoctor::testing::RunningProcess running(
      {DLDOCTOR_EXE, "run", "--live", "--report", report.string(), "--", "/bin/sh", "-c",
       "./main; echo ran; while [ ! -e go-on ]; do sleep 0.05; done; exit 6"},
      environment(fixture.scratch.path));
  ASSERT_TRUE(running.wait_for_line("ran"));
  std::string text;
  for (int i = 0; i < 100 && text.find("path.missing-dependency") == std::string::npos; ++i) {
    ::usleep(50 * 1000);
    std::ifstream file(report);
    text.assign(std::istreambuf_iterator<char>(file), {});
  }
  EXPECT_NE(text.find("dlopen(\"libplugin.so\", RTLD_NOW) failed"), std::string::npos)
      << "reported before the program ended: " << text;
  std::ofstream(go_on) << "";
  const auto ran = running.finish();
  EXPECT_EQ(ran.exit_status, 6);
  std::ifstream file(report);
  const std::string whole((std::istreambuf_iterator<char>(file)), {});
  EXPECT_EQ(whole.find("failed"), whole.rfind("failed")) << "reported once: " << whole;
}

// The records' descriptor is the program's too: what it writes there is data, never trusted.
// Garbage, a header that claims more than the file holds and one with a field count past its
// end are skipped; the real failure after them is still reported.
TEST(Run, GarbageInTheRecordsIsSkippedNeverTrusted) {
  RunpathProgram fixture;
  const std::string garbage =
      "printf 'DLDR\\377\\377\\377\\177\\002\\000\\000\\000' >>\"$DLDOCTOR_RUN_FILE\"; "
      "printf 'DLDR\\030\\000\\000\\000\\002\\000\\000\\000\\377\\377\\377\\377"
      "\\001\\000\\000\\000\\001\\000\\000\\000\\377\\377' >>\"$DLDOCTOR_RUN_FILE\"; "
      "head -c 3000 /dev/urandom >>\"$DLDOCTOR_RUN_FILE\"; ./main";
  dldoctor::testing::ProcessResult ran;
  const json out = run_json({"/bin/sh", "-c", garbage}, fixture.scratch.path, &ran);
  EXPECT_EQ(ran.exit_status, 3) << ran.err;
  ASSERT_GE(out["failures"].size(), 1u) << out.dump(2);
  EXPECT_EQ(out["failures"].back()["name"], "libplugin.so");
}

// A cgo Go host (the go-not-plugin case's: plugin.Open, then Lookup): plugin.Open's dlopen of a
// C library whose dependency is missing is recorded as the host's, RTLD_NOW|RTLD_GLOBAL as Go
// opens plugins; a Go plugin that loads is a clean run (Go's optional ..inittask probe is no
// miss).
TEST(Run, AGoHostsPluginOpen) {
#ifndef DLDOCTOR_GO_CASES
  GTEST_SKIP() << "the Go cases are not built (-Dcases=false)";
#else
  const fs::path cases = fs::path(DLDOCTOR_GO_CASES) / "wrong-build-mode" / "go-not-plugin";
  const fs::path host = cases / "host";
  if (!fs::exists(host)) GTEST_SKIP() << "no Go host built (" << host << "): no go on this machine";
  RunpathProgram fixture;
  dldoctor::testing::ProcessResult ran;
  const json out = run_json({host.string(), fixture.plugin.string()}, fixture.scratch.path, &ran);
  EXPECT_EQ(ran.exit_status, 1);
  EXPECT_NE(ran.out.find("libdep.so: cannot open shared object file"), std::string::npos)
      << ran.out;
  ASSERT_EQ(out["failures"].size(), 1u) << out.dump(2);
  const json& failure = out["failures"][0];
  EXPECT_EQ(failure["call"], "dlopen");
  EXPECT_EQ(failure["mode"], "RTLD_NOW|RTLD_GLOBAL");
  EXPECT_EQ(failure["requested_by"], host.string()) << "cgo's C code is the host's own";
  EXPECT_NE(find_code(failure["report"], "path.missing-dependency"), nullptr)
      << failure["report"].dump(2);
  EXPECT_TRUE(failure["model_agrees"]);

  const json clean =
      run_json({host.string(), (cases / "fixed" / "p.so").string()}, fixture.scratch.path, &ran);
  EXPECT_EQ(ran.exit_status, 0) << ran.out;
  EXPECT_TRUE(clean["failures"].empty()) << clean.dump(2);
#endif
}

// The loader run as a program (ld.so PROGRAM) has no PT_INTERP but is no static program: it
// reads LD_AUDIT and LD_PRELOAD, and the program it runs is named (argv[0]), not ld.so.
TEST(Run, TheLoaderRunAsAProgramIsNotRefused) {
  RunpathProgram fixture;
  const std::string loader = "/lib64/ld-linux-x86-64.so.2";
  if (!fs::exists(loader)) GTEST_SKIP() << "no " << loader;
  dldoctor::testing::ProcessResult ran;
  const json out = run_json({loader, "./main"}, fixture.scratch.path, &ran);
  EXPECT_EQ(ran.exit_status, 3) << ran.err;
  ASSERT_EQ(out["failures"].size(), 1u) << out.dump(2);
  EXPECT_EQ(out["failures"][0]["program"], (fixture.scratch.path / "." / "main").string());
  EXPECT_NE(find_code(out["failures"][0]["report"], "path.missing-dependency"), nullptr);
}

TEST(Run, ACleanRunSaysSoAndACommandNotFoundCannotRun) {
  const auto clean =
      dldoctor::testing::run_process({DLDOCTOR_EXE, "run", "--", "true"}, environment());
  EXPECT_EQ(clean.exit_status, 0);
  EXPECT_NE(clean.err.find("no dlopen failed and no dlsym missed (1 process recorded)"),
            std::string::npos)
      << clean.err;
  const auto status = dldoctor::testing::run_process(
      {DLDOCTOR_EXE, "run", "--", "sh", "-c", "exit 7"}, environment());
  EXPECT_EQ(status.exit_status, 7);
  const auto missing = dldoctor::testing::run_process(
      {DLDOCTOR_EXE, "run", "--", "dldoctor-no-such-command"}, environment());
  EXPECT_EQ(missing.exit_status, 2);
  EXPECT_NE(missing.err.find("dldoctor-no-such-command: command not found"), std::string::npos)
      << missing.err;
}

}  // namespace
