// libdep.so's header. std::string is std::__cxx11::basic_string<char> under the default
// _GLIBCXX_USE_CXX11_ABI=1, and the old copy-on-write std::basic_string<char> under 0.
#pragma once
#include <string>

std::string dep_name();  // "dep"
