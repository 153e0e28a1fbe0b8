// What `dldoctor --version` prints: the version and the source revision it was built from.
#pragma once

namespace dldoctor::cli {

// "dldoctor 0.1.0 (revision f18083f97ef6)\n": lib/cli/version_text.cpp.in, filled in by Meson's
// vcs_tag at each build (scripts/revision: git describe, or the tarball's REVISION stamp).
extern const char kVersionText[];

}  // namespace dldoctor::cli
