// lookup_helper: the caller of the RTLD_DEFAULT lookups in bench_loaders.cpp. glibc's dlsym
// records a dependency of the calling object on the object where it found the name
// (dl-lookup.c, add_dependency), and when the caller is the main program, which is never
// unloaded, it marks the found object as never unloaded either: a hit through RTLD_DEFAULT
// from the benchmark executable would pin the plugin for the rest of the run, and every later
// "fresh" load of it would find it loaded. Called from this small object instead, loaded for
// the benchmark and closed after it, the dependency goes away with it. (bench/loaders/meson.build
// builds it without sibling calls: as a tail call, dlsym's caller would be the host again.)
#define _GNU_SOURCE
#include <dlfcn.h>

void* bench_dlsym_default(const char* name) { return dlsym(RTLD_DEFAULT, name); }
