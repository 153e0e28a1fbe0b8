// The pipeline: the stages in the loader's own order. glibc's dlopen first finds and opens the
// file (_dl_map_object: search, open), then verifies it (open_verify: identity), maps it and reads
// its dynamic section (_dl_map_object_from_fd), loads its dependencies (_dl_map_object_deps),
// checks symbol versions (_dl_check_map_versions) and relocates (symbols). A stage that finds a
// blocking error stops the ones after it, as the loader would stop there.
#include "dldoctor/diagnose.hpp"

#include <algorithm>
#include <array>

#include "checks/access_rules.hpp"
#include "checks/stage.hpp"
#include "dldoctor/codes.hpp"
#include "render/printable.hpp"

namespace dldoctor {
namespace {
using Stage = StageVerdict (*)(Context&);

constexpr std::array<Stage, 11> kStages{
    check_path,          // 1 path & search       (bad-path)
    check_permissions,   // 2 permissions         (missing-permission)
    check_identity,      // 3 ELF identity        (wrong-build-mode)
    check_reload,        // 3a a reload: an object loaded already (version-conflict: reload.*)
    check_go_plugin,     // 3b a Go host's plugin.Open (version-conflict: package hashes)
    check_plugin_api,    // 3c the host's API     (version-conflict: <dldoctor/plugin.h>, --api)
    check_dependencies,  // 4 dependencies        (bad-path, per DT_NEEDED entry)
    check_versions,      // 5 versions            (version-conflict: _dl_check_map_versions)
    check_go_open,       // 5b a Go host's plugin.Open after dlopen (wrong-build-mode: no Go plugin)
    check_symbols,       // 6 symbols             (unexported-symbol: relocation and dlsym)
    check_signatures,    // 7 signatures          (signature-mismatch: the type behind a name)
};
}  // namespace

std::string shell_quote(const std::string& word) {
  // A word with a control character or a byte that is not UTF-8 (a file name is bytes): ANSI-C
  // quoting ($'...', bash, zsh, ksh and POSIX.1-2024 sh), where \xNN is that byte, so that the
  // command pastes as the real name and prints nothing a terminal would act on.
  if (render::printable(word) != word) {
    std::string quoted = "$'";
    for (const char c : word) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '\'' || c == '\\') {
        quoted += '\\';
        quoted += c;
      } else if (byte >= 0x20 && byte < 0x7f) {
        quoted += c;
      } else {
        static constexpr char kHex[] = "0123456789abcdef";
        quoted += "\\x";
        quoted += kHex[byte >> 4];
        quoted += kHex[byte & 0xf];
      }
    }
    return quoted + "'";
  }
  const bool plain = !word.empty() && word.find_first_not_of(
                                          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789_-./+=:,@%") == std::string::npos;
  if (plain) return word;
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'')
      quoted += "'\\''";
    else
      quoted += c;
  }
  return quoted + "'";
}

Report diagnose(const LoadRequest& request) noexcept {
  Report report;
  try {
    report.path = request.path;
    const SearchPermissionMemo searchable_directories;
    Context context(request);
    for (Stage stage : kStages)
      if (stage(context) == StageVerdict::Stop) break;
    report.findings = std::move(context.findings);
  } catch (...) {
    // Only allocation failure can get here; say so rather than pretend the file is fine.
    Finding finding;
    finding.family = Family::WrongBuildMode;
    finding.code = finding_code("internal.out-of-memory").code;
    finding.summary = "dldoctor ran out of memory while inspecting the file";
    report.findings.push_back(std::move(finding));
  }
  report.loads = std::none_of(report.findings.begin(), report.findings.end(), [](const Finding& f) {
    return f.severity == Severity::Error && f.stops_load;
  });
  return report;
}

}  // namespace dldoctor
