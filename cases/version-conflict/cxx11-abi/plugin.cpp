// Scenario: plugin.so was built with the default (C++11) string ABI against a libdep.so of the same
// ABI; libdep.so was then rebuilt with -D_GLIBCXX_USE_CXX11_ABI=0. dlopen fails on the name:
// "./broken/plugin.so: undefined symbol: _Z8dep_nameB5cxx11v" (libdep.so defines _Z8dep_namev).
#include "dep.hpp"

extern "C" int dldoctor_case_answer() { return static_cast<int>(dep_name().size()) + 39; }
