// Where the command's helper programs are: beside the command in the build tree, or where
// `meson install` puts them (PREFIX/bin/dldoctor and PREFIX/libexec/dldoctor/NAME).
#pragma once

#include <string>

namespace dldoctor::cli {

std::string helper_path(const std::string& name);

}  // namespace dldoctor::cli
