// Small helpers every stage shares: making a finding of its family, and the parts of a path a
// message names. One place, so that the stages spell them alike.
#pragma once

#include <string>
#include <vector>

#include "dldoctor/codes.hpp"
#include "dldoctor/report.hpp"

namespace dldoctor {

// A finding of a published code (finding_code("path.not-found"): a code not in the list does not
// compile), with the family and severity the list gives it; only a code whose severity depends on
// what was found (ErrorOrWarning) has it set by the stage afterwards.
inline Finding make_finding(const FindingCode& code, std::string summary) {
  Finding finding;
  finding.family = code.family;
  finding.code = std::string(code.code);
  finding.severity = code.severity == CodeSeverity::Warning ? Severity::Warning : Severity::Error;
  finding.summary = std::move(summary);
  return finding;
}

// "a, b, c", and past `most` names "..., and N more": a list in a finding's one line.
inline std::string joined(const std::vector<std::string>& names, std::size_t most = 12) {
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i == most) return text + ", and " + std::to_string(names.size() - most) + " more";
    text += (i == 0 ? "" : ", ") + names[i];
  }
  return text;
}

// "libfoo.so.2" -> "libfoo.so": a library's name without its major version (the name itself
// when it has no ".so").
inline std::string library_stem(const std::string& name) {
  const auto dot_so = name.find(".so");
  return dot_so == std::string::npos ? name : name.substr(0, dot_so + 3);
}

// "plugins/p.so" -> "p.so".
inline std::string base_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// "plugins/p.so" -> "plugins", "p.so" -> ".", "/p.so" -> "/".
inline std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The entries of a RUNPATH or RPATH string with a leading $ORIGIN (or ${ORIGIN}) replaced by
// the directory of `object` as given (the loader's origin: never resolved through links). Empty
// entries are kept, as "" (the loader reads them as the current directory).
inline std::vector<std::string> origin_expanded_entries(const std::string& list,
                                                        const std::string& object_directory) {
  std::vector<std::string> entries;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t end = list.find(':', start);
    if (end == std::string::npos) end = list.size();
    std::string entry = list.substr(start, end - start);
    for (const std::string token : {"${ORIGIN}", "$ORIGIN"})
      if (entry.rfind(token, 0) == 0) entry = object_directory + entry.substr(token.size());
    entries.push_back(std::move(entry));
    if (end == list.size()) break;
    start = end + 1;
  }
  return entries;
}

}  // namespace dldoctor
