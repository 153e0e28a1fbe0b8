// The case runner: one program, three steps, driven by a case's case.json.
//   reproduces  the broken variant, loaded by the real loader (try_load, in a child process),
//               fails with the manifest's message, or shows the stated wrong behaviour;
//   diagnoses   `dldoctor check --json` names the manifest's family, code and evidence for the
//               broken variant, and finds no error in the fixed one;
//   fixed       the fixed variant loads and its symbol returns the expected value; and
//               dldoctor's own fix commands, applied to a copy of the broken artifact, produce a
//               library that loads and that dldoctor checks again without the finding it fixed.
// Every manifest says how its fix is applied, in "apply_fix":
//   {"broken": PATH, "copy": [FILES], "produces": PATH}  dldoctor's fix commands are run on
//       copies of FILES (default: the broken path) in a fresh directory; PATH is what they
//       produce (default: the broken path);
//   {"not_a_command": "why"}  the fix is no command dldoctor can give (a rebuild with other flags,
//       a change in the source or in the host); the runner prints why.
// A host that does more than one open (the reload cases) reports every step on standard output,
// the last line being what try_load prints; a variant (broken or fixed) then says:
//   "lines": [REGEX, ...]  the host's standard output, line by line: as many lines as regular
//       expressions, each line matched by its own; a "loads": true variant whose wrong
//       behaviour is in these lines needs no "confirm" tool;
//   "run_in_copy": [FILES]  the host runs in a fresh directory holding copies of these files of
//       the case (and of the host): a host that renames files over others leaves the case's own
//       as built, for the other steps (which may run at the same time) and for the next run.
// The message of a failed open or look-up ("dlopen failed: ...") is the last line of standard
// output.
// A hot-reload case's host (its own "exe") loads build 1, has it replaced and reloads; its variants
// say what it must print and how it ends, instead of "value" or "message":
//   "output": [REGEX...]  lines of the host's standard output that must come, in this order (in
//       reproduces for a broken variant, in fixed for the fixed one);
//   "signal": N           the host must be killed by signal N after them (else it must exit 0);
//   "{scratch}"           in any string of the variant: a fresh directory per run, removed after
//       it (the live path a host loads from and replaces, never in the build tree);
//   "check_path"          the file dldoctor checks, when it is not the variant's "path";
//   "diagnose_while_running": {"host_args": [ARGS]}  diagnoses runs the host with ARGS added, as
//       it prints "ready" and waits for its standard input to close (the moment after the
//       replacement, before the reload); dldoctor checks then, "{pid}" in a string being the
//       host's process id; then the host is released and must end as "output"/"signal" say;
//   "label": TEXT         a second broken variant of the same file names its tests apart;
//   "diagnose_with": "run" (the manifest's)  diagnoses (and the fix's check) run the host under
//       `dldoctor run --json` rather than `dldoctor check`: the first failed dlopen's report, the
//       recorded search agreeing with dldoctor's model of it;
//   "accepted_warnings": [CODE...]  on a fixed variant: warnings of these codes may remain (a
//       plugin that starts threads is warned about even when its host stops them before dlclose;
//       no file says what the host does). Any other finding still fails.
// Usage: case_runner --manifest case.json --dir BUILD_DIR --step STEP --try-load T --dldoctor D
// Exit status 77 (Meson's "skipped") when an artifact could not be built on this machine.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>

#include "process.hpp"

namespace fs = std::filesystem;
using dldoctor::testing::ProcessOptions;
using dldoctor::testing::ProcessResult;
using dldoctor::testing::run_process;
using dldoctor::testing::RunningProcess;
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

// "{dir}" in a manifest value is the case's build directory.
std::string expand_case_dir(std::string text, const fs::path& dir) {
  for (std::size_t at; (at = text.find("{dir}")) != std::string::npos;)
    text.replace(at, 5, dir.string());
  return text;
}

// What every case test runs with: no inherited library path, the C locale (the loader's
// messages are translated otherwise), no colour; then the case's own environment ("env" of the
// variant, or of the host), e.g. an LD_LIBRARY_PATH that shadows a library.
ProcessOptions case_environment(const fs::path& cwd, const json* variant = nullptr,
                                const fs::path& dir = settings().dir) {
  ProcessOptions options;
  options.cwd = cwd.string();
  options.set_environment = {{"LC_ALL", "C"}, {"NO_COLOR", "1"}};
  options.unset_environment = {"LD_LIBRARY_PATH", "LD_PRELOAD", "LD_DEBUG"};
  const json& host = settings().manifest["host"];
  const json* environment = variant != nullptr && variant->contains("env") ? &(*variant)["env"]
                            : host.contains("env")                         ? &host["env"]
                                                                           : nullptr;
  if (environment != nullptr)
    for (const auto& [name, value] : environment->items())
      options.set_environment[name] = expand_case_dir(value.get<std::string>(), dir);
  return options;
}

std::string host_symbol() {
  return settings().manifest["host"].value("symbol", "dldoctor_case_answer");
}
std::string host_mode() { return settings().manifest["host"].value("mode", "now"); }

// ---- The user the host runs as (the missing-permission cases) ----
// Root bypasses permission bits, so "host": {"uid": U, "gid": G} says who the host runs as: when
// the tests run as root, every child that loads drops to U:G, and dldoctor checks for that user
// (--user U). Without root there is no one to drop to; see permission_case_skip_reason.

struct HostUser {
  uid_t uid;
  gid_t gid;
};

std::optional<HostUser> host_user() {
  const json& host = settings().manifest["host"];
  if (!host.contains("uid") || ::geteuid() != 0) return std::nullopt;
  const uid_t uid = host["uid"].get<uid_t>();
  return HostUser{uid, host.value("gid", static_cast<gid_t>(uid))};
}

ProcessOptions as_host_user(ProcessOptions options) {
  if (const std::optional<HostUser> user = host_user()) {
    options.uid = user->uid;
    options.gid = user->gid;
  }
  return options;
}

std::vector<std::string> host_user_arguments() {
  if (const std::optional<HostUser> user = host_user())
    return {"--user", std::to_string(user->uid)};
  return {};
}

// The directory the host runs in ("cwd" of the host, relative to the case's directory).
fs::path host_cwd(const fs::path& dir = settings().dir) {
  return (dir / settings().manifest["host"].value("cwd", ".")).lexically_normal();
}

// The host program: the variant's ("host_exe") or the case's own ("exe"), relative to the case's
// directory, or try_load.
std::string host_program(const fs::path& dir = settings().dir, const json* variant = nullptr) {
  const json& host = settings().manifest["host"];
  if (variant != nullptr && variant->contains("host_exe"))
    return (dir / (*variant)["host_exe"].get<std::string>()).string();
  return host.contains("exe") ? (dir / host["exe"].get<std::string>()).string()
                              : settings().try_load;
}

// The name the host looks up: the variant's ("symbol", e.g. the right spelling of a typo) or
// the host's.
std::string variant_symbol(const json* variant) {
  if (variant != nullptr && variant->contains("symbol")) return (*variant)["symbol"];
  return host_symbol();
}

// The host's command line: its program, the variant's "host_args", then PATH SYMBOL MODE.
std::vector<std::string> host_command(const std::string& path, const json* variant,
                                      const fs::path& dir) {
  std::vector<std::string> argv{host_program(dir, variant)};
  if (variant != nullptr && variant->contains("host_args"))
    for (const json& arg : (*variant)["host_args"]) argv.push_back(arg);
  argv.insert(argv.end(), {path, variant_symbol(variant), host_mode()});
  return argv;
}

ProcessResult try_load(const fs::path& cwd, const std::string& path, const json* variant = nullptr,
                       const fs::path& dir = settings().dir) {
  return run_process(host_command(path, variant, dir),
                     as_host_user(case_environment(cwd, variant, dir)));
}

// The host run of a step: in the case's directory, or in a fresh copy of the files it names
// ("run_in_copy", for a host that renames files), removed afterwards.
ProcessResult run_host(const json& variant) {
  const std::string path = variant["path"];
  if (!variant.contains("run_in_copy")) return try_load(host_cwd(), path, &variant);
  char pattern[] = "/tmp/dldoctor-run-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp /tmp/dldoctor-run-XXXXXX");
  const fs::path work = pattern;
  fs::permissions(work, fs::perms(0755), fs::perm_options::replace);  // for a host user, too
  std::vector<std::string> copies = variant["run_in_copy"];
  const json& host = settings().manifest["host"];
  if (variant.contains("host_exe")) copies.push_back(variant["host_exe"]);
  if (host.contains("exe")) copies.push_back(host["exe"]);
  for (const std::string& relative : copies) {
    const fs::path to = work / relative;
    fs::create_directories(to.parent_path());
    fs::copy(settings().dir / relative, to,
             fs::copy_options::overwrite_existing | fs::copy_options::recursive);
  }
  fs::create_directories(host_cwd(work));
  ProcessResult result = try_load(host_cwd(work), path, &variant, work);
  std::error_code ignored;
  fs::remove_all(work, ignored);
  return result;
}

std::vector<std::string> output_lines(const std::string& out) {
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// "lines": the host's standard output, line by line.
void expect_output(const json& variant, const std::string& out) {
  if (!variant.contains("lines")) return;
  const std::vector<std::string> lines = output_lines(out);
  const json& expected = variant["lines"];
  EXPECT_EQ(lines.size(), expected.size()) << "the host printed:\n" << out;
  for (std::size_t i = 0; i < lines.size() && i < expected.size(); ++i) {
    EXPECT_TRUE(std::regex_search(lines[i], std::regex(expected[i].get<std::string>())))
        << "line " << i + 1 << " of the host's output: " << lines[i]
        << "\nthe case expects:               " << expected[i].get<std::string>();
  }
}

// dldoctor check is told about the host when the case's manifest says the host matters (its
// RPATH/RUNPATH, its libraries, its symbols): "host": {"dldoctor_host": true}; about the mode the
// host opens with; with "check_symbol": true, about the name it looks up; and "check_args".
std::vector<std::string> host_arguments(const fs::path& dir = settings().dir,
                                        const json* variant = nullptr) {
  const json& host = settings().manifest["host"];
  std::vector<std::string> arguments{"--mode", host_mode()};
  if (host.value("dldoctor_host", false)) {
    arguments.push_back("--host");
    arguments.push_back(host_program(dir, variant));
  }
  if (host.value("check_symbol", false)) {
    arguments.push_back("--symbol");
    arguments.push_back(variant_symbol(variant));
  }
  // What else the host states of its plugins, as dldoctor check options ("check_args": ["--api",
  // "org.example.greeter=2..2"]): a host's own conditions, which no file says. A variant's own
  // "check_args" replace the host's: a fixed host that casts a symbol to another type
  // ("--signature", "add=int(int,int)") states another condition.
  const json* stated = variant != nullptr && variant->contains("check_args")
                           ? &(*variant)["check_args"]
                       : host.contains("check_args") ? &host["check_args"]
                                                     : nullptr;
  if (stated != nullptr)
    for (const json& arg : *stated) arguments.push_back(arg.get<std::string>());
  return arguments;
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

// "diagnose_with": "run": the case's reason shows only in the running program (which of its
// objects calls dlopen), so it is diagnosed by `dldoctor run -- HOST PATH SYMBOL MODE`.
bool diagnosed_by_run() { return settings().manifest.value("diagnose_with", "check") == "run"; }

std::vector<std::string> run_argv(const std::string& path, const json* variant, const fs::path& dir,
                                  bool json_out) {
  std::vector<std::string> argv{settings().dldoctor, "run"};
  if (json_out) argv.push_back("--json");
  argv.push_back("--");
  for (const std::string& arg : host_command(path, variant, dir)) argv.push_back(arg);
  return argv;
}

// The report of the program's first failed dlopen under dldoctor run, as check would give it;
// no failure: the program loaded it, a report without findings. The recorded search and the
// model's must agree.
json run_report(const fs::path& cwd, const std::string& path, ProcessResult& result,
                const json* variant, const fs::path& dir) {
  result = run_process(run_argv(path, variant, dir, true), case_environment(cwd, variant, dir));
  json out;
  try {
    // The program's own output stays on its standard output; dldoctor's report is on stderr.
    out = json::parse(result.err);
  } catch (const std::exception& error) {
    ADD_FAILURE() << "dldoctor run --json printed no JSON (" << error.what() << "), "
                  << result.describe() << ":\n"
                  << result.out << result.err;
    return json::object();
  }
  if (out["failures"].empty()) return json{{"findings", json::array()}, {"loads", true}};
  const json& failure = out["failures"][0];
  EXPECT_TRUE(failure.value("model_agrees", false))
      << "dldoctor's model of the search differs from the real loader's:\n"
      << failure.dump(2);
  return failure["report"];
}

json check_json(const fs::path& cwd, const std::string& path, ProcessResult& result,
                const json* variant = nullptr, const fs::path& dir = settings().dir) {
  if (diagnosed_by_run()) return run_report(cwd, path, result, variant, dir);
  std::vector<std::string> argv{settings().dldoctor, "check", "--json", path};
  for (const std::string& arg : host_arguments(dir, variant)) argv.push_back(arg);
  for (const std::string& arg : host_user_arguments()) argv.push_back(arg);
  result = run_process(argv, case_environment(cwd, variant, dir));
  try {
    return json::parse(result.out);
  } catch (const json::exception& error) {
    ADD_FAILURE() << "dldoctor check --json " << path << " in " << cwd << " printed no JSON ("
                  << error.what() << "), " << result.describe() << ":\n"
                  << result.out << result.err;
    return json::object();
  }
}

// ---- reproduces ----

void run_reload_host(const json& variant);

void expect_reproduction(const json& variant, const ProcessResult& result);

void reproduce(const json& variant) {
  if (variant.contains("output")) return run_reload_host(variant);
  const std::string path = variant["path"];
  SCOPED_TRACE("broken variant " + path);
  if (variant.value("file_exists", false)) {
    ASSERT_TRUE(fs::exists(settings().dir / path))
        << path << " must exist: the point of this case is a message about a file that is there";
  }
  expect_reproduction(variant, run_host(variant));
}

// What reproduces asserts of the host's run of a broken variant: its output ("lines"), and where
// and with which message it failed. Also what a host released after a diagnosis of it while it
// waited must have done (with_host_paused).
void expect_reproduction(const json& variant, const ProcessResult& result) {
  expect_output(variant, result.out);
  if (variant.value("loads", false)) {
    // A case whose broken variant loads: the wrong behaviour is in the file, shown by a tool, or
    // in what the host printed ("lines").
    ASSERT_EQ(result.exit_status, 0) << result.describe() << "\n" << result.out << result.err;
    EXPECT_NE(result.out.find("() = " + std::to_string(variant["value"].get<int>())),
              std::string::npos)
        << result.out;
    if (!variant.contains("confirm") && variant.contains("lines")) return;
    const json& confirm = variant["confirm"];
    std::vector<std::string> argv = confirm["command"];
    argv[0] = resolve_program(argv[0]);
    const ProcessResult tool = run_process(argv, as_host_user(case_environment(host_cwd())));
    EXPECT_EQ(tool.exit_status, 0) << tool.describe() << tool.err;
    EXPECT_TRUE(std::regex_search(tool.out, std::regex(confirm["output"].get<std::string>())))
        << confirm["command"].dump() << " printed:\n"
        << tool.out;
    return;
  }
  // Where the host fails: in dlopen (exit 1), in dlsym (exit 2), killed in the open by a Go
  // runtime's fatal error ("fatal", exit 2, the message on standard error), or at the call,
  // killed by the loader's lazy binding (exit 127, the message on standard error), or by a signal
  // ("signal": 11, a call into a page without execute permission; a "message" is then optional,
  // matched against the first line of standard error).
  const std::string fails_at = variant.value("fails_at", "dlopen");
  std::string message;
  if (fails_at == "call" && variant.contains("signal")) {
    ASSERT_EQ(result.signal, std::optional<int>(variant["signal"].get<int>()))
        << "the call should kill the host with signal " << variant["signal"]
        << ", but: " << result.describe() << "\n"
        << result.out << result.err;
    EXPECT_EQ(result.out.find("() = "), std::string::npos) << "the call returned: " << result.out;
    if (!variant.contains("message")) return;
    message = result.err.substr(0, result.err.find('\n'));
  } else if (fails_at == "fatal") {
    // Killed inside the open by the runtime it loads into: a Go host's plugin.Open given a file
    // that is no Go plugin dies with a Go fatal error (exit status 2, "fatal error: ..." first on
    // standard error), before it can print what the open returned.
    ASSERT_EQ(result.exit_status, variant.value("exit_status", 2))
        << "the open should kill the host, but: " << result.describe() << "\n"
        << result.out << result.err;
    EXPECT_EQ(result.out, "") << "the host printed what the open returned: " << result.out;
    message = result.err.substr(0, result.err.find('\n'));
  } else if (fails_at == "call") {
    ASSERT_EQ(result.exit_status, variant.value("exit_status", 127))
        << "the first call should end the host, but: " << result.describe() << "\n"
        << result.out << result.err;
    EXPECT_EQ(result.out.find("() = "), std::string::npos) << "the call returned: " << result.out;
    message = result.err.substr(0, result.err.find('\n'));
  } else {
    const bool in_dlsym = fails_at == "dlsym";
    ASSERT_EQ(result.exit_status, in_dlsym ? 2 : 1)
        << "try_load should fail in " << fails_at << ", but: " << result.describe() << "\n"
        << result.out << result.err;
    const std::string prefix = in_dlsym ? "dlsym failed: " : "dlopen failed: ";
    const std::vector<std::string> lines = output_lines(result.out);
    ASSERT_FALSE(lines.empty()) << result.describe();
    ASSERT_EQ(lines.back().rfind(prefix, 0), 0u) << result.out;
    message = lines.back().substr(prefix.size());
  }
  const std::string expected = variant["message"];
  EXPECT_TRUE(std::regex_search(message, std::regex(expected)))
      << "the loader said:  " << message << "\nthe case expects: " << expected;
  // The words of the message that dldoctor's finding must predict (diagnose_broken checks that
  // side): the package plugin.Open names, which is not the first one a reader would guess.
  if (variant.contains("finding_says")) {
    EXPECT_NE(message.find(variant["finding_says"].get<std::string>()), std::string::npos)
        << "the loader said: " << message << "\nnot: " << variant["finding_says"];
  }
}

// ---- diagnoses ----

void diagnose_broken(const json& variant) {
  const std::string path = variant.value("check_path", variant["path"].get<std::string>());
  SCOPED_TRACE("broken variant " + path);
  const std::string severity = variant.value("severity", "error");
  ProcessResult result;
  const json report = check_json(host_cwd(), path, result, &variant);
  ASSERT_TRUE(report.is_object() && report.contains("findings")) << result.out << result.err;
  EXPECT_EQ(result.exit_status, severity == "error" ? 1 : 0) << result.describe();
  // A name dlsym cannot find, or a lazily bound call that kills the host, is an error that
  // leaves the load itself intact.
  const std::string fails_at = variant.value("fails_at", "dlopen");
  // A host killed in the open ("fatal") does not load it either.
  const bool load_fails = severity == "error" && (fails_at == "dlopen" || fails_at == "fatal");
  EXPECT_EQ(report.value("loads", true), !load_fails);
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
  if (variant.contains("finding_says")) {
    EXPECT_NE((*match)["summary"].get<std::string>().find(variant["finding_says"]),
              std::string::npos)
        << "the finding does not say what the loader says (" << variant["finding_says"] << "):\n"
        << (*match)["summary"];
  }

  // The text form, for people, says the same.
  std::vector<std::string> text_argv{settings().dldoctor, "check", path};
  for (const std::string& arg : host_arguments(settings().dir, &variant)) text_argv.push_back(arg);
  for (const std::string& arg : host_user_arguments()) text_argv.push_back(arg);
  if (diagnosed_by_run()) text_argv = run_argv(path, &variant, settings().dir, false);
  const ProcessResult text = run_process(text_argv, case_environment(host_cwd(), &variant));
  // dldoctor run reports on stderr, beside the program's own output.
  const std::string& said = diagnosed_by_run() ? text.err : text.out;
  EXPECT_NE(said.find(variant["code"].get<std::string>()), std::string::npos) << said;
  EXPECT_NE(said.find((*match)["summary"].get<std::string>()), std::string::npos) << said;
}

// The candidates the real loader tries (LD_DEBUG=libs "trying file=" lines, after the host's own
// start-up) must be the candidates of dldoctor's trace, in the same order.
void compare_with_loader_trace(const json& variant) {
  const std::string path = variant["path"];
  ProcessOptions options = case_environment(host_cwd(), &variant);
  options.set_environment["LD_DEBUG"] = "libs";
  std::vector<std::string> argv{host_program()};
  argv.insert(argv.end(), {path, host_symbol(), host_mode()});
  const ProcessResult loaded = run_process(argv, options);
  std::vector<std::string> real;
  bool started = false;
  std::istringstream lines(loaded.err);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("transferring control:") != std::string::npos) started = true;
    const std::size_t at = line.find("trying file=");
    if (started && at != std::string::npos) real.push_back(line.substr(at + 12));
  }
  std::vector<std::string> tree_argv{settings().dldoctor, "tree", "--json", path, "--host",
                                     host_program()};
  const ProcessResult tree_run = run_process(tree_argv, case_environment(host_cwd(), &variant));
  json tree;
  try {
    tree = json::parse(tree_run.out);
  } catch (const json::exception& error) {
    FAIL() << "dldoctor tree --json printed no JSON: " << error.what() << "\n" << tree_run.out;
  }
  std::vector<std::string> modelled;
  const std::size_t start = tree["dlopen_trace_start"];
  for (std::size_t i = start; i < tree["trace"].size(); ++i)
    for (const json& step : tree["trace"][i]["tried"])
      if (step["rule"] != "direct") modelled.push_back(step["path"]);
  EXPECT_EQ(modelled, real) << "dldoctor's search differs from LD_DEBUG=libs";
  std::cout << "LD_DEBUG=libs tried " << real.size() << " files; dldoctor's trace has "
            << modelled.size() << "\n";
}

void diagnose_fixed(const json& fixed) {
  // What the fixed host really opens, when it builds the path itself (relative-to-cwd).
  const std::string path = fixed.value("check_path", fixed["path"].get<std::string>());
  SCOPED_TRACE("fixed variant " + path);
  ProcessResult result;
  const json report = check_json(host_cwd(), path, result, &fixed);
  ASSERT_TRUE(report.is_object() && report.contains("findings")) << result.out << result.err;
  EXPECT_EQ(result.exit_status, 0) << result.describe() << "\n" << report.dump(2);
  EXPECT_EQ(report.value("loads", false), true);
  const json accepted = fixed.value("accepted_warnings", json::array());
  for (const json& finding : report["findings"]) {
    const bool is_accepted =
        finding["severity"] == "warning" &&
        std::find(accepted.begin(), accepted.end(), finding["code"]) != accepted.end();
    EXPECT_TRUE(is_accepted) << "the fixed variant has a finding:\n" << finding.dump(2);
    if (is_accepted) std::cout << "accepted warning: " << finding["code"] << "\n";
  }
}

// ---- fixed ----

void load_fixed(const json& fixed) {
  if (fixed.contains("output")) return run_reload_host(fixed);
  const ProcessResult result = run_host(fixed);
  expect_output(fixed, result.out);
  ASSERT_EQ(result.exit_status, 0) << result.describe() << "\n" << result.out << result.err;
  EXPECT_NE(result.out.find("() = " + std::to_string(fixed["value"].get<int>())), std::string::npos)
      << result.out;
}

// ---- Permission cases: a reachable copy, a real noexec mount, fixes applied as root ----

// Copies a file or a directory tree keeping every mode bit: mkdir and fs::copy apply the umask,
// and a world-writable directory is the point of a case.
void copy_keeping_modes(const fs::path& from, const fs::path& to) {
  const fs::file_status status = fs::symlink_status(from);
  if (fs::is_symlink(status)) {
    fs::copy_symlink(from, to);
    return;
  }
  if (fs::is_directory(status)) {
    fs::create_directory(to);
    for (const fs::directory_entry& entry : fs::directory_iterator(from))
      copy_keeping_modes(entry.path(), to / entry.path().filename());
  } else {
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  }
  fs::permissions(to, status.permissions(), fs::perm_options::replace);
}

// A new directory under /tmp that every user can search (mkdtemp makes it 0700).
fs::path searchable_temporary_directory(const char* prefix) {
  std::string pattern = std::string("/tmp/") + prefix + "XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp " + pattern);
  fs::permissions(pattern, fs::perms(0755), fs::perm_options::replace);
  return pattern;
}

// Removes a temporary directory when the test leaves its scope, also through a failed ASSERT.
struct RemovedAtExit {
  fs::path path;
  ~RemovedAtExit() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

// The host user must reach the case's files and try_load wherever the build tree is (a clone
// under /root is not searchable by nobody), and a noexec mount point is made in the case's
// directory: both are copied, modes and all, into a fresh 0755 directory of the tester's, which
// becomes the case's directory for every step. Returns it, to remove at the end.
std::optional<fs::path> stage_for_host_user() {
  if (!settings().manifest["host"].contains("uid")) return std::nullopt;
  Settings& s = settings();
  const fs::path staged = searchable_temporary_directory("dldoctor-case-");
  copy_keeping_modes(s.dir, staged / "case");
  fs::permissions(staged / "case", fs::perms(0755), fs::perm_options::replace);
  fs::create_directory(staged / "bin");
  fs::copy_file(s.try_load, staged / "bin" / "try_load");
  s.dir = staged / "case";
  s.try_load = (staged / "bin" / "try_load").string();
  return staged;
}

// A variant with "noexec_mount": {"helper": H, "at": DIR, "copy": [FILES], "exec_tmpfs": [DIRS]}
// runs inside the case's helper H (cases/common/in_noexec_mount.cpp): a private mount namespace
// with a fresh tmpfs mounted noexec at DIR (in the case's directory) holding copies of FILES, and
// fresh tmpfs mounts without noexec over DIRS (where a fix may install a file). Every run gets a
// new mount; the machine's own mounts are never changed.
std::vector<std::string> in_noexec_mount(const json& mount, const std::vector<std::string>& command,
                                         bool as_host = false, const std::string& setup = "") {
  const fs::path& dir = settings().dir;
  std::vector<std::string> argv{(dir / mount["helper"].get<std::string>()).string()};
  for (const json& file : mount.value("copy", json::array()))
    argv.insert(argv.end(), {"--copy", (dir / file.get<std::string>()).string()});
  for (const json& directory : mount.value("exec_tmpfs", json::array()))
    argv.insert(argv.end(), {"--exec-tmpfs", directory.get<std::string>()});
  if (!setup.empty()) argv.insert(argv.end(), {"--setup", setup});
  if (const std::optional<HostUser> user = host_user(); user && as_host)
    argv.insert(argv.end(), {"--as", std::to_string(user->uid) + ":" + std::to_string(user->gid)});
  argv.insert(argv.end(), {(dir / mount["at"].get<std::string>()).string(), "--"});
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

// Why a permission case cannot run here, for Meson's skip (exit 77): the bits cases need root,
// to drop to the host user (without root, the files are the tester's own, and the owner bits
// let them read). A case made only of noexec variants runs as anyone: its mount needs no root.
std::optional<std::string> permission_case_skip_reason() {
  const json& manifest = settings().manifest;
  if (!manifest["host"].contains("uid") || ::geteuid() == 0) return std::nullopt;
  for (const json& variant : manifest["broken"])
    if (!variant.contains("noexec_mount"))
      return "the test runs as uid " + std::to_string(::geteuid()) +
             ", not root: it cannot drop to uid " +
             std::to_string(manifest["host"]["uid"].get<int>()) +
             " to load the plugin as someone who is not its owner";
  return std::nullopt;
}

// A noexec case needs a private mount namespace: as root, or in a new user namespace where the
// kernel allows that. The helper tries, and says why not (exit 77).
std::optional<std::string> noexec_mount_skip_reason() {
  for (const json& variant : settings().manifest["broken"]) {
    if (!variant.contains("noexec_mount")) continue;
    const ProcessResult probe = run_process(in_noexec_mount(variant["noexec_mount"], {"/bin/true"}),
                                            case_environment(settings().dir));
    if (probe.exit_status == 77) return "no private noexec mount on this machine: " + probe.err;
  }
  return std::nullopt;
}

// The loader's message, from try_load's output, matches the variant's.
void expect_loader_message(const ProcessResult& result, const json& variant) {
  ASSERT_EQ(result.exit_status, 1)
      << "try_load should fail in dlopen, but: " << result.describe() << "\n"
      << result.out << result.err;
  const std::string prefix = "dlopen failed: ";
  ASSERT_EQ(result.out.rfind(prefix, 0), 0u) << result.out;
  const std::string message =
      result.out.substr(prefix.size(), result.out.find('\n') - prefix.size());
  const std::string expected = variant["message"];
  EXPECT_TRUE(std::regex_search(message, std::regex(expected)))
      << "the loader said:  " << message << "\nthe case expects: " << expected;
}

json parse_report(const ProcessResult& result) {
  try {
    return json::parse(result.out);
  } catch (const json::exception& error) {
    ADD_FAILURE() << "dldoctor check --json printed no JSON (" << error.what() << "):\n"
                  << result.out << result.err;
    return json::object();
  }
}

void reproduce_in_noexec_mount(const json& variant) {
  const std::string path = variant["path"];
  SCOPED_TRACE("broken variant " + path + " on a noexec mount");
  const ProcessResult result =
      run_process(in_noexec_mount(variant["noexec_mount"],
                                  {settings().try_load, path, host_symbol(), host_mode()}, true),
                  case_environment(settings().dir));
  expect_loader_message(result, variant);
}

void diagnose_in_noexec_mount(const json& variant) {
  const std::string path = variant["path"];
  SCOPED_TRACE("broken variant " + path + " on a noexec mount");
  std::vector<std::string> check{settings().dldoctor, "check", "--json", path};
  for (const std::string& arg : host_user_arguments()) check.push_back(arg);
  const ProcessResult result = run_process(in_noexec_mount(variant["noexec_mount"], check),
                                           case_environment(settings().dir));
  const json report = parse_report(result);
  ASSERT_TRUE(report.is_object() && report.contains("findings")) << result.out << result.err;
  EXPECT_EQ(result.exit_status, 1) << result.describe();
  EXPECT_EQ(report.value("loads", true), false);
  ASSERT_FALSE(report["findings"].empty()) << report.dump(2);
  const json& finding = report["findings"][0];
  EXPECT_EQ(finding["code"], variant["code"]) << report.dump(2);
  EXPECT_EQ(finding["family"], settings().manifest["family"]);
  bool found = false;
  for (const json& line : finding["evidence"])
    found = found || line.get<std::string>().find(variant["evidence"].get<std::string>()) !=
                         std::string::npos;
  EXPECT_TRUE(found) << "no evidence line contains " << variant["evidence"] << " in\n"
                     << finding["evidence"].dump(2);
  // The mount point is named: the one the helper made.
  const std::string mount_point = (settings().dir / variant["noexec_mount"]["at"]).string();
  EXPECT_NE(finding["summary"].get<std::string>().find(mount_point), std::string::npos)
      << finding["summary"];
}

// The last word of a shell command, unquoted: the destination of dldoctor's `install SRC DEST`.
std::string last_word(const std::string& command) {
  std::string word = command.substr(command.find_last_of(' ') + 1);
  if (word.size() >= 2 && word.front() == '\'' && word.back() == '\'')
    word = word.substr(1, word.size() - 2);
  return word;
}

// The noexec fix: dldoctor's commands, run as root inside a fresh namespace (on the exec tmpfs
// mounts, never on the machine), then the file where they put it, loaded as the host user; and
// dldoctor finds nothing wrong with it there.
void apply_fix_in_noexec_mount(const json& apply, const json& fixed) {
  const json* variant = nullptr;
  for (const json& broken : settings().manifest["broken"])
    if (broken["path"] == apply["broken"]) variant = &broken;
  ASSERT_NE(variant, nullptr) << "apply_fix names no broken variant";
  const json& mount = (*variant)["noexec_mount"];
  std::vector<std::string> check{settings().dldoctor, "check", "--json", apply["broken"]};
  for (const std::string& arg : host_user_arguments()) check.push_back(arg);
  const json report =
      parse_report(run_process(in_noexec_mount(mount, check), case_environment(settings().dir)));
  ASSERT_TRUE(report.contains("findings") && !report["findings"].empty()) << report.dump(2);
  const json& commands = report["findings"][0]["fix"]["commands"];
  ASSERT_FALSE(commands.empty()) << "dldoctor gave no fix command to apply";
  std::string setup;
  for (const json& command : commands) {
    setup += (setup.empty() ? "" : " && ") + command.get<std::string>();
    std::cout << "applying dldoctor's fix: " << command.get<std::string>() << "\n";
  }
  const std::string destination = last_word(commands.back());
  bool on_scratch = false;
  for (const json& directory : mount.value("exec_tmpfs", json::array()))
    on_scratch = on_scratch || destination.rfind(directory.get<std::string>() + "/", 0) == 0;
  ASSERT_TRUE(on_scratch) << "the fix puts the plugin at " << destination
                          << ", outside the test's scratch mounts: not run, to leave the machine "
                             "alone";
  const ProcessResult loaded = run_process(
      in_noexec_mount(mount, {settings().try_load, destination, host_symbol(), host_mode()}, true,
                      setup),
      case_environment(settings().dir));
  EXPECT_EQ(loaded.exit_status, 0) << loaded.describe() << "\n" << loaded.out << loaded.err;
  EXPECT_NE(loaded.out.find("() = " + std::to_string(fixed["value"].get<int>())), std::string::npos)
      << loaded.out;
  std::vector<std::string> recheck{settings().dldoctor, "check", "--json", destination};
  for (const std::string& arg : host_user_arguments()) recheck.push_back(arg);
  const ProcessResult after =
      run_process(in_noexec_mount(mount, recheck, false, setup), case_environment(settings().dir));
  EXPECT_EQ(after.exit_status, 0) << after.out << after.err;
  EXPECT_TRUE(parse_report(after).value("findings", json::array()).empty()) << after.out;
}

// A variant that popular advice calls broken but that loads ("no_finding": true, the
// exec-bit-myth case): dldoctor must find nothing wrong with it, not even a warning.
void diagnose_no_finding(const json& variant) {
  const std::string path = variant["path"];
  SCOPED_TRACE("variant " + path);
  ProcessResult result;
  const json report = check_json(host_cwd(), path, result, &variant);
  EXPECT_EQ(result.exit_status, 0) << result.describe() << "\n" << report.dump(2);
  EXPECT_EQ(report.value("loads", false), true);
  EXPECT_TRUE(report.value("findings", json::array()).empty()) << report.dump(2);
}

// The fix of a permission case: the broken artifacts ("copy", files or directories of the case)
// copied with their modes into a fresh 0755 directory, where they fail as in the case; dldoctor's
// commands run as root (chmod of a root-owned file needs it); the result loads as the host user,
// and dldoctor finds nothing left to fix.
void apply_dldoctor_fix_as_host_user(const json& apply, const json& fixed) {
  const fs::path work = searchable_temporary_directory("dldoctor-permission-fix-");
  const RemovedAtExit removed{work};
  for (const json& relative : apply["copy"])
    copy_keeping_modes(settings().dir / relative.get<std::string>(),
                       work / relative.get<std::string>());
  const std::string broken = apply["broken"];
  ProcessResult before;
  const json report = check_json(work, broken, before, nullptr, work);
  ASSERT_TRUE(report.contains("findings") && !report["findings"].empty())
      << "the copy should be as broken as the case:\n"
      << report.dump(2);
  const bool blocking = report.value("loads", true) == false;
  if (blocking) {
    EXPECT_NE(try_load(work, broken, nullptr, work).exit_status, 0)
        << "the broken copy loads before any fix";
  }
  for (const json& finding : report["findings"]) {
    for (const json& command : finding["fix"]["commands"]) {
      const ProcessResult ran = run_process({"/bin/sh", "-c", command.get<std::string>()},
                                            case_environment(work, nullptr, work));
      ASSERT_EQ(ran.exit_status, 0) << "dldoctor's fix command failed: " << command << "\n"
                                    << ran.out << ran.err;
      std::cout << "applied dldoctor's fix: " << command.get<std::string>() << "\n";
    }
  }
  const ProcessResult loaded = try_load(work, broken, nullptr, work);
  EXPECT_EQ(loaded.exit_status, 0) << loaded.describe() << "\n" << loaded.out << loaded.err;
  EXPECT_NE(loaded.out.find("() = " + std::to_string(fixed["value"].get<int>())), std::string::npos)
      << loaded.out;
  ProcessResult after_run;
  const json after = check_json(work, broken, after_run, nullptr, work);
  EXPECT_EQ(after_run.exit_status, 0) << after.dump(2);
  EXPECT_TRUE(after.value("findings", json::array()).empty()) << after.dump(2);
}

// The fix of a permission case, its own way (see above); false for the other cases.
bool apply_permission_fix(const json& apply, const json& fixed) {
  for (const json& variant : settings().manifest["broken"]) {
    if (variant["path"] == apply["broken"] && variant.contains("noexec_mount")) {
      apply_fix_in_noexec_mount(apply, fixed);
      return true;
    }
  }
  if (!host_user()) return false;
  apply_dldoctor_fix_as_host_user(apply, fixed);
  return true;
}

// Registers the tests of a variant that the permission cases run their own way: on a noexec
// mount, or with no finding expected; false for the other variants.
bool register_permission_variant(
    const std::string& step, const json& variant,
    const std::function<void(const std::string&, std::function<void()>)>& add) {
  const std::string path = variant["path"];
  if (variant.contains("noexec_mount")) {
    if (step == "reproduces")
      add("reproduces:" + path, [variant] { reproduce_in_noexec_mount(variant); });
    if (step == "diagnoses")
      add("diagnoses:" + path, [variant] { diagnose_in_noexec_mount(variant); });
    return true;
  }
  if (variant.value("no_finding", false)) {
    if (step == "reproduces") add("reproduces:" + path, [variant] { reproduce(variant); });
    if (step == "diagnoses") add("diagnoses:" + path, [variant] { diagnose_no_finding(variant); });
    return true;
  }
  return false;
}

// dldoctor check on the file a fix produced: the finding the fix was for is gone, and no finding
// of severity error is left.
void expect_fixed_on_recheck(const fs::path& cwd, const std::string& produced, const fs::path& work,
                             const std::string& fixed_code) {
  ProcessResult rechecked;
  const json after = check_json(cwd, produced, rechecked, nullptr, work);
  ASSERT_TRUE(after.is_object() && after.contains("findings")) << rechecked.out << rechecked.err;
  for (const json& finding : after["findings"]) {
    EXPECT_NE(finding["code"], fixed_code) << "dldoctor's fix was applied, yet dldoctor check "
                                           << produced << " still reports " << fixed_code << ":\n"
                                           << finding.dump(2);
    EXPECT_NE(finding["severity"], "error")
        << "after dldoctor's fix, dldoctor check " << produced << " reports an error:\n"
        << finding.dump(2);
  }
  EXPECT_EQ(rechecked.exit_status, 0) << rechecked.describe() << "\n" << after.dump(2);
  std::cout << "dldoctor check " << produced << " after the fix: " << after["findings"].size()
            << " findings, none " << fixed_code << "\n";
}

// Copies the files the fix needs ("copy", relative to the case's directory; symbolic links stay
// links) into a fresh directory with the same layout, asks dldoctor about the broken artifact
// there, runs its fix commands, and loads the result.
void apply_dldoctor_fix(const json& apply, const json& fixed) {
  if (apply_permission_fix(apply, fixed)) return;  // the missing-permission cases' own way
  char pattern[] = "/tmp/dldoctor-fix-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const fs::path work = pattern;
  std::vector<std::string> copies = apply.contains("copy")
                                        ? apply["copy"].get<std::vector<std::string>>()
                                        : std::vector<std::string>{apply["broken"]};
  if (settings().manifest["host"].contains("exe"))
    copies.push_back(settings().manifest["host"]["exe"]);
  for (const std::string& relative : copies) {
    const fs::path from = settings().dir / relative;
    const fs::path to = work / relative;
    fs::create_directories(to.parent_path());
    fs::copy(from, to, fs::copy_options::copy_symlinks | fs::copy_options::recursive);
  }
  const fs::path cwd = host_cwd(work);
  fs::create_directories(cwd);
  const std::string broken = apply["broken"];
  ProcessResult result;
  const json report = check_json(cwd, broken, result, nullptr, work);
  ASSERT_TRUE(report.is_object() && report.contains("findings") && !report["findings"].empty())
      << report.dump(2);
  const json& commands = report["findings"][0]["fix"]["commands"];
  ASSERT_FALSE(commands.empty()) << "dldoctor gave no fix command to apply";
  for (const json& command : commands) {
    const ProcessResult ran = run_process({"/bin/sh", "-c", command.get<std::string>()},
                                          case_environment(cwd, nullptr, work));
    ASSERT_EQ(ran.exit_status, 0) << "dldoctor's fix command failed: " << command << "\n"
                                  << ran.out << ran.err;
    std::cout << "applied dldoctor's fix: " << command.get<std::string>() << "\n";
  }
  const std::string produced = apply.value("produces", broken);
  const ProcessResult loaded = try_load(cwd, produced, nullptr, work);
  EXPECT_EQ(loaded.exit_status, 0) << loaded.describe() << "\n" << loaded.out;
  EXPECT_NE(loaded.out.find("() = " + std::to_string(fixed["value"].get<int>())), std::string::npos)
      << loaded.out;
  // Loading is not enough (a warning case loads before any fix): dldoctor, asked again, no
  // longer reports what it fixed, nor any error.
  expect_fixed_on_recheck(cwd, produced, work, report["findings"][0]["code"].get<std::string>());
  fs::remove_all(work);
}

// ---- Hot-reload hosts: a scratch live path, the output in order, a pause for diagnosis ----

// VALUE with every occurrence of each placeholder in its strings replaced.
json with_placeholders(const json& value, const std::map<std::string, std::string>& values) {
  if (value.is_string()) {
    std::string text = value;
    for (const auto& [placeholder, replacement] : values)
      for (std::size_t at; (at = text.find(placeholder)) != std::string::npos;)
        text.replace(at, placeholder.size(), replacement);
    return text;
  }
  json result = value;
  if (value.is_array() || value.is_object())
    for (auto& item : result) item = with_placeholders(item, values);
  return result;
}

// The host ended as the variant says: its "output" lines in order, then "signal" or exit 0.
void expect_host_output(const ProcessResult& result, const json& variant) {
  if (variant.contains("signal")) {
    EXPECT_EQ(result.signal, std::optional<int>(variant["signal"].get<int>()))
        << "the host should be killed by signal " << variant["signal"]
        << ", but: " << result.describe() << "\n"
        << result.out << result.err;
  } else {
    EXPECT_EQ(result.exit_status, std::optional<int>(0)) << result.describe() << "\n"
                                                         << result.out << result.err;
  }
  std::istringstream lines(result.out);
  std::string line;
  for (const json& expected : variant["output"]) {
    const std::regex pattern(expected.get<std::string>());
    bool found = false;
    while (!found && std::getline(lines, line)) found = std::regex_search(line, pattern);
    EXPECT_TRUE(found) << "the host printed no line matching " << expected
                       << " (after the lines matched before it):\n"
                       << result.out << result.err;
    if (!found) return;
  }
}

void run_reload_host(const json& declared) {
  SCOPED_TRACE("variant " + declared["path"].get<std::string>());
  const fs::path scratch = searchable_temporary_directory("dldoctor-reload-");
  const RemovedAtExit removed{scratch};
  const json variant = with_placeholders(declared, {{"{scratch}", scratch.string()}});
  const ProcessResult result = try_load(host_cwd(), variant["path"], &variant);
  std::cout << result.out;
  expect_host_output(result, variant);
}

// DIAGNOSE (diagnose_broken, diagnose_fixed) on the variant, while its host, started with the
// pause's arguments, waits between the replacement and the reload.
void with_host_paused(const json& declared, const std::function<void(const json&)>& diagnose,
                      bool broken) {
  if (!declared.contains("diagnose_while_running")) return diagnose(declared);
  const fs::path scratch = searchable_temporary_directory("dldoctor-reload-");
  const RemovedAtExit removed{scratch};
  json variant = with_placeholders(declared, {{"{scratch}", scratch.string()}});
  for (const json& arg : variant["diagnose_while_running"]["host_args"])
    variant["host_args"].push_back(arg);
  RunningProcess host(host_command(variant["path"], &variant, settings().dir),
                      as_host_user(case_environment(host_cwd(), &variant)));
  if (!host.wait_for_line("ready")) {
    const ProcessResult ended = host.finish();
    FAIL() << "the host never said \"ready\": " << ended.describe() << "\n"
           << ended.out << ended.err;
  }
  std::cout << "diagnosing while the host (pid " << host.pid() << ") waits\n";
  diagnose(with_placeholders(variant, {{"{pid}", std::to_string(host.pid())}}));
  ProcessResult ended = host.finish();
  // The pause's own line is not the scenario's: "lines" are the host's output as reproduces
  // sees it, unpaused.
  if (ended.out.rfind("ready\n", 0) == 0)
    ended.out.erase(0, 6);
  else if (const std::size_t at = ended.out.find("\nready\n"); at != std::string::npos)
    ended.out.erase(at + 1, 6);
  std::cout << ended.out;
  SCOPED_TRACE("the host, released after the diagnosis");
  if (variant.contains("output")) {
    expect_host_output(ended, variant);
  } else if (broken) {
    expect_reproduction(variant, ended);
  } else {
    EXPECT_EQ(ended.exit_status, std::optional<int>(0)) << ended.describe() << "\n" << ended.err;
    expect_output(variant, ended.out);
  }
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
    // A second variant of the same file (the same host diagnosed another way) names its tests
    // apart: "path (label)".
    const std::string path =
        variant["path"].get<std::string>() + (variant.contains("label")
                                                  ? " (" + variant["label"].get<std::string>() + ")"
                                                  : std::string());
    if (register_permission_variant(step, variant, add)) continue;
    if (step == "reproduces") add("reproduces:" + path, [variant] { reproduce(variant); });
    if (step == "diagnoses")
      add("diagnoses:" + path, [variant] { with_host_paused(variant, diagnose_broken, true); });
    if (step == "diagnoses" && manifest.value("trace", false))
      add("trace-matches-loader:" + path, [variant] { compare_with_loader_trace(variant); });
  }
  const json& fixed = manifest["fixed"];
  // Where the fix is the host's (a fixed host, "host_exe"), the fixed variant may be the broken
  // one's very file: its test is then named apart.
  bool fixed_path_is_broken = false;
  for (const json& variant : manifest["broken"])
    fixed_path_is_broken = fixed_path_is_broken || variant["path"] == fixed["path"];
  if (step == "diagnoses")
    add((fixed_path_is_broken ? "diagnoses-fixed:" : "diagnoses:") +
            fixed["path"].get<std::string>(),
        [fixed] { with_host_paused(fixed, diagnose_fixed, false); });
  if (step == "fixed") {
    add("loads:" + fixed["path"].get<std::string>(), [fixed] { load_fixed(fixed); });
    // Every case says how dldoctor's fix is applied, or why it is not a command.
    const json apply = manifest.value("apply_fix", json());
    if (apply.is_object() && apply.contains("broken")) {
      add("applies-dldoctor-fix:" + apply["broken"].get<std::string>(),
          [apply, fixed] { apply_dldoctor_fix(apply, fixed); });
    } else if (apply.is_object() && apply.contains("not_a_command")) {
      const std::string reason = apply["not_a_command"];
      add("dldoctor-fix-is-not-a-command", [reason] {
        EXPECT_FALSE(reason.empty()) << "apply_fix.not_a_command must say why";
        std::cout << "no dldoctor fix command to apply: " << reason << "\n";
      });
    } else {
      add("apply-fix-is-declared", [] {
        FAIL() << "case.json has no \"apply_fix\": give the broken artifact dldoctor's fix "
                  "commands apply to ({\"broken\": ...}), or say why the fix is no command "
                  "({\"not_a_command\": \"...\"})";
      });
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
  // A case whose artifacts need tools this machine lacks ("requires": clang++ and ld.lld for
  // the foreign-target cases) is skipped, loudly, and counted as skipped, never as passed.
  if (s.manifest.contains("requires")) {
    for (const json& tool : s.manifest["requires"]) {
      if (resolve_program(tool.get<std::string>()).find('/') == std::string::npos) {
        std::cout << "SKIP " << s.manifest["id"].get<std::string>() << ": "
                  << tool.get<std::string>()
                  << " is not installed, so the case's artifacts were not built (scripts/setup "
                     "installs it)\n";
        return 77;
      }
    }
  }
  // The missing-permission cases: skipped where they cannot run, else run on a reachable copy.
  if (const std::optional<std::string> reason = permission_case_skip_reason()) {
    std::cout << "SKIP " << s.manifest["id"].get<std::string>() << ": " << *reason << "\n";
    return 77;
  }
  std::optional<fs::path> staged;
  try {
    staged = stage_for_host_user();
  } catch (const std::exception& error) {
    std::cerr << "case_runner: cannot copy the case for its host user: " << error.what() << "\n";
    return 1;
  }
  if (const std::optional<std::string> reason = noexec_mount_skip_reason()) {
    std::cout << "SKIP " << s.manifest["id"].get<std::string>() << ": " << *reason << "\n";
    if (staged) fs::remove_all(*staged);
    return 77;
  }
  register_tests();
  const int status = RUN_ALL_TESTS();
  if (staged) fs::remove_all(*staged);
  return status;
}
