// The plugin API stage (version-conflict family): a host that accepts plugins of one API, in a
// range of versions (LoadRequest::apis, --api NAME=MIN..MAX), reads what the plugin declares with
// <dldoctor/plugin.h> (a note in its PT_NOTE segment, read by the identity stage) and refuses a
// plugin of another version before dlopen. The loader has no such step: without it, a host calls
// into code built against structures and functions that have since changed, and gets a wrong
// value or a crash, never a loader message. Runs after the identity stage, before any dependency
// is looked for, as a host's own check would.
#include "checks/finding_helpers.hpp"
#include "checks/stage.hpp"

namespace dldoctor {
namespace {

std::string declared(const elf::DeclaredApi& api) {
  return api.name + " " + std::to_string(api.major) + "." + std::to_string(api.minor);
}

std::string asked(const ApiRange& range) {
  std::string text = range.name + "=" + to_string(range.min);
  if (!range.max) return text + "..";
  if (range.max->major == range.min.major && range.max->minor == range.min.minor && range.min.minor)
    return text;  // exactly MAJOR.MINOR
  return text + ".." + to_string(*range.max);
}

std::string note_evidence(const elf::DeclaredApi& api) {
  return "its note at " + elf::hex(api.offset) +
         " (owner dldoctor, DLDOCTOR_NOTE_API; readelf -n) "
         "declares " +
         declared(api);
}

// The version a rebuilt plugin should declare: the newest the host accepts, or its lowest bound.
std::string wanted_version(const ApiRange& range) {
  const ApiBound& bound = range.max ? *range.max : range.min;
  return std::to_string(bound.major) + ", " + std::to_string(bound.minor.value_or(0));
}

}  // namespace

StageVerdict check_plugin_api(Context& context) {
  if (context.request.apis.empty() || !context.image) return StageVerdict::Continue;
  const std::vector<elf::DeclaredApi>& apis = context.image->declared_apis;
  const std::string file = base_of(context.file);
  bool refused = false;
  for (const ApiRange& range : context.request.apis) {
    const elf::DeclaredApi* same_name = nullptr;
    bool accepted = false;
    for (const elf::DeclaredApi& api : apis) {
      if (api.name != range.name) continue;
      same_name = same_name != nullptr ? same_name : &api;
      accepted |= range.accepts(api.major, api.minor);
    }
    if (accepted) continue;
    refused = true;
    const std::string accepts = range.name + " " + describe_accepted(range);
    Finding finding;
    if (same_name != nullptr) {
      finding = make_finding(finding_code("version.api-mismatch"),
                             file + " was built for " + declared(*same_name) +
                                 ", and the host accepts " + accepts + ": it is not loaded");
      for (const elf::DeclaredApi& api : apis)
        if (api.name == range.name) finding.evidence.push_back(note_evidence(api));
      finding.fix.summary = "rebuild " + file + " against the headers of " + accepts +
                            " (its DLDOCTOR_PLUGIN_API line then says so), or load it with a "
                            "host built for " +
                            declared(*same_name);
    } else {
      finding = make_finding(
          finding_code("version.api-undeclared"),
          file +
              (apis.empty() ? " declares no plugin API (it has no DLDOCTOR_PLUGIN_API note)"
                            : " declares another plugin API, not " + range.name) +
              ", and the host accepts only " + accepts + ": it is not loaded");
      if (apis.empty())
        finding.evidence.push_back(
            "none of its PT_NOTE segments holds a note of owner dldoctor and type "
            "DLDOCTOR_NOTE_API");
      for (const elf::DeclaredApi& api : apis) finding.evidence.push_back(note_evidence(api));
      finding.fix.summary = "if " + file + " was built for " + range.name +
                            ", say so in one of its sources: #include <dldoctor/plugin.h> and "
                            "DLDOCTOR_PLUGIN_API(\"" +
                            range.name + "\", " + wanted_version(range) +
                            "); with the version of the headers it was built with";
    }
    finding.evidence.push_back("the host accepts " + accepts + " (--api " + asked(range) + ")");
    finding.fix.commands.push_back("readelf -n " + shell_quote(context.file));
    context.findings.push_back(std::move(finding));
  }
  return refused ? StageVerdict::Stop : StageVerdict::Continue;
}

}  // namespace dldoctor
