// The case runner: one program, three steps, driven by a case's case.json.
//   reproduces  the broken variant, loaded by the real loader (try_load, in a child process),
//               fails with the manifest's message, or shows the stated wrong behaviour;
//   diagnoses   `dldoctor check --json` names the manifest's family, code and evidence for the
//               broken variant, and finds no error in the fixed one;
//   fixed       the fixed variant loads and its symbol returns the expected value; where the
//               manifest says so, dldoctor's own fix commands, applied to a copy of the broken
//               artifact, produce a library that loads.
// Usage: case_runner --manifest case.json --dir BUILD_DIR --step STEP --try-load T --dldoctor D
// Exit status 77 (Meson's "skipped") when an artifact could not be built on this machine.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "process.hpp"

namespace fs = std::filesystem;
using dldoctor::testing::ProcessOptions;
using dldoctor::testing::ProcessResult;
using dldoctor::testing::run_process;
using nlohmann::json;

namespace {

struct Settings {
  fs::path manifest_path;
  fs::path dir;
  std::string step;
  std::string try_load;
  std::string dldoctor;
  json manifest;
};

Settings& settings() {
  static Settings instance;
  return instance;
}

// What every case test runs with: no inherited library path, the C locale (the loader's
// messages are translated otherwise), no colour.
ProcessOptions case_environment(const fs::path& cwd) {
  ProcessOptions options;
  options.cwd = cwd.string();
  options.set_environment = {{"LC_ALL", "C"}, {"NO_COLOR", "1"}};
  options.unset_environment = {"LD_LIBRARY_PATH", "LD_PRELOAD", "LD_DEBUG"};
  return options;
}

std::string host_symbol() {
  return settings().manifest["host"].value("symbol", "dldoctor_case_answer");
}
std::string host_mode() { return settings().manifest["host"].value("mode", "now"); }

ProcessResult try_load(const fs::path& cwd, const std::string& path) {
  return run_process({settings().try_load, path, host_symbol(), host_mode()},
                     case_environment(cwd));
}

std::string resolve_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string directories = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= directories.size()) {
    const std::size_t end = directories.find(':', start);
    const std::string dir =
        directories.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return name;
}

json check_json(const fs::path& cwd, const std::string& path, ProcessResult& result) {
  result = run_process({settings().dldoctor, "check", "--json", path}, case_environment(cwd));
  try {
    return json::parse(result.out);
  } catch (const json::exception& error) {
    ADD_FAILURE() << "dldoctor check --json " << path << " printed no JSON (" << error.what()
                  << "):\n"
                  << result.out << result.err;
    return json::object();
  }
}

// ---- reproduces ----

void reproduce(const json& variant) {
  const std::string path = variant["path"];
  SCOPED_TRACE("broken variant " + path);
  if (variant.value("file_exists", false)) {
    ASSERT_TRUE(fs::exists(settings().dir / path))
        << path << " must exist: the point of this case is a message about a file that is there";
  }
  const ProcessResult result = try_load(settings().dir, path);
  if (variant.value("loads", false)) {
    // A case whose broken variant loads: the wrong behaviour is in the file, shown by a tool.
    ASSERT_EQ(result.exit_status, 0) << result.describe() << "\n" << result.out << result.err;
    EXPECT_NE(result.out.find("() = " + std::to_string(variant["value"].get<int>())),
              std::string::npos)
        << result.out;
    const json& confirm = variant["confirm"];
    std::vector<std::string> argv = confirm["command"];
    argv[0] = resolve_program(argv[0]);
    const ProcessResult tool = run_process(argv, case_environment(settings().dir));
    EXPECT_EQ(tool.exit_status, 0) << tool.describe() << tool.err;
    EXPECT_TRUE(std::regex_search(tool.out, std::regex(confirm["output"].get<std::string>())))
        << confirm["command"].dump() << " printed:\n"
        << tool.out;
    return;
  }
  ASSERT_EQ(result.exit_status, 1)
      << "try_load should fail in dlopen, but: " << result.describe() << "\n"
      << result.out << result.err;
  const std::string prefix = "dlopen failed: ";
  ASSERT_EQ(result.out.rfind(prefix, 0), 0u) << result.out;
  std::string message = result.out.substr(prefix.size());
  message = message.substr(0, message.find('\n'));
  const std::string expected = variant["message"];
  EXPECT_TRUE(std::regex_search(message, std::regex(expected)))
      << "the loader said:  " << message << "\nthe case expects: " << expected;
}

// ---- diagnoses ----

void diagnose_broken(const json& variant) {
  const std::string path = variant["path"];
  SCOPED_TRACE("broken variant " + path);
  const std::string severity = variant.value("severity", "error");
  ProcessResult result;
  const json report = check_json(settings().dir, path, result);
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(result.exit_status, severity == "error" ? 1 : 0) << result.describe();
  EXPECT_EQ(report.value("loads", true), severity != "error");
  const json* match = nullptr;
  for (const json& finding : report["findings"])
    if (finding["code"] == variant["code"]) match = &finding;
  ASSERT_NE(match, nullptr) << "no finding with code " << variant["code"] << " in\n"
                            << report.dump(2);
  EXPECT_EQ((*match)["family"], settings().manifest["family"]);
  EXPECT_EQ((*match)["severity"], severity);
  const std::string evidence = variant["evidence"];
  bool found = false;
  for (const json& line : (*match)["evidence"])
    found = found || line.get<std::string>().find(evidence) != std::string::npos;
  EXPECT_TRUE(found) << "no evidence line contains \"" << evidence << "\" in\n"
                     << (*match)["evidence"].dump(2);
  EXPECT_FALSE((*match)["fix"]["summary"].get<std::string>().empty());

  // The text form, for people, says the same.
  const ProcessResult text =
      run_process({settings().dldoctor, "check", path}, case_environment(settings().dir));
  EXPECT_NE(text.out.find(variant["code"].get<std::string>()), std::string::npos) << text.out;
  EXPECT_NE(text.out.find((*match)["summary"].get<std::string>()), std::string::npos) << text.out;
}

void diagnose_fixed(const json& fixed) {
  const std::string path = fixed["path"];
  SCOPED_TRACE("fixed variant " + path);
  ProcessResult result;
  const json report = check_json(settings().dir, path, result);
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(result.exit_status, 0) << result.describe() << "\n" << report.dump(2);
  EXPECT_EQ(report.value("loads", false), true);
  EXPECT_TRUE(report["findings"].empty()) << report.dump(2);
}

// ---- fixed ----

void load_fixed(const json& fixed) {
  const std::string path = fixed["path"];
  const ProcessResult result = try_load(settings().dir, path);
  ASSERT_EQ(result.exit_status, 0) << result.describe() << "\n" << result.out << result.err;
  EXPECT_NE(result.out.find("() = " + std::to_string(fixed["value"].get<int>())), std::string::npos)
      << result.out;
}

void apply_dldoctor_fix(const json& apply, int value) {
  const fs::path broken = settings().dir / apply["broken"].get<std::string>();
  char pattern[] = "/tmp/dldoctor-fix-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const fs::path work = pattern;
  const std::string copy = "./" + broken.filename().string();
  fs::copy_file(broken, work / copy);

  ProcessResult result;
  const json report = check_json(work, copy, result);
  ASSERT_TRUE(report.is_object() && !report["findings"].empty()) << report.dump(2);
  const json& commands = report["findings"][0]["fix"]["commands"];
  ASSERT_FALSE(commands.empty()) << "dldoctor gave no fix command to apply";
  for (const json& command : commands) {
    const ProcessResult ran =
        run_process({"/bin/sh", "-c", command.get<std::string>()}, case_environment(work));
    ASSERT_EQ(ran.exit_status, 0) << "dldoctor's fix command failed: " << command << "\n"
                                  << ran.out << ran.err;
  }
  const ProcessResult loaded = try_load(work, "./" + apply["produces"].get<std::string>());
  EXPECT_EQ(loaded.exit_status, 0) << loaded.describe() << "\n" << loaded.out;
  EXPECT_NE(loaded.out.find("() = " + std::to_string(value)), std::string::npos) << loaded.out;
  fs::remove_all(work);
}

void register_tests() {
  const json& manifest = settings().manifest;
  const std::string step = settings().step;
  const std::string suite = manifest["id"].get<std::string>();
  auto add = [&](const std::string& name, std::function<void()> body) {
    ::testing::RegisterTest(suite.c_str(), name.c_str(), nullptr, nullptr, __FILE__, __LINE__,
                            [body]() -> ::testing::Test* {
                              struct Body : ::testing::Test {
                                explicit Body(std::function<void()> f) : f_(std::move(f)) {}
                                void TestBody() override { f_(); }
                                std::function<void()> f_;
                              };
                              return new Body(body);
                            });
  };
  for (const json& variant : manifest["broken"]) {
    const std::string path = variant["path"];
    if (step == "reproduces") add("reproduces:" + path, [variant] { reproduce(variant); });
    if (step == "diagnoses") add("diagnoses:" + path, [variant] { diagnose_broken(variant); });
  }
  const json& fixed = manifest["fixed"];
  if (step == "diagnoses")
    add("diagnoses:" + fixed["path"].get<std::string>(), [fixed] { diagnose_fixed(fixed); });
  if (step == "fixed") {
    add("loads:" + fixed["path"].get<std::string>(), [fixed] { load_fixed(fixed); });
    if (manifest.contains("apply_fix")) {
      const json apply = manifest["apply_fix"];
      const int value = fixed["value"];
      add("applies-dldoctor-fix:" + apply["broken"].get<std::string>(),
          [apply, value] { apply_dldoctor_fix(apply, value); });
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  Settings& s = settings();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--manifest")
      s.manifest_path = value;
    else if (flag == "--dir")
      s.dir = value;
    else if (flag == "--step")
      s.step = value;
    else if (flag == "--try-load")
      s.try_load = value;
    else if (flag == "--dldoctor")
      s.dldoctor = value;
  }
  // Meson passes build targets relative to the build directory; children run elsewhere.
  s.try_load = fs::absolute(s.try_load).string();
  s.dldoctor = fs::absolute(s.dldoctor).string();
  s.dir = fs::absolute(s.dir);
  if (s.step != "reproduces" && s.step != "diagnoses" && s.step != "fixed") {
    std::cerr << "case_runner: --step must be reproduces, diagnoses or fixed\n";
    return 2;
  }
  std::ifstream in(s.manifest_path);
  try {
    s.manifest = json::parse(in);
  } catch (const json::exception& error) {
    std::cerr << "case_runner: cannot read " << s.manifest_path << ": " << error.what() << "\n";
    return 2;
  }
  // An artifact this machine could not build (no clang or lld) skips the case, loudly.
  std::vector<std::string> paths;
  for (const auto& variant : s.manifest["broken"]) paths.push_back(variant["path"]);
  paths.push_back(s.manifest["fixed"]["path"]);
  for (const std::string& path : paths) {
    std::error_code error;
    if (!fs::exists(s.dir / path, error)) {
      std::cout << "SKIP " << s.manifest["id"].get<std::string>() << ": " << path
                << " was not built on this machine (the foreign-target cases need clang++ and "
                   "ld.lld; scripts/setup installs them)\n";
      return 77;
    }
  }
  register_tests();
  return RUN_ALL_TESTS();
}
