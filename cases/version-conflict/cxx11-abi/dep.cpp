// The library the plugin needs: libdep.so. Built with the default ABI, dep_name is
// _Z8dep_nameB5cxx11v (dep_name[abi:cxx11]()); with -D_GLIBCXX_USE_CXX11_ABI=0, _Z8dep_namev.
#include "dep.hpp"

std::string dep_name() { return "dep"; }
