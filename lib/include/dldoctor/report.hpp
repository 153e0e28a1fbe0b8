// Findings, fixes and reports: the data every stage produces and every renderer reads.
// A stage never formats output; it fills these values (see render/ for text and JSON).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dldoctor {

// The six failure families of DESIGN.md. Their JSON spellings are a published contract.
enum class Family {
  WrongBuildMode,
  UnexportedSymbol,
  SignatureMismatch,
  VersionConflict,
  BadPath,
  MissingPermission,
};

// "wrong-build-mode", "unexported-symbol", ... exactly as in the JSON contract.
std::string_view to_string(Family family) noexcept;
std::optional<Family> family_from_string(std::string_view name) noexcept;

// An error stops the load; a warning describes a file that loads but should not be shipped so.
enum class Severity { Error, Warning };
std::string_view to_string(Severity severity) noexcept;

struct Fix {
  std::string summary;                // one sentence: what to change
  std::vector<std::string> commands;  // shell commands a person can paste, in order
};

struct Finding {
  Family family = Family::WrongBuildMode;
  std::string code;  // "<area>.<what>", stable once published (docs/cli.md)
  Severity severity = Severity::Error;
  std::string summary;                // the cause in one sentence
  std::vector<std::string> evidence;  // what was read from the files, one fact per line
  Fix fix;
  // False for an error that comes after a successful load: a dlsym of a name the plugin does not
  // export fails, but dlopen does not. Decides Report::loads; not part of the JSON.
  bool stops_load = true;
};

// The outcome of a real load done on request (--load), always in a child process.
struct LoadAttempt {
  bool loaded = false;
  std::string message;             // dlerror() text, or how the child ended
  std::optional<int> exit_status;  // set when the child exited
  std::optional<int> signal;       // set when the child was killed by a signal
};

struct Report {
  std::string path;
  bool loads = true;  // static verdict: no error that stops the load (or the real load's result)
  std::vector<Finding> findings;
  std::optional<LoadAttempt> load;  // present only when a real load was asked for

  bool has_errors() const noexcept;
};

}  // namespace dldoctor
