// A diagnosis of this very process's next dlopen (LoadRequest::this_process, what
// Library::open_checked runs): the process's own global scope, asked of its loader, decides
// where the new plugin's references bind. Each test loads a library RTLD_GLOBAL into this test
// process, as a host that loaded one before would have, and the real call afterwards is the
// oracle: the plugin really gets the other definition's answer.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "dldoctor/diagnose.hpp"
#include "dldoctor/library.hpp"
#include "process.hpp"

namespace fs = std::filesystem;
using dldoctor::testing::ProcessOptions;
using dldoctor::testing::ProcessResult;
using dldoctor::testing::run_process;

namespace dldoctor {
namespace {

class ProcessScope : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/dldoctor-process-scope-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    for (void* handle : handles_) ::dlclose(handle);
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
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // What a host that loaded a library before the plugin did: RTLD_GLOBAL, in the global scope.
  void load_global(const std::string& name) {
    void* handle = ::dlopen(path(name).c_str(), RTLD_NOW | RTLD_GLOBAL);
    ASSERT_NE(handle, nullptr) << ::dlerror();
    handles_.push_back(handle);
  }
  static Report diagnose_here(const std::string& plugin) {
    LoadRequest request(plugin);
    request.this_process = true;
    return diagnose(request);
  }
  static const Finding* finding(const Report& report, const std::string& code) {
    for (const Finding& entry : report.findings)
      if (entry.code == code) return &entry;
    return nullptr;
  }
  // The plugin's answer, from a real load and call (the test's oracle).
  int answer_of(const std::string& plugin) {
    void* handle = ::dlopen(path(plugin).c_str(), RTLD_NOW | RTLD_LOCAL);
    EXPECT_NE(handle, nullptr) << ::dlerror();
    if (handle == nullptr) return -1;
    handles_.push_back(handle);
    auto* answer = reinterpret_cast<int (*)()>(::dlsym(handle, "dldoctor_case_answer"));
    return answer != nullptr ? answer() : -1;
  }
  fs::path dir_;
  std::vector<void*> handles_;
};

TEST_F(ProcessScope, ANameThisProcessLoadedGloballyPreemptsThePluginsOwn) {
  write("pre.c", "int dldoctor_log_init(void) { return 1; }\n");
  write("ip.c",
        "int dldoctor_log_init(void) { return 2; }\n"
        "int dldoctor_case_answer(void) { return 40 + dldoctor_log_init(); }\n");
  cc({"-shared", "-fPIC", "-o", "libpre.so", "pre.c"});
  cc({"-shared", "-fPIC", "-o", "ip.so", "ip.c"});
  EXPECT_EQ(finding(diagnose_here(path("ip.so")), "version.interposed-symbol"), nullptr)
      << "nothing in this process defines dldoctor_log_init yet";
  load_global("libpre.so");
  const Report report = diagnose_here(path("ip.so"));
  const Finding* interposed = finding(report, "version.interposed-symbol");
  ASSERT_NE(interposed, nullptr);
  EXPECT_EQ(interposed->severity, Severity::Warning);
  EXPECT_NE(interposed->summary.find("libpre.so"), std::string::npos) << interposed->summary;
  EXPECT_NE(interposed->summary.find("ip.so's own calls included"), std::string::npos)
      << interposed->summary;
  ASSERT_FALSE(interposed->evidence.empty());
  EXPECT_NE(interposed->evidence[0].find(path("libpre.so") + " exports dldoctor_log_init"),
            std::string::npos)
      << interposed->evidence[0];
  EXPECT_EQ(answer_of("ip.so"), 41);  // the loader did bind ip.so's own call to libpre.so's
}

TEST_F(ProcessScope, ALibraryThePluginBringsInAnotherVersionOfOneLoadedIsASecondCopy) {
  write("foo1.c", "int dldoctor_foo(void) { return 1; }\n");
  write("foo2.c", "int dldoctor_foo(void) { return 2; }\n");
  write("p.c",
        "int dldoctor_foo(void);\nint dldoctor_case_answer(void) { return 40 + dldoctor_foo(); "
        "}\n");
  cc({"-shared", "-fPIC", "-o", "libfoo.so.1", "foo1.c", "-Wl,-soname,libfoo.so.1"});
  cc({"-shared", "-fPIC", "-o", "libfoo.so.2", "foo2.c", "-Wl,-soname,libfoo.so.2"});
  cc({"-shared", "-fPIC", "-o", "p.so", "p.c", "-L.", "-l:libfoo.so.2",
      "-Wl,--enable-new-dtags,-rpath,$ORIGIN"});
  EXPECT_EQ(finding(diagnose_here(path("p.so")), "version.two-copies"), nullptr);
  load_global("libfoo.so.1");
  const Report report = diagnose_here(path("p.so"));
  const Finding* copies = finding(report, "version.two-copies");
  ASSERT_NE(copies, nullptr);
  EXPECT_NE(copies->summary.find("libfoo.so.2 (libfoo.so.2) and libfoo.so.1 (libfoo.so.1"),
            std::string::npos)
      << copies->summary;
  EXPECT_EQ(answer_of("p.so"), 41);
}

TEST_F(ProcessScope, AnUndefinedSymbolThisProcessDefinesGloballyIsNoReasonToRefuse) {
  write("service.c", "int dldoctor_host_service(void) { return 2; }\n");
  write("needs.c",
        "int dldoctor_host_service(void);\n"
        "int dldoctor_case_answer(void) { return 40 + dldoctor_host_service(); }\n");
  cc({"-shared", "-fPIC", "-o", "libservice.so", "service.c"});
  cc({"-shared", "-fPIC", "-o", "needs.so", "needs.c"});
  // Nothing in this process defines it yet: refused before dlopen, as the loader would refuse it,
  // naming the library beside the plugin that does define it, outside its scope.
  Result<Library> refused = Library::open_checked(path("needs.so"));
  ASSERT_FALSE(refused.ok());
  const Finding* outside = finding(refused.report(), "symbol.rtld-local-scope");
  ASSERT_NE(outside, nullptr) << refused.report().findings.front().code;
  EXPECT_NE(outside->summary.find("libservice.so"), std::string::npos) << outside->summary;
  EXPECT_EQ(::dlopen(path("needs.so").c_str(), RTLD_NOW | RTLD_NOLOAD), nullptr);
  // Once this process has it in its global scope, dlopen would bind it there, and so opens.
  load_global("libservice.so");
  Result<Library> opened = Library::open_checked(path("needs.so"));
  ASSERT_TRUE(opened.ok()) << opened.report().findings.front().summary;
  auto answer = opened->lookup<int()>("dldoctor_case_answer");
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer.value()(), 42);
  // A diagnosis of the file alone (no host) cannot know what this process has loaded.
  EXPECT_NE(finding(diagnose(LoadRequest(path("needs.so"))), "symbol.rtld-local-scope"), nullptr);
}

}  // namespace
}  // namespace dldoctor
