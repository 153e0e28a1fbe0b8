// The plugin API a plugin declares (<dldoctor/plugin.h>) and the range a host accepts: the
// range grammar, the note as compilers really emit it (C, C++, stripped, clang), hostile notes,
// and the host's refusal before dlopen (Library::open_checked, dldoctor check --api).
#include "dldoctor/plugin_api.hpp"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dldoctor/diagnose.hpp"
#include "dldoctor/elf.hpp"
#include "dldoctor/library.hpp"
#include "process.hpp"

namespace fs = std::filesystem;
using dldoctor::testing::ProcessOptions;
using dldoctor::testing::ProcessResult;
using dldoctor::testing::run_process;
using nlohmann::json;

namespace dldoctor {
namespace {

ApiRange range_of(const std::string& text) {
  auto parsed = parse_api_range(text);
  if (const auto* error = std::get_if<ApiRangeError>(&parsed)) {
    ADD_FAILURE() << text << ": " << error->message;
    return {};
  }
  return std::get<ApiRange>(parsed);
}

ApiRangeError error_of(const std::string& text) {
  auto parsed = parse_api_range(text);
  if (const auto* error = std::get_if<ApiRangeError>(&parsed)) return *error;
  ADD_FAILURE() << text << " parsed";
  return {};
}

TEST(ApiRange, ABoundWithoutAMinorComparesTheMajorOnly) {
  const ApiRange two = range_of("org.example.greeter=2..2");
  EXPECT_EQ(two.name, "org.example.greeter");
  EXPECT_TRUE(two.accepts(2, 0));
  EXPECT_TRUE(two.accepts(2, 99));
  EXPECT_FALSE(two.accepts(1, 99));
  EXPECT_FALSE(two.accepts(3, 0));
  EXPECT_EQ(describe_accepted(two), "2.0 through 2.x");
  const ApiRange from_minor = range_of("g=2.1..3");
  EXPECT_FALSE(from_minor.accepts(2, 0));
  EXPECT_TRUE(from_minor.accepts(2, 1));
  EXPECT_TRUE(from_minor.accepts(3, 7));
  EXPECT_FALSE(from_minor.accepts(4, 0));
}

TEST(ApiRange, OneVersionIsItselfAndAnOpenRangeHasNoTop) {
  const ApiRange exact = range_of("g=2.1");
  EXPECT_TRUE(exact.accepts(2, 1));
  EXPECT_FALSE(exact.accepts(2, 2));
  EXPECT_EQ(describe_accepted(exact), "exactly 2.1");
  const ApiRange open = range_of("g=1.4..");
  EXPECT_FALSE(open.accepts(1, 3));
  EXPECT_TRUE(open.accepts(1, 4));
  EXPECT_TRUE(open.accepts(900, 0));
  EXPECT_EQ(describe_accepted(open), "1.4 or later");
}

TEST(ApiRange, GrammarErrorsSayWhatWasExpectedAndWhere) {
  EXPECT_EQ(error_of("greeter").column, 7u);
  EXPECT_EQ(error_of("=1").column, 0u);
  const ApiRangeError no_minor = error_of("g=1.");
  EXPECT_EQ(no_minor.column, 4u);
  EXPECT_NE(no_minor.message.find("minor"), std::string::npos) << no_minor.message;
  EXPECT_EQ(error_of("g=1..x").column, 5u);
  EXPECT_EQ(error_of("g=1-2").column, 3u);
  EXPECT_NE(error_of("g=3..2").message.find("below"), std::string::npos);
  EXPECT_EQ(error_of("g x=1").column, 1u);
  EXPECT_EQ(error_of("g=99999999999").column, 2u);  // past uint32
}

struct DeclaredApiView {
  std::string name;
  std::uint32_t major, minor;
  bool operator==(const DeclaredApiView&) const = default;
  friend std::ostream& operator<<(std::ostream& out, const DeclaredApiView& api) {
    return out << api.name << " " << api.major << "." << api.minor;
  }
};

class PluginNote : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/dldoctor-plugin-api-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  // A plugin that declares NAME MAJOR.MINOR, compiled by compiler (cc, c++, clang) as C or C++.
  std::string plugin(const std::string& file, const std::string& name, int major, int minor,
                     std::vector<std::string> compiler = {DLDOCTOR_CC}) {
    write(file + ".c", "#include <dldoctor/plugin.h>\nDLDOCTOR_PLUGIN_API(\"" + name + "\", " +
                           std::to_string(major) + ", " + std::to_string(minor) +
                           ");\nint dldoctor_case_answer(void) { return 42; }\n");
    compiler.insert(compiler.end(),
                    {"-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-Wl,--gc-sections",
                     "-I" DLDOCTOR_INCLUDE_DIR, "-o", file + ".so", file + ".c"});
    run(compiler);
    return (dir_ / (file + ".so")).string();
  }
  void run(const std::vector<std::string>& argv) {
    ProcessOptions options;
    options.cwd = dir_.string();
    const ProcessResult result = run_process(argv, options);
    ASSERT_EQ(result.exit_status, 0) << argv.front() << ": " << result.err;
  }
  static std::vector<DeclaredApiView> apis_of(const std::string& path);
  fs::path dir_;
};

std::vector<DeclaredApiView> PluginNote::apis_of(const std::string& path) {
  elf::ReadOutcome outcome = elf::read_image(path);
  const auto* image = std::get_if<elf::Image>(&outcome);
  if (image == nullptr) {
    ADD_FAILURE() << path << ": " << std::get<elf::ReadError>(outcome).message;
    return {};
  }
  std::vector<DeclaredApiView> apis;
  for (const elf::DeclaredApi& api : image->declared_apis)
    apis.push_back({api.name, api.major, api.minor});
  return apis;
}

TEST_F(PluginNote, TheNoteIsReadFromCAndCxxBuildsAndFromAStrippedFile) {
  const std::vector<DeclaredApiView> expected{{"org.example.greeter", 2, 1}};
  EXPECT_EQ(apis_of(plugin("c", "org.example.greeter", 2, 1)), expected);
  EXPECT_EQ(apis_of(plugin("cxx", "org.example.greeter", 2, 1, {DLDOCTOR_CC, "-x", "c++"})),
            expected);
  run({"/usr/bin/strip", "--strip-all", "-o", "stripped.so", "c.so"});
  EXPECT_EQ(apis_of((dir_ / "stripped.so").string()), expected);
  // No section header table at all (e_shoff, e_shnum and e_shstrndx zero, as sstrip leaves a
  // file, which still loads): the note is found through the program headers, as a PT_NOTE.
  fs::copy_file(dir_ / "stripped.so", dir_ / "no-sections.so");
  {
    std::fstream file(dir_ / "no-sections.so", std::ios::in | std::ios::out | std::ios::binary);
    const char zeros[8] = {};
    file.seekp(0x28);  // Elf64_Ehdr.e_shoff
    file.write(zeros, 8);
    file.seekp(0x3c);  // e_shnum, e_shstrndx
    file.write(zeros, 4);
  }
  EXPECT_EQ(apis_of((dir_ / "no-sections.so").string()), expected);
  if (::access("/usr/bin/clang", X_OK) == 0) {
    EXPECT_EQ(apis_of(plugin("clang", "org.example.greeter", 2, 1, {"/usr/bin/clang"})), expected);
  }
}

TEST_F(PluginNote, HostileNotesAreWarningsAndNothingIsDeclared) {
  // Hand-made notes of owner dldoctor: an unknown format, a description too short for its fields,
  // a name without its NUL; and a note of another owner with the same type, which is not ours.
  write("bad.c",
        "#include <stdint.h>\n"
        "#define NOTE(id, type, size, ...) __attribute__((section(\".note.dldoctor\"), used, "
        "aligned(4))) static const struct { uint32_t n, d, t; char o[12]; unsigned char "
        "desc[size]; } id = {9, size, type, \"dldoctor\", {__VA_ARGS__}}\n"
        "NOTE(format2, 0x4c440001, 16, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 'x', 0, 0, 0);\n"
        "NOTE(short_desc, 0x4c440001, 8, 1, 0, 0, 0, 1, 0, 0, 0);\n"
        "NOTE(no_nul, 0x4c440001, 16, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c', 'd');\n"
        "__attribute__((section(\".note.other\"), used, aligned(4))) static const struct { "
        "uint32_t n, d, t; char o[8]; unsigned char desc[16]; } other = {6, 16, 0x4c440001, "
        "\"other\", {1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 'x', 0, 0, 0}};\n"
        "int f(void) { return 0; }\n");
  run({DLDOCTOR_CC, "-shared", "-fPIC", "-o", "bad.so", "bad.c"});
  elf::ReadOutcome outcome = elf::read_image((dir_ / "bad.so").string());
  const auto& image = std::get<elf::Image>(outcome);
  EXPECT_TRUE(image.declared_apis.empty());
  std::string warnings;
  for (const elf::Warning& warning : image.warnings) warnings += warning.message + "\n";
  EXPECT_NE(warnings.find("has format 2"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("shorter than its fields"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("no NUL-terminated API name"), std::string::npos) << warnings;
}

TEST_F(PluginNote, AnotherVersionIsRefusedBeforeDlopenAndAnAcceptedOneOpens) {
  const std::string old_plugin = plugin("old", "org.example.greeter", 1, 3);
  const std::string new_plugin = plugin("new", "org.example.greeter", 2, 0);
  LoadRequest request(old_plugin);
  request.apis.push_back(range_of("org.example.greeter=2..2"));
  Result<Library> refused = Library::open_checked(request);
  ASSERT_FALSE(refused.ok());
  ASSERT_EQ(refused.report().findings.size(), 1u);
  const Finding& finding = refused.report().findings.front();
  EXPECT_EQ(finding.code, "version.api-mismatch");
  EXPECT_NE(finding.summary.find("built for org.example.greeter 1.3"), std::string::npos)
      << finding.summary;
  EXPECT_NE(finding.summary.find("accepts org.example.greeter 2.0 through 2.x"), std::string::npos)
      << finding.summary;
  // Refused before dlopen: the file was never mapped into this process.
  EXPECT_EQ(::dlopen(old_plugin.c_str(), RTLD_NOW | RTLD_NOLOAD), nullptr);

  request.path = new_plugin;
  Result<Library> opened = Library::open_checked(request);
  ASSERT_TRUE(opened.ok()) << opened.report().findings.front().summary;
  auto answer = opened->lookup<int()>("dldoctor_case_answer");
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer.value()(), 42);

  // Without any range, the note is not asked for: the old plugin opens.
  EXPECT_TRUE(Library::open_checked(old_plugin).ok());
}

TEST_F(PluginNote, APluginThatDeclaresNoneOrAnotherApiIsUndeclared) {
  write("plain.c", "int dldoctor_case_answer(void) { return 42; }\n");
  run({DLDOCTOR_CC, "-shared", "-fPIC", "-o", "plain.so", "plain.c"});
  LoadRequest request((dir_ / "plain.so").string());
  request.apis.push_back(range_of("org.example.greeter=2"));
  Report report = diagnose(request);
  ASSERT_EQ(report.findings.size(), 1u);
  EXPECT_EQ(report.findings[0].code, "version.api-undeclared");
  EXPECT_NE(
      report.findings[0].fix.summary.find("DLDOCTOR_PLUGIN_API(\"org.example.greeter\", 2, 0)"),
      std::string::npos)
      << report.findings[0].fix.summary;
  request.path = plugin("other", "org.example.painter", 2, 0);
  report = diagnose(request);
  ASSERT_EQ(report.findings.size(), 1u);
  EXPECT_EQ(report.findings[0].code, "version.api-undeclared");
  EXPECT_NE(report.findings[0].summary.find("declares another plugin API"), std::string::npos);
  // Two APIs asked, the plugin has one of them: one finding, for the other.
  request.apis.push_back(range_of("org.example.painter=2"));
  report = diagnose(request);
  ASSERT_EQ(report.findings.size(), 1u);
  EXPECT_NE(report.findings[0].summary.find("not org.example.greeter"), std::string::npos);
}

TEST_F(PluginNote, TheCommandRefusesWithExitOneAndAGrammarErrorIsExitTwo) {
  const std::string old_plugin = plugin("old", "org.example.greeter", 1, 0);
  ProcessOptions options;
  options.cwd = dir_.string();
  const ProcessResult refused = run_process(
      {DLDOCTOR_EXE, "check", "--json", old_plugin, "--api", "org.example.greeter=2.0..2"},
      options);
  EXPECT_EQ(refused.exit_status, 1) << refused.err;
  const json report = json::parse(refused.out);
  EXPECT_EQ(report["loads"], false);
  ASSERT_EQ(report["findings"].size(), 1u) << refused.out;
  EXPECT_EQ(report["findings"][0]["code"], "version.api-mismatch");
  const ProcessResult accepted =
      run_process({DLDOCTOR_EXE, "check", old_plugin, "--api", "org.example.greeter=1"}, options);
  EXPECT_EQ(accepted.exit_status, 0) << accepted.out;
  const ProcessResult bad =
      run_process({DLDOCTOR_EXE, "check", old_plugin, "--api", "org.example.greeter=2.x"}, options);
  EXPECT_EQ(bad.exit_status, 2);
  EXPECT_NE(bad.err.find("expected a minor version after '.' (a number) (at column 23)"),
            std::string::npos)
      << bad.err;
}

}  // namespace
}  // namespace dldoctor
