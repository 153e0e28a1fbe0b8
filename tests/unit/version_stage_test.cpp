// The version stage on files built here, with the real loader as the oracle (`dldoctor check
// --load`: a real dlopen in a child process): a version the provider does not define is the
// loader's own refusal, word for word; a provider without any symbol versions kills the process
// in check_match, and dldoctor says so before anything runs; one with .gnu.version but no
// definitions loads, with a warning.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dldoctor/diagnose.hpp"
#include "dldoctor/library.hpp"
#include "process.hpp"

namespace fs = std::filesystem;
using dldoctor::testing::ProcessOptions;
using dldoctor::testing::ProcessResult;
using dldoctor::testing::run_process;
using nlohmann::json;

namespace dldoctor {
namespace {

class VersionStage : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/dldoctor-versions-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    write("dep.c", "int dep_fn(void) { return 2; }\n");
    // Uses libc, so it has versioned needs of its own and a .gnu.version, and no definitions.
    write("dep_libc.c",
          "#include <stdio.h>\nint dep_fn(void) { return puts(\"\") >= 0 ? 2 : 0; }\n");
    write("p.c", "int dep_fn(void);\nint dldoctor_case_answer(void) { return 40 + dep_fn(); }\n");
    write("v1.map", "DEP_1.0 { global: dep_fn; local: *; };\n");
    write("v2.map", "DEP_2.0 { global: dep_fn; local: *; };\n");
    // The plugin is linked against the library that defines DEP_2.0, with RUNPATH $ORIGIN.
    cc({"-shared", "-fPIC", "-o", "libdep.so", "dep.c", "-Wl,--version-script=v2.map",
        "-Wl,-soname,libdep.so"});
    cc({"-shared", "-fPIC", "-o", "p.so", "p.c", "-L.", "-ldep",
        "-Wl,--enable-new-dtags,-rpath,$ORIGIN"});
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  void cc(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), DLDOCTOR_CC);
    ProcessOptions options;
    options.cwd = dir_.string();
    const ProcessResult built = run_process(arguments, options);
    ASSERT_EQ(built.exit_status, 0) << built.err;
  }
  // dldoctor check --load --json ./p.so, from the plugin's directory, as a host would load it.
  json check_and_load(const std::vector<std::string>& more = {},
                      const std::string& ld_library_path = "") {
    ProcessOptions options;
    options.cwd = dir_.string();
    options.set_environment = {{"LC_ALL", "C"}};
    options.unset_environment = {"LD_PRELOAD"};
    if (ld_library_path.empty())
      options.unset_environment.push_back("LD_LIBRARY_PATH");
    else
      options.set_environment["LD_LIBRARY_PATH"] = ld_library_path;
    std::vector<std::string> argv{DLDOCTOR_EXE, "check", "--load", "--json", "./p.so"};
    argv.insert(argv.end(), more.begin(), more.end());
    const ProcessResult result = run_process(argv, options);
    return json::parse(result.out);
  }
  static const json* finding(const json& report, const std::string& code) {
    for (const json& entry : report["findings"])
      if (entry["code"] == code) return &entry;
    return nullptr;
  }
  fs::path dir_;
};

TEST_F(VersionStage, TheLinkedProviderDefinesTheVersionAndNothingIsFound) {
  Result<Library> library = Library::open_checked((dir_ / "p.so").string());
  ASSERT_TRUE(library.ok());
  Result<int (*)(), LookupError> answer = library->lookup<int()>("dldoctor_case_answer");
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer.value()(), 42);
  const json report = check_and_load();
  EXPECT_TRUE(report["load"]["loaded"].get<bool>()) << report.dump(2);
  EXPECT_TRUE(report["findings"].empty()) << report.dump(2);
}

TEST_F(VersionStage, AVersionTheProviderLacksIsRefusedWithTheLoadersOwnMessage) {
  cc({"-shared", "-fPIC", "-o", "libdep.so", "dep.c", "-Wl,--version-script=v1.map",
      "-Wl,-soname,libdep.so"});
  const json report = check_and_load();
  ASSERT_FALSE(report["load"]["loaded"].get<bool>());
  const json* found = finding(report, "version.node-not-found");
  ASSERT_NE(found, nullptr) << report.dump(2);
  EXPECT_EQ((*found)["family"], "version-conflict");
  const std::string loader = report["load"]["message"];
  EXPECT_NE(loader.find("version `DEP_2.0' not found (required by ./p.so)"), std::string::npos)
      << loader;
  EXPECT_EQ((*found)["evidence"][0], "the loader: " + loader);
  const std::string evidence = (*found)["evidence"].dump();
  EXPECT_NE(evidence.find("defines DEP_1.0"), std::string::npos) << evidence;
  EXPECT_NE(evidence.find("found by the rule runpath of ./p.so"), std::string::npos) << evidence;
  EXPECT_NE(evidence.find("symbols of p.so bound to DEP_2.0: dep_fn"), std::string::npos)
      << evidence;
}

// --search DIR: a copy that defines the version is named, with the command that makes the host
// load it first; the command, applied, makes the load succeed.
TEST_F(VersionStage, ACopyThatDefinesTheVersionIsFoundWhereTheUserSaysToLook) {
  fs::create_directory(dir_ / "newer");
  cc({"-shared", "-fPIC", "-o", "newer/libdep.so", "dep.c", "-Wl,--version-script=v2.map",
      "-Wl,-soname,libdep.so"});
  cc({"-shared", "-fPIC", "-o", "libdep.so", "dep.c", "-Wl,--version-script=v1.map",
      "-Wl,-soname,libdep.so"});
  const json report = check_and_load({"--search", (dir_ / "newer").string()});
  const json* found = finding(report, "version.node-not-found");
  ASSERT_NE(found, nullptr) << report.dump(2);
  EXPECT_NE((*found)["evidence"].dump().find("on this machine, " + (dir_ / "newer").string() +
                                             "/libdep.so defines DEP_2.0"),
            std::string::npos)
      << found->dump(2);
  const std::string command = (*found)["fix"]["commands"][0];
  EXPECT_EQ(command, "export LD_LIBRARY_PATH=" + (dir_ / "newer").string() +
                         "${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}");
  // What the command sets, for the host's start: LD_LIBRARY_PATH is searched before RUNPATH.
  const json fixed = check_and_load({}, (dir_ / "newer").string());
  EXPECT_TRUE(fixed["load"]["loaded"].get<bool>()) << fixed.dump(2);
  EXPECT_EQ(finding(fixed, "version.node-not-found"), nullptr) << fixed.dump(2);
  // What remains is true, and a warning: the copy on LD_LIBRARY_PATH shadows the RUNPATH's.
  ASSERT_EQ(fixed["findings"].size(), 1u) << fixed.dump(2);
  EXPECT_EQ(fixed["findings"][0]["code"], "path.shadowed-dependency");
  EXPECT_EQ(fixed["findings"][0]["severity"], "warning");
}

// libz.so.2 is needed, libz.so.1 (zlib, on every Debian system) is where the loader looks: a
// SONAME bump, named with the other version's SONAME, and no symbolic link proposed.
TEST_F(VersionStage, AnotherMajorVersionWhereTheLoaderLooksIsASonameBump) {
  write("z2.c", "int zfn(void) { return 1; }\n");
  write("pz.c", "int zfn(void);\nint dldoctor_case_answer(void) { return 41 + zfn(); }\n");
  cc({"-shared", "-fPIC", "-o", "libz.so.2", "z2.c", "-Wl,-soname,libz.so.2"});
  cc({"-shared", "-fPIC", "-o", "pz.so", "pz.c", "./libz.so.2"});
  fs::remove(dir_ / "libz.so.2");
  LoadRequest request((dir_ / "pz.so").string());
  const Report report = diagnose(request);
  ASSERT_EQ(report.findings.size(), 1u);
  const Finding& finding = report.findings.front();
  EXPECT_EQ(finding.code, "version.soname-bump");
  EXPECT_EQ(finding.family, Family::VersionConflict);
  EXPECT_NE(finding.summary.find("another version of the library is: libz.so.1"), std::string::npos)
      << finding.summary;
  bool named = false;
  for (const std::string& line : finding.evidence)
    named =
        named || line.find("libz.so.1: DT_SONAME libz.so.1, not libz.so.2") != std::string::npos;
  EXPECT_TRUE(named);
  for (const std::string& command : finding.fix.commands)
    EXPECT_EQ(command.find("ln "), std::string::npos) << command;
}

// libtree's 06_symbol_versions: a program that needs VER_2 of a library that has only VER_1.
// `dldoctor tree` marks the edge and ends with the loader's own message (the program, run, dies
// with it).
TEST_F(VersionStage, TheTreeMarksAnUnmetVersionOnItsEdgeAsTheLoaderReportsIt) {
  write("exe.c", "int dep_fn(void);\nint main(void) { return dep_fn() == 2 ? 0 : 1; }\n");
  cc({"-o", "exe_v2", "exe.c", "-L.", "-ldep", "-Wl,--enable-new-dtags,-rpath,$ORIGIN"});
  cc({"-shared", "-fPIC", "-o", "libdep.so", "dep.c", "-Wl,--version-script=v1.map",
      "-Wl,-soname,libdep.so"});
  ProcessOptions options;
  options.cwd = dir_.string();
  options.set_environment = {{"LC_ALL", "C"}};
  options.unset_environment = {"LD_LIBRARY_PATH", "LD_PRELOAD"};
  const ProcessResult ran = run_process({"./exe_v2"}, options);
  EXPECT_EQ(ran.exit_status, 1);
  EXPECT_NE(ran.err.find("version `DEP_2.0' not found (required by ./exe_v2)"), std::string::npos);
  // The tree models ld.so --list (whose $ORIGIN is the program's directory as given, not its
  // real path as for an exec): the oracle for the path in the message.
  const ProcessResult listed =
      run_process({"/lib64/ld-linux-x86-64.so.2", "--list", "./exe_v2"}, options);
  const ProcessResult tree = run_process({DLDOCTOR_EXE, "tree", "--json", "./exe_v2"}, options);
  EXPECT_EQ(tree.exit_status, 1) << tree.out << tree.err;
  const json parsed = json::parse(tree.out);
  // ld.so prints "PROGRAM: MESSAGE"; the tree's error is the MESSAGE.
  EXPECT_NE(listed.err.find("./exe_v2: " + parsed["error"].get<std::string>() + "\n"),
            std::string::npos)
      << listed.err;
  const json& edge = parsed["root"]["needs"].at(0);
  EXPECT_EQ(edge["name"], "libdep.so");
  EXPECT_EQ(edge["unmet_versions"],
            json::array({"version `DEP_2.0' not found (required by ./exe_v2)"}));
  // Nothing is marked once the library defines the version.
  cc({"-shared", "-fPIC", "-o", "libdep.so", "dep.c", "-Wl,--version-script=v2.map",
      "-Wl,-soname,libdep.so"});
  const ProcessResult good = run_process({DLDOCTOR_EXE, "tree", "--json", "./exe_v2"}, options);
  EXPECT_EQ(good.exit_status, 0) << good.out;
  EXPECT_FALSE(json::parse(good.out)["root"]["needs"].at(0).contains("unmet_versions"));
}

// libstdc++'s dual ABI: the plugin, compiled as usual, needs dep_name[abi:cxx11](); the library
// it meets was rebuilt with _GLIBCXX_USE_CXX11_ABI=0 and exports dep_name(). The loader says
// only "undefined symbol: _Z8dep_nameB5cxx11v"; dldoctor names the two ABIs.
TEST_F(VersionStage, AStdStringFunctionInTheOtherLibstdcxxAbiIsADualAbiMismatch) {
  write("abi_dep.cpp", "#include <string>\nstd::string dep_name() { return \"dep\"; }\n");
  write("abi_p.cpp",
        "#include <string>\nstd::string dep_name();\nextern \"C\" int dldoctor_case_answer() "
        "{ return 39 + static_cast<int>(dep_name().size()); }\n");
  fs::create_directory(dir_ / "abi");
  cc({"-shared", "-fPIC", "-o", "abi/libdep.so", "abi_dep.cpp", "-Wl,-soname,libdep.so",
      "-lstdc++"});
  cc({"-shared", "-fPIC", "-o", "abi/p.so", "abi_p.cpp", "-Labi", "-ldep", "-lstdc++",
      "-Wl,--enable-new-dtags,-rpath,$ORIGIN"});
  cc({"-shared", "-fPIC", "-D_GLIBCXX_USE_CXX11_ABI=0", "-o", "abi/libdep.so", "abi_dep.cpp",
      "-Wl,-soname,libdep.so", "-lstdc++"});
  LoadRequest request((dir_ / "abi" / "p.so").string());
  const Report report = diagnose(request);
  ASSERT_EQ(report.findings.size(), 1u);
  const Finding& finding = report.findings.front();
  EXPECT_EQ(finding.code, "version.cxx11-abi");
  EXPECT_EQ(finding.family, Family::VersionConflict);
  EXPECT_NE(finding.summary.find("needs dep_name[abi:cxx11](), which libdep.so has only as "
                                 "dep_name()"),
            std::string::npos)
      << finding.summary;
  bool sides = false;
  for (const std::string& line : finding.evidence)
    sides = sides || line.find(
                         "p.so was compiled with _GLIBCXX_USE_CXX11_ABI=1, libdep.so with "
                         "_GLIBCXX_USE_CXX11_ABI=0") != std::string::npos;
  EXPECT_TRUE(sides);
}

// Built against a libstdc++ newer than this system's (a stub with GLIBCXX_3.4.31 at link time,
// gone after): the node's release (GCC 13.1) is named, and what the plugin
// needs at least is listed.
TEST_F(VersionStage, ANewerGlibcxxNeedNamesTheNewestThisSystemHasAndWhatThePluginNeeds) {
  fs::create_directory(dir_ / "stub");
  write("stub.c", "int newer_fn(void) { return 1; }\n");
  write("stub.map", "GLIBCXX_3.4.31 { global: newer_fn; local: *; };\n");
  write("needs.c",
        "int newer_fn(void);\nint dldoctor_case_answer(void) { return 41 + newer_fn(); }\n");
  cc({"-shared", "-fPIC", "-nostdlib", "-o", "stub/libstdc++.so.6", "stub.c",
      "-Wl,--version-script=stub.map", "-Wl,-soname,libstdc++.so.6"});
  cc({"-shared", "-fPIC", "-o", "needs.so", "needs.c", "-Lstub", "-l:libstdc++.so.6"});
  fs::remove_all(dir_ / "stub");
  const Report report = diagnose(LoadRequest((dir_ / "needs.so").string()));
  ASSERT_FALSE(report.findings.empty());
  const Finding& finding = report.findings.front();
  ASSERT_EQ(finding.code, "version.node-not-found");
  std::string evidence;
  for (const std::string& line : finding.evidence) evidence += line + "\n";
  EXPECT_NE(evidence.find("GLIBCXX_3.4.31 is libstdc++ of GCC 13.1.0"), std::string::npos)
      << evidence;
  EXPECT_NE(evidence.find("the plugin needs at least (the newest node of each series it needs): "
                          "GLIBCXX_3.4.31 (libstdc++ of GCC 13.1.0)"),
            std::string::npos)
      << evidence;
  EXPECT_NE(finding.fix.summary.find("-static-libstdc++"), std::string::npos);
}

// The seed's symbol conflict: a host linked -rdynamic defines log_init, and so does the plugin,
// which calls its own. The host really prints 41 (the host's log_init ran); dldoctor --host says
// why. A second library version beside the host's copy (libfoo.so.2 vs libfoo.so.1) likewise.
TEST_F(VersionStage, TheHostsDefinitionsWinOverThePluginsOwnAndOverASecondCopy) {
  write("ihost.c",
        "#include <dlfcn.h>\n#include <stdio.h>\nint log_init(void) { return 1; }\n"
        "int main(int argc, char** argv) { void* h = dlopen(argv[1], RTLD_NOW); if (!h) return 1; "
        "int (*f)(void) = (int (*)(void))dlsym(h, \"dldoctor_case_answer\"); "
        "printf(\"%d\\n\", f()); return 0; }\n");
  write("ip.c",
        "int log_init(void) { return 2; }\nint dldoctor_case_answer(void) { return 40 + "
        "log_init(); }\n");
  cc({"-rdynamic", "-o", "ihost", "ihost.c", "-ldl"});
  cc({"-shared", "-fPIC", "-o", "ip.so", "ip.c"});
  ProcessOptions options;
  options.cwd = dir_.string();
  options.unset_environment = {"LD_LIBRARY_PATH", "LD_PRELOAD"};
  EXPECT_EQ(run_process({"./ihost", "./ip.so"}, options).out, "41\n");
  LoadRequest request((dir_ / "ip.so").string());
  request.host = (dir_ / "ihost").string();
  const Report report = diagnose(request);
  ASSERT_EQ(report.findings.size(), 1u);
  EXPECT_EQ(report.findings[0].code, "version.interposed-symbol");
  EXPECT_EQ(report.findings[0].severity, Severity::Warning);
  EXPECT_NE(report.findings[0].summary.find("ip.so's own calls included"), std::string::npos)
      << report.findings[0].summary;
  // Without the host there is nothing to say: nothing precedes the plugin but libc.
  EXPECT_TRUE(diagnose(LoadRequest((dir_ / "ip.so").string())).findings.empty());
  // -Bsymbolic, one of the fixes: the plugin's calls bind inside it, and the host prints 42.
  cc({"-shared", "-fPIC", "-Wl,-Bsymbolic", "-o", "ip.so", "ip.c"});
  EXPECT_EQ(run_process({"./ihost", "./ip.so"}, options).out, "42\n");
  const Report fixed = diagnose(request);
  ASSERT_EQ(fixed.findings.size(), 1u)
      << "still defined twice, but no longer called through the PLT";
  EXPECT_EQ(fixed.findings[0].summary.find("own calls included"), std::string::npos);
}

// The symbolic link that "fixes" a SONAME bump: libz.so.2 -> a copy of the system's libz.so.1
// loads (the loader never compares the name with the DT_SONAME), and dldoctor warns.
TEST_F(VersionStage, AnotherMajorVersionUnderTheNeededNameIsASonameMismatch) {
  write("z2.c", "int zfn(void) { return 1; }\n");
  write("pz.c", "int zfn(void);\nint dldoctor_case_answer(void) { return 41 + zfn(); }\n");
  write("z1.c", "int zfn(void) { return 0; }\n");
  cc({"-shared", "-fPIC", "-o", "libz9.so.2", "z2.c", "-Wl,-soname,libz9.so.2"});
  cc({"-shared", "-fPIC", "-o", "pz.so", "pz.c", "./libz9.so.2",
      "-Wl,--enable-new-dtags,-rpath,$ORIGIN"});
  cc({"-shared", "-fPIC", "-o", "libz9.so.1", "z1.c", "-Wl,-soname,libz9.so.1"});
  fs::remove(dir_ / "libz9.so.2");
  fs::create_symlink("libz9.so.1", dir_ / "libz9.so.2");
  const Report report = diagnose(LoadRequest((dir_ / "pz.so").string()));
  EXPECT_TRUE(report.loads);
  ASSERT_EQ(report.findings.size(), 1u);
  EXPECT_EQ(report.findings[0].code, "version.soname-mismatch");
  EXPECT_NE(report.findings[0].summary.find("whose DT_SONAME is libz9.so.1"), std::string::npos)
      << report.findings[0].summary;
  // The right file under its own name: nothing to say.
  fs::remove(dir_ / "libz9.so.2");
  cc({"-shared", "-fPIC", "-o", "libz9.so.2", "z2.c", "-Wl,-soname,libz9.so.2"});
  EXPECT_TRUE(diagnose(LoadRequest((dir_ / "pz.so").string())).findings.empty());
}

// The node is there, the name is there, but not together: dep_fn is in DEP_1.0, DEP_2.0 has
// another function. check_match passes over the definition, and no other object has one.
TEST_F(VersionStage, ASymbolInAnotherVersionOfTheProviderIsAnUndefinedVersionedSymbol) {
  write("dep3.c", "int dep_fn(void) { return 2; }\nint other_fn(void) { return 3; }\n");
  write("v3.map",
        "DEP_1.0 { global: dep_fn; local: *; };\nDEP_2.0 { global: other_fn; } DEP_1.0;\n");
  cc({"-shared", "-fPIC", "-o", "libdep.so", "dep3.c", "-Wl,--version-script=v3.map",
      "-Wl,-soname,libdep.so"});
  const json report = check_and_load();
  ASSERT_FALSE(report["load"]["loaded"].get<bool>());
  const json* found = finding(report, "version.symbol-not-in-version");
  ASSERT_NE(found, nullptr) << report.dump(2);
  EXPECT_EQ(report["findings"].size(), 1u) << report.dump(2);
  const std::string loader = report["load"]["message"];
  EXPECT_EQ(loader, "./p.so: undefined symbol: dep_fn, version DEP_2.0");
  EXPECT_EQ((*found)["evidence"][0], "the loader: " + loader);
  EXPECT_NE((*found)["evidence"].dump().find("dep_fn@@DEP_1.0"), std::string::npos);
}

TEST_F(VersionStage, AProviderWithoutAnySymbolVersionsKillsTheProcessAndIsToldBefore) {
  cc({"-shared", "-fPIC", "-nostdlib", "-o", "libdep.so", "dep.c", "-Wl,-soname,libdep.so"});
  const json report = check_and_load();
  ASSERT_FALSE(report["load"]["loaded"].get<bool>());
  EXPECT_EQ(report["load"]["exit_status"], 127) << report.dump(2);
  EXPECT_FALSE(report["loads"].get<bool>());
  const json* found = finding(report, "version.unversioned-provider");
  ASSERT_NE(found, nullptr) << report.dump(2);
  EXPECT_NE((*found)["evidence"][0].get<std::string>().find("check_match: Assertion"),
            std::string::npos);
  // In this process: Library::open_checked refuses it before dlopen, so this test survives the
  // plugin that ld.so would have killed it for.
  Result<Library> library = Library::open_checked((dir_ / "p.so").string());
  ASSERT_FALSE(library.ok());
  ASSERT_FALSE(library.report().findings.empty());
  EXPECT_EQ(library.report().findings.front().code, "version.unversioned-provider");
  EXPECT_FALSE(library.report().loads);
}

TEST_F(VersionStage, AProviderWithoutDefinitionsButWithGnuVersionLoadsWithAWarning) {
  cc({"-shared", "-fPIC", "-o", "libdep.so", "dep_libc.c", "-Wl,-soname,libdep.so"});
  const json report = check_and_load();
  EXPECT_TRUE(report["load"]["loaded"].get<bool>()) << report.dump(2);
  const json* found = finding(report, "version.no-version-information");
  ASSERT_NE(found, nullptr) << report.dump(2);
  EXPECT_EQ((*found)["severity"], "warning");
  // What ldd prints for it, the one place the loader says anything.
  ProcessOptions options;
  options.cwd = dir_.string();
  options.unset_environment = {"LD_LIBRARY_PATH"};
  const ProcessResult listed =
      run_process({"/lib64/ld-linux-x86-64.so.2", "--list", "./p.so"}, options);
  const std::string said = listed.out + listed.err;
  const std::string evidence = (*found)["evidence"][0];
  const std::string quoted = evidence.substr(evidence.find(": ") + 2);
  EXPECT_NE(said.find(quoted), std::string::npos) << said << "\n" << quoted;
}

}  // namespace
}  // namespace dldoctor
