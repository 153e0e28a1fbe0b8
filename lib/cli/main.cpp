// The dldoctor command: a thin front end over the library. Exit status: 0 the file would load,
// 1 findings of severity error, 2 dldoctor itself could not run (usage, unknown message).
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string_view>

#include "checks/process_maps.hpp"
#include "checks/stage.hpp"
#include "dldoctor/dldoctor.hpp"
#include "go/go_type.hpp"
#include "helper_path.hpp"
#include "load_in_child.hpp"
#include "names_client.hpp"
#include "run.hpp"
#include "scan.hpp"
#include "signature/parse.hpp"
#include "user.hpp"
#include "version_text.hpp"

namespace {

constexpr int kExitLoads = 0;
constexpr int kExitFindings = 1;
constexpr int kExitCannotRun = 2;

// --color: "auto" (the default) colours only a terminal, and not when NO_COLOR is set and not
// empty (no-color.org); "always" and "never" decide alone.
std::string colour_choice = "auto";

dldoctor::TextStyle terminal_style() {
  if (colour_choice == "always") return dldoctor::TextStyle{true};
  if (colour_choice == "never") return dldoctor::TextStyle{false};
  const char* no_colour = std::getenv("NO_COLOR");
  const bool colour = ::isatty(STDOUT_FILENO) == 1 && (no_colour == nullptr || *no_colour == '\0');
  return dldoctor::TextStyle{colour};
}

// dldoctor run's report goes to standard error (or --report FILE): coloured by the same rule,
// applied to standard error.
dldoctor::TextStyle stderr_style() {
  if (colour_choice == "always") return dldoctor::TextStyle{true};
  if (colour_choice == "never") return dldoctor::TextStyle{false};
  const char* no_colour = std::getenv("NO_COLOR");
  const bool colour = ::isatty(STDERR_FILENO) == 1 && (no_colour == nullptr || *no_colour == '\0');
  return dldoctor::TextStyle{colour};
}

struct CheckOptions {
  std::string path;
  std::string host;
  bool host_given = false;
  std::vector<std::string> symbols;
  std::vector<std::string> search_directories;
  std::vector<std::string> apis;
  std::vector<std::string> signatures;
  std::string user;
  bool user_given = false;
  std::string mode = "now";
  bool json = false;
  bool load = false;
  int timeout_seconds = 10;
  bool reload = false;
  std::vector<std::string> loaded;
  int pid = 0;
  bool pid_given = false;
};

// --host: the program that will call dlopen must be one. Without this, a host that is missing
// (or "", what --host "$(command -v try_load)" gives when try_load is not on the PATH) would be
// modelled as a load that fails, and its message taken for the plugin's.
std::string host_program_problem(const std::string& host) {
  if (host.empty()) return "--host: an empty path (give the program that calls dlopen)";
  struct stat status {};
  if (::stat(host.c_str(), &status) != 0)
    return "--host " + dldoctor::shell_quote(host) + ": " + std::strerror(errno);
  if (!S_ISREG(status.st_mode))
    return "--host " + dldoctor::shell_quote(host) + ": not a regular file";
  const int fd = ::open(host.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return "--host " + dldoctor::shell_quote(host) + ": " + std::strerror(errno);
  dldoctor::elf::ReadOutcome outcome = dldoctor::elf::read_image_fd(
      fd, static_cast<std::uint64_t>(status.st_size), dldoctor::elf::ReadParts::LoaderView);
  ::close(fd);
  if (const auto* error = std::get_if<dldoctor::elf::ReadError>(&outcome))
    return "--host " + dldoctor::shell_quote(host) + ": not an ELF program (" + error->message +
           ")";
  const auto& image = std::get<dldoctor::elf::Image>(outcome);
  // A program is ET_EXEC, or ET_DYN with a PT_INTERP (a PIE); a library has no interpreter.
  if (image.identity.type != ET_EXEC && !(image.identity.type == ET_DYN && image.has_interpreter()))
    return "--host " + dldoctor::shell_quote(host) + ": not a program but " +
           dldoctor::elf::type_name(image.identity.type) +
           (image.identity.type == ET_DYN ? " without an interpreter (a shared library)" : "") +
           " (give the executable that calls dlopen)";
  return "";
}

// Says on standard error what dldoctor could not run with, and gives the status for it.
int cannot_run(const std::string& command, const std::string& why) {
  std::cerr << "dldoctor " << command << ": " << why << "\n";
  return kExitCannotRun;
}

// dldoctor reload: the library's Reloader, run in dldoctor-reload (a dynamically linked child:
// this static program cannot dlopen as a host does); its output and exit status are the command's.
int run_reload(const std::string& path, const std::vector<std::string>& symbols,
               const std::string& mode, bool private_copy, int times, int timeout_seconds) {
  const std::string helper = dldoctor::cli::helper_path("dldoctor-reload");
  std::vector<std::string> arguments{helper,
                                     path,
                                     std::to_string(times),
                                     std::to_string(timeout_seconds * 1000),
                                     mode,
                                     private_copy ? "copy" : "own"};
  arguments.insert(arguments.end(), symbols.begin(), symbols.end());
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  const pid_t child = ::fork();
  if (child < 0) return cannot_run("reload", std::string("fork: ") + std::strerror(errno));
  if (child == 0) {
    ::execv(helper.c_str(), argv.data());
    std::fprintf(stderr, "dldoctor reload: %s: %s\n", helper.c_str(), std::strerror(errno));
    ::_exit(kExitCannotRun);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return cannot_run("reload", "dldoctor-reload was killed by signal " +
                                  std::to_string(WTERMSIG(status)) +
                                  " (a new build's constructor, or code of the plugin)");
}

int run_check(const CheckOptions& options) {
  if (options.host_given) {
    if (const std::string problem = host_program_problem(options.host); !problem.empty())
      return cannot_run("check", problem);
  }
  if (options.user_given) {
    // Resolved here first, so that a name the user database lacks is a usage error (exit 2)
    // rather than a finding about the plugin; diagnose resolves it again from the helper's cache.
    auto user = dldoctor::resolve_user(options.user);
    if (const auto* why = std::get_if<std::string>(&user))
      return cannot_run("check", "--user " + dldoctor::shell_quote(options.user) + ": " + *why);
    const auto& identity = std::get<dldoctor::UserIdentity>(user);
    if (!identity.primary_group)
      std::cerr << "dldoctor check: uid " << identity.uid
                << " has no entry in the user database: checked as uid " << identity.uid
                << " with no group at all (no primary or supplementary group)\n";
  }
  const dldoctor::Mode mode = options.mode == "lazy" ? dldoctor::Mode::Lazy : dldoctor::Mode::Now;
  dldoctor::LoadRequest request{options.path, mode};
  for (const std::string& api : options.apis) {
    auto range = dldoctor::parse_api_range(api);
    if (const auto* error = std::get_if<dldoctor::ApiRangeError>(&range))
      return cannot_run("check", "--api " + dldoctor::shell_quote(api) + ": " + error->message +
                                     " (at column " + std::to_string(error->column + 1) + ")");
    request.apis.push_back(std::move(std::get<dldoctor::ApiRange>(range)));
  }
  for (const std::string& text : options.signatures) {
    if (const std::size_t equals = text.find('=');
        equals != std::string::npos && dldoctor::go::looks_like_go_type(text.substr(equals + 1))) {
      auto go_type = dldoctor::go::canonical_type(text.substr(equals + 1));
      if (const auto* error = std::get_if<dldoctor::go::TypeParseError>(&go_type))
        return cannot_run("check", "--signature " + dldoctor::shell_quote(text) + ": " +
                                       error->message + " (a Go type)\n  " + text + "\n  " +
                                       std::string(equals + 1 + error->column, ' ') + "^");
      request.signatures.push_back(text);
      continue;
    }
    auto parsed = dldoctor::signature::parse_signature(text);
    if (const auto* error = std::get_if<dldoctor::signature::ParseError>(&parsed))
      return cannot_run("check", "--signature " + dldoctor::shell_quote(text) + ": " +
                                     error->message + "\n  " + text + "\n  " +
                                     std::string(error->column, ' ') + "^");
    request.signatures.push_back(text);
  }
  if (options.pid_given) {
    std::string why;
    if (!dldoctor::read_process_maps(options.pid, why))
      return cannot_run("check", "--pid " + std::to_string(options.pid) + ": " + why);
    request.pid = options.pid;
    // The running program is the host, unless one is named: its RUNPATH and libraries count.
    if (!options.host_given) {
      char target[4096];
      const std::string exe = "/proc/" + std::to_string(options.pid) + "/exe";
      const ssize_t length = ::readlink(exe.c_str(), target, sizeof target - 1);
      if (length > 0) {
        const std::string program(target, static_cast<std::size_t>(length));
        if (host_program_problem(program).empty()) request.host = program;
      }
    }
  }
  request.reload = options.reload;
  request.loaded = options.loaded;
  if (options.host_given) request.host = options.host;
  if (options.user_given) request.user = options.user;
  request.symbols = options.symbols;
  request.search_directories = options.search_directories;
  dldoctor::Report report = dldoctor::diagnose(request);
  if (options.load) {
    const std::chrono::seconds timeout(options.timeout_seconds);
    const dldoctor::cli::ChildLoad child =
        dldoctor::cli::load_in_child(options.path, mode, timeout);
    report.load = child.attempt;
    report.loads = report.load->loaded;
    // What the load did that no file says: a constructor that crashed, exited or hung; and an
    // ld.so assertion, unless a finding of the files already says why the loader stops.
    const bool explained = report.has_errors();
    for (dldoctor::Finding& finding : dldoctor::cli::findings_of_load(options.path, child, timeout))
      if (finding.code != "mode.loader-assertion" || !explained)
        report.findings.push_back(std::move(finding));
  }
  std::cout << (options.json ? dldoctor::render_json(report) + "\n"
                             : dldoctor::render_text(report, terminal_style()));
  return report.loads && !report.has_errors() ? kExitLoads : kExitFindings;
}

struct TreeOptions {
  std::string path;
  std::string host;
  bool host_given = false;
  bool json = false;
};

// Exit status: 0 every library was found, 1 the loader would fail (a library missing, or a file
// it cannot load).
int run_tree(const TreeOptions& options) {
  if (options.host_given) {
    if (const std::string problem = host_program_problem(options.host); !problem.empty())
      return cannot_run("tree", problem);
  }
  dldoctor::search::TreeRequest request;
  request.path = options.path;
  if (options.host_given) request.host = options.host;
  request.versions = true;  // read with each object, for check_versions
  dldoctor::search::Tree tree = dldoctor::search::resolve_tree(request);
  dldoctor::search::check_versions(tree);  // as ld.so --list does after mapping the tree
  std::cout << (options.json ? dldoctor::render_json(tree) + "\n"
                             : dldoctor::render_text(tree, terminal_style()));
  return tree.error ? kExitFindings : kExitLoads;
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

// Every finding code the library publishes (dldoctor/codes.hpp): docs/cli.md's table is made
// from --json, so the documentation cannot say another severity than the code gives.
int run_codes(bool json) {
  if (json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const dldoctor::FindingCode& code : dldoctor::finding_codes())
      rows.push_back({{"code", code.code},
                      {"family", dldoctor::to_string(code.family)},
                      {"severity", dldoctor::to_string(code.severity)},
                      {"meaning", code.meaning},
                      {"loader_message", code.loader_message}});
    std::cout << rows.dump(2) << "\n";
    return kExitLoads;
  }
  for (const dldoctor::FindingCode& code : dldoctor::finding_codes()) {
    std::string line(code.code);
    line.resize(std::max<std::size_t>(line.size() + 1, 36), ' ');
    std::string family(dldoctor::to_string(code.family));
    family.resize(20, ' ');
    std::string severity(dldoctor::to_string(code.severity));
    severity.resize(18, ' ');
    std::cout << line << family << severity << code.meaning << "\n";
  }
  return kExitLoads;
}

}  // namespace

int main(int argc, char** argv) {
  // Answered before CLI11, which reports --version by throwing: in this statically linked
  // command the first exception costs about a millisecond (libgcc sorts every FDE of the binary
  // on first use), and `dldoctor --version` is the start-up floor that docs/benchmarks.md reports.
  if (argc == 2 && std::string_view(argv[1]) == "--version") {
    std::fputs(dldoctor::cli::kVersionText, stdout);
    return kExitLoads;
  }
  CLI::App app{"dldoctor: why a shared library or plugin will not load, and how to fix it"};
  app.footer(
      "Exit status: 0 the file would load (and every --symbol resolves); 1 findings of severity\n"
      "error (or tree: a library the loader would not find); 2 dldoctor could not run (a usage\n"
      "error, a --host or --user that does not exist, a message explain does not know). run\n"
      "exits with the program's own status (2 when it cannot run it).\n"
      "Defaults: check --mode now; check --load waits --timeout 10 seconds for its child.\n"
      "Colour (--color auto, the default) only when standard output is a terminal and NO_COLOR\n"
      "is unset or empty; --color always or never decides alone.\n"
      "Nothing inspected is run, but for check --load and reload (in a child process), and\n"
      "run, which runs the program it is given with its recorder in it.");
  // `--version` with other arguments (`dldoctor --version --help`) is answered by CLI11.
  std::string version_text(dldoctor::cli::kVersionText);
  version_text.pop_back();  // CLI11 adds the newline
  app.set_version_flag("--version", version_text);
  app.require_subcommand(1);
  app.add_option("--color", colour_choice,
                 "colour the text output: auto (a terminal, unless NO_COLOR is set), always, "
                 "never")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "always", "never"}));

  CheckOptions check_options;
  CLI::App* check = app.add_subcommand(
      "check", "Inspect a shared library as the loader would, without running it");
  check->add_option("PATH", check_options.path, "the file, as the host passes it to dlopen")
      ->required();
  check->add_option("--symbol", check_options.symbols,
                    "a name the host looks up with dlsym (repeatable)");
  check
      ->add_option("--search", check_options.search_directories,
                   "a directory to look in for a copy of a library that has what the one found "
                   "lacks (repeatable; never searched by the loader)")
      ->check(CLI::ExistingDirectory);
  check->add_option("--signature", check_options.signatures,
                    "the type the host calls a name with, 'NAME=RET(ARGS)' ('NAME=TYPE' for "
                    "data; NAME may be a qualified C++ name), or for a Go plugin the Go type "
                    "asserted, 'NAME=func(string) int': checked against the plugin's "
                    "descriptor, DWARF or mangled name (repeatable)");
  check->add_option(
      "--api", check_options.apis,
      "a plugin API the host accepts, NAME=MIN..MAX (MAJOR or MAJOR.MINOR; NAME=V, "
      "NAME=MIN..): the plugin must declare it with <dldoctor/plugin.h> (repeatable)");
  check->add_flag("--reload", check_options.reload,
                  "the host closes the plugin and loads new builds of it: say what keeps it "
                  "mapped after dlclose, and threads that outlive it");
  check->add_option("--loaded", check_options.loaded,
                    "a file the host has loaded already (a Go host: has called plugin.Open on); "
                    "implies --reload (repeatable)");
  CLI::Option* check_pid = check->add_option(
      "--pid", check_options.pid,
      "a running host: what it has mapped counts as loaded, and a mapped file rewritten in "
      "place is found; implies --reload");
  CLI::Option* check_host = check->add_option(
      "--host", check_options.host,
      "the program that dlopens PATH (an ELF executable): its RPATH, RUNPATH and libraries count");
  CLI::Option* check_user = check->add_option(
      "--user", check_options.user,
      "check permissions for this user (a NAME the user database knows, or a UID), not the "
      "current one");
  check
      ->add_option("--mode", check_options.mode,
                   "how the host calls dlopen: now (RTLD_NOW) or lazy (RTLD_LAZY)")
      ->capture_default_str()
      ->check(CLI::IsMember({"now", "lazy"}));
  check->add_flag("--json", check_options.json, "print one JSON object (docs/report.schema.json)");
  check->add_flag("--load", check_options.load,
                  "also dlopen it for real, in a child process (runs its constructors)");
  check
      ->add_option("--timeout", check_options.timeout_seconds,
                   "seconds to wait for the child of --load before killing it")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));

  TreeOptions tree_options;
  CLI::App* tree = app.add_subcommand(
      "tree",
      "Show where the loader finds each library the file needs, by which rule, and why not");
  tree->add_option("PATH", tree_options.path, "the library or program")->required();
  CLI::Option* tree_host = tree->add_option(
      "--host", tree_options.host,
      "the program that dlopens PATH (an ELF executable): its RPATH, RUNPATH and libraries count");
  tree->add_flag("--json", tree_options.json, "print one JSON object");

  std::string message;
  bool explain_json = false;
  CLI::App* explain_command = app.add_subcommand(
      "explain", "Say which family a loader message belongs to and what to check");
  explain_command->add_option("MESSAGE", message, "dlerror() text or what ld.so printed")
      ->required();
  explain_command->add_flag("--json", explain_json, "print one JSON object");

  std::string reload_path;
  std::vector<std::string> reload_symbols;
  std::string reload_mode = "now";
  int reload_times = 1;
  int reload_timeout = 60;
  bool reload_copy = false;
  CLI::App* reload = app.add_subcommand(
      "reload",
      "Try dldoctor's safe reloader on a plugin being rebuilt: load it (in a child process), "
      "take each new build, and say whether the old one left the process");
  reload->add_option("PATH", reload_path, "the plugin, where its builds are put")->required();
  reload->add_option("--symbol", reload_symbols,
                     "a name each build must export, else it is refused (repeatable)");
  reload
      ->add_option("--mode", reload_mode,
                   "how the builds are opened: now (RTLD_NOW) or lazy (RTLD_LAZY)")
      ->capture_default_str()
      ->check(CLI::IsMember({"now", "lazy"}));
  reload->add_flag("--copy", reload_copy,
                   "load each build from a private copy, which a later write into the build's "
                   "file does not reach (a copy per reload)");
  reload->add_option("--times", reload_times, "how many new builds to take before stopping")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  reload->add_option("--timeout", reload_timeout, "seconds to wait for a new build before stopping")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));

  dldoctor::cli::ScanOptions scan_options;
  CLI::App* scan = app.add_subcommand(
      "scan",
      "Check every ELF object under the paths as this machine's loader would load it, and say "
      "which would not, grouped by cause");
  scan->add_option("PATH", scan_options.paths,
                   "files or directories to scan (recursively); with --root, inside the root "
                   "(default: all of it)");
  scan->add_flag("--json", scan_options.json, "print one JSON object");
  scan->add_option("--root", scan_options.root,
                   "a root file system (an image, a sysroot): each object resolved as its own "
                   "loader would, from the root's ld.so.cache and directories, never this "
                   "machine's")
      ->check(CLI::ExistingDirectory);
  std::string scan_user;
  CLI::Option* scan_user_option = scan->add_option(
      "--user", scan_user,
      "check the libraries' permissions for this user (a NAME the user database knows, or a "
      "UID), not the current one");

  dldoctor::cli::RunOptions run_options;
  CLI::App* run = app.add_subcommand(
      "run",
      "Run a program unmodified and diagnose every dlopen that failed and every dlsym that "
      "missed in it, in its own context (LD_AUDIT and LD_PRELOAD recorders)");
  run->add_flag("--json", run_options.json, "write the report as one JSON object");
  run->add_option("--report", run_options.report_file,
                  "write the report to FILE instead of standard error");
  run->add_flag("--live", run_options.live, "report each failure as it happens");
  run->add_flag("--no-follow", run_options.no_follow,
                "leave the program's children alone (the recorder removes its variables)");
  // COMMAND ARGS...: everything from the program's name on (after --) is its own, options
  // included, in order (CLI11's remaining arguments).
  run->prefix_command();
  run->footer("COMMAND ARGS...: the program to run and its arguments, after --");

  bool codes_json = false;
  CLI::App* codes = app.add_subcommand(
      "codes", "List every finding code: its family, severity and meaning (docs/cli.md)");
  codes->add_flag("--json", codes_json,
                  "print a JSON list of {code, family, severity, meaning, loader_message}");

  // dldoctor run [OPTIONS] -- COMMAND ARGS...: the words after run's "--" are the program's, all
  // of them, in order; CLI11 sees only what comes before (without "--", its prefix_command
  // takes the words from the program's name on).
  std::vector<std::string> run_command;
  bool run_dash = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) != "run") continue;
    for (int j = i + 1; j < argc; ++j) {
      if (std::string_view(argv[j]) != "--") continue;
      run_command.assign(argv + j + 1, argv + argc);
      run_dash = true;
      argc = j;
      break;
    }
    break;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int status = app.exit(error);
    return status == 0 ? kExitLoads : kExitCannotRun;
  }
  // NSS modules must not be loaded into this statically linked program: names come from the
  // dynamically linked dldoctor-names, started at the first lookup (most runs make none).
  dldoctor::cli::HelperNameService names(dldoctor::cli::helper_path("dldoctor-names"));
  dldoctor::set_name_service(&names);
  check_options.host_given = check_host->count() > 0;
  check_options.user_given = check_user->count() > 0;
  check_options.pid_given = check_pid->count() > 0;
  tree_options.host_given = tree_host->count() > 0;
  int status = kExitLoads;
  if (check->parsed())
    status = run_check(check_options);
  else if (tree->parsed())
    status = run_tree(tree_options);
  else if (codes->parsed())
    status = run_codes(codes_json);
  else if (scan->parsed() && scan_options.paths.empty() && scan_options.root.empty())
    status = cannot_run("scan", "nothing to scan: give a PATH, or --root DIR");
  else if (scan->parsed() && scan_user_option->count() > 0 &&
           std::holds_alternative<std::string>(dldoctor::resolve_user(scan_user)))
    status = cannot_run("scan", "--user " + dldoctor::shell_quote(scan_user) + ": " +
                                    std::get<std::string>(dldoctor::resolve_user(scan_user)));
  else if (scan->parsed()) {
    if (scan_user_option->count() > 0) scan_options.user = scan_user;
    status = dldoctor::cli::run_scan(scan_options, terminal_style());
  } else if (run->parsed()) {
    run_options.command = run->remaining();
    if (run_dash && !run_options.command.empty())
      return cannot_run("run", "words before --: " + dldoctor::shell_quote(run_options.command[0]) +
                                   " (give the program after --)");
    if (run_dash) run_options.command = run_command;
    status = run_options.command.empty()
                 ? cannot_run("run", "no program given: dldoctor run [OPTIONS] -- COMMAND ARGS...")
                 : dldoctor::cli::run_program(run_options, stderr_style());
  } else if (reload->parsed())
    status = run_reload(reload_path, reload_symbols, reload_mode, reload_copy, reload_times,
                        reload_timeout);
  else
    status = run_explain(message, explain_json);
  dldoctor::set_name_service(nullptr);
  return status;
}
