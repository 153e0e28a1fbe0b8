// The dldoctor command: a thin front end over the library. Exit status: 0 the file would load,
// 1 findings of severity error, 2 dldoctor itself could not run (usage, unknown message).
#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string_view>

#include "dldoctor/dldoctor.hpp"
#include "load_in_child.hpp"

namespace {

constexpr int kExitLoads = 0;
constexpr int kExitFindings = 1;
constexpr int kExitCannotRun = 2;

dldoctor::TextStyle terminal_style() {
  const char* no_colour = std::getenv("NO_COLOR");
  const bool colour = ::isatty(STDOUT_FILENO) == 1 && (no_colour == nullptr || *no_colour == '\0');
  return dldoctor::TextStyle{colour};
}

struct CheckOptions {
  std::string path;
  std::string host;
  std::vector<std::string> symbols;
  std::string user;
  std::string mode = "now";
  bool json = false;
  bool load = false;
  int timeout_seconds = 10;
};

int run_check(const CheckOptions& options) {
  const dldoctor::Mode mode = options.mode == "lazy" ? dldoctor::Mode::Lazy : dldoctor::Mode::Now;
  dldoctor::LoadRequest request{options.path, mode};
  if (!options.host.empty()) request.host = options.host;
  if (!options.user.empty()) request.user = options.user;
  request.symbols = options.symbols;
  dldoctor::Report report = dldoctor::diagnose(request);
  if (options.load) {
    report.load = dldoctor::cli::load_in_child(options.path, mode,
                                               std::chrono::seconds(options.timeout_seconds));
    report.loads = report.load->loaded;
  }
  std::cout << (options.json ? dldoctor::render_json(report) + "\n"
                             : dldoctor::render_text(report, terminal_style()));
  return report.loads && !report.has_errors() ? kExitLoads : kExitFindings;
}

struct TreeOptions {
  std::string path;
  std::string host;
  bool json = false;
};

// Exit status: 0 every library was found, 1 the loader would fail (a library missing, or a file
// it cannot load).
int run_tree(const TreeOptions& options) {
  dldoctor::search::TreeRequest request;
  request.path = options.path;
  if (!options.host.empty()) request.host = options.host;
  const dldoctor::search::Tree tree = dldoctor::search::resolve_tree(request);
  std::cout << (options.json ? dldoctor::render_json(tree) + "\n"
                             : dldoctor::render_text(tree, terminal_style()));
  return tree.error ? kExitFindings : kExitLoads;
}

// --user: a name the user database knows, or a numeric UID (the kernel decides by numbers, so a
// UID needs no entry).
std::string known_user(const std::string& value) {
  if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos) return "";
  if (::getpwnam(value.c_str()) != nullptr) return "";
  return "no user named " + value + " (give a name that getent passwd lists, or a UID)";
}

int run_explain(const std::string& message, bool json) {
  const std::optional<dldoctor::Explanation> explanation = dldoctor::explain(message);
  if (!explanation) {
    std::cerr << "dldoctor explain: not a loader message dldoctor knows: " << message << "\n"
              << "(give dlerror()'s text, or the line ld.so printed, in quotes)\n";
    return kExitCannotRun;
  }
  std::cout << (json ? dldoctor::render_json(*explanation) + "\n"
                     : dldoctor::render_text(*explanation, terminal_style()));
  return kExitLoads;
}

}  // namespace

int main(int argc, char** argv) {
  // Answered before CLI11, which reports --version by throwing: in this statically linked
  // command the first exception costs about a millisecond (libgcc sorts every FDE of the binary
  // on first use), and `dldoctor --version` is the start-up floor that docs/benchmarks.md reports.
  if (argc == 2 && std::string_view(argv[1]) == "--version") {
    std::fputs("dldoctor " DLDOCTOR_VERSION "\n", stdout);
    return kExitLoads;
  }
  CLI::App app{"dldoctor: why a shared library or plugin will not load, and how to fix it"};
  app.set_version_flag("--version", "dldoctor " DLDOCTOR_VERSION);
  app.require_subcommand(1);

  CheckOptions check_options;
  CLI::App* check = app.add_subcommand(
      "check", "Inspect a shared library as the loader would, without running it");
  check->add_option("PATH", check_options.path, "the file, as the host passes it to dlopen")
      ->required();
  check->add_option("--symbol", check_options.symbols,
                    "a name the host looks up with dlsym (repeatable)");
  check->add_option("--host", check_options.host,
                    "the program that dlopens PATH: its RPATH, RUNPATH and libraries count");
  check
      ->add_option("--user", check_options.user,
                   "check permissions for this user (NAME or UID), not the current one")
      ->check(CLI::Validator(known_user, "NAME|UID"));
  check->add_option("--mode", check_options.mode, "how the host calls dlopen: now or lazy")
      ->check(CLI::IsMember({"now", "lazy"}));
  check->add_flag("--json", check_options.json, "print one JSON object (docs/report.schema.json)");
  check->add_flag("--load", check_options.load,
                  "also dlopen it for real, in a child process (runs its constructors)");
  check
      ->add_option("--timeout", check_options.timeout_seconds,
                   "seconds to wait for the child of --load")
      ->check(CLI::Range(1, 3600));

  TreeOptions tree_options;
  CLI::App* tree = app.add_subcommand(
      "tree",
      "Show where the loader finds each library the file needs, by which rule, and why not");
  tree->add_option("PATH", tree_options.path, "the library or program")->required();
  tree->add_option("--host", tree_options.host,
                   "the program that dlopens PATH: its RPATH, RUNPATH and libraries count");
  tree->add_flag("--json", tree_options.json, "print one JSON object");

  std::string message;
  bool explain_json = false;
  CLI::App* explain_command = app.add_subcommand(
      "explain", "Say which family a loader message belongs to and what to check");
  explain_command->add_option("MESSAGE", message, "dlerror() text or what ld.so printed")
      ->required();
  explain_command->add_flag("--json", explain_json, "print one JSON object");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int status = app.exit(error);
    return status == 0 ? kExitLoads : kExitCannotRun;
  }
  if (check->parsed()) return run_check(check_options);
  if (tree->parsed()) return run_tree(tree_options);
  return run_explain(message, explain_json);
}
