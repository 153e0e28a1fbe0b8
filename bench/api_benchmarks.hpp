// The loading APIs side by side over glibc (bench/bench_api.cpp): raw dlopen/dlsym,
// dldoctor's Library::open and lookup, Boost.DLL's shared_library and get<T>.
#pragma once

#include <string>

// Registers Api/{raw,dldoctor,dldoctor-typed,boost}/{open-get,get}: plugin is a plugin that
// exports symbol, an int(int) function.
void register_api_benchmarks(const std::string& plugin, const std::string& symbol);
